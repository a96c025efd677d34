"""Shape ops (tinytensor/ops/shape.py): the table-driven properties of every row in
ops/optable/shape.py, then semantics the table cannot express."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.harness import check_forward, check_gradients, check_torch
from ops.optable import SHAPE as CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_forward_and_gradient(case, data):
    """Forward equals NumPy; gradient equals gradcheck's; inputs unchanged; gradient has the
    input's shape and dtype and owns its memory."""
    sample = data.draw(case.inputs, label="sample")
    check_forward(case, sample)
    if case.differentiable:
        check_gradients(case, sample)


@pytest.mark.parametrize("case", [c for c in CASES if c.torch_fn], ids=lambda c: c.name)
@given(data=st.data())
def test_matches_torch(case, data):
    """Forward and float64 gradients equal PyTorch's."""
    pytest.importorskip("torch")
    check_torch(case, data.draw(case.inputs, label="sample"))
