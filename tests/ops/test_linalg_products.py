"""The products (tinytensor/ops/linalg/products.py): the table-driven properties of every row in
ops/optable/linalg_products.py, second-order gradients, then semantics the table cannot express
(shape errors, einsum's spellings, addmv_)."""

import pytest

from ops.harness import second_order_test, table_tests
from ops.optable import LINALG_PRODUCTS as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES, deadline=None)


# --- semantics ----------------------------------------------------------------------------------

import numpy as np  # noqa: E402

import tinytensor as tt  # noqa: E402


def test_matmul_shape_mismatch_shows_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be"):
        tt.ones(2, 3) @ tt.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"\(2, 2, 3\) and \(3, 3, 2\) do not broadcast"):
        tt.ones(2, 2, 3) @ tt.ones(3, 3, 2)
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        tt.matmul(tt.tensor(1.0), tt.ones(2))
    with pytest.raises(RuntimeError, match=r"dot: expected two 1-D.*\(3,\) and \(2,\)"):
        tt.dot(tt.ones(3), tt.ones(2))
    with pytest.raises(RuntimeError, match=r"bmm: expected 3-D"):
        tt.bmm(tt.ones(2, 3), tt.ones(3, 2))


def test_matmul_of_integers_stays_integer_and_bool_is_rejected():
    out = tt.tensor([[1, 2]]) @ tt.tensor([[3], [4]])
    assert out.dtype is tt.int64 and out.tolist() == [[11]]
    with pytest.raises(RuntimeError, match="bool"):
        tt.tensor([True]) @ tt.tensor([True])


def test_batched_matmul_broadcast_gradient_is_summed_over_the_batch():
    a = tt.ones(3, 2, 4, requires_grad=True)
    b = tt.ones(4, 5, requires_grad=True)
    (a @ b).sum().backward()
    assert b.grad.shape == (4, 5) and np.all(b.grad.numpy() == 6.0)
    assert a.grad.shape == (3, 2, 4) and np.all(a.grad.numpy() == 5.0)


def test_einsum_accepts_a_list_and_spaces_and_checks_sizes():
    a, b = tt.ones(2, 3), tt.ones(3, 4)
    assert tt.einsum("ij, jk -> ik", [a, b]).tolist() == [[3.0] * 4] * 2
    with pytest.raises(RuntimeError, match="subscript 'j' has size"):
        tt.einsum("ij,jk->ik", a, a)
    with pytest.raises(RuntimeError, match="names 2 operand"):
        tt.einsum("ij,jk->ik", a)


def test_einsum_trace_and_diagonal_gradients():
    x = tt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tt.einsum("ii", x).backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tt.einsum("ii->i", x).tolist() == [1.0, 4.0]
    assert tt.einsum("ji", x).tolist() == [[1.0, 3.0], [2.0, 4.0]]  # implicit output: sorted


def test_addmv_inplace_numpy():
    a, v = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    out = tt.ones(2, dtype=tt.float64)
    assert tt.addmv_(out, tt.tensor(a), tt.tensor(v), beta=3) is out
    np.testing.assert_allclose(out.numpy(), 3.0 + a @ v)


@pytest.mark.torch
def test_addmv_inplace_matches_torch():
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(3).standard_normal((3, 4))
    v, tv = tt.ones(3, dtype=tt.float64), torch.ones(3, dtype=torch.float64)
    tt.addmv_(v, tt.tensor(x0), tt.ones(4, dtype=tt.float64), beta=2, alpha=0.5)
    torch.addmv_(tv, torch.tensor(x0), torch.ones(4, dtype=torch.float64), beta=2, alpha=0.5)
    np.testing.assert_allclose(v.numpy(), tv.numpy())
