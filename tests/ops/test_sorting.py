"""sorting ops (tinytensor/ops/sorting.py, cumulative.py): the table-driven properties of every
row in ops/optable/sorting.py, second-order gradients, then semantics the table cannot express."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    import numpy as np

    import tinytensor as tt

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
