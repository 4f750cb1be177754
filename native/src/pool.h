// A persistent pool of worker threads for splitting one kernel call across cores.
#pragma once

namespace rn {

// Runs fn(ctx, chunk) for every chunk in [0, chunks) and returns when all are done. The caller
// and the pool's workers claim chunks one at a time, so a worker that is slow to wake (or busy
// with another process's time slice) only takes fewer chunks: the caller never waits for a chunk
// nobody has started. Runs everything on the caller when the pool is busy (another JS thread).
// `compute_bound`: the chunks are compute-bound, so two threads should nearly halve the time;
// only such jobs are used to detect contention (memory-bound jobs gain less by nature).
void parallel_chunks(int chunks, void (*fn)(void*, int), void* ctx, bool compute_bound = true);

// Threads used by parallel_chunks, counting the caller (1 disables the workers).
int pool_threads();
void set_pool_threads(int n);
// How long an idle worker busy-waits for the next job before sleeping on a condition variable.
void set_pool_spin_us(int us);
int pool_spin_us();

// Counters since start (for benchmarks and tuning).
struct PoolStats {
  double parallel_jobs, backoff_jobs, backoffs, caller_chunks, worker_chunks;
};
PoolStats pool_stats();

}  // namespace rn
