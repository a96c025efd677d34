"""Elementwise math and special functions (tinytensor/ops/math.py, math_binary.py,
special_fns.py, softmax.py): the table-driven properties of every row in ops/optable/math.py,
second derivatives, then semantics the table cannot express."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import MATH as CASES
from tinytensor.testing import gradgradcheck

# Fewer examples than the profile's default: about 60 rows, each drawing its own inputs.
test_forward_and_gradient, test_matches_torch = (
    settings(max_examples=8)(t) for t in table_tests(CASES)
)

TWICE = [c for c in CASES if c.differentiable and c.double_differentiable]


@pytest.mark.parametrize("case", TWICE, ids=lambda c: c.name)
@settings(max_examples=4)
@given(data=st.data())
def test_second_derivatives(case, data):
    """gradgradcheck in float64: every backward here is written in differentiable ops."""
    sample = data.draw(case.inputs, label="sample")
    assert gradgradcheck(sample.bind(case.fn), sample.leaves())


# --- semantics ----------------------------------------------------------------------------------


def _changed_after_forward(lib, fn, where):
    """fn(y) with y = 2x, then y or the output changed in place; returns the backward error."""
    x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 2.0
    out = fn(y)
    (y if where == "input" else out).mul_(3.0)
    try:
        out.sum().backward()
    except RuntimeError as e:
        return e
    return None


@pytest.mark.parametrize("where", ["input", "out"])
def test_sgn_saves_input_and_output(where):
    assert _changed_after_forward(tt, tt.sgn, where) is not None


@pytest.mark.torch
@pytest.mark.parametrize("where", ["input", "out"])
def test_sgn_saves_input_and_output_as_torch(where):
    torch = pytest.importorskip("torch")
    assert _changed_after_forward(torch, torch.sgn, where) is not None
