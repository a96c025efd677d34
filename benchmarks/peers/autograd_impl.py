"""HIPS autograd: functions of NumPy values differentiated by ``grad``; SGD makes new arrays."""

from __future__ import annotations

import numpy as np

from benchmarks import workloads as W

NAME = "autograd"
MODULE = "autograd"
NOT_SUPPORTED = {
    "w4_cnn": "no conv2d / max-pool layer (only scipy.signal.convolve)",
    "w8_transformer": "no attention / transformer layers",
    "w9_loader": "no DataLoader",
    "cli_train": "no command-line trainer",
}


def configure(threads):
    from importlib.metadata import version

    return {"version": version("autograd")}


def w1_chain(n):
    import autograd.numpy as anp
    from autograd import grad

    g = grad(lambda x: anp.sum(W.chain(x, n, anp.tanh)))
    x = np.array([W.CHAIN_START], dtype=np.float32)

    def step():
        g(x)

    return step


def _relu(v):
    import autograd.numpy as anp

    return anp.maximum(v, 0.0)


def _update(params, grads, lr):
    if isinstance(params, (list, tuple)):
        return [_update(p, g, lr) for p, g in zip(params, grads)]
    return params - lr * grads


def w2_scalar():
    from autograd import grad

    params = [W.w2_scalar_params(float)]
    X, y = W.moons()
    X, y = X.tolist(), y.tolist()
    g = grad(lambda layers: W.w2_scalar_loss(layers, X, y, _relu))

    def step():
        params[0] = _update(params[0], g(params[0]), W.W2_LR)

    return step


def w2_vector():
    from autograd import grad

    params = [[a.astype(np.float32) for a in W.w2_vector_params()]]
    X, y = W.moons()
    X, y = X.astype(np.float32), y.astype(np.float32)
    g = grad(lambda ps: W.w2_vector_loss(ps, X, y, _relu))

    def step():
        params[0] = _update(params[0], g(params[0]), W.W2_LR)

    return step


def w3_mlp():
    import autograd.numpy as anp
    from autograd import grad
    from autograd.scipy.special import logsumexp

    (w1, b1), (w2, b2) = W.w3_weights()
    params = [[w1.T.copy(), b1, w2.T.copy(), b2]]
    data = W.batches(W.W3_BATCH)

    def loss(ps, x, y):
        W1, B1, W2, B2 = ps
        logits = anp.maximum(x @ W1 + B1, 0.0) @ W2 + B2
        logp = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.mean(logp[np.arange(len(y)), y])

    g = grad(loss)
    it = [0]

    def step():
        x, y = data[it[0] % len(data)]
        it[0] += 1
        params[0] = _update(params[0], g(params[0], x, y), W.W3_LR)

    return step
