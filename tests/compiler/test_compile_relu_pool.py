"""tt.compile runs ReLU after max pooling (tinytensor/compiler/rewrite.py): the same values
and gradients as eager (NaN, inf, ties, all-negative windows, overlapping windows, 1-D to 3-D),
the steps reordered only where nothing else reads what the rewrite changes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn as nn
import tinytensor.nn.functional as F
from compiler.helpers import same


def _order(f):
    """The names of the forward and backward kernels ``f``'s one program runs, in order."""
    (entry,) = [e for e in f.entries if e.program is not None]
    fwd = [name for phase, name, *_ in entry.program.steps if phase == "forward"]
    bwd = [name for phase, name, *_ in entry.program.steps if phase == "backward"]
    return fwd, bwd


def _grads(fn, x, g=None):
    xs = x.detach().requires_grad_(True)
    out = fn(xs)
    out.backward(g if g is not None else tt.ones_like(out) if out.ndim else None)
    return out.detach(), xs.grad


def _edge_input(rng, shape):
    """Mostly non-positive values with many ties (windows that are all negative, that tie at
    zero, hold -0.0 and +0.0, or tie at a positive maximum), and a few NaN and +-inf."""
    values = np.array([-2.0, -1.0, -0.0, 0.0, 0.5, 3.0], np.float32)
    x = rng.choice(values, size=shape, p=[0.25, 0.2, 0.2, 0.2, 0.1, 0.05]).astype(np.float32)
    u = rng.random(shape)
    x[u < 0.03] = np.nan
    x[(u >= 0.03) & (u < 0.05)] = np.inf
    x[(u >= 0.05) & (u < 0.07)] = -np.inf
    return tt.from_numpy(x)


@pytest.mark.parametrize(
    ("pool", "shape", "kw"),
    [
        (F.max_pool2d, (2, 3, 8, 8), {"kernel_size": 2}),
        (F.max_pool2d, (2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
        (F.max_pool2d, (2, 3, 9, 7), {"kernel_size": 2, "ceil_mode": True}),
        (F.max_pool2d, (1, 2, 8, 8), {"kernel_size": 2, "dilation": 2}),
        (F.max_pool1d, (2, 3, 16), {"kernel_size": 2}),
        (F.max_pool1d, (2, 3, 17), {"kernel_size": 3, "stride": 1}),
        (F.max_pool3d, (1, 2, 4, 4, 4), {"kernel_size": 2}),
    ],
)
@pytest.mark.parametrize("upstream", ["ones", "signed", "inf"])
def test_values_and_gradients_equal_eager(pool, shape, kw, upstream):
    rng = np.random.default_rng(7)
    x = _edge_input(rng, shape)
    probe = pool(x, **kw)
    g = {
        "ones": np.ones(probe.shape, np.float32),
        "signed": rng.standard_normal(probe.shape).astype(np.float32),
        "inf": np.where(rng.random(probe.shape) < 0.3, np.inf, -1.0).astype(np.float32),
    }[upstream]
    w = tt.from_numpy(g)

    def fn(x):  # the pooled values stay inside (a result of the call is never rewritten)
        return pool(F.relu(x), **kw) * w

    f = tt.compile(fn)
    for _ in range(3):  # the trace, then replays
        got_out, got_grad = _grads(f, x)
    want_out, want_grad = _grads(fn, x)
    assert same(got_out, want_out)
    assert same(got_grad, want_grad)
    fwd, bwd = _order(f)
    pool_name = {F.max_pool1d: "MaxPool1D", F.max_pool2d: "MaxPool2D", F.max_pool3d: "MaxPool3D"}
    assert fwd.index(pool_name[pool]) < fwd.index("Relu")  # reordered
    assert bwd.index("ReluBackward") < bwd.index("MaxPoolBackward")


def test_pooled_values_differ_from_eager_only_in_the_sign_of_zero():
    x = tt.tensor([[[-1.0, -0.0, -0.0, -2.0]]])
    f = tt.compile(lambda x: F.max_pool1d(F.relu(x), 2))
    for _ in range(2):
        got = f(x)
    assert same(got, F.max_pool1d(F.relu(x), 2))  # equal as numbers
    # relu(max(window)): relu(-0.0) in both windows
    assert np.signbit(got.numpy()).tolist() == [[[True, True]]]


def test_a_cnn_trains_step_for_step_as_eager():
    def make():
        tt.manual_seed(3)
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(6 * 16, 3),
        )  # fmt: skip

    rng = np.random.default_rng(0)
    data = [
        (tt.from_numpy(rng.standard_normal((5, 1, 16, 16)).astype(np.float32)),
         tt.from_numpy(rng.integers(0, 3, 5)))
        for _ in range(3)
    ]  # fmt: skip
    losses = {}
    for mode in ("eager", "compiled"):
        model = make()
        opt = tt.optim.SGD(model.parameters(), lr=0.1)
        step = lambda x, y, model=model: F.cross_entropy(model(x), y)  # noqa: E731
        if mode == "compiled":
            step = tt.compile(step)
        losses[mode] = []
        for i in range(6):
            x, y = data[i % 3]
            opt.zero_grad()
            loss = step(x, y)
            loss.backward()
            opt.step()
            losses[mode].append(loss.item())
        losses[mode].append([p.detach().numpy().copy() for p in model.parameters()])
        if mode == "compiled":
            fwd, bwd = _order(step)
            assert fwd.count("Relu") == 2 and fwd.index("MaxPool2D") < fwd.index("Relu")
            assert bwd.count("ReluBackward") == 2
    assert losses["compiled"][:6] == losses["eager"][:6]
    for a, b in zip(losses["compiled"][6], losses["eager"][6]):
        assert np.array_equal(a, b)


def _relu_read_again(x):
    h = F.relu(x)  # relu's output is read again: it must be computed as traced
    return F.max_pool2d(h, 2).sum() + h.mean()


def _indices_returned(x):
    out, idx = F.max_pool2d(F.relu(x), 2, return_indices=True)  # argmax a result
    return out.sum() + idx.sum()


def _mask_reads_input(x):
    h = F.relu(x)  # relu's output also saved by another op's backward
    return F.max_pool2d(h, 2).sum() + (h * h).sum()


def _pool_first(x):
    return F.relu(F.max_pool2d(x, 2)).sum()  # already the cheap order


@pytest.mark.parametrize("fn", [_relu_read_again, _indices_returned, _mask_reads_input,
                                _pool_first])  # fmt: skip
def test_not_rewritten_where_something_else_reads_it(fn):
    rng = np.random.default_rng(1)
    x = _edge_input(rng, (2, 2, 6, 6))
    f = tt.compile(fn)
    for _ in range(2):
        got = _grads(f, x)
    want = _grads(fn, x)
    assert same(got[0], want[0]) and same(got[1], want[1])
    fwd, _ = _order(f)
    pools = [i for i, n in enumerate(fwd) if n == "MaxPool2D"]
    relus = [i for i, n in enumerate(fwd) if n == "Relu"]
    assert pools and relus
    assert fwd == _traced_forward(fn, x)  # the order eager runs


def _traced_forward(fn, x):
    """The forward kernels eager runs, in order (a compile whose rewrite is switched off)."""
    import tinytensor.compiler.program as program

    saved = program.reorder_relu_pool
    program.reorder_relu_pool = lambda tracer, steps, keep, frozen=(): list(steps)
    try:
        f = tt.compile(fn)
        _grads(f, x)
        return _order(f)[0]
    finally:
        program.reorder_relu_pool = saved


def test_forward_only_calls_are_rewritten_too():
    x = _edge_input(np.random.default_rng(2), (2, 2, 6, 6))
    fn = lambda x: F.max_pool2d(F.relu(x), 2)  # noqa: E731
    f = tt.compile(fn)
    with tt.no_grad():
        for _ in range(2):
            got = f(x)
    assert same(got, fn(x))
    fwd, bwd = _order(f)
    assert fwd == ["MaxPool2D", "Relu"] and bwd == []


@pytest.mark.torch
def test_gradient_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = _edge_input(np.random.default_rng(5), (2, 3, 8, 8))
    g = np.random.default_rng(6).standard_normal((2, 3, 4, 4)).astype(np.float32)
    f = tt.compile(lambda x: F.max_pool2d(F.relu(x), 2) * 2.0)
    for _ in range(2):
        xs = x.detach().requires_grad_(True)
        out = f(xs)
        out.backward(tt.from_numpy(g))
        grad = xs.grad
    assert _order(f)[0][:2] == ["MaxPool2D", "Relu"]
    tx = torch.from_numpy(x.numpy().copy()).requires_grad_(True)
    tout = torch.nn.functional.max_pool2d(torch.relu(tx), 2) * 2.0
    tout.backward(torch.from_numpy(g))
    assert np.array_equal(out.detach().numpy(), tout.detach().numpy(), equal_nan=True)
    assert np.array_equal(grad.numpy(), tx.grad.numpy(), equal_nan=True)


@pytest.mark.parametrize("kw", [{"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": 2}])
def test_internal_gradient_of_a_padded_pooling_replays_as_eager(kw):
    # x needs no gradient: the scattered gradient (a view for padded pooling) is an internal
    # value of the program, read by Mul's backward; replays reuse buffers around it.
    rng = np.random.default_rng(11)
    x = _edge_input(rng, (2, 3, 9, 9))
    w = tt.from_numpy(rng.standard_normal((1, 3, 1, 1)).astype(np.float32)).requires_grad_(True)
    g = tt.from_numpy(rng.standard_normal(tuple(F.max_pool2d(x, **kw).shape)).astype(np.float32))

    def fn(x):
        return F.max_pool2d(F.relu(x * w), **kw) * 2.0

    def run(f):
        w.grad = None
        out = f(x)
        out.backward(g)
        return out.detach(), w.grad.clone()

    f = tt.compile(fn)
    got = [run(f) for _ in range(3)]  # the trace, a replay taking a buffer set, one reusing it
    want = run(fn)
    for out, grad in got:
        assert same(out, want[0]) and same(grad, want[1])
    fwd, bwd = _order(f)
    assert fwd.index("MaxPool2D") < fwd.index("Relu")
    assert bwd.index("ReluBackward") < bwd.index("MaxPoolBackward")
    # The scattered gradient is kept in a reused buffer in both layouts: a padded pooling's
    # (a view of a larger array in a plain replay) has its inner part copied in.
    (entry,) = [e for e in f.entries if e.program is not None]
    (scattered,) = [outs[0] for ph, name, outs, *_ in entry.program.steps
                    if name == "MaxPoolBackward"]  # fmt: skip
    listing = str(entry.program)
    assert scattered in set(re.findall(r"\bv\d+\b", listing[listing.index("# buffers") :]))


def _write_pooled_in_place(x):
    y = F.max_pool1d(F.relu(x), 2, 1, 1)
    with tt.no_grad():
        y.add_(-1.5)  # eager's backward never reads y; the rewritten one would
    return y * 2.0


def test_pooled_values_written_in_place_are_not_rewritten():
    # found by the program fuzzer: x[1]'s window maximum is relu(-1.0) = 0, so it gets no
    # gradient; a rewritten replay read y after the write and passed one.
    x = tt.tensor([[[0.5, -1.0]]])
    f = tt.compile(_write_pooled_in_place)
    for _ in range(3):
        got = _grads(f, x)
    want = _grads(_write_pooled_in_place, x)
    assert same(got[0], want[0]) and same(got[1], want[1])
    assert want[1].numpy().tolist() == [[[4.0, 0.0]]]
    assert _order(f)[0][:2] == ["Relu", "MaxPool1D"]  # as traced


def test_a_pooled_result_can_be_written_in_place_after_the_call():
    # As in eager: the result is no saved value, so changing it before backward is allowed.
    x = _edge_input(np.random.default_rng(4), (2, 2, 6, 6))

    def fn(x):
        return F.max_pool2d(F.relu(x), 2)

    def run(f):
        xs = x.detach().requires_grad_(True)
        y = f(xs)
        y.mul_(3.0)
        y.sum().backward()
        return y.detach(), xs.grad

    f = tt.compile(fn)
    got = [run(f) for _ in range(3)]
    want = run(fn)
    for out, grad in got:
        assert same(out, want[0]) and same(grad, want[1])
    assert _order(f)[0] == ["Relu", "MaxPool2D"]  # a result: not rewritten
