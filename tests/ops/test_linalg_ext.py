"""tt.linalg and the torch-namespace linear algebra: the table-driven properties of every row in
ops/optable/linalg_ext.py (forward vs NumPy, gradcheck, vs PyTorch), second-order gradients,
then degenerate input and semantics the table cannot express."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.harness import table_tests
from ops.optable import LINALG_EXT as CASES
from tinytensor.testing import gradgradcheck

test_forward_and_gradient, test_matches_torch = table_tests(CASES)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.differentiable and c.double_differentiable], ids=lambda c: c.name
)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_second_order_gradient(case, data):
    """Backward formulas are tinytensor ops, so gradgradcheck passes (as in PyTorch)."""
    sample = data.draw(case.inputs, label="sample")
    assert gradgradcheck(sample.bind(case.fn), sample.leaves())
