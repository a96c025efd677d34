"""Where tinytensor's time goes: ``python -m benchmarks.profile W1 [W3 W4 ...]``.

Runs a workload's tinytensor step under cProfile and sums each function's own time into the
parts of the library it belongs to (recording, engine, Tensor construction, dtype promotion,
op bodies, backward closures, NumPy kernels, nn/optim). NumPy work reached through an
operator (``a @ b``, ``a * b``) is not a call cProfile sees, so it counts in the function that
wrote the operator. cProfile slows Python-heavy code more than NumPy-heavy code, so read the
shares, not the absolute numbers; the step time printed first is measured without the
profiler (thread CPU time). benchmarks/PROFILE.md explains the numbers.

The process is in the state ``python -m benchmarks`` measures: the adapter's ``configure``, and
nothing a user's script would not do (the allocator is tuned by the first backward, as in any
program, unless ``TINYTENSOR_MALLOC_TUNING=0`` or ``MALLOC_*`` say otherwise).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers import tinytensor_impl as T  # noqa: E402
from benchmarks.workloads import W1_OPS  # noqa: E402

STEPS = {
    "W1": (lambda: T.w1_chain(W1_OPS), W1_OPS, "µs/op", 200),
    "W2s": (T.w2_scalar, 1, "ms/step", 3),
    "W2v": (T.w2_vector, 1, "ms/step", 300),
    "W3": (T.w3_mlp, 1, "ms/step", 200),
    "W4": (T.w4_cnn, 1, "ms/step", 30),
    "W4b": (lambda: T.w4_cnn((16, 32)), 1, "ms/step", 20),  # W4's 16/32-channel shape
}

# (path fragment, function-name test, part); the first match wins.
PARTS = [
    ("autograd/node.py", None, "record + Node"),
    ("autograd/engine.py", None, "engine (sort, reduce, accumulate)"),
    ("autograd/grad_mode.py", None, "grad mode"),
    ("tinytensor/ops/_util.py", None, "binary / dtype promotion"),
    ("tinytensor/_dtype.py", None, "binary / dtype promotion"),
    ("tinytensor/core/tensorbase.py", lambda f: f == "wrap", "wrap (Tensor construction)"),
    ("tinytensor/tensor.py", None, "Tensor methods and dunders"),
    ("tinytensor/", lambda f: f in ("<lambda>", "backward"), "backward closures"),
    ("tinytensor/ops/", None, "op forward bodies"),
    ("tinytensor/nn/", None, "nn (layers, functional)"),
    ("tinytensor/optim/", None, "optim"),
    ("numpy", None, "NumPy (Python-level wrappers)"),
    ("benchmarks/", None, "workload code"),
]


def part_of(filename: str, func: str) -> str:
    if filename == "~" or filename.startswith("<"):
        return "NumPy kernels and builtins"
    name = filename.replace(os.sep, "/")
    for frag, test, part in PARTS:
        if frag in name and (test is None or test(func)):
            return part
    return "other Python"


def measure(step, n, clock=time.thread_time):
    for _ in range(3):
        step()
    gc.collect()
    t0 = clock()
    for _ in range(n):
        step()
    return (clock() - t0) / n


def profile(name: str, top: int) -> None:
    make, per_step, unit, n = STEPS[name]
    step = make()
    scale = (1e6 / per_step) if unit == "µs/op" else 1e3
    t = measure(step, n) * scale
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        step()
    prof.disable()
    stats = pstats.Stats(prof)
    parts: dict[str, float] = {}
    total = 0.0
    rows = []
    for (filename, _, func), (_, ncalls, tottime, _, _) in stats.stats.items():
        part = part_of(filename, func)
        parts[part] = parts.get(part, 0.0) + tottime
        total += tottime
        rows.append((tottime, ncalls, f"{Path(filename).name}:{func}", part))
    print(f"\n## {name}: {t:.3g} {unit} without the profiler (thread CPU time)\n")
    print("| part | share | ≈ " + unit + " |\n|---|---|---|")
    for part, v in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"| {part} | {v / total:.0%} | {t * v / total:.3g} |")
    print(f"\ntop {top} functions by own time:\n")
    print("| function | calls/step | share | part |\n|---|---|---|---|")
    for tottime, ncalls, where, part in sorted(rows, reverse=True)[:top]:
        print(f"| {where} | {ncalls / n:g} | {tottime / total:.1%} | {part} |")


def main(argv=None) -> int:
    doc = __doc__.split("\n")[0]
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=doc)
    p.add_argument("workloads", nargs="*", default=["W1", "W3", "W4"], help=", ".join(STEPS))
    p.add_argument("--top", type=int, default=15, help="how many functions to list")
    args = p.parse_args(argv)
    for name in args.workloads:
        if name not in STEPS:
            sys.exit(f"unknown workload {name!r}; choose from {', '.join(STEPS)}")
    info = T.configure(1)  # as the benchmark's worker does
    print(f"tinytensor {info['version']}; malloc: {info['malloc']}")
    for name in args.workloads:
        profile(name, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
