#!/usr/bin/env node
/**
 * The `recurrent` command as installed (package.json `bin`). `train` runs node with
 * --single-threaded-gc: V8's concurrent and parallel collector threads otherwise compete with the
 * native kernels' threads for the cores (on 2 cores a seq2seq training step ran 1.4-1.5x slower
 * with them; docs/recipes.md, "The training step on the full CMUdict").
 *
 * The flag has to be on node's command line: V8 reads it at start-up (set later with
 * v8.setFlagsFromString, node 20 aborts in its next full collection). A shebang cannot pass it
 * portably either: `#!/usr/bin/env -S node ...` needs GNU or BSD env, and busybox's env (Alpine,
 * the node:alpine images) has no -S. So `train` starts a second node with the flag and waits for
 * it; the other commands run here. A Ctrl-C at the terminal reaches both processes (one process
 * group): this one ignores it and the training process saves its model as usual; SIGTERM and
 * SIGHUP sent to this process are passed on.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FLAG = '--single-threaded-gc';
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-'));

if (command === 'train' && !process.execArgv.includes(FLAG)) {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, FLAG, main, ...args], { stdio: 'inherit' });
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`recurrent: could not start node for training: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    // Ended by a signal: end the same way, so a shell or supervisor sees what happened.
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  await import('./main.js');
}
