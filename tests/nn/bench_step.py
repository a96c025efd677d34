"""Milliseconds per training step (forward + backward + SGD step), tinytensor next to PyTorch.

Run: ``python tests/nn/bench_step.py [--steps N]``. Not collected by pytest. PyTorch gets as
many threads as NumPy's BLAS (``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``, else the CPU count).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import tinytensor as tt


def _threads():
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
    best = []
    for _ in range(3):  # best of three rounds: the machine is shared
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best.append((time.perf_counter() - t0) / steps * 1e3)
    return min(best)


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
        ms = _time(tt, model, tt.tensor(xs), tt.tensor(ys), args.steps)
        line = f"{name} batch {batch}: tinytensor {ms:.2f} ms/step"
        if torch is not None:
            tmodel = _models(torch)[name][0]
            tms = _time(torch, tmodel, torch.tensor(xs), torch.tensor(ys), args.steps)
            line += f"   torch {tms:.2f} ms/step   ratio {ms / tms:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
