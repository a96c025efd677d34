"""What ``tt.compile``'s first call costs: ``python -m benchmarks.trace_cost [W3 W4 W8]``.

For each workload, a fresh compiled step is built and its first call (the trace: the eager
call under a tracer, the joint backward, building the program) is timed, against the median
of warm eager calls of the same step and the median of warm replays. Each workload runs in
its own process on one BLAS thread; process CPU time, so a busy machine inflates it little.
Repeated ``--repeats`` times (fresh processes); the medians are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "W3": ("w3_mlp", {}),
    "W4": ("w4_cnn", {}),
    "W8": ("w8_transformer", {}),
}


def _measure(name):
    from benchmarks.peers import tinytensor_impl as eager

    fn, kw = CASES[name]
    clock = time.process_time
    step = getattr(eager, fn)(**kw)
    for _ in range(3):
        step()
    warm = []
    for _ in range(7):
        t = clock()
        step()
        warm.append(clock() - t)
    compiled = getattr(eager, fn)(compiled=True, **kw)
    t = clock()
    compiled()  # the trace
    first = clock() - t
    for _ in range(2):
        compiled()
    replays = []
    for _ in range(7):
        t = clock()
        compiled()
        replays.append(clock() - t)
    return {
        "eager": statistics.median(warm),
        "first": first,
        "replay": statistics.median(replays),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.trace_cost", description=__doc__)
    ap.add_argument("workloads", nargs="*", default=list(CASES), help="W3, W4, W8")
    ap.add_argument("--repeats", type=int, default=3, help="fresh processes per workload")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.child)))
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print("| workload | eager call (ms) | first compiled call (ms) | first / eager | replay (ms) |")
    print("|---|---|---|---|---|")
    for name in args.workloads:
        if name not in CASES:
            ap.error(f"unknown workload {name!r}: choose from {', '.join(CASES)}")
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.trace_cost", "--child", name],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        eager = statistics.median(r["eager"] for r in runs) * 1e3
        first = statistics.median(r["first"] for r in runs) * 1e3
        replay = statistics.median(r["replay"] for r in runs) * 1e3
        print(f"| {name} | {eager:.2f} | {first:.2f} | {first / eager:.1f}x | {replay:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
