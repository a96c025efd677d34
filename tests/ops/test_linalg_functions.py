"""The linear algebra built from the factorizations (tinytensor/ops/linalg/functions.py,
distances.py, legacy.py): the table-driven properties of every row in
ops/optable/linalg_functions.py, second-order gradients, and renorm's method and in-place forms."""

import numpy as np
import pytest

import tinytensor as tt
from ops.harness import second_order_test, table_tests
from ops.optable import LINALG_FUNCTIONS as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES, deadline=None)


def test_renorm_method_matches_function():
    x = tt.tensor(np.arange(12.0).reshape(3, 4) / 5)
    np.testing.assert_array_equal(x.renorm(2, 0, 1.0), tt.renorm(x, 2, 0, 1.0))


@pytest.mark.torch
def test_renorm_inplace_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((3, 4))
    w, tw = tt.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, ty = (w * 1.0).renorm_(2, 1, 0.5), (tw * 1.0).renorm_(2, 1, 0.5)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-12)
