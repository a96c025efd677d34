"""Matrix products refuse operands of two dtypes as PyTorch 2.13 does (RuntimeError; they
were promoted): matmul and ``@``, mm, bmm, mv, dot, vdot, inner, tensordot and einsum; bool
matrix products are NotImplementedError; outer, kron and addr still promote, as in PyTorch;
addmm, addmv, addbmm and baddbmm refuse an input of another dtype than the product, and with
integer tensors truncate a float beta or alpha (addr refuses it)
(tinytensor/ops/linalg/products.py). NumPy oracles first, PyTorch behind the marker."""

import numpy as np
import pytest
from torch_outcome import assert_same_outcome, outcome

import tinytensor as tt

A = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)


def _calls(lib, a, b):
    return {
        "matmul": lambda: lib.matmul(a, b),
        "@": lambda: a @ b,
        "mm": lambda: lib.mm(a, b),
        "bmm": lambda: lib.bmm(a[None], b[None]),
        "mv": lambda: lib.mv(a, b[0]),
        "dot": lambda: lib.dot(a[0], b[0]),
        "vdot": lambda: lib.vdot(a[0], b[0]),
        "inner": lambda: lib.inner(a, b),
        "tensordot": lambda: lib.tensordot(a, b, 1),
        "einsum": lambda: lib.einsum("ij,jk->ik", a, b),
    }


@pytest.mark.parametrize("name", sorted(_calls(tt, None, None)))
def test_mixed_dtypes_are_refused_numpy(name):
    for other in (tt.float64, tt.int64):
        a, b = tt.tensor(A), tt.tensor(A).to(other)
        with pytest.raises(RuntimeError, match="dtype"):
            _calls(tt, a, b)[name]()
    same = _calls(tt, tt.tensor(A), tt.tensor(A))[name]()
    assert same.dtype is tt.float32
    ints = _calls(tt, tt.tensor(A).long(), tt.tensor(A).long())[name]()
    assert ints.dtype is tt.int64


def test_bool_products_and_the_ops_that_promote_numpy():
    b = tt.tensor(A > 2)
    with pytest.raises(NotImplementedError, match="bool"):
        tt.matmul(b, b)
    assert tt.outer(tt.tensor([1, 2]), tt.tensor([1.0, 2.0])).dtype is tt.float32
    assert tt.kron(tt.tensor(A).long(), tt.tensor(A)).dtype is tt.float32
    np.testing.assert_array_equal(tt.matmul(tt.tensor(A), tt.tensor(A)).numpy(), A @ A)


def test_add_products_numpy():
    a, d, i = tt.tensor(A), tt.tensor(A).double(), tt.tensor(A).long()
    for call in (
        lambda: tt.addmm(d, a, a),
        lambda: tt.addmv(d[0], a, a[0]),
        lambda: tt.addbmm(d, a[None], a[None]),
        lambda: tt.baddbmm(d[None], a[None], a[None]),
        lambda: tt.addr(i, i[0], i[0], beta=0.5),
    ):
        with pytest.raises(RuntimeError):
            call()
    ai = A.astype(np.int64)
    np.testing.assert_array_equal(tt.addmm(i, i, i, alpha=2.9).numpy(), ai + 2 * (ai @ ai))
    np.testing.assert_array_equal(tt.addmm(i, i, i, beta=0.5).numpy(), ai @ ai)  # beta -> 0
    assert tt.addr(d, a[0], a[0]).dtype is tt.float64


@pytest.mark.torch
def test_add_products_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        a, d, i = lib.tensor(A), lib.tensor(A).double(), lib.tensor(A).long()
        with pytest.raises(RuntimeError):
            lib.addmm(d, a, a)
        with pytest.raises(RuntimeError):
            lib.addr(i, i[0], i[0], beta=0.5)
    ai = A.astype(np.int64)
    for kw in ({"alpha": 2.9}, {"beta": 0.5}, {"beta": 2.7, "alpha": 1.2}):
        want = torch.addmm(torch.tensor(ai), torch.tensor(ai), torch.tensor(ai), **kw)
        got = tt.addmm(tt.tensor(ai), tt.tensor(ai), tt.tensor(ai), **kw)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(_calls(tt, None, None)))
@pytest.mark.parametrize("other", ["float64", "int64", "float32"])
def test_matches_torch(name, other):
    torch = pytest.importorskip("torch")

    def call(lib):
        a, b = lib.tensor(A), lib.tensor(A).to(getattr(lib, other))
        return _calls(lib, a, b)[name]()

    assert_same_outcome(outcome(lambda: call(tt)), outcome(lambda: call(torch)), rtol=1e-7)
