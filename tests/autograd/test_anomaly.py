"""detect_anomaly: the first NaN/inf in backward names the op and the user's forward line."""

import numpy as np
import pytest

import tinytensor as tt

# NaN/inf on purpose: NumPy's warnings about them are expected here.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_sqrt_at_zero_names_the_op_and_the_line_that_created_it():
    x = tt.tensor([0.0, 4.0], requires_grad=True)
    x.grad = tt.tensor([1.0, 1.0])
    with tt.autograd.detect_anomaly():
        y = x.sqrt().sum()  # the culprit line
        with pytest.raises(RuntimeError) as info:
            y.backward()
    message = str(info.value)
    assert "SqrtBackward" in message and "nan or inf" in message
    assert "test_anomaly.py" in message and "y = x.sqrt().sum()  # the culprit line" in message
    assert "tinytensor/ops" not in message  # only the user's frames are shown
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])  # .grad as before the call


def test_without_anomaly_mode_the_inf_just_propagates():
    x = tt.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0]) and x.grad.numpy()[1] == pytest.approx(0.25)


def test_the_first_bad_node_is_reported_not_a_later_one():
    x = tt.tensor([0.0, 1.0], requires_grad=True)
    with tt.autograd.detect_anomaly():
        h = x.log()  # d/dx log at 0 = 1/0 = inf
        y = (h * 0.0 + x).sum()  # a zero weight: LogBackward gets 0 * (1/0) = nan
        with pytest.raises(RuntimeError, match=r"(?s)'LogBackward' returned nan.*h = x.log\(\)"):
            y.backward()


def test_check_nan_false_turns_the_check_off():
    x = tt.tensor([0.0], requires_grad=True)
    with tt.autograd.detect_anomaly(check_nan=False):
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.item())


def test_errors_in_backward_carry_the_forward_trace_in_anomaly_mode():
    x = tt.randn(3, requires_grad=True)
    w = tt.randn(3)
    with tt.autograd.detect_anomaly():
        y = (x * w).sum()  # saves w
        w.add_(1.0)
        with pytest.raises(
            RuntimeError, match=r"(?s)MulBackward.*inplace.*y = \(x \* w\)\.sum\(\)"
        ):
            y.backward()


def test_set_detect_anomaly_as_call_and_context_and_decorator():
    assert not tt.autograd.is_anomaly_enabled()
    with tt.autograd.set_detect_anomaly(True):
        assert tt.autograd.is_anomaly_enabled()
    assert not tt.autograd.is_anomaly_enabled()
    try:
        tt.autograd.set_detect_anomaly(True)
        assert tt.autograd.is_anomaly_enabled()
    finally:
        tt.autograd.set_detect_anomaly(False)

    @tt.autograd.detect_anomaly()
    def f():
        return tt.autograd.is_anomaly_enabled()

    assert f() and not tt.autograd.is_anomaly_enabled()


def test_nodes_made_before_anomaly_mode_say_so():
    x = tt.tensor([0.0], requires_grad=True)
    y = x.sqrt().sum()
    with tt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="made outside detect_anomaly"):
            y.backward()


def test_anomaly_mode_checks_custom_functions_too():
    class BadGrad(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = tt.tensor([1.0], requires_grad=True)
    with tt.autograd.detect_anomaly():
        y = BadGrad.apply(x).sum()
        with pytest.raises(RuntimeError, match=r"(?s)BadGradBackward.*BadGrad\.apply"):
            y.backward()
