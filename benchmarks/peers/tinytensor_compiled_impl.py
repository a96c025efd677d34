"""tinytensor with ``tt.compile``: the loss (forward and backward) traced once and replayed.

The optimizer step stays eager, as in a PyTorch program that compiles its model: each row is
the eager row's program with one ``tt.compile`` added, nothing else.
"""

from __future__ import annotations

import numpy as np

from benchmarks import workloads as W
from benchmarks.peers import tinytensor_impl as eager

NAME = "tinytensor compiled"
MODULE = "tinytensor"
NOT_SUPPORTED = {
    "w9_loader": "data loading has no ops to compile",
    "cli_train": "the CLI's --compile run is timed by its own test, not here",
}
configure = eager.configure


def _check(tt):
    if not hasattr(tt, "compiler"):  # a --baseline without a compiler
        raise NotImplementedError("not available: this tinytensor has no tt.compile")


def w1_chain(n):
    import tinytensor as tt

    _check(tt)
    x = tt.tensor([W.CHAIN_START], requires_grad=True)
    f = tt.compile(lambda x: W.chain(x, n, tt.tanh))

    def step():
        f(x).backward()
        x.grad = None

    return step


def w2_scalar():
    import tinytensor as tt

    _check(tt)
    layers = W.w2_scalar_params(lambda v: tt.tensor(v, requires_grad=True))
    params = [p for w, b in layers for p in [*W._flat(w), *b]]
    X, y = W.moons()
    X, y = X.tolist(), y.tolist()
    loss_fn = tt.compile(lambda: W.w2_scalar_loss(layers, X, y, tt.relu))

    def step():
        loss = loss_fn()
        for p in params:
            p.grad = None
        loss.backward()
        with tt.no_grad():
            for p in params:
                p.sub_(p.grad * W.W2_LR)

    return step


def w2_vector():
    import tinytensor as tt

    _check(tt)
    params = [tt.tensor(a.astype(np.float32), requires_grad=True) for a in W.w2_vector_params()]
    X, y = W.moons()
    X, y = tt.tensor(X.astype(np.float32)), tt.tensor(y.astype(np.float32))
    loss_fn = tt.compile(lambda: W.w2_vector_loss(params, X, y, tt.relu))

    def step():
        loss = loss_fn()
        for p in params:
            p.grad = None
        loss.backward()
        with tt.no_grad():
            for p in params:
                p.sub_(p.grad * W.W2_LR)

    return step


def w3_mlp():
    import tinytensor as tt

    _check(tt)
    return eager.w3_mlp(compiled=True)


def w4_cnn(channels=W.W4_CHANNELS):
    import tinytensor as tt

    _check(tt)
    return eager.w4_cnn(channels, compiled=True)


def w8_transformer():
    import tinytensor as tt

    _check(tt)
    return eager.w8_transformer(compiled=True)
