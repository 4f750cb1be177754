#!/usr/bin/env python3
"""Peer: PyTorch (CPU), run by bench/run.mjs with the system Python (/usr/bin/python3).

One item per process; the spec is the JSON first argument (the fields of bench/peers/common.mjs).
Prints one line `BENCH_RESULT {json}`.

  mode 'forward'  torch.inference_mode(): output, _ = module(x), x (T, B, I) time-major
  mode 'train'    zero_grad(set_to_none=True), forward, mse_loss against a fixed target (T, B, H),
                  backward, Adam step
  mode 'info'     versions, threads, which BLAS library is loaded (from /proc/self/maps) and what
                  it says about itself (openblas_get_config / corename / threads), and a timed
                  2048^3 float32 matrix product (torch.mm, which calls BLAS sgemm)

spec.threads sets torch's intra-op threads (default: torch's own default). OpenBLAS keeps its own
thread pool (OPENBLAS_NUM_THREADS, default: all CPUs) whatever torch's setting.
"""
import ctypes
import json
import os
import sys
import time

MARKER = 'BENCH_RESULT '


def memory():
    out = {}
    try:
        with open('/proc/self/status') as f:
            for line in f:
                key, _, rest = line.partition(':')
                if key in ('VmRSS', 'VmHWM'):
                    out[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return out.get('VmRSS', float('nan')), out.get('VmHWM', float('nan'))


def emit(result):
    rss, hwm = memory()
    result.update(peakRssMiB=hwm, endRssMiB=rss)
    sys.stdout.write(MARKER + json.dumps(result) + '\n')
    sys.stdout.flush()


def time_runs(fn, spec):
    min_runs = spec.get('minRuns', 5)
    max_runs = max(min_runs, spec.get('maxRuns', 40))
    budget = spec.get('budgetMs', 1500)
    warmup_ms = spec.get('warmupMs', 300)
    warm, warm_runs = 0.0, 0
    while True:
        t0 = time.perf_counter()
        fn()
        warm += (time.perf_counter() - t0) * 1e3
        warm_runs += 1
        if warm >= warmup_ms or warm_runs >= 5000:
            break
    times, total = [], 0.0
    while len(times) < min_runs or (total < budget and len(times) < max_runs):
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1e3
        times.append(ms)
        total += ms
    return times, warm_runs


def blas_info():
    """The BLAS shared libraries mapped into this process, and OpenBLAS's own description."""
    libs = set()
    try:
        with open('/proc/self/maps') as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ''
                base = os.path.basename(path)
                if any(s in base for s in ('blas', 'lapack', 'mkl', 'blis', 'atlas')):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    info = {'libraries': sorted(libs)}
    for path in sorted(libs):
        if 'openblas' not in path:
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            info['openblas'] = {
                'config': lib.openblas_get_config().decode(),
                'core': lib.openblas_get_corename().decode(),
                'threads': lib.openblas_get_num_threads(),
            }
            break
        except (OSError, AttributeError):
            continue
    if 'openblas' not in info and libs:
        info['note'] = 'no OpenBLAS library mapped'
    if not libs:
        info['note'] = 'no BLAS shared library mapped (torch would use its own kernels)'
    return info


def main():
    spec = json.loads(sys.argv[1])
    import torch
    if spec.get('threads'):
        torch.set_num_threads(int(spec['threads']))
    torch.manual_seed(0)
    env = {k: os.environ[k] for k in os.environ if k.startswith('OPENBLAS') or k.startswith('OMP_')}
    info = {'version': torch.__version__, 'threads': torch.get_num_threads(), 'env': env}
    baseline, _ = memory()

    if spec['mode'] == 'info':
        a = torch.rand(2048, 2048)
        b = torch.rand(2048, 2048)
        torch.mm(a, b)  # loads and warms the BLAS
        info['blas'] = blas_info()
        times, _ = time_runs(lambda: torch.mm(a, b), {'minRuns': 5, 'maxRuns': 15, 'budgetMs': 1000})
        times.sort()
        info['gemm2048GFlops'] = 2 * 2048 ** 3 / (times[len(times) // 2] / 1e3) / 1e9
        cfg = torch.__config__.show()
        info['buildBlas'] = ', '.join(p.strip() for p in cfg.replace('\n', ',').split(',') if 'BLAS_INFO' in p or 'LAPACK_INFO' in p)
        return {'info': info}

    cell, T, B, I, H = spec['cell'], spec['T'], spec['B'], spec['I'], spec['H']
    Module = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}[cell]
    module = Module(I, H)
    x = torch.rand(T, B, I) - 0.5
    if spec['mode'] == 'forward':
        def run():
            with torch.inference_mode():
                module(x)
    else:
        target = torch.rand(T, B, H) - 0.5
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)

        def run():
            optimizer.zero_grad(set_to_none=True)
            output, _ = module(x)
            torch.nn.functional.mse_loss(output, target).backward()
            optimizer.step()
    times, warm_runs = time_runs(run, spec)
    info['blas'] = blas_info()
    return {'times': times, 'warmupRuns': warm_runs, 'baselineRssMiB': baseline, 'info': info}


if __name__ == '__main__':
    try:
        emit(main())
    except Exception as error:  # reported by the parent
        sys.stdout.write(MARKER + json.dumps({'error': f'{type(error).__name__}: {error}'}) + '\n')
        sys.exit(1)
