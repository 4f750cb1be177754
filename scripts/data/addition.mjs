#!/usr/bin/env node
/**
 * Writes Keras's addition problem as a headerless file, one pair a line: `535+61,596`.
 * Usage: node scripts/data/addition.mjs [COUNT=50000] [DIGITS=3] [SEED=1] > addition.txt
 * Distinct questions, operands uniform in [0, 10^DIGITS), as in the Keras example
 * (examples/nlp/addition_rnn.py), from a seeded generator (mulberry32), so the file is reproducible.
 */
const [count = 50000, digits = 3, seed = 1] = process.argv.slice(2).map(Number);
let state = seed >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const limit = 10 ** digits;
if (count > limit * limit) throw new Error(`only ${limit * limit} distinct questions exist for ${digits} digits`);
const seen = new Set();
const lines = [];
while (lines.length < count) {
  const a = Math.floor(random() * limit);
  const b = Math.floor(random() * limit);
  const question = `${a}+${b}`;
  if (seen.has(question)) continue;
  seen.add(question);
  lines.push(`${question},${a + b}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
