"""Sparse COO tensors against PyTorch: values, coalescing, products and the gradients it gives."""

import numpy as np
import pytest

import tinytensor as tt

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:Sparse invariant checks")]

IDX = [[0, 2, 1, 0, 2], [1, 0, 3, 1, 2]]
VAL = [1.5, -2.0, 0.5, 4.0, 3.0]


def _both(requires_grad=False):
    torch = pytest.importorskip("torch")
    ours = tt.sparse_coo_tensor(IDX, tt.tensor(VAL, dtype=tt.float64), (3, 4),
                                requires_grad=requires_grad)  # fmt: skip
    theirs = torch.sparse_coo_tensor(IDX, torch.tensor(VAL, dtype=torch.float64), (3, 4),
                                     requires_grad=requires_grad)  # fmt: skip
    return ours, theirs, torch


def test_coalesce_to_dense_and_the_parts_match():
    s, t, torch = _both()
    assert s._nnz() == t._nnz() and s.is_coalesced() == t.is_coalesced()
    np.testing.assert_array_equal(s.to_dense().numpy(), t.to_dense().numpy())
    c, tc = s.coalesce(), t.coalesce()
    np.testing.assert_array_equal(c.indices().numpy(), tc.indices().numpy())
    np.testing.assert_array_equal(c.values().numpy(), tc.values().numpy())
    dense = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(tt.tensor(dense).to_sparse().indices().numpy(),
                                  torch.tensor(dense).to_sparse().indices().numpy())  # fmt: skip
    hs, ht = tt.tensor(dense).to_sparse(1), torch.tensor(dense).to_sparse(1)
    assert (hs.sparse_dim(), hs.dense_dim()) == (ht.sparse_dim(), ht.dense_dim())
    for dim in [0, 1, (0, 1)]:
        ours, theirs = tt.sparse.sum(s, dim), torch.sparse.sum(t, dim)
        assert getattr(ours, "is_sparse", False) == theirs.is_sparse
        o = ours.to_dense() if theirs.is_sparse else ours
        th = theirs.to_dense() if theirs.is_sparse else theirs
        np.testing.assert_allclose(o.numpy(), th.numpy())


@pytest.mark.parametrize("form", ["sparse.mm", "mm", "matmul", "@", "spmm", "dense @ sparse"])
def test_products_and_leaf_gradients_match(form):
    s, t, torch = _both(requires_grad=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2)) if form != "dense @ sparse" else rng.standard_normal((2, 3))
    xs, xt = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    run = {
        "sparse.mm": lambda lib, a, b: lib.sparse.mm(a, b),
        "mm": lambda lib, a, b: lib.mm(a, b),
        "matmul": lambda lib, a, b: lib.matmul(a, b),
        "@": lambda lib, a, b: a @ b,
        "spmm": lambda lib, a, b: lib.spmm(a, b),
        "dense @ sparse": lambda lib, a, b: b @ a,
    }[form]
    out, tout = run(tt, s, xs), run(torch, t, xt)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    w = rng.standard_normal(tuple(tout.shape))
    (out * tt.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    g, tg = s.grad, t.grad
    assert getattr(g, "is_sparse", False) == tg.is_sparse, (form, tg.layout)
    if tg.is_sparse:
        assert g._nnz() == tg._nnz()
        g, tg = g.to_dense(), tg.to_dense()
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_values_that_require_grad_get_the_same_gradient():
    torch = pytest.importorskip("torch")
    v, tv = tt.tensor(VAL, dtype=tt.float64, requires_grad=True), torch.tensor(
        VAL, dtype=torch.float64, requires_grad=True)  # fmt: skip
    x = np.arange(8.0).reshape(4, 2)
    tt.sparse.mm(tt.sparse_coo_tensor(IDX, v, (3, 4)), tt.tensor(x)).pow(2).sum().backward()
    ts = torch.sparse_coo_tensor(IDX, tv, (3, 4))
    torch.sparse.mm(ts, torch.tensor(x)).pow(2).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim", [0, 1])
def test_sparse_softmax_matches(dim, log):
    torch = pytest.importorskip("torch")
    v, tv = tt.tensor(VAL, dtype=tt.float64, requires_grad=True), torch.tensor(
        VAL, dtype=torch.float64, requires_grad=True)  # fmt: skip
    fn, tfn = (tt.sparse.log_softmax, torch.sparse.log_softmax) if log else (
        tt.sparse.softmax, torch.sparse.softmax)  # fmt: skip
    out = fn(tt.sparse_coo_tensor(IDX, v, (3, 4)), dim)
    tout = tfn(torch.sparse_coo_tensor(IDX, tv, (3, 4)), dim)
    np.testing.assert_array_equal(out.indices().numpy(), tout.coalesce().indices().numpy())
    np.testing.assert_allclose(out.values().detach().numpy(),
                               tout.coalesce().values().detach().numpy(), rtol=1e-12)  # fmt: skip
    w = np.arange(12.0).reshape(3, 4)
    (out.to_dense() * tt.tensor(w)).sum().backward()
    (tout.to_dense() * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_refusals_match_torch_where_torch_refuses():
    s, t, torch = _both()
    with pytest.raises(RuntimeError, match="size is inconsistent with indices"):
        tt.sparse_coo_tensor(IDX, VAL, (2, 4))
    with pytest.raises(RuntimeError, match="size is inconsistent with indices"):
        torch.sparse_coo_tensor(IDX, VAL, (2, 4), check_invariants=True)
    for x in (s, t):
        with pytest.raises(RuntimeError, match="uncoalesced"):
            x.indices()
    # ops the sparse backend lacks: NotImplementedError in both (ours names the fix)
    for op in ("cumsum", "log", "flip"):
        args = (0,) if op == "cumsum" else ((0,),) if op == "flip" else ()
        with pytest.raises(NotImplementedError, match=f"Tensor.{op} is not supported on sparse"):
            getattr(s, op)(*args)
        with pytest.raises(NotImplementedError):
            getattr(t, op)(*args)
