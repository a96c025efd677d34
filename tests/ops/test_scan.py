"""The running ops (tinytensor/ops/scan.py): the table-driven properties of every row in
ops/optable/scan.py, second-order gradients, then cumprod's zero handling against PyTorch."""

import numpy as np
import pytest

import tinytensor as tt
from ops.harness import second_order_test, table_tests
from ops.optable import SCAN as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


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
