"""MyGrad: NumPy-backed tensors; layers are its ``nnet`` functions, SGD updates ``.data``."""

from __future__ import annotations

import numpy as np

from benchmarks import workloads as W

NAME = "mygrad"
MODULE = "mygrad"
NOT_SUPPORTED = {
    "w8_transformer": "no attention / transformer layers",
    "w9_loader": "no DataLoader",
    "cli_train": "no command-line trainer",
}


def configure(threads):
    import mygrad

    return {"version": mygrad.__version__}


def w1_chain(n):
    import mygrad as mg

    x = mg.tensor([W.CHAIN_START], dtype=np.float32)

    def step():
        W.chain(x, n, mg.tanh).backward()

    return step


def _sgd(params, lr):
    for p in params:
        p.data -= lr * p.grad


def w2_scalar():
    import mygrad as mg
    from mygrad.nnet import relu

    layers = W.w2_scalar_params(mg.tensor)
    params = [p for w, b in layers for p in [*W._flat(w), *b]]
    X, y = W.moons()
    X, y = X.tolist(), y.tolist()

    def step():
        W.w2_scalar_loss(layers, X, y, relu).backward()
        _sgd(params, W.W2_LR)

    return step


def w2_vector():
    import mygrad as mg
    from mygrad.nnet import relu

    params = [mg.tensor(a, dtype=np.float32) for a in W.w2_vector_params()]
    X, y = W.moons()
    X, y = X.astype(np.float32), y.astype(np.float32)

    def step():
        W.w2_vector_loss(params, X, y, relu).backward()
        _sgd(params, W.W2_LR)

    return step


def _train_step(forward, params, data):
    from mygrad.nnet import softmax_crossentropy

    it = [0]

    def step():
        x, y = data[it[0] % len(data)]
        it[0] += 1
        softmax_crossentropy(forward(x), y).backward()
        _sgd(params, W.W3_LR)

    return step


def w3_mlp():
    import mygrad as mg
    from mygrad.nnet import relu

    (w1, b1), (w2, b2) = W.w3_weights()
    # MyGrad has no Linear layer: keep weights as (in, out) so the forward needs no transpose.
    params = [mg.tensor(a) for a in (w1.T.copy(), b1, w2.T.copy(), b2)]
    W1, B1, W2, B2 = params

    def forward(x):
        return relu(x @ W1 + B1) @ W2 + B2

    return _train_step(forward, params, W.batches(W.W3_BATCH))


def w4_cnn(channels=W.W4_CHANNELS):
    import mygrad as mg
    from mygrad.nnet import conv_nd, max_pool, relu

    (c1, d1), (c2, d2), (lw, lb) = W.w4_weights(channels=tuple(channels))
    params = [mg.tensor(a) for a in (c1, d1.reshape(1, -1, 1, 1), c2, d2.reshape(1, -1, 1, 1))]
    params += [mg.tensor(lw.T.copy()), mg.tensor(lb)]
    C1, D1, C2, D2, LW, LB = params

    def forward(x):
        h = max_pool(relu(conv_nd(x, C1, stride=1, padding=1) + D1), (2, 2), 2)
        h = max_pool(relu(conv_nd(h, C2, stride=1, padding=1) + D2), (2, 2), 2)
        return h.reshape(len(x), -1) @ LW + LB

    data = [(x.reshape(-1, 1, 28, 28), y) for x, y in W.batches(W.W4_BATCH)]
    return _train_step(forward, params, data)
