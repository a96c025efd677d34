"""PyTorch on the CPU, idiomatic: ``nn`` layers, ``optim.SGD``, threads matched to NumPy's BLAS."""

from __future__ import annotations

import re

import numpy as np

from benchmarks import workloads as W

NAME = "pytorch"
MODULE = "torch"
NOT_SUPPORTED = {"cli_train": "no command-line trainer"}


def configure(threads):
    import torch

    torch.set_num_threads(threads)
    config = torch.__config__.show()
    keys = re.findall(r"(BLAS_INFO=\w+|USE_MKLDNN=\w+|CPU capability usage: \w+)", config)
    return {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "config": ", ".join(keys),
    }


def w1_chain(n):
    import torch

    x = torch.tensor([W.CHAIN_START], requires_grad=True)

    def step():
        W.chain(x, n, torch.tanh).backward()
        x.grad = None

    return step


def w2_scalar():
    import torch

    layers = W.w2_scalar_params(lambda v: torch.tensor(v, requires_grad=True))
    params = [p for w, b in layers for p in [*W._flat(w), *b]]
    X, y = W.moons()
    X, y = X.tolist(), y.tolist()

    def step():
        loss = W.w2_scalar_loss(layers, X, y, torch.relu)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad * W.W2_LR)

    return step


def w2_vector():
    import torch

    f32 = torch.float32
    params = [torch.tensor(a, dtype=f32, requires_grad=True) for a in W.w2_vector_params()]
    X, y = W.moons()
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)

    def step():
        loss = W.w2_vector_loss(params, X, y, torch.relu)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad * W.W2_LR)

    return step


def _train_step(model, data):
    import torch

    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=W.W3_LR)
    it = [0]

    def step():
        x, y = batches[it[0] % len(batches)]
        it[0] += 1
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def _load(layer, w, b):
    import torch

    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        layer.bias.copy_(torch.from_numpy(b))


def w3_mlp():
    from torch import nn

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    for layer, (w, b) in zip((model[0], model[2]), W.w3_weights()):
        _load(layer, w, b)
    return _train_step(model, W.batches(W.W3_BATCH))


def w4_cnn(channels=W.W4_CHANNELS):
    from torch import nn

    c1, c2 = channels
    model = nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(c2 * 49, 10),
    )
    for layer, (w, b) in zip((model[0], model[3], model[7]), W.w4_weights(channels=channels)):
        _load(layer, w, b)
    data = [(np.ascontiguousarray(x.reshape(-1, 1, 28, 28)), y) for x, y in W.batches(W.W4_BATCH)]
    return _train_step(model, data)


def w8_transformer():
    import torch
    import torch.nn.functional as F
    from torch import nn

    layer = nn.TransformerEncoderLayer(
        W.W8_D_MODEL, W.W8_HEADS, W.W8_FF, dropout=0.0, batch_first=True
    )
    # enable_nested_tensor only matters with a padding mask; off so no warning is printed.
    model = nn.TransformerEncoder(layer, W.W8_LAYERS, enable_nested_tensor=False)
    named = dict(model.named_parameters())
    init = W.w8_init([(k, tuple(p.shape)) for k, p in named.items()])
    with torch.no_grad():
        for k, p in named.items():
            p.copy_(torch.from_numpy(init[k]))
    x, target = (torch.from_numpy(a) for a in W.w8_data())
    opt = torch.optim.SGD(model.parameters(), lr=W.W8_LR)

    def step():
        opt.zero_grad()
        F.mse_loss(model(x), target).backward()
        opt.step()

    return step


def w9_loader(num_workers):
    from torch.utils.data import DataLoader

    loader = DataLoader(W.CostlyImages(), batch_size=W.W9_BATCH, num_workers=num_workers)

    def step():
        for _x, _y in loader:
            pass

    return step
