"""Reductions (tinytensor/ops/reduce.py) against NumPy oracles and hand-derived constants, fast
and deterministic: dims as int, negative int, tuple and None, keepdim, dtype=, correction,
ties, NaN and infinity, empty tensors, the errors, and first and second derivatives (checked
against float64 finite differences). Written so that a one-line bug in reduce.py fails here
without PyTorch."""

import numpy as np
import pytest

import tinytensor as tt
from ops.finite_differences import fd_grad, float64_default  # noqa: F401 - the fixture

RNG = np.random.default_rng(2025)
X = RNG.standard_normal((2, 3, 4))
DIMS = [None, 0, -1, (0, 2), (-1, 1), (0, 1, 2)]


# Python lists become float64 tensors here, so the oracles compare exactly.
pytestmark = pytest.mark.usefixtures("float64_default")


def _grad(fn, x, w):
    a = tt.tensor(x, requires_grad=True)
    out = fn(a)
    (out * tt.tensor(w)).sum().backward()
    return a.grad.numpy()


def _check(fn, npfn, x, *, grad=True, rtol=1e-7, atol=1e-9, fd_rtol=1e-5):
    want = np.asarray(npfn(x))
    got = fn(tt.tensor(x))
    assert tuple(got.shape) == want.shape, (tuple(got.shape), want.shape)
    np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=atol)
    if grad:
        w = RNG.standard_normal(want.shape)
        g = _grad(fn, x, w)
        fd = fd_grad(lambda y: float(np.sum(np.asarray(npfn(y)) * w)), x)
        np.testing.assert_allclose(g, fd, rtol=fd_rtol, atol=1e-6)


@pytest.mark.parametrize("dim", DIMS, ids=repr)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_prod_values_and_gradients(dim, keepdim):
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    npkw = {"axis": dim, "keepdims": keepdim and dim is not None}
    _check(lambda a: tt.sum(a, **kw), lambda y: np.sum(y, **npkw), X)
    _check(lambda a: tt.mean(a, **kw), lambda y: np.mean(y, **npkw), X)
    _check(lambda a: tt.prod(a, **kw), lambda y: np.prod(y, **npkw), X)
    _check(lambda a: tt.logsumexp(a, dim if dim is not None else (0, 1, 2), keepdim),
           lambda y: np.log(np.sum(np.exp(y), axis=dim, keepdims=keepdim)), X)  # fmt: skip


def test_sum_with_keepdim_and_default_dim():
    a = tt.tensor(X)
    assert tuple(tt.sum(a, 1, True).shape) == (2, 1, 4)
    assert tuple(tt.sum(a, (0, 2), keepdim=True).shape) == (1, 3, 1)
    assert tuple(tt.sum(a).shape) == ()
    assert tuple(tt.mean(a, -2, True).shape) == (2, 1, 4)
    np.testing.assert_allclose(tt.sum(a, (0, 2)).numpy(), X.sum((0, 2)))


def test_sum_dtypes():
    i = tt.tensor(np.array([[1, 2], [3, 4]], np.int32))
    assert tt.sum(i).dtype == tt.int64
    assert tt.sum(i).item() == 10
    b = tt.tensor(np.array([True, True, False]))
    assert tt.sum(b).dtype == tt.int64
    assert tt.sum(b).item() == 2
    f = tt.tensor(np.array([1.5, 2.25], np.float32))
    assert tt.sum(f).dtype == tt.float32
    assert tt.sum(f, dtype=tt.float64).dtype == tt.float64
    assert tt.sum(i, dtype=tt.float32).dtype == tt.float32
    assert tt.sum(i, 0, dtype=tt.float64).numpy().tolist() == [4.0, 6.0]
    u = tt.tensor(np.array([200, 100], np.uint8))
    assert tt.sum(u).item() == 300
    big = tt.tensor(np.array([2**62, 2**62], np.int64))
    assert tt.sum(big, dtype=tt.float64).item() == 2.0**63
    assert tt.prod(tt.tensor(np.array([200, 3], np.uint8))).item() == 600
    assert tt.prod(i, dtype=tt.float64).dtype == tt.float64
    assert tt.prod(b).dtype == tt.int64
    assert tt.prod(f).dtype == tt.float32


def test_sum_overflow_and_inf_minus_inf_are_quiet():
    with np.errstate(all="raise"):
        assert tt.sum(tt.tensor([1e308, 1e308])).item() == np.inf
        assert np.isnan(tt.sum(tt.tensor([np.inf, -np.inf])).item())


def test_mean_dtype_and_errors():
    i = tt.tensor(np.array([1, 2, 4]))
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype"):
        tt.mean(i)
    m = tt.mean(i, dtype=tt.float32)
    assert m.dtype == tt.float32
    assert m.item() == pytest.approx(7 / 3)
    f = tt.tensor(np.array([1.0, 2.0], np.float32))
    assert tt.mean(f).dtype == tt.float32
    e = tt.mean(tt.tensor(np.zeros((0, 3))), 0)
    assert tuple(e.shape) == (3,)
    assert np.isnan(e.numpy()).all()
    e2 = tt.mean(tt.tensor(np.zeros((0, 3))), 1)
    assert tuple(e2.shape) == (0,)
    assert np.isnan(tt.mean(tt.tensor(np.zeros(0))).item())
    assert tt.mean(tt.tensor(5.0)).item() == 5.0


def test_mean_gradient_is_one_over_n():
    a = tt.tensor(X, requires_grad=True)
    tt.mean(a, (0, 2)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full(X.shape, 1 / 8))
    b = tt.tensor(X, requires_grad=True)
    tt.mean(b).backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(X.shape, 1 / 24))


@pytest.mark.parametrize(
    "x",
    [
        np.array([[2.0, 0.0, 3.0], [1.5, -2.0, 4.0]]),
        np.array([[0.0, 0.0, 3.0], [1.5, 0.0, 4.0]]),
        np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 0.5]]),
        np.array([[1.0, 2.0, 3.0], [4.0, -0.5, 0.25]]),
    ],
)
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)], ids=repr)
def test_prod_gradient_with_zeros_first_and_second_order(x, dim):
    kw = {} if dim is None else {"dim": dim}

    def others(y, axes):
        out = np.zeros_like(y)
        for i in np.ndindex(y.shape):
            yy = y.copy()
            yy[i] = 1.0
            p = np.prod(yy, axis=axes, keepdims=True)
            out[i] = np.broadcast_to(p, y.shape)[i]
        return out

    axes = dim if dim is not None else None
    w = RNG.standard_normal(np.prod(x, axis=axes).shape)
    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad((tt.prod(a, **kw) * tt.tensor(w)).sum(), a, create_graph=True)
    wexp = np.broadcast_to(np.expand_dims(w, axes) if axes is not None else w, x.shape)
    np.testing.assert_allclose(g.detach().numpy(), wexp * others(x, axes), atol=1e-12)
    c = RNG.standard_normal(x.shape)
    (h,) = tt.autograd.grad((g * tt.tensor(c)).sum(), a)

    def first(y):
        return np.sum(wexp * others(y, axes) * c)

    np.testing.assert_allclose(h.numpy(), fd_grad(first, x), rtol=1e-5, atol=1e-6)
    # without create_graph: the same first derivative
    b = tt.tensor(x, requires_grad=True)
    (tt.prod(b, **kw) * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), wexp * others(x, axes), atol=1e-12)


def test_prod_gradient_with_dtype_converts_back():
    x = np.array([1.5, 2.0, -3.0], np.float32)
    a = tt.tensor(x, requires_grad=True)
    out = tt.prod(a, dtype=tt.float64)
    assert out.dtype == tt.float64
    out.backward()
    assert a.grad.dtype == tt.float32
    np.testing.assert_allclose(a.grad.numpy(), [-6.0, -4.5, 3.0])


def test_prod_gradient_spreads_nan_and_inf_like_torch():
    a = tt.tensor([2.0, np.inf, 3.0], requires_grad=True)
    tt.prod(a).backward()
    g = a.grad.numpy()
    assert g[0] == np.inf and g[2] == np.inf and np.isnan(g[1])


def test_prod_of_empty_and_zero_dim():
    assert tt.prod(tt.tensor(np.zeros((0, 2)))).item() == 1.0
    a = tt.tensor(np.zeros((0, 2)), requires_grad=True)
    tt.prod(a, 0).sum().backward()
    assert tuple(a.grad.shape) == (0, 2)
    b = tt.tensor(3.0, requires_grad=True)
    tt.prod(b).backward()
    assert b.grad.item() == 1.0


# --- max / min / amax / amin ------------------------------------------------------------------

T = np.array([[3.0, 1.0, 3.0, -2.0], [0.5, 0.5, -1.0, -1.0]])


def test_full_max_min_split_the_gradient_among_ties():
    for fn, want_v, mask in (
        (tt.max, 3.0, T == 3.0),
        (tt.min, -2.0, T == -2.0),
        (tt.amax, 3.0, T == 3.0),
        (tt.amin, -2.0, T == -2.0),
    ):
        a = tt.tensor(T, requires_grad=True)
        out = fn(a)
        assert out.item() == want_v
        (out * 6.0).backward()
        np.testing.assert_array_equal(a.grad.numpy(), 6.0 * mask / mask.sum())


@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_over_dims_split_ties(keepdim):
    for fn, npfn in ((tt.amax, np.max), (tt.amin, np.min)):
        for dim in (1, -1, 0, (0, 1)):
            want = npfn(T, axis=dim, keepdims=keepdim)
            a = tt.tensor(T, requires_grad=True)
            out = fn(a, dim, keepdim)
            np.testing.assert_array_equal(out.detach().numpy(), want)
            w = np.arange(1.0, want.size + 1).reshape(want.shape)
            (out * tt.tensor(w)).sum().backward()
            full = npfn(T, axis=dim, keepdims=True)
            mask = (T == full).astype(float)
            count = mask.sum(axis=dim, keepdims=True)
            wk = w if keepdim else np.expand_dims(w, dim)
            np.testing.assert_allclose(a.grad.numpy(), wk * mask / count)
    assert tuple(tt.amax(tt.tensor(T), keepdim=True).shape) == (1, 1)
    assert tt.amax(tt.tensor(T)).item() == 3.0


def test_max_min_nan_gradient_goes_to_the_nans_amax_gives_nan():
    x = np.array([1.0, np.nan, 2.0, np.nan])
    for fn in (tt.max, tt.min):
        a = tt.tensor(x, requires_grad=True)
        out = fn(a)
        assert np.isnan(out.item())
        out.backward()
        np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.5, 0.0, 0.5])
    for fn in (tt.amax, tt.amin):
        a = tt.tensor(x, requires_grad=True)
        fn(a).backward()
        assert np.isnan(a.grad.numpy()).all()


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_max_min_dim_values_first_index_and_gradient(dim, keepdim):
    for fn, npv, npi in ((tt.max, np.max, np.argmax), (tt.min, np.min, np.argmin)):
        a = tt.tensor(T, requires_grad=True)
        v, i = fn(a, dim, keepdim)
        np.testing.assert_array_equal(v.detach().numpy(), npv(T, axis=dim, keepdims=keepdim))
        np.testing.assert_array_equal(i.numpy(), npi(T, axis=dim, keepdims=keepdim))
        assert i.dtype == tt.int64
        w = np.arange(1.0, v.numel() + 1).reshape(tuple(v.shape))
        (v * tt.tensor(w)).sum().backward()
        z = np.zeros_like(T)
        ik = npi(T, axis=dim, keepdims=True)
        wk = w if keepdim else np.expand_dims(w, dim)
        np.put_along_axis(z, ik, wk, axis=dim)
        np.testing.assert_array_equal(a.grad.numpy(), z)
        # keyword form and the named fields
        r = fn(tt.tensor(T), dim=dim, keepdim=keepdim)
        np.testing.assert_array_equal(r.values.numpy(), v.detach().numpy())
        np.testing.assert_array_equal(r.indices.numpy(), i.numpy())


def test_max_dim_of_zero_dim_and_second_order():
    a = tt.tensor(4.0, requires_grad=True)
    v, i = tt.max(a, 0)
    assert v.item() == 4.0 and i.item() == 0 and tuple(i.shape) == ()
    v.backward()
    assert a.grad.item() == 1.0
    b = tt.tensor(T, requires_grad=True)
    v, _ = tt.min(b, 1)
    (g,) = tt.autograd.grad((v**2).sum(), b, create_graph=True)
    (h,) = tt.autograd.grad(g.sum(), b)
    z = np.zeros_like(T)
    z[0, 3] = 2.0
    z[1, 2] = 2.0
    np.testing.assert_array_equal(h.numpy(), z)


def test_max_min_of_two_tensors_and_dim_type_errors():
    a, b = tt.tensor([1.0, 5.0]), tt.tensor([3.0, 2.0])
    np.testing.assert_array_equal(tt.max(a, b).numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(tt.min(a, b).numpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match="max: dim must be an int"):
        tt.max(a, (0,))
    with pytest.raises(TypeError, match="min: dim must be an int"):
        tt.min(a, 0.5)
    v, i = tt.max(a, np.int64(0))
    assert (v.item(), i.item()) == (5.0, 1)


def test_empty_reductions_without_identity_raise():
    e = tt.tensor(np.zeros((0, 3)))
    for fn, name in ((tt.max, "max"), (tt.min, "min"), (tt.amax, "amax"), (tt.amin, "amin")):
        with pytest.raises(
            RuntimeError, match=rf"{name}\(\): cannot reduce an empty tensor of shape \(0, 3\)"
        ):
            fn(e)
        with pytest.raises(IndexError, match="specify a dim with nonzero size"):
            fn(e, 0)  # a given dim of size 0: PyTorch's IndexError
    assert tuple(tt.amax(e, 1).shape) == (0,)
    assert tuple(tt.max(e, 1).values.shape) == (0,)
    assert tuple(tt.amin(e, -1, True).shape) == (0, 1)


def test_argmax_argmin():
    for fn, npfn in ((tt.argmax, np.argmax), (tt.argmin, np.argmin)):
        r = fn(tt.tensor(T))
        assert r.dtype == tt.int64 and tuple(r.shape) == ()
        assert r.item() == npfn(T)
        rk = fn(tt.tensor(T), keepdim=True)
        assert tuple(rk.shape) == (1, 1) and rk.item() == npfn(T)
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                got = fn(tt.tensor(T), dim, keepdim)
                assert got.dtype == tt.int64
                np.testing.assert_array_equal(got.numpy(), npfn(T, axis=dim, keepdims=keepdim))
        assert tuple(fn(tt.tensor(np.zeros((0, 2))), 1).shape) == (0,)
        with pytest.raises(
            IndexError, match=r"cannot be computed on an empty tensor of shape \(0, 2\)"
        ):
            fn(tt.tensor(np.zeros((0, 2))))
        with pytest.raises(IndexError, match="over dim 0"):
            fn(tt.tensor(np.zeros((0, 2))), 0)
        assert fn(tt.tensor(7.0)).item() == 0
    assert tt.argmax(tt.tensor([1.0, 3.0, 3.0])).item() == 1
    assert tt.argmin(tt.tensor([2.0, -1.0, -1.0])).item() == 1


# --- var / std --------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Degrees of freedom")
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2)], ids=repr)
@pytest.mark.parametrize("correction", [None, 0, 1, 2])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std_values_and_gradients(dim, correction, keepdim):
    ddof = 1 if correction is None else correction
    kw = {"keepdim": keepdim, "correction": correction}
    npkw = {"axis": dim, "keepdims": keepdim, "ddof": ddof}
    n = X.size if dim is None else int(np.prod(np.array(X.shape)[list(np.atleast_1d(dim))]))
    with np.errstate(all="ignore"):
        _check(lambda a: tt.var(a, dim, **kw), lambda y: np.var(y, **npkw), X, grad=n > ddof)
        _check(lambda a: tt.std(a, dim, **kw), lambda y: np.std(y, **npkw), X, grad=n > ddof)
    v, m = tt.var_mean(tt.tensor(X), dim, **kw)
    np.testing.assert_allclose(v.numpy(), np.var(X, **npkw))
    np.testing.assert_allclose(m.numpy(), np.mean(X, axis=dim, keepdims=keepdim))
    s, m = tt.std_mean(tt.tensor(X), dim, **kw)
    np.testing.assert_allclose(s.numpy(), np.std(X, **npkw))
    np.testing.assert_allclose(m.numpy(), np.mean(X, axis=dim, keepdims=keepdim))


def test_var_unbiased_and_the_bool_dim_form():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    a = tt.tensor(x)
    assert tt.var(a).item() == pytest.approx(np.var(x, ddof=1))
    assert tt.var(a, unbiased=False).item() == pytest.approx(np.var(x))
    assert tt.var(a, unbiased=True).item() == pytest.approx(np.var(x, ddof=1))
    assert tt.var(a, False).item() == pytest.approx(np.var(x))
    assert tt.var(a, True).item() == pytest.approx(np.var(x, ddof=1))
    assert tt.std(a, 0, False).item() == pytest.approx(np.std(x))
    assert tt.var(a, 0, True, True).shape == (1,)
    assert tt.var(a, correction=3).item() == pytest.approx(np.sum((x - x.mean()) ** 2))
    v, m = tt.var_mean(a, unbiased=False)
    assert v.item() == pytest.approx(np.var(x)) and m.item() == pytest.approx(3.5)


def test_var_with_too_few_elements_and_empty():
    one = tt.tensor([2.0], requires_grad=True)
    v = tt.var(one)
    assert np.isnan(v.item())
    v.backward()
    assert np.isnan(one.grad.item())
    two = tt.tensor([1.0, 3.0], requires_grad=True)
    v = tt.var(two, correction=2)
    assert v.item() == np.inf
    v.backward()
    assert np.isinf(two.grad.numpy()).all()
    assert tt.var(tt.tensor([1.0, 3.0]), correction=3).item() == np.inf
    assert tt.var(tt.tensor([5.0]), correction=0).item() == 0.0
    e = tt.var(tt.tensor(np.zeros((0, 2))), 0)
    assert tuple(e.shape) == (2,) and np.isnan(e.numpy()).all()
    assert tuple(tt.var(tt.tensor(np.zeros((0, 2))), 0, keepdim=True).shape) == (1, 2)
    with pytest.raises((TypeError, RuntimeError), match="var"):
        tt.var(tt.tensor([1, 2]))


def test_var_float32_stays_float32():
    f = tt.tensor(np.array([1.0, 2.0, 4.0], np.float32))
    assert tt.var(f).dtype == tt.float32
    assert tt.std(f).dtype == tt.float32


def test_var_second_order():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad(tt.var(a, correction=0), a, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * (x - x.mean()) / 4)
    c = np.array([1.0, -1.0, 2.0, 0.5])
    (h,) = tt.autograd.grad((g * tt.tensor(c)).sum(), a)
    # d/dx_k sum_i c_i 2 (x_i - mean)/n = 2/n (c_k - mean(c))
    np.testing.assert_allclose(h.numpy(), 2 / 4 * (c - c.mean()))


# --- logsumexp --------------------------------------------------------------------------------


def test_logsumexp_with_infinities_and_large_values():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [1000.0, 1000.0], [-np.inf, 0.0]])
    got = tt.logsumexp(tt.tensor(x), 1).numpy()
    np.testing.assert_allclose(got, [-np.inf, np.inf, 1000.0 + np.log(2.0), 0.0])
    assert tt.logsumexp(tt.tensor([np.inf, np.inf]), 0).item() == np.inf
    k = tt.logsumexp(tt.tensor(x[2:]), -1, keepdim=True)
    assert tuple(k.shape) == (2, 1)
    np.testing.assert_allclose(k.numpy(), [[1000.0 + np.log(2.0)], [0.0]])
    e = tt.logsumexp(tt.tensor(np.zeros((0, 3))), 0)
    assert tuple(e.shape) == (3,) and (e.numpy() == -np.inf).all()
    f = tt.logsumexp(tt.tensor(np.array([1.0, 2.0], np.float32)), 0)
    assert f.dtype == tt.float32
    a = tt.tensor([1000.0, 1000.0, -np.inf], requires_grad=True)
    tt.logsumexp(a, 0).backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.5, 0.0])
    # integers and bools are promoted to the default float dtype, as in PyTorch
    ints = tt.logsumexp(tt.tensor([1, 2]), 0)
    assert ints.dtype == tt.get_default_dtype()
    np.testing.assert_allclose(ints.numpy(), np.log(np.e + np.e**2), rtol=1e-6)
    np.testing.assert_allclose(tt.logsumexp(tt.tensor([True, False]), 0).numpy(),
                               np.log(np.e + 1.0), rtol=1e-6)  # fmt: skip


def test_logsumexp_second_order():
    x = np.array([0.5, -1.0, 2.0])
    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad(tt.logsumexp(a, 0), a, create_graph=True)
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(g.detach().numpy(), p)
    c = np.array([1.0, 2.0, -1.0])
    (h,) = tt.autograd.grad((g * tt.tensor(c)).sum(), a)
    np.testing.assert_allclose(h.numpy(), p * c - p * (p @ c))


# --- norm -------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, 1.5, np.inf, -np.inf, "inf", "-inf", 0])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=repr)
def test_norm_values_and_gradients(p, dim):
    pf = {"fro": 2.0, "inf": np.inf, "-inf": -np.inf}.get(p, p)
    axes = dim

    def ref(y):
        a = np.abs(y)
        if pf == np.inf:
            return np.max(a, axis=axes)
        if pf == -np.inf:
            return np.min(a, axis=axes)
        if pf == 0:
            return np.sum(a != 0, axis=axes).astype(y.dtype)
        return np.sum(a**pf, axis=axes) ** (1.0 / pf)

    _check(lambda a: tt.norm(a, p, dim), ref, X, grad=pf != 0)
    k = tt.norm(tt.tensor(X), p, dim, keepdim=True)
    assert k.ndim == 3


def test_norm_zero_input_gradient_and_dtype():
    for p in (2, 3.0, 0.5, 1):
        a = tt.tensor([[0.0, 0.0], [3.0, -4.0]], requires_grad=True)
        out = tt.norm(a, p, 1)
        out.sum().backward()
        g = a.grad.numpy()
        np.testing.assert_array_equal(g[0], [0.0, 0.0])
        assert np.isfinite(g).all()
        x = np.array([3.0, -4.0])
        n = np.sum(np.abs(x) ** p) ** (1 / p)
        np.testing.assert_allclose(g[1], np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1))
    b = tt.tensor([0.0, 2.0], requires_grad=True)
    tt.norm(b, 0.5).backward()
    assert b.grad.numpy()[0] == 0.0
    i = tt.tensor(np.array([3, 4]))
    assert tt.norm(i, dtype=tt.float64).item() == 5.0
    assert tt.norm(i, dtype=tt.float64).dtype == tt.float64
    f = tt.tensor(np.array([3.0, 4.0], np.float32))
    assert tt.norm(f, dtype=tt.float64).dtype == tt.float64
    assert tt.norm(f).dtype == tt.float32
    with pytest.raises((TypeError, RuntimeError), match="norm"):
        tt.norm(i)
    with pytest.raises(ValueError, match="norm: unsupported p='nuc'"):
        tt.norm(f, "nuc")
    with pytest.raises(ValueError, match="unsupported p=True"):
        tt.norm(f, True)
    assert tt.norm(tt.tensor([1e200, 1e200])).item() == np.inf


def test_norm_p2_second_order():
    x = np.array([1.0, -2.0, 2.0])
    a = tt.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad(tt.norm(a), a, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), x / 3.0)
    c = np.array([1.0, 0.5, -1.0])
    (h,) = tt.autograd.grad((g * tt.tensor(c)).sum(), a)
    np.testing.assert_allclose(h.numpy(), c / 3.0 - x * (x @ c) / 27.0)


# --- all / any / cumsum -----------------------------------------------------------------------


def test_all_any():
    b = np.array([[True, False, True], [True, True, True]])
    for fn, npfn in ((tt.all, np.all), (tt.any, np.any)):
        assert fn(tt.tensor(b)).item() == npfn(b)
        for dim in (0, 1, -1, (0, 1)):
            for keepdim in (False, True):
                got = fn(tt.tensor(b), dim, keepdim)
                assert got.dtype == tt.bool
                np.testing.assert_array_equal(got.numpy(), npfn(b, axis=dim, keepdims=keepdim))
    z = np.array([[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(tt.any(tt.tensor(z), 1).numpy(), [True, False])
    np.testing.assert_array_equal(tt.all(tt.tensor(z + 1), 1).numpy(), [True, True])
    assert tt.all(tt.tensor(np.zeros(0))).item() is True
    assert tt.any(tt.tensor(np.zeros(0))).item() is False


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_cumsum_values_dtypes_and_gradients(dim):
    _check(lambda a: tt.cumsum(a, dim), lambda y: np.cumsum(y, axis=dim), X)
    i = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    got = tt.cumsum(tt.tensor(i), dim)
    assert got.dtype == tt.int64
    np.testing.assert_array_equal(got.numpy(), np.cumsum(i, axis=dim))
    got = tt.cumsum(tt.tensor(i), dim, dtype=tt.float32)
    assert got.dtype == tt.float32
    b = tt.cumsum(tt.tensor(i % 2 == 0), dim)
    assert b.dtype == tt.int64
    np.testing.assert_array_equal(b.numpy(), np.cumsum(i % 2 == 0, axis=dim))


def test_cumsum_zero_dim_and_second_order():
    z = tt.cumsum(tt.tensor(2.5), 0)
    assert tuple(z.shape) == () and z.item() == 2.5
    a = tt.tensor(2.0, requires_grad=True)
    tt.cumsum(a, 0).backward()
    assert a.grad.item() == 1.0
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = tt.tensor([1.0, 10.0, 100.0])
    (g,) = tt.autograd.grad((tt.cumsum(x, 0) ** 2 * w).sum(), x, create_graph=True)
    c = np.cumsum([1.0, 2.0, 3.0])
    want = np.flip(np.cumsum(np.flip(2 * c * [1.0, 10.0, 100.0])))
    np.testing.assert_allclose(g.detach().numpy(), want)
    (h,) = tt.autograd.grad(g[0], x)
    # g_0 = sum_j 2 c_j w_j; d c_j / d x_k = 1 for k <= j
    np.testing.assert_allclose(h.numpy(), [2 * 111.0, 2 * 110.0, 2 * 100.0])


# --- errors name the op; defaults; node attributes; compiled replays --------------------------

_M = tt.tensor(np.ones((2, 3)))
BAD_DIM = {
    "sum": lambda: tt.sum(_M, 5),
    "mean": lambda: tt.mean(_M, 5),
    "prod": lambda: tt.prod(_M, 5),
    "max": lambda: tt.max(_M, 5),
    "min": lambda: tt.min(_M, -3),
    "amax": lambda: tt.amax(_M, 5),
    "amin": lambda: tt.amin(_M, (0, 5)),
    "argmax": lambda: tt.argmax(_M, 5),
    "argmin": lambda: tt.argmin(_M, 5),
    "var": lambda: tt.var(_M, 5),
    "logsumexp": lambda: tt.logsumexp(_M, 5),
    "norm": lambda: tt.norm(_M, 2, 5),
    "all": lambda: tt.all(_M, 5),
    "any": lambda: tt.any(_M, 5),
    "cumsum": lambda: tt.cumsum(_M, 5),
}


@pytest.mark.parametrize("name", sorted(BAD_DIM))
def test_a_bad_dim_or_input_names_the_op(name):
    with pytest.raises(IndexError, match=rf"^{name}: dim -?\d+ is out of range"):
        BAD_DIM[name]()
    fn = getattr(tt, name)
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got str$"):
        fn("abc") if name not in ("logsumexp", "cumsum") else fn("abc", 0)
    if name in ("max", "min", "argmax", "argmin", "cumsum"):
        return  # these take one int dim
    with pytest.raises(RuntimeError, match=rf"^{name}: dim \(0, 0\) names the same dimension"):
        fn(_M, 2, (0, 0)) if name == "norm" else fn(_M, (0, 0))


def test_empty_reduction_messages_in_full():
    e = tt.tensor(np.zeros((0, 3)))
    with pytest.raises(
        IndexError,
        match=r"^max\(\): cannot reduce an empty tensor of shape \(0, 3\) over dim 0; "
        r"specify a dim with nonzero size$",
    ):
        tt.max(e, 0)
    with pytest.raises(
        IndexError,
        match=r"^argmin\(\): cannot be computed on an empty tensor of shape \(0, 3\) over dim "
        r"None; specify a dim with nonzero size$",
    ):
        tt.argmin(e)
    with pytest.raises(IndexError, match=r"^argmax\(\): .* over dim -2; specify"):
        tt.argmax(e, -2)


def test_default_keepdim_is_false_everywhere():
    a = tt.tensor(T)
    assert tuple(tt.max(a).shape) == ()
    assert tuple(tt.min(a).shape) == ()
    assert tuple(tt.max(a, 1).values.shape) == (2,)
    assert tuple(tt.min(a, 1).values.shape) == (2,)
    assert tuple(tt.min(a, 1).indices.shape) == (2,)
    assert tuple(tt.amax(a, 1).shape) == (2,)
    assert tuple(tt.amin(a, 1).shape) == (2,)
    assert tuple(tt.amin(a).shape) == ()
    assert tuple(tt.argmax(a, 1).shape) == (2,)
    assert tuple(tt.argmin(a, 0).shape) == (4,)
    assert tuple(tt.sum(a, 1).shape) == (2,)
    assert tuple(tt.mean(a, 1).shape) == (2,)
    assert tuple(tt.prod(a, 1).shape) == (2,)
    assert tuple(tt.var(a, 1).shape) == (2,)
    assert tuple(tt.std(a, 1).shape) == (2,)
    assert tuple(tt.logsumexp(a, 1).shape) == (2,)
    assert tuple(tt.norm(a, dim=1).shape) == (2,)
    assert tuple(tt.all(a, 1).shape) == (2,)
    assert tuple(tt.any(a, 1).shape) == (2,)
    assert tuple(tt.var_mean(a, 1)[1].shape) == (2,)
    assert tuple(tt.std_mean(a, 1)[1].shape) == (2,)
    # max()/min() without dim ignore keepdim
    assert tuple(tt.max(a, keepdim=True).shape) == ()


def test_node_attrs_name_the_reduced_dims():
    a = tt.tensor(T, requires_grad=True)
    assert tt.max(a, 1).values.grad_fn.attrs == {"dim": 1, "keepdim": False}
    assert tt.min(a, -2, True).values.grad_fn.attrs == {"dim": 0, "keepdim": True}
    assert tt.max(tt.tensor(2.0, requires_grad=True), 0).values.grad_fn.attrs["dim"] == 0
    assert tt.sum(a, (1, 0)).grad_fn.attrs["keepdim"] is False
    assert tt.amax(a, -1, True).grad_fn.attrs == {"dim": (1,), "keepdim": True}


def test_max_dim_gradient_keeps_a_float32_dtype():
    a = tt.tensor(T.astype(np.float32), requires_grad=True)
    tt.max(a, 1).values.sum().backward()
    assert a.grad.dtype == tt.float32
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 0, 0, 0], [1, 0, 0, 0]])
    b = tt.tensor(T.astype(np.float32), requires_grad=True)
    tt.amax(b).backward()
    assert b.grad.dtype == tt.float32


def test_compiled_reductions_read_their_input_on_every_call():
    def f(x):
        v, i = tt.max(x, 1)
        return (
            v,
            i,
            tt.argmax(x, 0),
            tt.argmin(x),
            tt.all(x > 0, 1),
            tt.any(x > 1, 0),
            tt.min(x, 0).indices,
            tt.cumsum(x, 1),
        )

    compiled = tt.compile(f, fullgraph=True)
    for k in range(3):
        x = tt.tensor(RNG.standard_normal((3, 4)) + k)
        for got, want in zip(compiled(x), f(x)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert compiled.traces == 1


def test_norm_gradient_where_the_norm_is_exactly_one():
    for p, x, want in ((2, [0.6, 0.8], [0.6, 0.8]), (3, [1.0, 0.0], [1.0, 0.0]),
                       (1, [0.25, -0.75], [1.0, -1.0])):  # fmt: skip
        a = tt.tensor(x, requires_grad=True)
        out = tt.norm(a, p)
        assert out.item() == pytest.approx(1.0)
        out.backward()
        np.testing.assert_allclose(a.grad.numpy(), want)
    with np.errstate(all="raise"):
        assert tt.norm(tt.tensor([1e200, 1e200]), 3).item() == np.inf
    f = tt.norm(tt.tensor(np.array([3, 4])), dtype=tt.float32)
    assert f.dtype == tt.float32 and f.item() == 5.0


def test_zero_dim_mean_var_and_their_gradients():
    a = tt.tensor(3.0, requires_grad=True)
    tt.mean(a).backward()
    assert a.grad.item() == 1.0
    assert np.isnan(tt.var(tt.tensor(3.0)).item())
    assert np.isnan(tt.std(tt.tensor(3.0)).item())
    assert tt.var(tt.tensor(3.0), correction=0).item() == 0.0


def test_overflow_and_log_of_zero_are_quiet():
    with np.errstate(all="raise"):
        assert tt.prod(tt.tensor([1e200, 1e200])).item() == np.inf
        a = tt.tensor([1e200, 1e200, 2.0], requires_grad=True)
        tt.prod(a).backward()
        np.testing.assert_array_equal(a.grad.numpy(), [np.inf, np.inf, np.inf])
        assert tt.var(tt.tensor([1e200, -1e200])).item() == np.inf
        assert tt.logsumexp(tt.tensor([-np.inf, -np.inf]), 0).item() == -np.inf
        assert tt.logsumexp(tt.tensor([np.inf, 1.0]), 0).item() == np.inf


def test_prod_gradient_of_one_element_and_with_a_wider_dtype_is_exact():
    a = tt.tensor([0.0], requires_grad=True)
    tt.prod(a).backward()
    assert a.grad.item() == 1.0
    b = tt.tensor([[0.0], [5.0]], requires_grad=True)
    tt.prod(b, 1).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [[1.0], [1.0]])
    # 40 factors: a float32 product drifts by an ulp, one in float64 rounded once does not
    x = np.random.default_rng(3).uniform(0.5, 2.0, 40).astype(np.float32)
    c = tt.tensor(x, requires_grad=True)
    tt.prod(c, dtype=tt.float64).backward()
    x64 = x.astype(np.float64)
    want = np.array([np.prod(np.delete(x64, k)) for k in range(40)])
    np.testing.assert_array_equal(c.grad.numpy(), want.astype(np.float32))


def test_var_of_empty_float32_and_logsumexp_keeps_other_unit_dims():
    e = tt.var(tt.tensor(np.zeros((0, 2), np.float32)), 0)
    assert e.dtype == tt.float32 and np.isnan(e.numpy()).all()
    s = tt.logsumexp(tt.tensor(np.zeros((1, 3))), 1)
    assert tuple(s.shape) == (1,)
    np.testing.assert_allclose(s.numpy(), [np.log(3.0)])
    s2 = tt.logsumexp(tt.tensor(np.zeros((2, 1, 3))), (0, 2))
    assert tuple(s2.shape) == (1,)


def test_std_mean_var_mean_defaults_and_unbiased():
    a = tt.tensor(T)
    assert tuple(tt.var_mean(a, 1)[0].shape) == (2,)
    assert tuple(tt.std_mean(a, 1)[0].shape) == (2,)
    assert tuple(tt.std(a, 1).shape) == (2,)
    s, m = tt.std_mean(a, 1, False)
    np.testing.assert_allclose(s.numpy(), np.std(T, axis=1))
    s, m = tt.std_mean(a, unbiased=False)
    assert s.item() == pytest.approx(np.std(T))
    v, m = tt.var_mean(a, 0, True, True)
    np.testing.assert_allclose(v.numpy(), np.var(T, axis=0, ddof=1, keepdims=True))
    np.testing.assert_allclose(m.numpy(), np.mean(T, axis=0, keepdims=True))


def test_float_only_reductions_name_the_op():
    """Integer input: PyTorch's RuntimeError for var, std and norm (histc and logcumsumexp
    have no integer kernel there: NotImplementedError)."""
    i = tt.tensor(np.array([1, 2]))
    for name, call, error in (
        ("var", lambda: tt.var(i), RuntimeError),
        ("norm", lambda: tt.norm(i), RuntimeError),
        ("std", lambda: tt.std(i), RuntimeError),
        ("histc", lambda: tt.histc(i), NotImplementedError),
        ("logcumsumexp", lambda: tt.logcumsumexp(i, 0), NotImplementedError),
        ("renorm", lambda: i.renorm(2, 0, 1.0), RuntimeError),
    ):
        with pytest.raises(error, match=rf"^{'var' if name == 'std' else name}\b"):
            call()


def test_compiled_integer_sum_and_prod_read_their_input_on_every_call():
    compiled = tt.compile(lambda x: (tt.sum(x), tt.prod(x, 0), tt.sum(x > 0, 1)), fullgraph=True)
    for k in range(3):
        x = np.arange(6, dtype=np.int32).reshape(2, 3) + k
        s, p, c = compiled(tt.tensor(x))
        assert s.item() == x.sum() and s.dtype == tt.int64
        np.testing.assert_array_equal(p.numpy(), x.prod(0))
        np.testing.assert_array_equal(c.numpy(), (x > 0).sum(1))
    assert compiled.traces == 1


def test_compiled_program_reads_captured_tensors_changed_in_place():
    """A tensor the function captures (not an argument) reaches the tracer only as an op's
    input: max(dim)'s indices, argmax, all/any and an integer sum's cast read it afresh."""
    w = tt.tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    wi = tt.tensor(np.array([[1, 5, 2], [7, 0, 3]], np.int32))

    def f(y):
        return (
            tt.max(w, 1).indices + y,
            tt.min(w, 1).values + y,
            tt.argmax(w, 0) + y,
            tt.all(w > 1, 1),
            tt.any(w > 6, 1),
            tt.sum(wi) + y,
            tt.prod(wi, 1) + y,
        )

    compiled = tt.compile(f, fullgraph=True)
    for _ in range(2):
        for got, want in zip(compiled(tt.tensor(0)), f(tt.tensor(0))):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        w.mul_(-1.0)
        wi.add_(1)


def test_dim_forms_name_the_op_and_zero_dim_indices_are_int64():
    for name in ("max", "min"):
        with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got str$"):
            getattr(tt, name)("abc", 0)
    for name in ("argmax", "argmin"):
        with pytest.raises(IndexError, match=rf"^{name}: dim 5 is out of range"):
            getattr(tt, name)(tt.tensor(np.zeros((0, 2))), 5)
    for fn in (tt.max, tt.min):
        v, i = fn(tt.tensor(4.0), 0)
        assert i.dtype == tt.int64 and v.item() == 4.0


def test_sum_and_mean_over_a_dim_are_quiet_under_error_filters():
    x = tt.tensor([[1e308, 1e308], [1.0, 2.0]])
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(tt.sum(x, 1).numpy(), [np.inf, 3.0])
        np.testing.assert_array_equal(tt.sum(x.T, 0, True).numpy(), [[np.inf, 3.0]])
        np.testing.assert_array_equal(tt.mean(x, 1).numpy(), [np.inf, 1.5])
        assert tt.mean(tt.tensor([1e308, 1e308])).item() == np.inf


def test_mean_of_nothing_is_nan_without_a_warning_and_keeps_its_shape_and_dtype():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = tt.mean(tt.tensor(np.zeros((2, 0), np.float32)), 1)
        assert tuple(e.shape) == (2,) and e.dtype == tt.float32
        assert np.isnan(e.numpy()).all()
        k = tt.mean(tt.tensor(np.zeros((2, 0))), 1, keepdim=True)
        assert tuple(k.shape) == (2, 1)
        assert np.isnan(tt.mean(tt.tensor(np.zeros((0, 3))), 0).numpy()).all()


def test_small_integer_sums_accumulate_in_int64_and_norm_zero_counts_in_float():
    for dt in (np.uint8, np.int8, np.int16, np.int32, np.bool_):
        s = tt.sum(tt.tensor(np.array([1, 1, 0], dt)))
        assert s.dtype == tt.int64 and s.item() == 2
        assert tt.sum(tt.tensor(np.array([[1, 1]], dt)), 1).dtype == tt.int64
    n = tt.norm(tt.tensor([1.0, 0.0, 2.0, 1.0]), 0)
    assert n.dtype == tt.float64 and n.item() == 3.0
    np.testing.assert_array_equal(
        tt.norm(tt.tensor([[1.0, 1.0], [0.0, 1.0]]), 0, 1).numpy(), [2, 1]
    )
