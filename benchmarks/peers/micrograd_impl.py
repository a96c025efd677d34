"""micrograd: scalar ``Value`` objects only, so the array workloads are n/a.

micrograd has no tanh; W1 adds one in micrograd's own style (forward value, backward closure).
Its topological sort is recursive, so the recursion limit is raised to the chain's length.
"""

from __future__ import annotations

import math
import sys

from benchmarks import workloads as W

NAME = "micrograd"
MODULE = "micrograd"
_SCALAR_ONLY = "scalar-only library (no tensors)"
NOT_SUPPORTED = {
    **{fn: _SCALAR_ONLY for fn in ("w2_vector", "w3_mlp", "w4_cnn", "w8_transformer")},
    "w9_loader": "no DataLoader",
    "cli_train": "no command-line trainer",
}


def configure(threads):
    from importlib.metadata import version

    return {"version": version("micrograd")}


def _tanh(v):
    from micrograd.engine import Value

    t = math.tanh(v.data)
    out = Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def w1_chain(n):
    from micrograd.engine import Value

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * n + 1000))
    x = Value(W.CHAIN_START)

    def step():
        x.grad = 0
        W.chain(x, n, _tanh).backward()

    return step


def w2_scalar():
    from micrograd.engine import Value

    layers = W.w2_scalar_params(Value)
    params = [p for w, b in layers for p in [*W._flat(w), *b]]
    X, y = W.moons()
    X, y = X.tolist(), y.tolist()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))

    def step():
        loss = W.w2_scalar_loss(layers, X, y, lambda v: v.relu())
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= W.W2_LR * p.grad

    return step
