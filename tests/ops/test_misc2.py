"""misc_ext2 ops (tinytensor/ops/misc_ext2.py): the table-driven properties of every row in
ops/optable/misc2.py, second-order gradients, then the ops without a gradient (histogram,
histogramdd, nonzero_static), the in-place and method forms, and post-accumulate-grad hooks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import MISC2 as CASES
from tinytensor.testing import gradgradcheck

test_forward_and_gradient, test_matches_torch = table_tests(CASES)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.differentiable and c.double_differentiable], ids=lambda c: c.name
)
@settings(max_examples=5)
@given(data=st.data())
def test_second_order(case, data):
    sample = data.draw(case.inputs, label="sample")
    assert gradgradcheck(sample.bind(case.fn), sample.leaves())


# --- no gradient: histogram, histogramdd, nonzero_static ---------------------------------------

_X = np.random.default_rng(0).standard_normal(40)
_P = np.random.default_rng(1).standard_normal((30, 2))
_NZ = np.array([[0, 1, 0], [2, 0, 3]])

HIST_CALLS = {
    "bins-int": ((_X, 6), {}),
    "range-weight-density": (
        (_X, 5),
        {"range": (-1.0, 1.0), "weight": np.abs(_X), "density": True},
    ),
    "bins-tensor": ((_X, np.array([-2.0, -0.5, 0.0, 0.25, 3.0])), {}),
    "constant": ((np.ones(4), 2), {}),
}


def _tt(v):
    return tt.tensor(v) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("name", list(HIST_CALLS))
def test_histogram_numpy(name):
    (x, bins), kw = HIST_CALLS[name]
    hist, edges = tt.histogram(_tt(x), _tt(bins), **{k: _tt(v) for k, v in kw.items()})
    np_kw = {"weights" if k == "weight" else k: v for k, v in kw.items()}
    rh, re = np.histogram(x, bins, **np_kw)
    if name == "constant":
        rh, re = np.histogram(x, bins, range=(0.5, 1.5))
    np.testing.assert_allclose(hist.numpy(), rh)
    np.testing.assert_allclose(edges.numpy(), re)
    assert hist.dtype == tt.float64 and edges.dtype == tt.float64


@pytest.mark.torch
@pytest.mark.parametrize("name", list(HIST_CALLS))
def test_histogram_torch(name):
    torch = pytest.importorskip("torch")
    (x, bins), kw = HIST_CALLS[name]
    ours = tt.histogram(_tt(x), _tt(bins), **{k: _tt(v) for k, v in kw.items()})
    tb = torch.tensor(bins) if isinstance(bins, np.ndarray) else bins
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    theirs = torch.histogram(torch.tensor(x), tb, **tkw)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


HISTDD_CALLS = {
    "bins-int": (3, {}),
    "bins-list-range": ([2, 4], {"range": [-1.0, 1.0, -2.0, 2.0], "density": True}),
    "bins-tensors-weight": (
        [np.array([-3.0, 0.0, 3.0]), np.array([-1.0, 0.0, 0.5, 1.0])],
        {"weight": np.arange(30.0)},
    ),
}


def _np_range(kw):
    r = kw.get("range")
    return {**kw, "range": None if r is None else [r[0:2], r[2:4]]}


@pytest.mark.parametrize("name", list(HISTDD_CALLS))
def test_histogramdd_numpy(name):
    bins, kw = HISTDD_CALLS[name]
    tbins = [_tt(b) for b in bins] if isinstance(bins, list) else bins
    hist, edges = tt.histogramdd(tt.tensor(_P), tbins, **{k: _tt(v) for k, v in kw.items()})
    np_kw = {"weights" if k == "weight" else k: v for k, v in _np_range(kw).items()}
    rh, re = np.histogramdd(_P, bins, **np_kw)
    np.testing.assert_allclose(hist.numpy(), rh)
    for e, r in zip(edges, re):
        np.testing.assert_allclose(e.numpy(), r)


@pytest.mark.torch
@pytest.mark.parametrize("name", list(HISTDD_CALLS))
def test_histogramdd_torch(name):
    torch = pytest.importorskip("torch")
    bins, kw = HISTDD_CALLS[name]
    tbins = [_tt(b) for b in bins] if isinstance(bins, list) else bins
    hist, edges = tt.histogramdd(tt.tensor(_P), tbins, **{k: _tt(v) for k, v in kw.items()})
    pb = [torch.tensor(b) for b in bins] if isinstance(bins, list) else bins
    pkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    th, te = torch.histogramdd(torch.tensor(_P), pb, **pkw)
    np.testing.assert_allclose(hist.numpy(), th.numpy(), rtol=1e-12)
    for e, t in zip(edges, te):
        np.testing.assert_allclose(e.numpy(), t.numpy())


@pytest.mark.parametrize(("size", "fill"), [(0, -1), (2, -1), (3, -1), (5, 7)])
def test_nonzero_static_numpy(size, fill):
    out = tt.nonzero_static(tt.tensor(_NZ), size=size, fill_value=fill)
    want = np.full((size, 2), fill)
    found = np.argwhere(_NZ)[:size]
    want[: len(found)] = found
    assert out.dtype == tt.int64
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(tt.tensor(_NZ).nonzero_static(size=size, fill_value=fill), out)


@pytest.mark.torch
@pytest.mark.parametrize(("size", "fill"), [(0, -1), (2, -1), (5, 7)])
def test_nonzero_static_torch(size, fill):
    torch = pytest.importorskip("torch")
    out = tt.nonzero_static(tt.tensor(_NZ), size=size, fill_value=fill)
    ref = torch.nonzero_static(torch.tensor(_NZ), size=size, fill_value=fill)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


# --- method and in-place forms ------------------------------------------------------------------


def test_methods_match_functions():
    x = tt.tensor(np.arange(12.0).reshape(3, 4) / 5)
    np.testing.assert_array_equal(x.cov(correction=0), tt.cov(x, correction=0))
    np.testing.assert_array_equal(x.corrcoef(), tt.corrcoef(x))
    np.testing.assert_array_equal(x.renorm(2, 0, 1.0), tt.renorm(x, 2, 0, 1.0))
    s = tt.ones(4, dtype=tt.float64)
    np.testing.assert_array_equal(x.select_scatter(s, 0, 1), tt.select_scatter(x, s, 0, 1))
    idx = tt.tensor([0, 0, 2])
    src = tt.ones(3, 3, dtype=tt.float64)
    np.testing.assert_array_equal(
        x.index_reduce(0, idx, tt.ones(3, 4, dtype=tt.float64), "amax"),
        tt.index_reduce(x, 0, idx, tt.ones(3, 4, dtype=tt.float64), "amax"),
    )
    np.testing.assert_array_equal(
        x.slice_scatter(src, 1, 1), tt.slice_scatter(x, src, dim=1, start=1)
    )
    hist = x.histogram(3)
    np.testing.assert_array_equal(hist.hist, tt.histogram(x, 3).hist)


@pytest.mark.torch
def test_inplace_forms_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, src = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    idx = np.array([1, 1])
    for reduce in ("prod", "mean", "amax", "amin"):
        w = tt.tensor(x0, requires_grad=True)
        tw = torch.tensor(x0, requires_grad=True)
        s, ts = tt.tensor(src, requires_grad=True), torch.tensor(src, requires_grad=True)
        y = (w * 1.0).index_reduce_(1, tt.tensor(idx), s, reduce, include_self=False)
        ty = (tw * 1.0).index_reduce_(1, torch.tensor(idx), ts, reduce, include_self=False)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), atol=1e-12)
    w, tw = tt.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, ty = (w * 1.0).renorm_(2, 1, 0.5), (tw * 1.0).renorm_(2, 1, 0.5)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-12)
    v, tv = tt.ones(3, dtype=tt.float64), torch.ones(3, dtype=torch.float64)
    tt.addmv_(v, tt.tensor(x0), tt.ones(4, dtype=tt.float64), beta=2, alpha=0.5)
    torch.addmv_(tv, torch.tensor(x0), torch.ones(4, dtype=torch.float64), beta=2, alpha=0.5)
    np.testing.assert_allclose(v.numpy(), tv.numpy())


def test_addmv_inplace_numpy():
    a, v = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    out = tt.ones(2, dtype=tt.float64)
    assert tt.addmv_(out, tt.tensor(a), tt.tensor(v), beta=3) is out
    np.testing.assert_allclose(out.numpy(), 3.0 + a @ v)


# --- register_post_accumulate_grad_hook ---------------------------------------------------------


def test_post_accumulate_grad_hook_sees_accumulated_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(seen[1], [5.0, 7.0])  # 3 + 2x: called after accumulating
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_grad_hook_can_step_and_clear():
    """The optimizer-in-backward pattern: update the leaf and drop its grad in the hook."""
    x = tt.tensor([1.0, 2.0], requires_grad=True)

    def step(t):
        with tt.no_grad():
            t.sub_(0.5 * t.grad)
        t.grad = None

    x.register_post_accumulate_grad_hook(step)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.detach().numpy(), [0.0, 0.0])
    assert x.grad is None


def test_post_accumulate_grad_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tt.ones(2).register_post_accumulate_grad_hook(print)
    y = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.register_post_accumulate_grad_hook(print)


@pytest.mark.torch
def test_post_accumulate_grad_hook_matches_torch():
    torch = pytest.importorskip("torch")
    calls = {}
    for lib in (tt, torch):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        log = calls.setdefault(lib.__name__, [])
        x.register_post_accumulate_grad_hook(lambda t, log=log: log.append(t.grad.tolist()))
        y = (x * x).sum()
        lib.autograd.backward([y, (x * 2).sum()])
        (x.exp()).sum().backward()
    assert np.allclose(calls["tinytensor"], calls["torch"])


@pytest.mark.torch
def test_as_strided_scatter_torch_forward_and_src_gradient():
    """PyTorch 2.13's gradient for ``input`` is wrong (torch's own gradcheck fails on it); the
    forward and ``src``'s gradient are compared, ``input``'s is gradcheck's (the table row)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a0, s0, g0 = rng.standard_normal(7), rng.standard_normal((2, 2)), rng.standard_normal(7)
    args = ((2, 2), (3, 2), 1)
    a, s = tt.tensor(a0, requires_grad=True), tt.tensor(s0, requires_grad=True)
    ta, ts = torch.tensor(a0, requires_grad=True), torch.tensor(s0, requires_grad=True)
    y, ty = tt.as_strided_scatter(a, s, *args), torch.as_strided_scatter(ta, ts, *args)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    y.backward(tt.tensor(g0))
    ty.backward(torch.tensor(g0))
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    kept = np.ones(7, bool)
    kept[[1, 3, 4, 6]] = False
    np.testing.assert_allclose(a.grad.numpy(), np.where(kept, g0, 0.0))
