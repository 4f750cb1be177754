// Worker threads wait for a new job (a change of the job number in `ticket`'s high half): they
// busy-wait for a short while after each job (a job every few hundred microseconds, as in a
// recurrent layer's time steps, then costs well under a microsecond to hand over) and then sleep
// on a condition variable (~5-50 us to wake).
//
// `ticket` = job number << 32 | next unclaimed chunk << 16 | chunk count. A thread claims a chunk with a
// compare-exchange on the whole ticket, so a late worker can never claim a chunk of a job that
// has been replaced; the job's fields stay valid while any of its chunks is claimed and unfinished,
// because the caller waits for every chunk to finish before returning.
// Pool state is allocated once and never destroyed, so no destructor runs while a worker sleeps.
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace rn {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

struct Pool {
  std::mutex use;  // one caller at a time
  std::mutex mu;   // guards sleeping workers
  std::condition_variable cv;
  std::atomic<uint64_t> ticket{0};
  std::atomic<int> finished{0};
  std::atomic<void (*)(void*, int)> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  int started = 0;  // workers started (guarded by `use`)
  std::atomic<int> threads{1};
  std::atomic<int> spin_us{300};
  // Contention back-off (guarded by `use`). For each compute-bound job that a worker took part
  // in, the caller estimates from its own pace how long it would have taken alone; `benefit`
  // is a decaying sum of (alone - actual). When it goes negative, splitting costs more than it
  // saves (workers are descheduled mid-chunk because more threads are runnable than there are
  // cores: one such stall costs milliseconds, a small job saves microseconds), so the caller
  // works alone for a while, twice as long each time it happens again.
  int64_t serial_until_ns = 0;
  int64_t backoff_ns = 0;
  double benefit_ns = 2e6;  // start with some credit: the first jobs also pay for starting the workers
  std::atomic<uint64_t> parallel_jobs{0}, backoff_jobs{0}, backoffs{0}, caller_chunks{0}, worker_chunks{0};
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Pool* pool() {
  static Pool* p = [] {
    Pool* q = new Pool();
    unsigned hw = std::thread::hardware_concurrency();
    int n = hw == 0 ? 1 : (int)hw;
    if (n > 8) n = 8;
    if (const char* env = std::getenv("RECURRENT_NATIVE_THREADS")) {
      int v = std::atoi(env);
      if (v >= 1 && v <= 64) n = v;
    }
    q->threads.store(n);
    return q;
  }();
  return p;
}

// Claims and runs chunks of the current job until none is left; returns how many it ran.
uint64_t drain(Pool* P) {
  uint64_t ran = 0;
  for (;;) {
    uint64_t t = P->ticket.load(std::memory_order_acquire);
    const int next = (int)((t >> 16) & 0xffff), total = (int)(t & 0xffff);
    if (next >= total) return ran;
    if (!P->ticket.compare_exchange_weak(t, t + (1u << 16), std::memory_order_acq_rel)) continue;
    P->fn.load(std::memory_order_acquire)(P->ctx.load(std::memory_order_acquire), next);
    ++ran;
    P->finished.fetch_add(1, std::memory_order_acq_rel);
  }
}

void worker_main(Pool* P, uint64_t seen_job) {
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    unsigned spins = 0;
    uint64_t job;
    while ((job = P->ticket.load(std::memory_order_acquire) >> 32) == seen_job) {
      cpu_relax();
      if ((++spins & 255) == 0) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
        if (us >= P->spin_us.load(std::memory_order_relaxed)) {
          std::unique_lock<std::mutex> lock(P->mu);
          P->cv.wait(lock, [&] { return (P->ticket.load(std::memory_order_acquire) >> 32) != seen_job; });
          start = std::chrono::steady_clock::now();
        }
      }
    }
    seen_job = job;
    const uint64_t ran = drain(P);
    if (ran) P->worker_chunks.fetch_add(ran, std::memory_order_relaxed);
  }
}

}  // namespace

int pool_threads() { return pool()->threads.load(); }
void set_pool_threads(int n) { pool()->threads.store(n < 1 ? 1 : n > 64 ? 64 : n); }
void set_pool_spin_us(int us) { pool()->spin_us.store(us < 0 ? 0 : us); }
int pool_spin_us() { return pool()->spin_us.load(); }
PoolStats pool_stats() {
  Pool* P = pool();
  return {(double)P->parallel_jobs.load(), (double)P->backoff_jobs.load(), (double)P->backoffs.load(),
          (double)P->caller_chunks.load(), (double)P->worker_chunks.load()};
}

void parallel_chunks(int chunks, void (*fn)(void*, int), void* ctx, bool compute_bound) {
  Pool* P = pool();
  const int threads = P->threads.load();
  if (chunks <= 1 || chunks > 0xffff || threads <= 1 || !P->use.try_lock()) {
    for (int i = 0; i < chunks; ++i) fn(ctx, i);
    return;
  }
  const int64_t start = now_ns();
  if (start < P->serial_until_ns) {
    P->backoff_jobs.fetch_add(1, std::memory_order_relaxed);
    P->use.unlock();
    for (int i = 0; i < chunks; ++i) fn(ctx, i);
    return;
  }
  while (P->started < threads - 1) {
    ++P->started;
    std::thread(worker_main, P, P->ticket.load() >> 32).detach();
  }
  // No chunk of the previous job is claimable any more (all were claimed and finished), so the
  // fields can be replaced before the new job number is published.
  P->fn.store(fn, std::memory_order_relaxed);
  P->ctx.store(ctx, std::memory_order_relaxed);
  P->finished.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(P->mu);
    const uint64_t job = (P->ticket.load(std::memory_order_relaxed) >> 32) + 1;
    P->ticket.store(job << 32 | (uint64_t)chunks, std::memory_order_release);
  }
  P->cv.notify_all();
  const uint64_t mine = drain(P);
  P->caller_chunks.fetch_add(mine, std::memory_order_relaxed);
  P->parallel_jobs.fetch_add(1, std::memory_order_relaxed);
  const int64_t mine_done = now_ns();
  while (P->finished.load(std::memory_order_acquire) != chunks) cpu_relax();
  const int64_t end = now_ns();
  if (compute_bound && mine > 0 && mine < (uint64_t)chunks) {
    // A worker took part (one that slept through the whole job only had to be woken); the
    // caller's own pace says how long it would have taken alone.
    const double alone = (double)(mine_done - start) * chunks / (double)mine;
    P->benefit_ns = P->benefit_ns * 0.98 + (alone - (double)(end - start));
    if (P->benefit_ns < 0) {
      P->backoff_ns = P->backoff_ns ? std::min<int64_t>(P->backoff_ns * 2, 2000000000) : 20000000;
      P->serial_until_ns = end + P->backoff_ns;
      P->benefit_ns = 0;
      P->backoffs.fetch_add(1, std::memory_order_relaxed);
      if (std::getenv("RECURRENT_NATIVE_DEBUG")) {
        std::fprintf(stderr, "recurrent native pool: serial for %.0f ms (job of %d chunks took %.1f us, alone %.1f us)\n",
                     P->backoff_ns / 1e6, chunks, (end - start) / 1e3, alone / 1e3);
      }
    } else if (P->benefit_ns > 20e6) {
      P->backoff_ns = 0;  // splitting has saved 20 ms lately: contention is over
    }
  }
  P->use.unlock();
}

}  // namespace rn
