import numpy as np
import pytest

import tinytensor as tt


def test_scalar_expression_gradient():
    x = tt.tensor(2.0, requires_grad=True)
    y = x * x + 3 * x
    y.backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_gradients_accumulate_across_backward_calls():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_non_scalar_root_needs_gradient():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()


def test_second_backward_through_freed_graph_names_op_and_hint():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"(?s)SumBackward.*retain_graph=True"):
        y.backward()
