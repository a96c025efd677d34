"""Elementwise ops (tinytensor/ops/elementwise.py): the table-driven properties of every row in
ops/optable/elementwise.py, then semantics the table cannot express."""

import pytest

from ops.harness import table_tests
from ops.optable import ELEMENTWISE as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)


# --- semantics ----------------------------------------------------------------------------------

import numpy as np  # noqa: E402

import tinytensor as tt  # noqa: E402


def _grad(fn, *values, dtype=tt.float64):
    """Gradients of fn(*leaves).sum() with respect to each leaf."""
    xs = [tt.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    fn(*xs).sum().backward()
    return [np.zeros(x.shape) if x.grad is None else x.grad.numpy() for x in xs]


def _torch_grad(fn, *values):
    torch = pytest.importorskip("torch")
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    fn(*xs).sum().backward()
    return [np.zeros(x.shape) if x.grad is None else x.grad.numpy() for x in xs]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log of a negative base: NaN, as torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: x**0,
        lambda x, y: x**y,
        lambda x, y: x**2,
        lambda x, y: x.abs(),
        lambda x, y: x.relu(),
        lambda x, y: x.clamp(0.0, 1.0),
        lambda x, y: x.maximum(y),
        lambda x, y: x.minimum(y),
        lambda x, y: x.sign(),
    ],
    ids=["pow0", "pow_tensor", "pow2", "abs", "relu", "clamp", "maximum", "minimum", "sign"],
)
def test_gradient_at_kinks_and_zeros_matches_torch(fn):
    # The points where the math is undefined: 0**0, |0|, relu(0), clamp at its bounds and
    # ties in maximum/minimum (which split the gradient in half, as PyTorch does).
    x = [0.0, 0.0, 1.0, 2.0, -1.0]
    y = [0.0, 1.0, 1.0, 0.0, -1.0]
    ours = _grad(fn, x, y)
    theirs = _torch_grad(fn, x, y)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)


def test_pow_zero_exponent_has_zero_gradient_everywhere():
    x = tt.tensor([0.0, 2.0, -3.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = tt.tensor([0.0, 0.0], requires_grad=True)
    (y ** tt.tensor([0.0, 2.0])).sum().backward()
    assert y.grad.tolist() == [0.0, 0.0]


def test_ties_split_the_gradient_in_half():
    a = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tt.tensor([1.0, 1.0, 3.0], requires_grad=True)
    tt.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.5]
    assert b.grad.tolist() == [0.5, 0.0, 0.5]


def test_where_gives_no_gradient_to_condition_and_needs_bool():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    out = tt.where(a > 1.5, a, 0.0)
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="where: condition must be a bool"):
        tt.where(tt.tensor([1.0, 0.0]), a, a)


def test_rounding_ops_record_a_zero_gradient():
    x = tt.tensor([0.4, 1.6, -2.5], requires_grad=True)
    for op in (tt.floor, tt.ceil, tt.round, tt.trunc):
        out = op(x)
        assert out.requires_grad
        out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert tt.round(tt.tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]  # half to even


def test_comparisons_return_bool_tensors_without_grad():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2, 2 < x, tt.eq(x, 2.0)):
        assert out.dtype is tt.bool and not out.requires_grad and out.grad_fn is None
    assert (x > 2).tolist() == [False, False, True]
    assert (2.0 >= x).tolist() == [True, True, False]


def test_sigmoid_saturates_without_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = tt.sigmoid(tt.tensor([-1000.0, 0.0, 1000.0]))
    assert out.tolist() == [0.0, 0.5, 1.0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's float division by zero
def test_integer_division_and_remainder_by_zero_raise():
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        tt.tensor([1, 2]) // 0
    with pytest.raises(ZeroDivisionError, match="remainder"):
        tt.tensor([1, 2]) % tt.tensor([1, 0])
    assert (tt.tensor([1.0]) / 0).tolist() == [float("inf")]  # floats follow IEEE


def test_float_unary_ops_on_integers_give_default_float():
    out = tt.exp(tt.tensor([0, 1]))
    assert out.dtype is tt.float32
    np.testing.assert_allclose(out.numpy(), [1.0, np.e], rtol=1e-6)
    assert tt.sqrt(tt.tensor([4])).dtype is tt.float32


def test_clamp_integer_tensor_with_float_bound_promotes_like_torch():
    out = tt.clamp(tt.tensor([1, 2, 3]), min=1.5)
    assert out.dtype is tt.float32 and out.tolist() == [1.5, 2.0, 3.0]
    assert tt.clamp(tt.tensor([1, 5]), 0, 3).tolist() == [1, 3]
    assert tt.clamp(tt.tensor([1, 5]), 0, 3).dtype is tt.int64
    with pytest.raises(RuntimeError, match="at least one of min and max"):
        tt.clamp(tt.tensor([1.0]))


def test_alpha_scales_the_second_operand_and_its_gradient():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    b = tt.tensor([3.0, 4.0], requires_grad=True)
    out = tt.add(a, b, alpha=2)
    assert out.tolist() == [7.0, 10.0]
    out.sum().backward()
    assert b.grad.tolist() == [2.0, 2.0]
