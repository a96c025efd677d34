"""The sort family (tinytensor/ops/sort.py): the table-driven properties of every row in
ops/optable/sort.py, second-order gradients, then the sort-family ops without a gradient (unique,
unique_consecutive, searchsorted, bucketize, isin) against NumPy and PyTorch."""

import numpy as np

from ops.harness import no_gradient_tests, second_order_test, table_tests
from ops.optable import SORT as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


# --- the ops without gradient: outputs (values and dtypes) against NumPy and PyTorch -----------


def _sorted_rows(x):
    return np.sort(x, axis=-1)


def _np_unique(x, axis=None):
    u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
    return u, inv.reshape(x.shape if axis is None else -1), cnt


def _np_unique_consecutive(v):
    new = np.r_[True, v[1:] != v[:-1]]
    starts = np.flatnonzero(new)
    return v[starts], np.cumsum(new) - 1, np.diff(np.r_[starts, v.size])


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
    "isin": (lambda m, x: m.isin(m.tensor(x), m.tensor(x[0])), lambda x: np.isin(x, x[0])),
    "isin_invert": (
        lambda m, x: m.isin(m.tensor(x), m.tensor(x[0]), invert=True),
        lambda x: np.isin(x, x[0], invert=True),
    ),
}

test_no_gradient_ops_match_numpy, test_no_gradient_ops_match_torch = no_gradient_tests(NO_GRADIENT)
