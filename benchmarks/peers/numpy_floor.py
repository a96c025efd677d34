"""Lower bounds, not a library: W1's forward pass in NumPy (no graph, no backward), and the
matrix products of a W3/W4 training step in float32 NumPy (the BLAS floor)."""

from __future__ import annotations

import numpy as np

from benchmarks import workloads as W

NAME = "numpy floor"
MODULE = "numpy"
NOT_SUPPORTED = {
    "w2_scalar": "no floor defined",
    "w2_vector": "no floor defined",
}


def configure(threads):
    return {"version": np.__version__}


def w1_chain(n):
    x = np.array([W.CHAIN_START], dtype=np.float32)

    def step():
        W.chain(x, n, np.tanh)

    return step


def _gemms(shapes):
    rng = np.random.default_rng(0)
    pairs = [
        (rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32))
        for m, k, n in shapes
    ]
    outs = [np.empty((m, n), np.float32) for m, k, n in shapes]

    def step():
        for (a, b), out in zip(pairs, outs):
            np.matmul(a, b, out=out)

    return step


def w3_mlp():
    return _gemms(W.w3_gemms())


def w4_cnn(channels=W.W4_CHANNELS):
    return _gemms(W.w4_gemms(channels=tuple(channels)))
