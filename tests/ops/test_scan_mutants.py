"""The scans (tinytensor/ops/scan.py) against NumPy oracles, finite differences and
hand-derived constants, fast and deterministic: cumprod (its three backward paths: by
division, with zeros or tiny values, and the differentiable composite), cummax/cummin (ties,
NaN, indices), logcumsumexp (infinities, gradients of either sign), diff, trapezoid,
cumulative_trapezoid and gradient (every spacing form, both edge orders), and their errors.
Written so that a one-line bug in scan.py fails here without PyTorch."""

import numpy as np
import pytest

import tinytensor as tt
from ops.finite_differences import fd_grad, float64_default  # noqa: F401 - the fixture

RNG = np.random.default_rng(77)
X = RNG.uniform(0.5, 1.5, (2, 3, 4)) * RNG.choice([-1.0, 1.0], (2, 3, 4))


# Python lists become float64 tensors here, so the oracles compare exactly.
pytestmark = pytest.mark.usefixtures("float64_default")


def _first_and_second(fn, npfn, x, w, c):
    """tinytensor's first derivative (with and without create_graph) and second derivative
    of sum(fn(x) * w), against finite differences."""
    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad((fn(a) * tt.tensor(w)).sum(), a, create_graph=True)
    fd = fd_grad(lambda y: float(np.sum(npfn(y) * w)), x)
    np.testing.assert_allclose(g.detach().numpy(), fd, rtol=1e-5, atol=1e-6)
    b = tt.tensor(x, requires_grad=True)
    (fn(b) * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), g.detach().numpy(), rtol=1e-10, atol=1e-12)
    (h,) = tt.autograd.grad((g * tt.tensor(c)).sum(), a)

    def first(y):
        return float(np.sum(fd_grad(lambda z: float(np.sum(npfn(z) * w)), y, 1e-5) * c))

    return h.numpy(), first


# --- cumprod ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cumprod_values_and_gradients(dim):
    want = np.cumprod(X, axis=dim)
    np.testing.assert_allclose(tt.cumprod(tt.tensor(X), dim).numpy(), want)
    w = RNG.standard_normal(X.shape)
    a = tt.tensor(X, requires_grad=True)
    (tt.cumprod(a, dim) * tt.tensor(w)).sum().backward()
    fd = fd_grad(lambda y: float(np.sum(np.cumprod(y, axis=dim) * w)), X)
    np.testing.assert_allclose(a.grad.numpy(), fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "x",
    [
        np.array([[0.5, 0.0, 2.0, -1.5], [0.0, 0.0, 3.0, 1.25]]),
        np.array([[1e-120, 2.0, 3.0, 0.5], [2.0, 1e-120, -1.0, 4.0]]),
        np.array([[2.0, -1.0, 0.5, 3.0], [1.5, 2.5, -0.5, 1.0]]),
        np.array([[2.0, -1.0, 0.5, 0.0], [0.0, 2.5, -0.5, 1.0]]),
    ],
)
def test_cumprod_gradient_with_zeros_and_tiny_values_first_and_second_order(x):
    w = np.array([[1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.5]])

    def grad_exact(y):
        """d/dy_k sum_j w_j prod_{i<=j} y_i = sum_{j>=k} w_j prod_{i<=j, i!=k} y_i, per row."""
        out = np.zeros_like(y)
        for r in range(y.shape[0]):
            for k in range(y.shape[1]):
                for j in range(k, y.shape[1]):
                    p = np.prod([y[r, i] for i in range(j + 1) if i != k])
                    out[r, k] += w[r, j] * p
        return out

    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad((tt.cumprod(a, 1) * tt.tensor(w)).sum(), a, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), grad_exact(x), rtol=1e-12, atol=1e-300)
    b = tt.tensor(x, requires_grad=True)
    (tt.cumprod(b, 1) * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), grad_exact(x), rtol=1e-12, atol=1e-300)
    # the same along dim 0 (transposed): the kernel's moveaxis is exercised
    bt = tt.tensor(x.T.copy(), requires_grad=True)
    (tt.cumprod(bt, 0) * tt.tensor(w.T.copy())).sum().backward()
    np.testing.assert_allclose(bt.grad.numpy(), grad_exact(x).T, rtol=1e-12, atol=1e-300)
    c = np.array([[0.5, 1.0, -1.0, 2.0], [1.0, -0.5, 0.25, 1.0]])
    (h,) = tt.autograd.grad((g * tt.tensor(c)).sum(), a)
    if np.abs(x).min() > 1e-50:
        fd = fd_grad(lambda y: float(np.sum(grad_exact(y) * c)), x)
        np.testing.assert_allclose(h.numpy(), fd, rtol=1e-5, atol=1e-6)


def test_cumprod_dtypes_zero_dim_and_overflow():
    i = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    got = tt.cumprod(tt.tensor(i), 1)
    assert got.dtype == tt.int64
    np.testing.assert_array_equal(got.numpy(), np.cumprod(i, 1))
    b = tt.cumprod(tt.tensor(np.array([True, True, False, True])), 0)
    assert b.dtype == tt.int64
    np.testing.assert_array_equal(b.numpy(), [1, 1, 0, 0])
    f = tt.cumprod(tt.tensor(i), 0, dtype=tt.float32)
    assert f.dtype == tt.float32
    np.testing.assert_array_equal(f.numpy(), np.cumprod(i, 0))
    h = tt.cumprod(tt.tensor(np.array([1.5, 2.0], np.float32)), 0)
    assert h.dtype == tt.float32
    z = tt.cumprod(tt.tensor(3.0), 0)
    assert tuple(z.shape) == () and z.item() == 3.0
    a = tt.tensor(3.0, requires_grad=True)
    (tt.cumprod(a, -1) * 2.0).backward()
    assert a.grad.item() == 2.0
    with np.errstate(all="raise"):
        assert tt.cumprod(tt.tensor([1e200, 1e200]), 0).numpy()[1] == np.inf
    a = tt.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    out = tt.cumprod(a, 0, dtype=tt.float64)
    assert out.dtype == tt.float64
    out.sum().backward()
    assert a.grad.dtype == tt.float32
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 1.0])


# --- cummax / cummin --------------------------------------------------------------------------

C = np.array([[1.0, 3.0, 3.0, 2.0, 5.0, 0.0], [4.0, 4.0, -1.0, 4.0, 7.0, 7.0]])


def _np_cum_extreme(x, better):
    vals, idx = np.empty_like(x), np.zeros(x.shape, np.int64)
    for r in range(x.shape[0]):
        for j in range(x.shape[1]):
            if (
                j == 0
                or np.isnan(x[r, j])
                or (not np.isnan(vals[r, j - 1]) and better(x[r, j], vals[r, j - 1]))
            ):
                vals[r, j], idx[r, j] = x[r, j], j
            else:
                vals[r, j], idx[r, j] = vals[r, j - 1], idx[r, j - 1]
    return vals, idx


@pytest.mark.parametrize(
    "x", [C, -C, np.array([[1.0, np.nan, 5.0, np.nan, 0.0], [2.0, 1.0, 3.0, 3.0, np.nan]])]
)
def test_cummax_cummin_values_last_index_of_ties_nan_and_gradient(x):
    for fn, better in ((tt.cummax, np.greater_equal), (tt.cummin, np.less_equal)):
        want_v, want_i = _np_cum_extreme(x, better)
        for dim, tr in ((1, False), (-1, False), (0, True)):
            xx = x.T.copy() if tr else x
            a = tt.tensor(xx, requires_grad=True)
            r = fn(a, dim)
            v, i = r
            wv, wi = (want_v.T, want_i.T) if tr else (want_v, want_i)
            np.testing.assert_array_equal(r.values.detach().numpy(), wv)
            np.testing.assert_array_equal(r.indices.numpy(), wi)
            assert i.dtype == tt.int64
            w = np.arange(1.0, xx.size + 1).reshape(xx.shape)
            (v * tt.tensor(w)).sum().backward()
            z = np.zeros_like(xx)
            ax = 0 if tr else 1
            for pos in np.ndindex(xx.shape):
                tgt = list(pos)
                tgt[ax] = wi[pos]
                z[tuple(tgt)] += w[pos]
            np.testing.assert_array_equal(a.grad.numpy(), z)


def test_cummax_names_ints_zero_dim_and_second_order():
    r = tt.cummax(tt.tensor(np.array([2, 1, 5, 5])), 0)
    assert type(r).__name__ == "cummax"
    assert type(tt.cummin(tt.tensor([1.0]), 0)).__name__ == "cummin"
    np.testing.assert_array_equal(r.values.numpy(), [2, 2, 5, 5])
    np.testing.assert_array_equal(r.indices.numpy(), [0, 0, 2, 3])
    m = tt.cummin(tt.tensor(np.array([2, 1, 5, 1])), 0)
    np.testing.assert_array_equal(m.values.numpy(), [2, 1, 1, 1])
    np.testing.assert_array_equal(m.indices.numpy(), [0, 1, 1, 3])
    a = tt.tensor(2.5, requires_grad=True)
    v, i = tt.cummax(a, 0)
    assert tuple(v.shape) == () and v.item() == 2.5 and i.item() == 0 and tuple(i.shape) == ()
    (v * 3.0).backward()
    assert a.grad.item() == 3.0
    b = tt.tensor([1.0, 3.0, 2.0], requires_grad=True)
    v, _ = tt.cummax(b, 0)
    (g,) = tt.autograd.grad((v**2).sum(), b, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [2.0, 12.0, 0.0])
    (h,) = tt.autograd.grad(g.sum(), b)
    np.testing.assert_array_equal(h.numpy(), [2.0, 4.0, 0.0])


# --- logcumsumexp -----------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp_values_and_gradients_of_either_sign(dim):
    x = RNG.standard_normal((3, 4))
    want = np.log(np.cumsum(np.exp(x), axis=dim))
    np.testing.assert_allclose(tt.logcumsumexp(tt.tensor(x), dim).numpy(), want)
    w = np.array([[1.0, -2.0, 0.0, 3.0], [-1.0, -0.5, 2.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
    c = RNG.standard_normal((3, 4))
    h, first = _first_and_second(
        lambda a: tt.logcumsumexp(a, dim),
        lambda y: np.log(np.cumsum(np.exp(y), axis=dim)),
        x,
        w,
        c,
    )
    np.testing.assert_allclose(h, fd_grad(first, x, 1e-4), rtol=1e-3, atol=1e-4)


def test_logcumsumexp_infinities_large_values_and_errors():
    x = np.array([-np.inf, 0.0, 1000.0, 1000.0, -np.inf])
    got = tt.logcumsumexp(tt.tensor(x), 0).numpy()
    np.testing.assert_allclose(got, [-np.inf, 0.0, 1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2)])
    a = tt.tensor(np.array([1000.0, 1000.0, -np.inf]), requires_grad=True)
    tt.logcumsumexp(a, 0)[-1].backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.5, 0.0])
    b = tt.tensor(np.array([0.0, np.log(3.0)]), requires_grad=True)
    (tt.logcumsumexp(b, 0) * tt.tensor([-2.0, 4.0])).sum().backward()
    # d f0 = [1, 0], d f1 = [1/4, 3/4]
    np.testing.assert_allclose(b.grad.numpy(), [-2.0 + 1.0, 3.0])
    z = tt.logcumsumexp(tt.tensor(1.5), 0)
    assert tuple(z.shape) == () and z.item() == 1.5
    a0 = tt.tensor(1.5, requires_grad=True)
    (tt.logcumsumexp(a0, 0) * 2.0).backward()
    assert a0.grad.item() == 2.0
    f = tt.logcumsumexp(tt.tensor(np.array([1.0, 2.0], np.float32)), 0)
    assert f.dtype == tt.float32
    with pytest.raises((TypeError, RuntimeError), match="logcumsumexp"):
        tt.logcumsumexp(tt.tensor([1, 2]), 0)
    with pytest.raises(IndexError):
        tt.logcumsumexp(tt.tensor([1.0, 2.0]), 1)


# --- diff -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_diff_matches_numpy(n, dim):
    x = RNG.standard_normal((4, 5))
    got = tt.diff(tt.tensor(x), n, dim)
    np.testing.assert_allclose(got.numpy(), np.diff(x, n, axis=dim))
    pre, app = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    pre = pre[:1] if dim == 0 else pre[:, :2]
    app = app[:2] if dim == 0 else app[:, :1]
    got = tt.diff(tt.tensor(x), n, dim, tt.tensor(pre), tt.tensor(app))
    # NumPy (and PyTorch) return the input alone for n = 0, prepend and append not joined
    np.testing.assert_allclose(got.numpy(), np.diff(x, n, axis=dim, prepend=pre, append=app))
    only = tt.diff(tt.tensor(x), n, dim, append=tt.tensor(app))
    np.testing.assert_allclose(only.numpy(), np.diff(x, n, axis=dim, append=app))
    first = tt.diff(tt.tensor(x), n, dim, prepend=tt.tensor(pre))
    np.testing.assert_allclose(first.numpy(), np.diff(x, n, axis=dim, prepend=pre))


def test_diff_scalars_bools_gradient_and_errors():
    x = np.array([1.0, 4.0, 9.0])
    got = tt.diff(tt.tensor(x), prepend=tt.tensor(0.0), append=tt.tensor(20.0))
    np.testing.assert_array_equal(got.numpy(), [1.0, 3.0, 5.0, 11.0])
    b = np.array([True, True, False, True])
    got = tt.diff(tt.tensor(b))
    assert got.dtype == tt.bool
    np.testing.assert_array_equal(got.numpy(), [False, True, True])
    np.testing.assert_array_equal(tt.diff(tt.tensor(b), 2).numpy(), [True, False])
    a = tt.tensor(x, requires_grad=True)
    (tt.diff(a, 2) * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, -6.0, 3.0])
    assert tuple(tt.diff(tt.tensor(x), 4).shape) == (0,)
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        tt.diff(tt.tensor(1.0))
    with pytest.raises(RuntimeError, match="diff: order must be non-negative but got -1"):
        tt.diff(tt.tensor(x), -1, prepend=tt.tensor(0.0))
    t = tt.tensor(x)
    same = tt.diff(t, 0)
    np.testing.assert_array_equal(same.numpy(), x)
    same.add_(1.0)  # a copy, as PyTorch's
    np.testing.assert_array_equal(t.numpy(), x)


# --- trapezoid / cumulative_trapezoid ---------------------------------------------------------


def _np_cumtrapz(y, x=None, dx=1.0, axis=-1):
    y = np.moveaxis(y, axis, -1)
    mids = (y[..., 1:] + y[..., :-1]) / 2
    if x is None:
        step = dx
    elif np.ndim(x) == 1:
        step = np.diff(x)
    else:
        step = np.moveaxis(np.diff(x, axis=axis), axis, -1)
    return np.moveaxis(np.cumsum(mids * step, -1), -1, axis)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_trapezoid_and_cumulative_forms(dim):
    y = RNG.standard_normal((3, 4))
    n = y.shape[dim]
    x1 = np.cumsum(RNG.uniform(0.1, 1.0, n))
    xn = np.cumsum(RNG.uniform(0.1, 1.0, y.shape), axis=dim)
    for fn, ref in ((tt.trapezoid, np.trapezoid), (tt.trapz, np.trapezoid)):
        np.testing.assert_allclose(fn(tt.tensor(y), dim=dim).numpy(), ref(y, axis=dim))
        np.testing.assert_allclose(
            fn(tt.tensor(y), dx=0.5, dim=dim).numpy(), ref(y, dx=0.5, axis=dim)
        )
        np.testing.assert_allclose(fn(tt.tensor(y), 2.0, dim=dim).numpy(), ref(y, dx=2.0, axis=dim))
        np.testing.assert_allclose(
            fn(tt.tensor(y), tt.tensor(x1), dim=dim).numpy(), ref(y, x1, axis=dim)
        )
        np.testing.assert_allclose(
            fn(tt.tensor(y), tt.tensor(xn), dim=dim).numpy(), ref(y, xn, axis=dim)
        )
    ct = tt.cumulative_trapezoid
    np.testing.assert_allclose(ct(tt.tensor(y), dim=dim).numpy(), _np_cumtrapz(y, axis=dim))
    np.testing.assert_allclose(
        ct(tt.tensor(y), dx=0.25, dim=dim).numpy(), _np_cumtrapz(y, dx=0.25, axis=dim)
    )
    np.testing.assert_allclose(
        ct(tt.tensor(y), 3, dim=dim).numpy(), _np_cumtrapz(y, dx=3.0, axis=dim)
    )
    np.testing.assert_allclose(
        ct(tt.tensor(y), tt.tensor(x1), dim=dim).numpy(), _np_cumtrapz(y, x1, axis=dim)
    )
    np.testing.assert_allclose(
        ct(tt.tensor(y), tt.tensor(xn), dim=dim).numpy(), _np_cumtrapz(y, xn, axis=dim)
    )


def test_trapezoid_gradient_empty_and_errors():
    a = tt.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    tt.trapezoid(a, tt.tensor([0.0, 1.0, 3.0])).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.5, 1.0])
    e = tt.trapezoid(tt.tensor(np.zeros((2, 0))))
    assert tuple(e.shape) == (2,) and e.dtype == tt.float64
    np.testing.assert_array_equal(e.numpy(), [0.0, 0.0])
    ei = tt.trapezoid(tt.tensor(np.zeros((2, 0), np.int64)))
    assert ei.dtype.is_floating_point
    ce = tt.cumulative_trapezoid(tt.tensor(np.zeros((2, 0), np.int64)))
    assert tuple(ce.shape) == (2, 0) and ce.dtype.is_floating_point
    assert tt.trapezoid(tt.tensor([1.0])).item() == 0.0
    with pytest.raises(RuntimeError, match=r"trapezoid: x of shape \(2,\) .* y \(3,\)"):
        tt.trapezoid(tt.tensor([1.0, 2.0, 3.0]), tt.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="trapezoid"):
        tt.cumulative_trapezoid(tt.tensor([1.0, 2.0, 3.0]), tt.tensor([0.0, 1.0]))


# --- gradient ---------------------------------------------------------------------------------


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_matches_numpy_for_every_spacing_form(edge_order):
    f = RNG.standard_normal((4, 5))
    t = tt.tensor(f)
    for got, want in (
        (tt.gradient(t, edge_order=edge_order), np.gradient(f, edge_order=edge_order)),
        (tt.gradient(t, spacing=2.0, edge_order=edge_order),
         np.gradient(f, 2.0, edge_order=edge_order)),
        (tt.gradient(t, spacing=[0.5, 3.0], edge_order=edge_order),
         np.gradient(f, 0.5, 3.0, edge_order=edge_order)),
        (tt.gradient(t, spacing=(1.5,), dim=1, edge_order=edge_order),
         (np.gradient(f, 1.5, axis=1, edge_order=edge_order),)),
        (tt.gradient(t, dim=-1, edge_order=edge_order),
         (np.gradient(f, axis=-1, edge_order=edge_order),)),
        (tt.gradient(t, spacing=4, dim=(1, 0), edge_order=edge_order),
         np.gradient(f, 4.0, axis=(1, 0), edge_order=edge_order)),
        (tt.gradient(t, spacing=tt.tensor(2.0), edge_order=edge_order),
         np.gradient(f, 2.0, edge_order=edge_order)),
        (tt.gradient(t, spacing=tt.tensor(0.5), dim=0, edge_order=edge_order),
         (np.gradient(f, 0.5, axis=0, edge_order=edge_order),)),
    ):  # fmt: skip
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w, rtol=1e-12, atol=1e-12)
    x0 = np.cumsum(RNG.uniform(0.2, 1.0, 4))
    x1 = np.cumsum(RNG.uniform(0.2, 1.0, 5))
    got = tt.gradient(t, spacing=(tt.tensor(x0), tt.tensor(x1)), edge_order=edge_order)
    want = np.gradient(f, x0, x1, edge_order=edge_order)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-10)
    (g1,) = tt.gradient(t, spacing=[tt.tensor(x1)], dim=1, edge_order=edge_order)
    np.testing.assert_allclose(g1.numpy(), np.gradient(f, x1, axis=1, edge_order=edge_order))


def test_gradient_ints_3d_differentiable_and_errors():
    i = np.arange(12).reshape(3, 4) ** 2
    got = tt.gradient(tt.tensor(i), dim=1)
    assert got[0].dtype == tt.get_default_dtype()
    np.testing.assert_allclose(got[0].numpy(), np.gradient(i.astype(float), axis=1))
    f3 = RNG.standard_normal((3, 4, 3))
    for d in range(3):
        np.testing.assert_allclose(
            tt.gradient(tt.tensor(f3), spacing=0.3, dim=d, edge_order=2)[0].numpy(),
            np.gradient(f3, 0.3, axis=d, edge_order=2),
        )
        xs = np.cumsum(RNG.uniform(0.2, 1.0, f3.shape[d]))
        np.testing.assert_allclose(
            tt.gradient(tt.tensor(f3), spacing=[tt.tensor(xs)], dim=d, edge_order=2)[0].numpy(),
            np.gradient(f3, xs, axis=d, edge_order=2),
        )
    a = tt.tensor(np.array([1.0, 2.0, 4.0, 8.0]), requires_grad=True)
    (g,) = tt.gradient(a)
    (g * tt.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    w = np.array([1.0, 10.0, 100.0, 1000.0])
    fd = fd_grad(lambda y: float(np.sum(np.gradient(y) * w)), a.detach().numpy())
    np.testing.assert_allclose(a.grad.numpy(), fd, rtol=1e-6)
    t = tt.tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="edge_order must be 1 or 2, got 3"):
        tt.gradient(t, edge_order=3)
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        tt.gradient(tt.tensor(1.0))
    with pytest.raises(RuntimeError, match="a list of length 2 .* got a list of length 3"):
        tt.gradient(t, spacing=[1.0, 2.0, 3.0])
    for one in ([2.0], [tt.tensor([0.0, 1.0, 3.0])]):  # a list of one is not repeated (PyTorch)
        with pytest.raises(RuntimeError, match="a list of length 2 .* got a list of length 1"):
            tt.gradient(t, spacing=one)
    with pytest.raises(RuntimeError, match=r"at least edge_order\+1 = 3, got dim 0 of size 2"):
        tt.gradient(t, edge_order=2)
    (ok,) = tt.gradient(t, dim=0, edge_order=1)
    assert tuple(ok.shape) == (2, 3)
    with pytest.raises(RuntimeError, match=r"1-D tensor of 3 elements, got shape \(2,\)"):
        tt.gradient(t, spacing=[tt.tensor([0.0, 1.0])], dim=1)
    with pytest.raises(RuntimeError, match=r"1-D tensor of 3 elements, got shape \(3, 1\)"):
        tt.gradient(t, spacing=[tt.tensor(np.zeros((3, 1)))], dim=1)


# --- errors name the op; node attributes; compiled replays ------------------------------------

SCANS = ["cumprod", "cummax", "cummin", "logcumsumexp"]
BY_KEYWORD = ["diff", "trapezoid", "cumulative_trapezoid", "gradient"]


@pytest.mark.parametrize("name", SCANS + BY_KEYWORD)
def test_a_bad_dim_or_input_names_the_op(name):
    fn = getattr(tt, name)
    x = tt.tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=rf"^{name}: dim 5 is out of range"):
        fn(x, 5) if name in SCANS else fn(x, dim=5)
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got str$"):
        fn("abc", 0) if name in SCANS else fn("abc")


def test_trapezoid_coordinates_of_another_type_name_the_op():
    with pytest.raises(TypeError, match="^trapezoid: expected a Tensor"):
        tt.trapezoid(tt.tensor([1.0, 2.0]), "ab")
    with pytest.raises(TypeError, match="^diff: expected a Tensor"):
        tt.diff(tt.tensor([1.0, 2.0]), prepend="ab")


def test_scan_node_attrs_name_the_dim():
    a = tt.tensor(np.ones((2, 3)), requires_grad=True)
    assert tt.cumprod(a, -1).grad_fn.attrs == {"dim": 1}
    assert tt.cummax(a, -2).values.grad_fn.attrs == {"dim": 0}
    assert tt.cummin(a, 1).values.grad_fn.attrs == {"dim": 1}
    assert tt.logcumsumexp(a, -1).grad_fn.attrs == {"dim": 1}


def test_compiled_scans_read_their_input_on_every_call():
    def f(x):
        v, i = tt.cummax(x, 1)
        w, j = tt.cummin(x, 0)
        return v, i, w, j, tt.cumprod(x, 1), tt.logcumsumexp(x, 0)

    compiled = tt.compile(f, fullgraph=True)
    for k in range(3):
        x = tt.tensor(RNG.standard_normal((3, 4)) + k)
        for got, want in zip(compiled(x), f(x)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert compiled.traces == 1


def test_cumprod_gradient_without_create_graph_keeps_float32():
    x = np.array([[0.5, 0.0, 2.0], [1.5, 2.0, -1.0]], np.float32)
    for y in (x, np.abs(x) + 1):
        a = tt.tensor(y, requires_grad=True)
        tt.cumprod(a, 1).sum().backward()
        assert a.grad.dtype == tt.float32
        assert a.grad.numpy().flags.c_contiguous


def test_gradient_coordinates_take_the_samples_dtype():
    f = np.array([1.0, 4.0, 9.0, 16.0])
    for coords in (np.array([0, 1, 3, 4]), np.array([0.0, 1.0, 3.0, 4.0])):
        for edge_order in (1, 2):
            (g,) = tt.gradient(
                tt.tensor(f.astype(np.float32)), spacing=[tt.tensor(coords)], edge_order=edge_order
            )
            assert g.dtype == tt.float32
            want = np.gradient(f, coords.astype(float), edge_order=edge_order)
            np.testing.assert_allclose(g.numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_gradient_with_zeros_along_any_dim_of_a_3d_tensor(dim):
    x = RNG.uniform(0.5, 1.5, (3, 4, 5))
    x[1, 2, 3] = 0.0
    x[0, 0, :] = 0.0
    x[2, :, 1] = 0.0
    w = RNG.standard_normal(x.shape)

    def exact(y):
        ym, wm = np.moveaxis(y, dim, -1), np.moveaxis(w, dim, -1)
        out = np.zeros_like(ym)
        n = ym.shape[-1]
        for k in range(n):
            for j in range(k, n):
                others = np.delete(ym[..., : j + 1], k, axis=-1)
                out[..., k] += wm[..., j] * np.prod(others, axis=-1)
        return np.moveaxis(out, -1, dim)

    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad((tt.cumprod(a, dim) * tt.tensor(w)).sum(), a, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), exact(x), rtol=1e-12, atol=1e-15)
    b = tt.tensor(x, requires_grad=True)
    (tt.cumprod(b, dim) * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), exact(x), rtol=1e-12, atol=1e-15)


def test_cumprod_gradient_where_the_running_product_underflows():
    """No element is tiny, but the running product underflows to 0: the gradient of the last
    elements (products of the others, about 1e-300) must not be lost to a division."""
    x = np.full(6, 1e-60)
    a = tt.tensor(x, requires_grad=True)
    tt.cumprod(a, 0).sum().backward()
    want = [sum(np.prod(np.delete(x[: j + 1], k)) for j in range(k, 6)) for k in range(6)]
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-12, atol=0)
    assert a.grad.numpy()[5] > 0


def test_gradient_keeps_a_float32_input_and_spacing_dtype():
    f = np.array([1.0, 4.0, 9.0, 16.0], np.float32)
    (g,) = tt.gradient(tt.tensor(f))
    assert g.dtype == tt.float32
    (g,) = tt.gradient(tt.tensor(f), spacing=tt.tensor(0.5, dtype=tt.float64))
    assert g.dtype == tt.float32
    np.testing.assert_allclose(g.numpy(), np.gradient(f.astype(float), 0.5))


def test_compiled_gradient_reads_a_zero_dim_spacing_on_every_call():
    compiled = tt.compile(lambda f, h: tt.gradient(f, spacing=h)[0], fullgraph=True)
    f = np.array([1.0, 4.0, 9.0, 16.0, 20.0])
    for h in (0.5, 2.0, 1.0):
        got = compiled(tt.tensor(f), tt.tensor(h))
        np.testing.assert_allclose(got.numpy(), np.gradient(f, h))


def test_scan_messages_in_full():
    with pytest.raises(RuntimeError, match="^diff expects input to be at least one-dimensional$"):
        tt.diff(tt.tensor(1.0))
    with pytest.raises(
        RuntimeError, match="^gradient: input needs at least 1 dimension, got a 0-d tensor$"
    ):
        tt.gradient(tt.tensor(1.0))
    with pytest.raises((TypeError, RuntimeError), match="^logcumsumexp"):
        tt.logcumsumexp(tt.tensor([1, 2]), 0)


def test_compiled_program_reads_captured_tensors_changed_in_place():
    w = tt.tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))

    def f(y):
        return tt.cummax(w, 1).indices + y, tt.cummin(w, 0).values + y, tt.cumprod(w, 1) + y

    compiled = tt.compile(f, fullgraph=True)
    for _ in range(2):
        for got, want in zip(compiled(tt.tensor(0.0)), f(tt.tensor(0.0))):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        w.mul_(-1.0)


def test_zero_dim_cummax_cummin_index_is_int64():
    for fn in (tt.cummax, tt.cummin):
        v, i = fn(tt.tensor(2.5), 0)
        assert i.dtype == tt.int64 and i.item() == 0 and v.item() == 2.5


@pytest.mark.torch
def test_gradient_spacing_lists_follow_torch():
    torch = pytest.importorskip("torch")
    f = np.arange(6.0).reshape(2, 3)
    for spacing in ([2.0], [0.5, 3.0]):
        try:
            want = torch.gradient(torch.tensor(f), spacing=spacing)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                tt.gradient(tt.tensor(f), spacing=spacing)
            continue
        got = tt.gradient(tt.tensor(f), spacing=spacing)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w.numpy())
