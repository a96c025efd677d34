"""Sparse COO tensors against NumPy: construction, coalescing, products and their gradients."""

import numpy as np
import pytest

import tinytensor as tt

RNG = np.random.default_rng(0)
IDX = np.array([[0, 2, 1, 0, 2], [1, 0, 3, 1, 2]])
VAL = np.array([1.5, -2.0, 0.5, 4.0, 3.0])


def _dense():
    d = np.zeros((3, 4))
    np.add.at(d, tuple(IDX), VAL)  # the repeated (0, 1) entry is summed
    return d


def test_construction_and_the_sparse_questions():
    s = tt.sparse_coo_tensor(IDX, VAL, (3, 4))
    assert s.is_sparse and s.layout is tt.sparse_coo and s.layout is not tt.strided
    assert tuple(s.shape) == (3, 4) and s.dim() == 2 and s._nnz() == 5
    assert s.sparse_dim() == 2 and s.dense_dim() == 0 and not s.is_coalesced()
    assert s.dtype == tt.float64
    np.testing.assert_array_equal(s.to_dense().numpy(), _dense())
    with pytest.raises(RuntimeError, match="uncoalesced tensor, please call .coalesce"):
        s.indices()
    c = s.coalesce()
    assert c.is_coalesced() and c._nnz() == 4
    np.testing.assert_array_equal(c.indices().numpy(), [[0, 1, 2, 2], [1, 3, 0, 2]])
    np.testing.assert_array_equal(c.values().numpy(), [5.5, 0.5, -2.0, 3.0])
    # size inferred from the indices; dtype converted
    inferred = tt.sparse_coo_tensor(IDX, VAL, dtype=tt.float32)
    assert tuple(inferred.shape) == (3, 4) and inferred.dtype == tt.float32


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(RuntimeError, match="for dim 1, size is 3 but found index 3"):
        tt.sparse_coo_tensor(IDX, VAL, (3, 3))
    with pytest.raises(RuntimeError, match="same number of entries"):
        tt.sparse_coo_tensor(IDX, VAL[:4], (3, 4))
    with pytest.raises(RuntimeError, match="negative index"):
        tt.sparse_coo_tensor([[0, -1]], [1.0, 2.0], (3,))
    with pytest.raises(RuntimeError, match="int64"):
        tt.sparse_coo_tensor([[0.0, 1.0]], [1.0, 2.0], (3,))


def test_other_operations_name_themselves_and_the_fix():
    s = tt.sparse_coo_tensor(IDX, VAL, (3, 4))
    for op, call in [
        ("__add__", lambda: s + 1),
        ("Tensor.relu", lambda: s.relu()),
        ("__getitem__", lambda: s[0]),
        ("Tensor.view", lambda: s.view(12)),
    ]:
        with pytest.raises(NotImplementedError, match=f"{op.replace('.', '[.]')} is not "
                           "supported on sparse COO tensors; call .to_dense"):  # fmt: skip
            call()
    with pytest.raises(NotImplementedError, match="sparse tensors"):
        tt.sparse.mm(s, s)


def test_to_sparse_round_trip_and_hybrid():
    d = _dense()
    s = tt.tensor(d).to_sparse()
    assert s.is_coalesced() and s._nnz() == int((d != 0).sum())
    np.testing.assert_array_equal(s.to_dense().numpy(), d)
    h = tt.tensor(d).to_sparse(1)  # rows sparse, columns dense
    assert h.sparse_dim() == 1 and h.dense_dim() == 1 and tuple(h.values().shape) == (3, 4)
    np.testing.assert_array_equal(h.to_dense().numpy(), d)
    np.testing.assert_array_equal(tt.tensor(d).to_sparse_coo().to_dense().numpy(), d)


@pytest.mark.parametrize("form", ["sparse.mm", "spmm", "mm", "matmul", "@"])
def test_sparse_times_dense_and_its_gradients(form):
    x = RNG.standard_normal((4, 2))
    vals = tt.tensor(VAL, requires_grad=True)
    s = tt.sparse_coo_tensor(IDX, vals, (3, 4))
    xt = tt.tensor(x, requires_grad=True)
    fn = {"sparse.mm": tt.sparse.mm, "spmm": tt.spmm, "mm": tt.mm, "matmul": tt.matmul,
          "@": lambda a, b: a @ b}[form]  # fmt: skip
    out = fn(s, xt)
    np.testing.assert_allclose(out.detach().numpy(), _dense() @ x, rtol=1e-12)
    w = RNG.standard_normal((3, 2))
    (out * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), _dense().T @ w, rtol=1e-12)
    # d/d values[k] = sum_j w[row_k, j] * x[col_k, j]
    np.testing.assert_allclose(vals.grad.numpy(), (w[IDX[0]] * x[IDX[1]]).sum(1), rtol=1e-12)


def test_dense_times_sparse_vector_product_and_leaf_grad():
    s = tt.sparse_coo_tensor(IDX, VAL, (3, 4), requires_grad=True)
    assert s.requires_grad and s.is_leaf
    a = RNG.standard_normal((2, 3))
    np.testing.assert_allclose((tt.tensor(a) @ s).detach().numpy(), a @ _dense(), rtol=1e-12)
    v = RNG.standard_normal(4)
    out = s @ tt.tensor(v)
    np.testing.assert_allclose(out.detach().numpy(), _dense() @ v, rtol=1e-12)
    out.sum().backward()
    # @ (and mm, matmul, spmm) give a leaf the gradient of the whole matrix, dense, as PyTorch
    g = s.grad
    assert not getattr(g, "is_sparse", False) and tuple(g.shape) == (3, 4)
    np.testing.assert_allclose(g.numpy(), np.outer(np.ones(3), v), rtol=1e-12)
    # sparse.mm gives it a sparse one at the distinct stored positions (the repeated (0, 1) once)
    s2 = tt.sparse_coo_tensor(IDX, VAL, (3, 4), requires_grad=True)
    x = RNG.standard_normal((4, 2))
    tt.sparse.mm(s2, tt.tensor(x)).sum().backward()
    g2 = s2.grad
    assert g2.is_sparse and g2._nnz() == 4 and not g2.is_coalesced()
    np.testing.assert_allclose(g2.to_dense().numpy(), (_dense() != 0) * x.sum(1)[None, :])
    # both kinds add up; .grad = None clears them
    (s2 @ tt.tensor(x)).sum().backward()
    np.testing.assert_allclose(s2.grad.numpy(), (_dense() != 0) * x.sum(1) + x.sum(1)[None, :])
    s2.grad = None
    assert s2.grad is None
    # values that already require grad: not a leaf, the gradient reaches the values
    vals = tt.tensor(VAL, requires_grad=True)
    s3 = tt.sparse_coo_tensor(IDX, vals, (3, 4))
    assert not s3.is_leaf and s3.requires_grad and s3.grad is None


def test_addmm_and_sum():
    s = tt.sparse_coo_tensor(IDX, VAL, (3, 4))
    m, x = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 2))
    out = tt.sparse.addmm(tt.tensor(m), s, tt.tensor(x), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 0.5 * m + 2.0 * _dense() @ x, rtol=1e-12)
    np.testing.assert_allclose(tt.sparse.sum(s).item(), VAL.sum())
    deg = tt.sparse.sum(s, dim=1)
    assert deg.is_sparse and tuple(deg.shape) == (3,)
    np.testing.assert_allclose(deg.to_dense().numpy(), _dense().sum(1))
    full = tt.sparse.sum(s, dim=(0, 1))
    assert not getattr(full, "is_sparse", False)
    np.testing.assert_allclose(full.item(), VAL.sum())


def test_coalesce_and_to_dense_pass_gradients_to_the_values():
    vals = tt.tensor(VAL, requires_grad=True)
    s = tt.sparse_coo_tensor(IDX, vals, (3, 4))
    w = RNG.standard_normal((3, 4))
    (s.coalesce().to_dense() * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(vals.grad.numpy(), w[tuple(IDX)], rtol=1e-12)


def test_softmax_over_the_stored_entries():
    s = tt.sparse_coo_tensor(IDX, VAL, (3, 4))
    d = _dense()
    present = np.zeros((3, 4), bool)
    present[tuple(IDX)] = True
    for dim in (0, 1):
        masked = np.where(present, d, -np.inf)
        e = np.exp(masked - masked.max(dim, keepdims=True))
        want = np.where(present, e / e.sum(dim, keepdims=True), 0.0)
        out = tt.sparse.softmax(s, dim)
        assert out.is_sparse and out._nnz() == 4
        np.testing.assert_allclose(out.to_dense().numpy(), want, rtol=1e-12)
        logs = tt.sparse.log_softmax(s, dim).to_dense().numpy()
        np.testing.assert_allclose(logs[present], np.log(want[present]), rtol=1e-12)
    # the gradient is softmax's, entry by entry within each row
    v = tt.tensor(VAL, requires_grad=True)
    w = RNG.standard_normal((3, 4))
    p = tt.sparse.softmax(tt.sparse_coo_tensor(IDX, v, (3, 4)), 1).to_dense()
    (p * tt.tensor(w)).sum().backward()
    pd = p.detach().numpy()
    row_dot = (pd * w).sum(1, keepdims=True)
    want_dense = pd * (w - row_dot)  # d/dx_ij of sum_k w_ik p_ik
    np.testing.assert_allclose(v.grad.numpy(), want_dense[tuple(IDX)], rtol=1e-10, atol=1e-14)
