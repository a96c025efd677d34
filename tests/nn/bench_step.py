"""Milliseconds per training step (forward + backward + SGD step), tinytensor next to PyTorch.

Run: ``python tests/nn/bench_step.py [--steps N]`` (``OPENBLAS_NUM_THREADS=1`` for a
single-threaded comparison). Not collected by pytest. PyTorch gets as many threads as NumPy's
BLAS. Reports the best of three rounds of wall-clock time and of process CPU time (the latter
is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import tinytensor as tt


def _threads():
    try:
        from threadpoolctl import threadpool_info

        blas = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            return blas[0]
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return os.cpu_count() or 1


def _models(lib):
    nn = lib.nn
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10),
    )  # fmt: skip
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    return {"cnn": (cnn, 64), "mlp": (mlp, 128)}


def _time(lib, model, x, y, steps):
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    wall, cpu = [], []
    for _ in range(3):  # best of three rounds: the machine may be shared
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        wall.append((time.perf_counter() - t0) / steps * 1e3)
        cpu.append((time.process_time() - c0) / steps * 1e3)
    return min(wall), min(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    try:
        import torch

        torch.set_num_threads(_threads())
    except ImportError:
        torch = None
    print(f"threads={_threads()}  steps={args.steps}")
    for name, (model, batch) in _models(tt).items():
        xs = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        ys = rng.integers(0, 10, batch)
        ms, cpu = _time(tt, model, tt.tensor(xs), tt.tensor(ys), args.steps)
        line = f"{name} batch {batch}: tinytensor {ms:.2f} ms/step (cpu {cpu:.2f})"
        if torch is not None:
            tmodel = _models(torch)[name][0]
            tms, tcpu = _time(torch, tmodel, torch.tensor(xs), torch.tensor(ys), args.steps)
            line += f"   torch {tms:.2f} ms/step (cpu {tcpu:.2f})"
            line += f"   ratio {ms / tms:.2f}x (cpu {cpu / tcpu:.2f}x)"
        print(line)


if __name__ == "__main__":
    main()
