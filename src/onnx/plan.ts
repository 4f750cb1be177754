/**
 * The run plan of an ONNX model: built once when the model loads (`OnnxModel` in ./graph.ts),
 * then executed by every run. Each step holds what does not change between runs: its operator,
 * its parsed node (NodeInfo), the slots its inputs are read from and its outputs written to, the
 * slots freed after it, and one OpContext whose input list is refilled in place (no per-run
 * objects per node beyond what the operator itself makes).
 *
 * Memoized steps: a step computed from constants, shapes (Shape / Size) and small integer feeds
 * alone (PyTorch's Shape -> Gather -> Concat -> ConstantOfShape for a zero state, the lengths
 * plumbing of pack_padded_sequence: Cast, TopK, Range, ScatterElements...) keeps its last inputs
 * and outputs, and is skipped while its inputs are the very same arrays. "The same arrays" holds
 * across runs because the sources are made canonical: a Shape / Size step whose result equals its
 * last result gives back that last array; a small integer feed equal to the last run's gives back
 * the last run's copy (`canonicalFeed`); constants are the same arrays in every run; a skipped
 * step gives back its memoized outputs. So one identity check per input replaces the work.
 */
import { RecurrentError, ValueError } from '../errors.js';
import { OpContext, type NodeInfo, type OpImpl } from './ops/context.js';
import type { NDArray } from './values.js';

/** Integer feeds and Shape results with more elements than this are not made canonical (compared). */
export const CANONICAL_MAX_ELEMENTS = 256;

export interface PlanStep {
  info: NodeInfo;
  impl: OpImpl;
  /** Slots of the node's inputs and outputs (-1 for an absent one), and of the values freed after it. */
  inSlots: number[];
  outSlots: number[];
  freeSlots: number[];
  /** Computed from constants, shapes and small integer feeds alone: skipped while its inputs repeat. */
  memoizable: boolean;
  /** A Shape / Size node: its result is made canonical (see the top of this file). */
  shapeSource: boolean;
}

/** What the last run did: nodes executed, and nodes skipped because their memo applied. */
export interface RunCounts {
  executed: number;
  reused: number;
}

function sameValue(a: NDArray, b: NDArray): boolean {
  if (a.type !== b.type || a.shape.length !== b.shape.length || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false;
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** A step and its state kept between runs. */
interface Compiled {
  step: PlanStep;
  /** The operator's input list, refilled by each run (the context reads it). */
  inputs: (NDArray | null)[];
  ctx: OpContext;
  /** Memoizable steps: the inputs and outputs of their last execution. */
  memoInputs: (NDArray | null)[] | null;
  memoOutputs: (NDArray | null)[] | null;
}

let plansBuilt = 0;

/** How many run plans have been built in this process (each model builds one, when it loads). */
export function runPlansBuilt(): number {
  return plansBuilt;
}

export class RunPlan {
  private readonly compiled: Compiled[];
  /** Per feed slot: the last canonical copy of a small integer feed. */
  private readonly lastFeeds = new Map<number, NDArray>();
  lastRun: RunCounts = { executed: 0, reused: 0 };
  /** The buffers of the kept values (see keeps), or null after one changed. */
  private kept: Set<ArrayBufferLike> | null = null;

  constructor(
    readonly steps: readonly PlanStep[],
    opset: number,
    file: string,
  ) {
    plansBuilt++;
    this.compiled = steps.map((step) => {
      const inputs = new Array<NDArray | null>(step.inSlots.length).fill(null);
      return {
        step,
        inputs,
        ctx: new OpContext(step.info, step.info.index, inputs, opset, file),
        memoInputs: null,
        memoOutputs: null,
      };
    });
  }

  /**
   * A small integer feed as the same array as in the last run when its values repeat (a copy
   * owned by the plan: the caller may change its own array later); other feeds as they are.
   */
  canonicalFeed(slot: number, v: NDArray): NDArray {
    if (v.type === 'float32' || v.type === 'float64' || v.data.length > CANONICAL_MAX_ELEMENTS) return v;
    const last = this.lastFeeds.get(slot);
    if (last && sameValue(last, v)) return last;
    const copy: NDArray = { type: v.type, shape: [...v.shape], data: v.data.slice() };
    this.lastFeeds.set(slot, copy);
    this.kept = null;
    return copy;
  }

  /** Whether `buffer` belongs to a value kept for later runs (a memo or a canonical feed). */
  keeps(buffer: ArrayBufferLike): boolean {
    if (this.kept === null) {
      this.kept = new Set();
      for (const c of this.compiled) for (const v of c.memoOutputs ?? []) if (v) this.kept.add(v.data.buffer);
      for (const v of this.lastFeeds.values()) this.kept.add(v.data.buffer);
    }
    return this.kept.has(buffer);
  }

  /** Runs every step on `values` (indexed by slot; constants and feeds already in place). */
  run(values: (NDArray | null)[]): void {
    let executed = 0;
    let reused = 0;
    const compiled = this.compiled;
    for (let s = 0; s < compiled.length; s++) {
      const c = compiled[s]!;
      const step = c.step;
      const inSlots = step.inSlots;
      const inputs = c.inputs;
      for (let k = 0; k < inSlots.length; k++) {
        const slot = inSlots[k]!;
        inputs[k] = slot < 0 ? null : (values[slot] ?? null);
      }
      let outputs: (NDArray | null)[] | null = null;
      const memo = c.memoInputs;
      if (memo !== null) {
        let same = true;
        for (let k = 0; k < inputs.length; k++) {
          if (inputs[k] !== memo[k]) {
            same = false;
            break;
          }
        }
        if (same) outputs = c.memoOutputs;
      }
      if (outputs === null) {
        try {
          outputs = step.impl(c.ctx);
        } catch (error) {
          if (error instanceof RecurrentError) throw error;
          throw new ValueError(step.info.where, `failed: ${(error as Error).message}`);
        }
        executed++;
        if (step.shapeSource) {
          const last = c.memoOutputs?.[0];
          const now = outputs[0];
          if (last && now && now.data.length <= CANONICAL_MAX_ELEMENTS && sameValue(last, now))
            outputs = c.memoOutputs!;
          else {
            c.memoOutputs = outputs;
            this.kept = null;
          }
        } else if (step.memoizable) {
          c.memoInputs = inputs.slice();
          c.memoOutputs = outputs;
          this.kept = null;
        }
      } else {
        reused++;
      }
      const outSlots = step.outSlots;
      for (let k = 0; k < outSlots.length; k++) {
        const v = outputs![k];
        if (outSlots[k]! >= 0 && v) values[outSlots[k]!] = v;
      }
      const frees = step.freeSlots;
      for (let k = 0; k < frees.length; k++) values[frees[k]!] = null;
    }
    // The operators' input lists keep no value alive between runs.
    for (const c of compiled) c.inputs.fill(null);
    this.lastRun = { executed, reused };
  }
}
