"""The scattering ops (tinytensor/ops/scatter.py): the table-driven properties of every row in
ops/optable/scatter.py, second-order gradients, the method and in-place forms, and
as_strided_scatter against PyTorch where PyTorch's input gradient is wrong."""

import numpy as np
import pytest

import tinytensor as tt
from ops.harness import second_order_test, table_tests
from ops.optable import SCATTER as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


def test_methods_match_functions():
    x = tt.tensor(np.arange(12.0).reshape(3, 4) / 5)
    s = tt.ones(4, dtype=tt.float64)
    np.testing.assert_array_equal(x.select_scatter(s, 0, 1), tt.select_scatter(x, s, 0, 1))
    idx = tt.tensor([0, 0, 2])
    src = tt.ones(3, 3, dtype=tt.float64)
    np.testing.assert_array_equal(
        x.index_reduce(0, idx, tt.ones(3, 4, dtype=tt.float64), "amax"),
        tt.index_reduce(x, 0, idx, tt.ones(3, 4, dtype=tt.float64), "amax"),
    )
    np.testing.assert_array_equal(
        x.slice_scatter(src, 1, 1), tt.slice_scatter(x, src, dim=1, start=1)
    )


@pytest.mark.torch
def test_index_reduce_inplace_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, src = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    idx = np.array([1, 1])
    for reduce in ("prod", "mean", "amax", "amin"):
        w = tt.tensor(x0, requires_grad=True)
        tw = torch.tensor(x0, requires_grad=True)
        s, ts = tt.tensor(src, requires_grad=True), torch.tensor(src, requires_grad=True)
        y = (w * 1.0).index_reduce_(1, tt.tensor(idx), s, reduce, include_self=False)
        ty = (tw * 1.0).index_reduce_(1, torch.tensor(idx), ts, reduce, include_self=False)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-12)


@pytest.mark.torch
def test_as_strided_scatter_torch_forward_and_src_gradient():
    """PyTorch 2.13's gradient for ``input`` is wrong (torch's own gradcheck fails on it); the
    forward and ``src``'s gradient are compared, ``input``'s is gradcheck's (the table row)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a0, s0, g0 = rng.standard_normal(7), rng.standard_normal((2, 2)), rng.standard_normal(7)
    args = ((2, 2), (3, 2), 1)
    a, s = tt.tensor(a0, requires_grad=True), tt.tensor(s0, requires_grad=True)
    ta, ts = torch.tensor(a0, requires_grad=True), torch.tensor(s0, requires_grad=True)
    y, ty = tt.as_strided_scatter(a, s, *args), torch.as_strided_scatter(ta, ts, *args)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    y.backward(tt.tensor(g0))
    ty.backward(torch.tensor(g0))
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    kept = np.ones(7, bool)
    kept[[1, 3, 4, 6]] = False
    np.testing.assert_allclose(a.grad.numpy(), np.where(kept, g0, 0.0))
