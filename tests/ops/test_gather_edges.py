"""Index dtypes and negative indices of the gather family as PyTorch 2.13
(tinytensor/ops/gather.py, scatter.py): gather, scatter, scatter_add, index_select and
index_add take int32 or int64 indices, take, take_along_dim and index_copy int64 only
(RuntimeError), index_fill int64 only (IndexError); index_fill and take_along_dim along a dim
count a negative index from the end (gather and index_select refuse it). NumPy oracles first,
PyTorch behind the marker."""

import numpy as np
import pytest
from torch_outcome import assert_same_outcome, outcome

import tinytensor as tt

X = np.arange(12, dtype=np.float32).reshape(3, 4)
IDX = [[0, 1], [2, 3], [1, 0]]
CALLS = {
    "gather": (lambda i: tt.gather(tt.tensor(X), 1, i), True),
    "scatter": (lambda i: tt.scatter(tt.tensor(X), 1, i, 9.0), True),
    "scatter_add": (lambda i: tt.scatter_add(tt.tensor(X), 1, i, tt.ones(3, 2)), True),
    "index_select": (lambda i: tt.index_select(tt.tensor(X), 1, i[:, 0]), True),
    "index_add": (lambda i: tt.index_add(tt.tensor(X), 1, i[:, 0], tt.ones(3, 3)), True),
    "take": (lambda i: tt.take(tt.tensor(X), i), False),
    "take_along_dim": (lambda i: tt.take_along_dim(tt.tensor(X), i, 1), False),
    "index_copy": (lambda i: tt.tensor(X).index_copy(1, i[:1, 0], tt.ones(3, 1)), False),
    "index_fill": (lambda i: tt.tensor(X).index_fill(1, i[:, 0], -1.0), False),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_index_dtypes_numpy(name):
    call, int32_ok = CALLS[name]
    wide = call(tt.tensor(IDX))
    narrow = tt.tensor(np.array(IDX, np.int32))
    if int32_ok:
        np.testing.assert_array_equal(call(narrow).numpy(), wide.numpy())
    else:
        error = IndexError if name == "index_fill" else RuntimeError
        with pytest.raises(error, match=name):
            call(narrow)
    for dt in (np.int16, np.uint8):
        error = IndexError if name == "index_fill" else RuntimeError
        with pytest.raises(error, match=name):
            call(tt.tensor(np.array(IDX, dt)))


def test_negative_indices_numpy():
    x = tt.tensor(X, requires_grad=True)
    out = tt.take_along_dim(x, tt.tensor([[-1, 0]] * 3), 1)
    np.testing.assert_array_equal(out.detach().numpy(), X[:, [3, 0]])
    out.sum().backward()
    want = np.zeros_like(X)
    want[:, [0, 3]] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), want)
    filled = tt.tensor(X).index_fill(1, tt.tensor([-1, 0]), -1.0)
    expect = X.copy()
    expect[:, [3, 0]] = -1.0
    np.testing.assert_array_equal(filled.numpy(), expect)
    with pytest.raises(IndexError):
        tt.tensor(X).index_fill(1, tt.tensor([-5]), 0.0)
    with pytest.raises(RuntimeError):
        tt.gather(tt.tensor(X), 1, tt.tensor([[-1]] * 3))
    with pytest.raises(RuntimeError):
        tt.take_along_dim(tt.tensor(X), tt.tensor([-1]))  # flattened: no wrap, as PyTorch


def _i32(lib, v):
    return lib.tensor(v, dtype=lib.int32)


TORCH_CASES = [
    ("gather_i32", lambda L: L.gather(L.tensor(X), 1, L.tensor(IDX, dtype=L.int32))),
    ("gather_i16", lambda L: L.gather(L.tensor(X), 1, L.tensor(IDX, dtype=L.int16))),
    ("take_i32", lambda L: L.take(L.tensor(X), L.tensor(IDX, dtype=L.int32))),
    ("take_along_i32", lambda L: L.take_along_dim(L.tensor(X), L.tensor(IDX, dtype=L.int32), 1)),
    ("take_along_neg", lambda L: L.take_along_dim(L.tensor(X), L.tensor([[-1, 0]] * 3), 1)),
    ("index_fill_i32", lambda L: L.tensor(X).index_fill(1, L.tensor([0], dtype=L.int32), 0.0)),
    ("index_fill_neg", lambda L: L.tensor(X).index_fill(1, L.tensor([-1, 0]), -1.0)),
    ("index_copy_i32", lambda L: L.tensor(X).index_copy(1, _i32(L, [0]), L.ones(3, 1))),
    ("index_select_u8", lambda L: L.index_select(L.tensor(X), 1, L.tensor([0], dtype=L.uint8))),
    ("index_add_i32", lambda L: L.index_add(L.tensor(X), 1, _i32(L, [0]), L.ones(3, 1))),
]


@pytest.mark.torch
@pytest.mark.parametrize("name", [c[0] for c in TORCH_CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(TORCH_CASES)[name]

    assert_same_outcome(outcome(lambda: fn(tt)), outcome(lambda: fn(torch)))
