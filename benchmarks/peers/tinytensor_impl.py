"""tinytensor, written the way its README shows: ``nn`` layers, ``optim.SGD``, ``backward``."""

from __future__ import annotations

import os

import numpy as np

from benchmarks import workloads as W

NAME = "tinytensor"
MODULE = "tinytensor"
NOT_SUPPORTED: dict[str, str] = {}


def configure(threads):
    """Nothing a user's own script would not do: no ``tune_allocator()`` call (issue #24), so every
    row measures the process state a program that swapped its ``import torch`` gets."""
    import tinytensor as tt

    return {"version": getattr(tt, "__version__", "dev"), "malloc": malloc_state()}


def malloc_state() -> str:
    """How glibc's allocator is configured in this process, in words (for the table's notes)."""
    import tinytensor as tt

    try:
        import tinytensor.allocator as allocator
    except ImportError:
        allocator = None
    home = os.path.dirname(os.path.abspath(tt.__file__))
    if allocator is None or os.path.dirname(os.path.abspath(allocator.__file__)) != home:
        # A --baseline older than the module (an editable install may even supply this
        # checkout's in its place): such versions tuned on importing tinytensor.nn.
        return "as this version sets it (it has no tinytensor.allocator)"
    given = sorted(v for v in os.environ if v.startswith("MALLOC_") and v.endswith("_"))
    if given:
        return "thresholds from the environment (" + ", ".join(given) + ")"
    if os.environ.get("TINYTENSOR_MALLOC_TUNING", "").strip() == "0":
        return "glibc's defaults (TINYTENSOR_MALLOC_TUNING=0)"
    if hasattr(allocator, "user_configured"):  # the versions that tune at the first backward
        return "tuned at the first backward (the default)"
    return "glibc's defaults (this version tunes only when asked)"


def w1_chain(n):
    import tinytensor as tt

    x = tt.tensor([W.CHAIN_START], requires_grad=True)

    def step():
        W.chain(x, n, tt.tanh).backward()
        x.grad = None

    return step


def w2_scalar():
    import tinytensor as tt

    layers = W.w2_scalar_params(lambda v: tt.tensor(v, requires_grad=True))
    params = [p for w, b in layers for p in [*W._flat(w), *b]]
    X, y = W.moons()
    X, y = X.tolist(), y.tolist()

    def step():
        loss = W.w2_scalar_loss(layers, X, y, tt.relu)
        for p in params:
            p.grad = None
        loss.backward()
        with tt.no_grad():
            for p in params:
                p.sub_(p.grad * W.W2_LR)

    return step


def w2_vector():
    import tinytensor as tt

    params = [tt.tensor(a.astype(np.float32), requires_grad=True) for a in W.w2_vector_params()]
    X, y = W.moons()
    X, y = tt.tensor(X.astype(np.float32)), tt.tensor(y.astype(np.float32))

    def step():
        loss = W.w2_vector_loss(params, X, y, tt.relu)
        for p in params:
            p.grad = None
        loss.backward()
        with tt.no_grad():
            for p in params:
                p.sub_(p.grad * W.W2_LR)

    return step


def _train_step(model, data, compiled=False):
    import tinytensor as tt
    import tinytensor.nn as nn
    import tinytensor.optim as optim

    batches = [(tt.from_numpy(x), tt.from_numpy(y)) for x, y in data]
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=W.W3_LR)
    it = [0]

    def loss_of(x, y):
        return loss_fn(model(x), y)

    if compiled:  # the forward and backward replayed; the optimizer step stays eager
        loss_of = tt.compile(loss_of)

    def step():
        x, y = batches[it[0] % len(batches)]
        it[0] += 1
        opt.zero_grad()
        loss_of(x, y).backward()
        opt.step()

    return step


def _load(layer, w, b):
    import tinytensor as tt

    with tt.no_grad():
        layer.weight.copy_(tt.from_numpy(w))
        layer.bias.copy_(tt.from_numpy(b))


def w3_mlp(compiled=False):
    import tinytensor.nn as nn

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    for layer, (w, b) in zip((model[0], model[2]), W.w3_weights()):
        _load(layer, w, b)
    return _train_step(model, W.batches(W.W3_BATCH), compiled)


def w4_cnn(channels=W.W4_CHANNELS, compiled=False):
    import tinytensor.nn as nn

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
    data = [(x.reshape(-1, 1, 28, 28), y) for x, y in W.batches(W.W4_BATCH)]
    return _train_step(model, data, compiled)


def w8_transformer(compiled=False):
    import tinytensor as tt
    import tinytensor.nn as nn
    import tinytensor.nn.functional as F
    import tinytensor.optim as optim

    if not hasattr(nn, "TransformerEncoder"):  # being written (issue #10): a clean "n/a" row
        raise NotImplementedError("not available: tt.nn.TransformerEncoder does not exist yet")
    layer = nn.TransformerEncoderLayer(
        W.W8_D_MODEL, W.W8_HEADS, W.W8_FF, dropout=0.0, batch_first=True
    )
    model = nn.TransformerEncoder(layer, W.W8_LAYERS)
    named = dict(model.named_parameters())
    init = W.w8_init([(k, tuple(p.shape)) for k, p in named.items()])
    with tt.no_grad():
        for k, p in named.items():
            p.copy_(tt.from_numpy(init[k]))
    x, target = (tt.from_numpy(a) for a in W.w8_data())
    opt = optim.SGD(model.parameters(), lr=W.W8_LR)

    def loss():
        return F.mse_loss(model(x), target)

    if compiled:
        loss = tt.compile(loss)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()

    return step


def w9_loader(num_workers):
    from tinytensor.data import DataLoader

    loader = DataLoader(W.CostlyImages(), batch_size=W.W9_BATCH, num_workers=num_workers)

    def step():
        for _x, _y in loader:
            pass

    return step


def cli_train():
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    import tinytensor as tt

    # The package this worker imported (ours, or --baseline's), run from an empty folder so
    # that no other checkout's package shadows it.
    home = os.path.dirname(os.path.dirname(os.path.abspath(tt.__file__)))
    env = {**os.environ, "PYTHONPATH": home}

    def step():
        out = tempfile.mkdtemp(prefix="tt-bench-cli-")
        try:
            subprocess.run(
                [sys.executable, *W.cli_command(), "--out", os.path.join(out, "run")],
                check=True,
                cwd=out,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            shutil.rmtree(out, ignore_errors=True)

    return step
