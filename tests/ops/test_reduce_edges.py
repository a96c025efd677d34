"""Reductions on edge arguments as PyTorch 2.13 (tinytensor/ops/reduce.py, reduce_logical.py,
statistics.py, sort.py).

``dim=()`` (or ``[]``) reduces every dim for sum, mean, nansum, nanmean, var, std, var_mean,
std_mean, norm and count_nonzero (logsumexp too with keepdim=True; with keepdim=False PyTorch
refuses a non-empty tensor of more than one element, RuntimeError). all/any of a uint8 tensor
give uint8 0/1. argmax/argmin refuse bool tensors (RuntimeError), median/nanmedian too
(NotImplementedError), after the dim checks PyTorch makes first. An empty reduction with no
identity is an IndexError when a dim was given, a RuntimeError over the whole tensor; the inf
norm over an empty dim is a RuntimeError. nansum of inf and -inf is NaN without a NumPy
warning. NumPy oracles first, PyTorch behind the marker."""

import warnings

import numpy as np
import pytest

import tinytensor as tt

X = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7 - 1.5


def _all_dims_reference(name, x):
    return {
        "sum": np.sum(x),
        "mean": np.mean(x),
        "nansum": np.nansum(x),
        "nanmean": np.nanmean(x),
        "var": np.var(x, ddof=1),
        "std": np.std(x, ddof=1),
        "norm": np.sqrt(np.sum(x * x)),
    }[name]


@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean", "var", "std", "norm"])
@pytest.mark.parametrize("empty", [(), []], ids=["tuple", "list"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_an_empty_dim_list_reduces_every_dim_numpy(name, empty, keepdim):
    x = tt.tensor(X, requires_grad=True)
    out = getattr(tt, name)(x, dim=empty, keepdim=keepdim)
    assert tuple(out.shape) == ((1, 1, 1) if keepdim else ())
    np.testing.assert_allclose(out.item(), _all_dims_reference(name, X), rtol=1e-12)
    out.sum().backward()
    full = getattr(tt, name)(tt.tensor(X, requires_grad=True))
    assert x.grad.shape == x.shape
    method = getattr(tt.tensor(X), name)(dim=empty)
    np.testing.assert_allclose(method.item(), full.item(), rtol=1e-12)


def test_var_mean_std_mean_and_logsumexp_with_an_empty_dim_list_numpy():
    v, m = tt.var_mean(tt.tensor(X), ())
    assert v.shape == () and m.shape == ()
    np.testing.assert_allclose([v.item(), m.item()], [np.var(X, ddof=1), np.mean(X)])
    s, m = tt.std_mean(tt.tensor(X), [], keepdim=True)
    assert s.shape == (1, 1, 1) and m.shape == (1, 1, 1)
    lse = tt.logsumexp(tt.tensor(X), (), keepdim=True)
    assert lse.shape == (1, 1, 1)
    np.testing.assert_allclose(lse.item(), np.log(np.sum(np.exp(X))), rtol=1e-12)
    with pytest.raises(RuntimeError, match="keepdim=True"):
        tt.logsumexp(tt.tensor(X), ())
    assert tt.logsumexp(tt.tensor(2.0), ()).item() == 2.0  # one element: fine
    assert tt.logsumexp(tt.zeros(2, 0), ()).item() == -np.inf  # empty: -inf
    # count_nonzero and amax already read () as all dims; all/any do not reduce
    assert tt.count_nonzero(tt.tensor(X), ()).item() == np.count_nonzero(X)
    assert tt.amax(tt.tensor(X), ()).item() == X.max()
    assert tt.any(tt.tensor(X), ()).shape == (2, 3, 4)


def test_all_and_any_of_uint8_give_uint8_numpy():
    u = tt.tensor(np.array([[0, 3], [2, 5]], np.uint8))
    for fn, ref in ((tt.all, np.all), (tt.any, np.any)):
        for kw in ({}, {"dim": 0}, {"dim": 1, "keepdim": True}):
            out = fn(u, **kw)
            assert out.dtype is tt.uint8
            want = ref(u.numpy(), axis=kw.get("dim"), keepdims=kw.get("keepdim", False))
            np.testing.assert_array_equal(out.numpy(), want.astype(np.uint8))
        assert fn(tt.tensor(np.array([1.0, 0.0]))).dtype is tt.bool
        assert fn(tt.tensor(np.array([1, 2]))).dtype is tt.bool
    assert tt.all(tt.tensor(np.zeros(0, np.uint8))).item() == 1
    assert u.all().dtype is tt.uint8 and u.any(1).dtype is tt.uint8


def test_bool_inputs_refused_where_pytorch_refuses_them_numpy():
    b = tt.tensor([[True, False], [False, True]])
    for fn in (tt.argmax, tt.argmin):
        with pytest.raises(RuntimeError, match="bool"):
            fn(b)
        with pytest.raises(RuntimeError, match="bool"):
            fn(b, 5)  # PyTorch checks the dtype before the dim's range
        with pytest.raises(TypeError):
            fn(b, (0,))  # but a tuple dim is the argument parser's TypeError first
    for fn in (tt.median, tt.nanmedian):
        with pytest.raises(NotImplementedError, match="bool"):
            fn(b)
        with pytest.raises(NotImplementedError, match="bool"):
            fn(b, 0)
        with pytest.raises(IndexError):
            fn(b, 5)  # the dim's range first
    # what PyTorch allows on bool: max(dim), amax, aminmax, sort
    assert tt.max(b, 0).values.tolist() == [True, True]
    assert tt.amax(b).item() is True
    assert tt.aminmax(b).min.item() is False


def test_empty_reductions_raise_pytorchs_classes_numpy():
    e = tt.zeros(2, 0, 3)
    for fn in (tt.amax, tt.amin, tt.argmax, tt.argmin):
        with pytest.raises(IndexError, match="empty"):
            fn(e, 1)
        assert tuple(fn(e, 2).shape) == (2, 0)  # a nonempty dim of an empty tensor
    for fn in (tt.max, tt.min):
        with pytest.raises(IndexError, match="empty"):
            fn(e, 1)
        with pytest.raises(RuntimeError, match="empty"):
            fn(e)
    with pytest.raises(IndexError, match="empty"):
        tt.amin(e, (0, 1))
    with pytest.raises(IndexError, match="empty"):
        tt.argmax(e)  # no dim: PyTorch's IndexError too
    with pytest.raises(IndexError, match="empty"):
        tt.aminmax(e, dim=1)
    with pytest.raises(RuntimeError, match="empty"):
        tt.aminmax(e)
    with pytest.raises(TypeError, match="int"):
        tt.aminmax(tt.tensor(X), dim=(0, 1))
    for p in (float("inf"), float("-inf")):
        with pytest.raises(RuntimeError, match="norm"):
            tt.norm(e, p, 1)
    assert tt.norm(e, float("inf"), 2).shape == (2, 0)
    med = tt.median(tt.zeros(0, dtype=tt.float32))
    assert med.dtype is tt.float32 and np.isnan(med.item())


def test_nansum_and_nanmean_of_infinities_are_quiet_numpy():
    x = tt.tensor([[1.0, np.nan, np.inf], [np.inf, -np.inf, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, m = tt.nansum(x, 1), tt.nanmean(x, 1)
        full = tt.nansum(x, dtype=tt.float64)
    np.testing.assert_array_equal(s.numpy(), [np.inf, np.nan])
    np.testing.assert_array_equal(m.numpy(), [np.inf, np.nan])
    assert np.isnan(full.item()) and full.dtype is tt.float64


CASES = [
    ("sum", lambda L, x: L.sum(x, ())),
    ("sum_list_keepdim", lambda L, x: L.sum(x, [], keepdim=True)),
    ("mean", lambda L, x: L.mean(x, ())),
    ("nansum", lambda L, x: L.nansum(x, ())),
    ("nanmean", lambda L, x: L.nanmean(x, (), keepdim=True)),
    ("var", lambda L, x: L.var(x, ())),
    ("std", lambda L, x: L.std(x, (), keepdim=True)),
    ("var_mean", lambda L, x: L.var_mean(x, ())),
    ("std_mean", lambda L, x: L.std_mean(x, ())),
    ("norm", lambda L, x: L.norm(x, dim=())),
    ("norm_p1", lambda L, x: L.norm(x, p=1, dim=())),
    ("logsumexp_keepdim", lambda L, x: L.logsumexp(x, (), keepdim=True)),
    ("logsumexp", lambda L, x: L.logsumexp(x, ())),
    ("logsumexp_empty", lambda L, x: L.logsumexp(x[:, :0], ())),
    ("all_u8", lambda L, x: L.all((x > 0).to(L.uint8), 1)),
    ("any_u8", lambda L, x: L.any((x > 0).to(L.uint8))),
    ("argmax_bool", lambda L, x: L.argmax(x > 0)),
    ("argmin_bool_bad_dim", lambda L, x: L.argmin(x > 0, 7)),
    ("median_bool", lambda L, x: L.median(x > 0, 0)),
    ("nanmedian_bool_bad_dim", lambda L, x: L.nanmedian(x > 0, 7)),
    ("amax_empty_dim", lambda L, x: L.amax(x[:, :0], 1)),
    ("max_empty_dim", lambda L, x: L.max(x[:, :0], 1)),
    ("max_empty", lambda L, x: L.max(x[:, :0])),
    ("argmax_empty", lambda L, x: L.argmax(x[:, :0])),
    ("argmin_empty_dim", lambda L, x: L.argmin(x[:, :0], 1)),
    ("aminmax_empty_dim", lambda L, x: L.aminmax(x[:, :0], dim=1)),
    ("aminmax_tuple", lambda L, x: L.aminmax(x, dim=(0, 1))),
    ("count_nonzero", lambda L, x: L.count_nonzero(x, ())),
    ("norm_inf_empty", lambda L, x: L.norm(x[:, :0], float("inf"), 1)),
    ("nansum_infs", lambda L, x: L.nansum(L.tensor([[1.0, float("inf")], [-float("inf"), 2]]))),
]


@pytest.mark.torch
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(CASES)[name]

    def run(lib):
        try:
            out = fn(lib, lib.tensor(X))
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return type(e)
        outs = out if isinstance(out, tuple) else (out,)
        return [(str(o.dtype).split(".")[1], tuple(o.shape), o.numpy()) for o in outs]

    want, got = run(torch), run(tt)
    if isinstance(want, type):
        assert got is want
        return
    assert not isinstance(got, type), got
    for (wd, ws, wv), (gd, gs, gv) in zip(want, got):
        assert (gd, gs) == (wd, ws)
        np.testing.assert_allclose(gv, wv, rtol=1e-6)
