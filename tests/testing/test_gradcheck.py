"""gradcheck and gradgradcheck: they pass correct gradients and catch wrong ones."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.core import wrap
from tinytensor.testing import GradcheckError, gradcheck, gradgradcheck


def f64(shape, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape)
    return tt.tensor(data, requires_grad=True)


class WrongGrad(tt.autograd.Function):
    """sin with the derivative off by 1% on the second element."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        scale = np.ones(x.shape)
        scale.reshape(-1)[1] = 1.01
        return g * x.cos() * tt.tensor(scale)


class NumpyBackward(tt.autograd.Function):
    """x^3 with a correct first derivative computed outside tinytensor (not differentiable)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * wrap(3 * x.detach().numpy() ** 2)


def test_gradcheck_passes_correct_gradients():
    a, b = f64((2, 3)), f64((3,), 1)
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / (1 + y * y), (a, b))
    assert gradcheck(lambda x: x.sum(), f64((4,)))  # a single tensor is accepted too


def test_gradcheck_reports_the_input_the_worst_element_and_both_values():
    x = f64((2, 2), 3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongGrad.apply, (x,))
    message = str(info.value)
    assert "input 0" in message and "(2, 2)" in message
    assert "input index (0, 1)" in message and "output index 1" in message
    assert "analytic" in message and "numerical" in message
    assert not gradcheck(WrongGrad.apply, (x,), raise_exception=False)


def test_gradgradcheck_passes_differentiable_backwards():
    a, b = f64((2, 3)), f64((3,), 1)
    assert gradgradcheck(lambda x, y: (x * y).sin() * x.exp(), (a, b))
    assert gradgradcheck(lambda x: (x * x).sum(), (f64((3,)),))  # a scalar output


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = f64((3,))
    assert gradcheck(NumpyBackward.apply, (x,))  # first order is right
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(NumpyBackward.apply, (x,))


def test_gradgradcheck_with_given_grad_outputs():
    x = f64((3,))
    go = tt.tensor([1.0, -2.0, 0.5], dtype=tt.float64)
    assert gradgradcheck(lambda t: t**3, (x,), grad_outputs=(go,))
    with pytest.raises(ValueError, match="grad_outputs"):
        gradgradcheck(lambda t: t**3, (x,), grad_outputs=(go, go))


def test_gradcheck_input_validation():
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * 2, (tt.randn(3, requires_grad=True),))
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(lambda t: t * 2, (tt.randn(3, dtype=tt.float64),))


def test_gradcheck_perturbs_non_contiguous_inputs_and_restores_them():
    base = np.random.default_rng(0).standard_normal((3, 4))
    x = tt.from_numpy(base.T)  # a transposed view: not C-contiguous
    x.requires_grad_()
    before = base.copy()
    assert gradcheck(lambda t: (t * t).sum(0), (x,))
    np.testing.assert_array_equal(base, before)


def test_integer_outputs_and_non_tensor_arguments_are_ignored():
    x = f64((4,))
    assert gradcheck(lambda t, k: (t * k, t.argmax()), (x, 3.0))
    assert gradgradcheck(lambda t, k: (t**3 * k, t.argmax()), (x, 3.0))


def test_unused_input_has_zero_gradient_and_passes():
    a, b = f64((2,)), f64((2,), 1)
    assert gradcheck(lambda x, y: x * 2, (a, b))
    assert gradgradcheck(lambda x, y: x * x, (a, b))
