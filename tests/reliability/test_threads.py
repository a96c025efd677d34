"""Threads: grad mode belongs to the thread that set it, and two threads training separate
models at the same time get bit-identical results to training them one after the other."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn, optim
from tinytensor.nn import functional as F


@pytest.fixture(autouse=True)
def _switch_often():
    # Make the interpreter switch threads very often, so interleavings really happen.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _run_threads(*targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
                errors.append(e)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


@pytest.mark.parametrize(
    "off",
    [
        lambda: tt.no_grad(),
        lambda: tt.inference_mode(),
        lambda: tt.set_grad_enabled(False),
    ],
    ids=["no_grad", "inference_mode", "set_grad_enabled"],
)
def test_grad_mode_is_per_thread(off):
    x = tt.ones(3, requires_grad=True)
    a_inside, b_done = threading.Event(), threading.Event()
    seen = {}

    def a():
        with off():
            a_inside.set()
            assert b_done.wait(10)
            seen["a_enabled"] = tt.is_grad_enabled()
            seen["a_records"] = (x * 2).requires_grad

    def b():
        assert a_inside.wait(10)  # A has switched grad off in its own thread ...
        seen["b_enabled"] = tt.is_grad_enabled()  # ... which B must not see
        seen["b_records"] = (x * 2).requires_grad
        b_done.set()

    _run_threads(a, b)
    assert seen == {"a_enabled": False, "a_records": False, "b_enabled": True, "b_records": True}
    assert tt.is_grad_enabled()


def test_plain_set_grad_enabled_call_stays_in_its_thread():
    x = tt.ones(2, requires_grad=True)
    seen = {}

    def worker():
        tt.set_grad_enabled(False)  # called as a function, never restored in this thread
        seen["worker"] = (x + 1).requires_grad

    _run_threads(worker)
    assert seen == {"worker": False}
    assert tt.is_grad_enabled() and (x + 1).requires_grad


def test_new_threads_start_with_grad_enabled():
    seen = {}

    def worker():
        seen["enabled"] = tt.is_grad_enabled()

    with tt.no_grad():
        _run_threads(worker)
    assert seen == {"enabled": True}


def test_backward_in_one_thread_does_not_change_grad_mode_of_another():
    # The engine switches grad mode off while it runs backward closures; a thread recording
    # at the same moment must keep recording.
    x = tt.ones(64, requires_grad=True)
    stop = threading.Event()
    unrecorded = []

    def backwarder():
        for _ in range(300):
            ((x * 3).tanh() * x).sum().backward()
        stop.set()

    def recorder():
        while not stop.is_set():
            if not (x * 2).requires_grad:
                unrecorded.append(1)

    _run_threads(backwarder, recorder)
    assert not unrecorded


def _make(kind, seed):
    tt.manual_seed(seed)
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(64, 16), nn.Tanh(), nn.BatchNorm1d(16), nn.Linear(16, 16), nn.ReLU(),
            nn.Linear(16, 3),
        )  # fmt: skip
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4, 3),
    )  # fmt: skip


def _data(seed):
    rng = np.random.default_rng(seed)
    x = tt.tensor(rng.normal(size=(16, 64)), dtype=tt.float32)
    return x, tt.tensor(rng.integers(0, 3, 16))


def _train(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _state(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_two_threads_training_at_once_match_sequential_runs_bit_for_bit(kind):
    steps = 100
    specs = [(1, lambda p: optim.SGD(p, lr=0.1, momentum=0.9)), (2, lambda p: optim.Adam(p))]
    # Sequential reference.
    ref = []
    for seed, make_opt in specs:
        model = _make(kind, seed)
        ref.append((_train(model, make_opt(model.parameters()), *_data(seed), steps), model))
    # The same two runs, concurrently (models built up front: the global RNG is shared).
    models = [_make(kind, seed) for seed, _ in specs]
    opts = [make_opt(m.parameters()) for m, (_, make_opt) in zip(models, specs)]
    results = [None, None]

    def job(k):
        def run():
            results[k] = _train(models[k], opts[k], *_data(specs[k][0]), steps)

        return run

    _run_threads(job(0), job(1))
    for k in range(2):
        assert results[k] == ref[k][0], f"model {k}: losses differ from the sequential run"
        want, got = _state(ref[k][1]), _state(models[k])
        assert want.keys() == got.keys()
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=f"model {k} {name}")
