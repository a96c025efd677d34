"""sorting ops (tinytensor/ops/sorting.py, cumulative.py): the table-driven properties of every
row in ops/optable/sorting.py, second-order gradients, then semantics the table cannot express."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import SORTING as CASES
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


@pytest.mark.torch
def test_cumprod_with_zeros_matches_torch_to_second_order():
    """Zeros take cumprod's division-free backward; first and second order as PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, 0.0, 2.0, -1.5], [0.0, 0.0, 3.0, 1.25]])
    w = np.array([[1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.5]])
    a, ta = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = tt.autograd.grad((tt.cumprod(a, 1) * tt.tensor(w)).sum(), a, create_graph=True)
    (tg,) = torch.autograd.grad(
        (torch.cumprod(ta, 1) * torch.tensor(w)).sum(), ta, create_graph=True
    )
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy())
    (h,) = tt.autograd.grad((g * g).sum(), a)
    (th,) = torch.autograd.grad((tg * tg).sum(), ta)
    np.testing.assert_allclose(h.numpy(), th.numpy())


# --- the ops without gradient: outputs (values and dtypes) against NumPy and PyTorch -----------
# Each row is (f(m, x), numpy_ref(x)): m is tinytensor or torch, x a float64 array of small
# integers (so repeats, zeros and ties are common); f builds whatever else the op needs from x.


def _sorted_rows(x):
    return np.sort(x, axis=-1)


def _ints(x):
    return (x + 2).astype(np.int64).ravel()  # non-negative, for bincount


def _np_unique(x, axis=None):
    u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
    return u, inv.reshape(x.shape if axis is None else -1), cnt


def _np_unique_consecutive(v):
    new = np.r_[True, v[1:] != v[:-1]]
    starts = np.flatnonzero(new)
    return v[starts], np.cumsum(new) - 1, np.diff(np.r_[starts, v.size])


def _np_histc(x, bins, lo=None, hi=None):
    lo, hi = (x.min(), x.max()) if lo is None else (lo, hi)
    lo, hi = (lo - 1, hi + 1) if lo == hi else (lo, hi)
    return np.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype)


def _i64(*arrays):
    return tuple(np.asarray(a).astype(np.int64) for a in arrays)


NO_GRADIENT = {
    "unique": (
        lambda m, x: m.unique(m.tensor(x), return_inverse=True, return_counts=True),
        lambda x: (lambda u, i, c: (u, *_i64(i, c)))(*_np_unique(x)),
    ),
    "unique_dim": (
        lambda m, x: m.unique(
            m.tensor(x[[0, -1, 0]]), dim=0, return_inverse=True, return_counts=True
        ),
        lambda x: (lambda u, i, c: (u, *_i64(i, c)))(*_np_unique(x[[0, -1, 0]], axis=0)),
    ),
    "unique_consecutive": (
        lambda m, x: m.unique_consecutive(
            m.tensor(x.ravel()), return_inverse=True, return_counts=True
        ),
        lambda x: (lambda u, i, c: (u, *_i64(i, c)))(*_np_unique_consecutive(x.ravel())),
    ),
    "nonzero": (lambda m, x: m.nonzero(m.tensor(x)), lambda x: _i64(np.argwhere(x))),
    "nonzero_as_tuple": (
        lambda m, x: m.nonzero(m.tensor(x), as_tuple=True),
        lambda x: _i64(*np.nonzero(x)),
    ),
    "argwhere": (lambda m, x: m.argwhere(m.tensor(x)), lambda x: _i64(np.argwhere(x))),
    "where_condition": (lambda m, x: m.where(m.tensor(x) > 0), lambda x: _i64(*np.nonzero(x > 0))),
    "searchsorted": (
        lambda m, x: m.searchsorted(m.tensor(_sorted_rows(x)), m.tensor(x[:, ::-1].copy())),
        lambda x: _i64([np.searchsorted(r, v) for r, v in zip(_sorted_rows(x), x[:, ::-1])]),
    ),
    "searchsorted_right_1d_int32": (
        lambda m, x: m.searchsorted(
            m.tensor(np.sort(x.ravel())), m.tensor(x), right=True, out_int32=True
        ),
        lambda x: np.searchsorted(np.sort(x.ravel()), x, side="right").astype(np.int32),
    ),
    "bucketize": (
        lambda m, x: m.bucketize(m.tensor(x), m.tensor(np.unique(x))),
        lambda x: _i64(np.searchsorted(np.unique(x), x)),
    ),
    "bucketize_right": (
        lambda m, x: m.bucketize(m.tensor(x), m.tensor(np.unique(x)[:-1]), right=True),
        lambda x: _i64(np.searchsorted(np.unique(x)[:-1], x, side="right")),
    ),
    "bincount": (
        lambda m, x: m.bincount(m.tensor(_ints(x)), minlength=6),
        lambda x: _i64(np.bincount(_ints(x), minlength=6)),
    ),
    "bincount_weights": (
        lambda m, x: m.bincount(m.tensor(_ints(x)), m.tensor(x.ravel())),
        lambda x: np.bincount(_ints(x), x.ravel()),
    ),
    "histc": (lambda m, x: m.histc(m.tensor(x), bins=4), lambda x: _np_histc(x, 4)),
    "histc_range": (
        lambda m, x: m.histc(m.tensor(x), bins=3, min=-1, max=1),
        lambda x: _np_histc(x, 3, -1.0, 1.0),
    ),
    "count_nonzero": (
        lambda m, x: m.count_nonzero(m.tensor(x)),
        lambda x: _i64(np.count_nonzero(x)),
    ),
    "count_nonzero_dim": (
        lambda m, x: m.count_nonzero(m.tensor(x), dim=1),
        lambda x: _i64(np.count_nonzero(x, axis=1)),
    ),
    "isin": (lambda m, x: m.isin(m.tensor(x), m.tensor(x[0])), lambda x: np.isin(x, x[0])),
    "isin_invert": (
        lambda m, x: m.isin(m.tensor(x), m.tensor(x[0]), invert=True),
        lambda x: np.isin(x, x[0], invert=True),
    ),
    "tril_indices": (
        lambda m, x: m.tril_indices(x.shape[0], x.shape[1], -1),
        lambda x: _i64(np.stack(np.tril_indices(x.shape[0], -1, x.shape[1]))),
    ),
    "triu_indices": (
        lambda m, x: m.triu_indices(x.shape[0], x.shape[1] + 1, 1),
        lambda x: _i64(np.stack(np.triu_indices(x.shape[0], 1, x.shape[1] + 1))),
    ),
}

SMALL_INTS = st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
    lambda shape: st.lists(
        st.integers(-2, 2), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]
    ).map(lambda v: np.array(v, dtype=np.float64).reshape(shape))
)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("name", sorted(NO_GRADIENT))
@settings(max_examples=10)
@given(x=SMALL_INTS)
def test_no_gradient_ops_match_numpy(name, x):
    fn, np_ref = NO_GRADIENT[name]
    ours, refs = _outputs(fn(tt, x)), _outputs(np_ref(x))
    assert len(ours) == len(refs), f"{name}: {len(ours)} outputs, NumPy gives {len(refs)}"
    for k, (o, r) in enumerate(zip(ours, refs)):
        r = np.asarray(r)
        assert not o.requires_grad
        assert o.dtype.np == r.dtype, f"{name} output {k}: dtype {o.dtype} != NumPy {r.dtype}"
        np.testing.assert_array_equal(o.numpy(), r, err_msg=f"{name} output {k}")


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(NO_GRADIENT))
@settings(max_examples=10)
@given(x=SMALL_INTS)
def test_no_gradient_ops_match_torch(name, x):
    torch = pytest.importorskip("torch")
    fn = NO_GRADIENT[name][0]
    ours, theirs = _outputs(fn(tt, x)), _outputs(fn(torch, x))
    assert len(ours) == len(theirs), f"{name}: {len(ours)} outputs, PyTorch gives {len(theirs)}"
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (
            f"{name} output {k}: dtype {o.dtype} != PyTorch {t.dtype}"
        )
        np.testing.assert_array_equal(o.numpy(), t.numpy(), err_msg=f"{name} output {k}")
