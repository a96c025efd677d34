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
