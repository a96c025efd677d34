"""tensor_methods/reduction.py: each reduction, running and statistics method forwards every
argument to its function (non-default values chosen so that a dropped, swapped or defaulted
argument changes the values, the shape or the dtype), the in-place forms change the tensor,
and the overload checks (max/min's other=, var/std's unbiased vs correction) raise with their
words (mutmut survivors of issue #25). NumPy only."""

# ruff: noqa: E501 - one row of the table per method, its call beside the function's

import numpy as np
import pytest

import tinytensor as tt

A = np.array([[3.0, -1.0, 2.0, 0.5], [1.0, 4.0, -2.0, 2.0], [0.0, 2.5, 1.5, -3.0]])


def _x(values=A, dtype=np.float32):
    return tt.tensor(np.asarray(values, dtype))


def _same(a, b):
    if isinstance(a, tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
        return
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize(
    "method, function",
    [
        (lambda x: x.sum(1, True, dtype=tt.float64), lambda x: tt.sum(x, 1, True, dtype=tt.float64)),
        (lambda x: x.mean(0, True, dtype=tt.float64), lambda x: tt.mean(x, 0, True, dtype=tt.float64)),
        (lambda x: x.prod(1, True, dtype=tt.float64), lambda x: tt.prod(x, 1, True, dtype=tt.float64)),
        (lambda x: x.max(1, True), lambda x: tt.max(x, 1, True)),
        (lambda x: x.min(0, True), lambda x: tt.min(x, 0, True)),
        (lambda x: x.max(), lambda x: tt.max(x)),
        (lambda x: x.min(), lambda x: tt.min(x)),
        (lambda x: x.max(other=-x), lambda x: tt.maximum(x, -x)),
        (lambda x: x.min(other=-x), lambda x: tt.minimum(x, -x)),
        (lambda x: x.amax(1, True), lambda x: tt.amax(x, 1, True)),
        (lambda x: x.amin(0, True), lambda x: tt.amin(x, 0, True)),
        (lambda x: x.amax(), lambda x: tt.amax(x)),
        (lambda x: x.var(1, False, True), lambda x: tt.var(x, 1, False, True)),
        (lambda x: x.std(0, False, True), lambda x: tt.std(x, 0, False, True)),
        (lambda x: x.var(1, keepdim=True, correction=2), lambda x: tt.var(x, 1, keepdim=True, correction=2)),
        (lambda x: x.std(1, correction=0), lambda x: tt.std(x, 1, correction=0)),
        (lambda x: x.var(), lambda x: tt.var(x)),
        (lambda x: x.logsumexp(0, True), lambda x: tt.logsumexp(x, 0, True)),
        (lambda x: x.norm(1, 1, True, tt.float64), lambda x: tt.norm(x, 1, 1, True, dtype=tt.float64)),
        (lambda x: x.norm(), lambda x: tt.norm(x)),
        (lambda x: x.argmax(0, True), lambda x: tt.argmax(x, 0, True)),
        (lambda x: x.argmin(1, True), lambda x: tt.argmin(x, 1, True)),
        (lambda x: x.argmax(), lambda x: tt.argmax(x)),
        (lambda x: (x > 0).all(1, True), lambda x: tt.all(x > 0, 1, True)),
        (lambda x: (x > 0).any(0, True), lambda x: tt.any(x > 0, 0, True)),
        (lambda x: (x > 0).all(), lambda x: tt.all(x > 0)),
        (lambda x: x.cumsum(0, dtype=tt.float64), lambda x: tt.cumsum(x, 0, dtype=tt.float64)),
        (lambda x: x.cumprod(0, dtype=tt.float64), lambda x: tt.cumprod(x, 0, dtype=tt.float64)),
        (lambda x: x.cummax(0), lambda x: tt.cummax(x, 0)),
        (lambda x: x.cummin(0), lambda x: tt.cummin(x, 0)),
        (lambda x: x.logcumsumexp(0), lambda x: tt.logcumsumexp(x, 0)),
        (lambda x: x.diff(2, 0, x[:1], x[1:]), lambda x: tt.diff(x, 2, 0, x[:1], x[1:])),
        (lambda x: x.diff(), lambda x: tt.diff(x)),
        (lambda x: x.aminmax(dim=0, keepdim=True), lambda x: tt.aminmax(x, dim=0, keepdim=True)),
        (lambda x: x.aminmax(), lambda x: tt.aminmax(x)),
        (lambda x: x.nansum(1, True, dtype=tt.float64), lambda x: tt.nansum(x, 1, True, dtype=tt.float64)),
        (lambda x: x.nanmean(0, True, dtype=tt.float64), lambda x: tt.nanmean(x, 0, True, dtype=tt.float64)),
        (lambda x: x.count_nonzero(0), lambda x: tt.count_nonzero(x, 0)),
        (lambda x: x.count_nonzero(dim=1), lambda x: tt.count_nonzero(x, 1)),
        (lambda x: x.count_nonzero(0, 1), lambda x: tt.count_nonzero(x, (0, 1))),
        (lambda x: x.count_nonzero(), lambda x: tt.count_nonzero(x)),
        (lambda x: x.histc(4, -2, 2), lambda x: tt.histc(x, 4, -2, 2)),
        (lambda x: x.histc(), lambda x: tt.histc(x)),
        (lambda x: x.double().histogram(3, range=(-1.0, 1.0), weight=x.double() * 2, density=True),
         lambda x: tt.histogram(x.double(), 3, range=(-1.0, 1.0), weight=x.double() * 2, density=True)),
        (lambda x: x.histogram(), lambda x: tt.histogram(x)),
        (lambda x: x.cov(correction=0, fweights=tt.tensor([1, 2, 3, 1]), aweights=tt.tensor([0.5, 1.0, 2.0, 1.0])),
         lambda x: tt.cov(x, correction=0, fweights=tt.tensor([1, 2, 3, 1]), aweights=tt.tensor([0.5, 1.0, 2.0, 1.0]))),
        (lambda x: x.cov(), lambda x: tt.cov(x)),
        (lambda x: x.corrcoef(), lambda x: tt.corrcoef(x)),
    ],
)  # fmt: skip
def test_method_forwards_every_argument(method, function):
    _same(method(_x()), function(_x()))


def test_forwarded_arguments_change_the_result():
    """The non-default arguments above matter (so the comparisons can catch a dropped one)."""
    x = _x()
    assert x.sum(1, True, dtype=tt.float64).shape == (3, 1)
    assert x.sum(1, True, dtype=tt.float64).dtype == tt.float64
    assert x.var(1, False).shape == (3,)
    assert not np.allclose(x.var(1, False).numpy(), x.var(1).numpy())
    assert not np.allclose(x.var(1, correction=2).numpy(), x.var(1).numpy())
    assert not np.allclose(x.norm(1).numpy(), x.norm().numpy())
    assert x.cummax(0).values.shape == (3, 4)
    assert x.diff(2, 0, x[:1], x[1:]).shape == (4, 4)


def test_integer_methods_forward():
    i = tt.tensor([3, 0, 1, 3])
    w = tt.tensor(np.array([0.5, 1.0, 2.0, 4.0]))
    _same(i.bincount(w, 6), tt.bincount(i, w, 6))
    _same(i.bincount(minlength=6), tt.bincount(i, minlength=6))
    _same(i.bincount(), tt.bincount(i))
    assert i.bincount(w, 6).shape == (6,)


def test_inplace_running_methods():
    x = _x()
    out = x.cumsum_(1)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), np.cumsum(A.astype(np.float32), 1))
    x = _x()
    x.cumsum_(0, dtype=tt.float64)
    assert x.dtype == tt.float32  # the tensor keeps its dtype
    np.testing.assert_allclose(x.numpy(), np.cumsum(A, 0), rtol=1e-6)
    x = _x()
    assert x.cumprod_(0) is x
    np.testing.assert_allclose(x.numpy(), np.cumprod(A, 0), rtol=1e-6)
    x = _x()
    x.cumprod_(1, dtype=tt.float64)
    np.testing.assert_allclose(x.numpy(), np.cumprod(A, 1), rtol=1e-6)


def test_overload_checks():
    x = _x()
    with pytest.raises(
        TypeError,
        match=r"^max\(\): other= is the elementwise form \(maximum\); "
        r"it takes no dim=1 or keepdim=False$",
    ):
        x.max(1, other=x)
    with pytest.raises(
        TypeError,
        match=r"^min\(\): other= is the elementwise form \(minimum\); "
        r"it takes no dim=None or keepdim=True$",
    ):
        x.min(keepdim=True, other=x)
    with pytest.raises(
        TypeError,
        match=r"^var\(\): pass unbiased=True or correction=0, not both "
        r"\(unbiased=True is correction=1, False is correction=0\)$",
    ):
        x.var(unbiased=True, correction=0)
    with pytest.raises(
        TypeError,
        match=r"^std\(\): pass unbiased=False or correction=1, not "
        r"both",
    ):
        x.std(unbiased=False, correction=1)
    _same(x.var(unbiased=False), tt.var(x, correction=0))
    _same(x.std(correction=1), tt.std(x))
