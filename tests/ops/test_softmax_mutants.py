"""``ops/softmax.py`` rule by rule, NumPy only (issue #25: mutmut survivors).

NumPy oracles for softmax and log_softmax along every dim (values, the max shift that keeps
large inputs finite, gradients, the second derivative by finite differences), the ``dtype=``
cast, the errors, empty inputs, and what each saves: only its output.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from ops.finite_differences import fd_grad


def _np_softmax(x, ax):
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    return e / e.sum(axis=ax, keepdims=True)


def _np_log_softmax(x, ax):
    s = x - x.max(axis=ax, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=ax, keepdims=True))


X = np.random.default_rng(3).normal(size=(2, 3, 4))
G = np.random.default_rng(4).normal(size=(2, 3, 4))


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_softmax_values_and_gradient(dim):
    x = tt.tensor(X, requires_grad=True)
    out = tt.softmax(x, dim)
    assert out.grad_fn.attrs == {"dim": dim % 3}
    f = _np_softmax(X, dim)
    np.testing.assert_allclose(out.numpy(force=True), f, rtol=1e-14, atol=1e-16)
    out.backward(tt.tensor(G))
    want = f * (G - (G * f).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_log_softmax_values_and_gradient(dim):
    x = tt.tensor(X, requires_grad=True)
    out = tt.log_softmax(x, dim)
    assert out.grad_fn.attrs == {"dim": dim % 3}
    f = _np_log_softmax(X, dim)
    np.testing.assert_allclose(out.numpy(force=True), f, rtol=1e-14, atol=1e-15)
    out.backward(tt.tensor(G))
    want = G - np.exp(f) * G.sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-15)


def test_large_inputs_stay_finite_by_the_max_shift():
    x = tt.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1002.0]], dtype=tt.float64)
    s = tt.softmax(x, 1).numpy()
    ls = tt.log_softmax(x, 1).numpy()
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls))
    np.testing.assert_allclose(s, _np_softmax(x.numpy(), 1), rtol=1e-14)
    np.testing.assert_allclose(ls, _np_log_softmax(x.numpy(), 1), rtol=1e-14)
    np.testing.assert_allclose(s.sum(1), [1.0, 1.0], rtol=1e-15)


def test_softmax_of_hand_values():
    out = tt.softmax(tt.tensor([0.0, np.log(3.0)], dtype=tt.float64), 0).tolist()
    assert out == pytest.approx([0.25, 0.75], rel=1e-15)
    out = tt.log_softmax(tt.tensor([0.0, np.log(3.0)], dtype=tt.float64), 0).tolist()
    assert out == pytest.approx([np.log(0.25), np.log(0.75)], rel=1e-15)


def test_inf_and_nan_give_nan_silently():
    x = tt.tensor([np.inf, 1.0], dtype=tt.float64)
    with np.errstate(all="raise"):
        s = tt.softmax(x, 0).numpy()
        ls = tt.log_softmax(x, 0).numpy()
    assert np.isnan(s[0]) and np.isnan(ls[0])


@pytest.mark.parametrize("fn", [tt.softmax, tt.log_softmax])
def test_empty_inputs(fn):
    out = fn(tt.zeros(0, 3), 1)
    assert out.shape == (0, 3) and out.dtype is tt.float32
    out = fn(tt.zeros(2, 0), 1)
    assert out.shape == (2, 0)


@pytest.mark.parametrize("fn", [tt.softmax, tt.log_softmax])
def test_dtype_argument_casts_first(fn):
    x = tt.tensor([1, 2, 3])
    out = fn(x, 0, dtype=tt.float64)
    assert out.dtype is tt.float64
    ref = _np_softmax if fn is tt.softmax else _np_log_softmax
    np.testing.assert_allclose(out.numpy(), ref(np.array([1.0, 2.0, 3.0]), 0), rtol=1e-15)
    y = tt.tensor([1.0, 2.0], dtype=tt.float64)
    assert fn(y, 0, dtype=tt.float32).dtype is tt.float32
    assert fn(y, 0).dtype is tt.float64
    assert fn(y, 0, None).dtype is tt.float64


@pytest.mark.parametrize("fn, name", [(tt.softmax, "softmax"), (tt.log_softmax, "log_softmax")])
def test_errors_name_the_op(fn, name):
    with pytest.raises(TypeError) as e:
        fn(tt.tensor([1, 2]), 0)
    assert str(e.value) == (
        f"{name}: expected a floating point input, got dtype tinytensor.int64; convert it "
        "with .float() or pass dtype="
    )
    with pytest.raises(IndexError, match=f"^{name}: dim 2 is out of range"):
        fn(tt.ones(2, 3), 2)


@pytest.mark.parametrize("fn", [tt.softmax, tt.log_softmax])
def test_only_the_output_is_saved(fn):
    x = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    y = x * 1.0
    out = fn(y, 0)
    with tt.no_grad():
        y.mul_(5.0)  # the input is not saved
    out.sum().backward()
    x2 = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    fn(x2, 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())
    out = fn(x * 1.0, 0)
    with tt.no_grad():
        out.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("fn", [tt.softmax, tt.log_softmax])
def test_second_derivative_matches_finite_differences(fn):
    x0 = np.array([0.3, -1.2, 0.7, 2.0])
    w = np.array([1.0, -2.0, 0.5, 3.0])

    def first(xv):
        x = tt.tensor(xv, requires_grad=True)
        (g,) = tt.autograd.grad((fn(x, 0) * tt.tensor(w)).sum(), x)
        return g.numpy()

    x = tt.tensor(x0, requires_grad=True)
    (g,) = tt.autograd.grad((fn(x, 0) * tt.tensor(w)).sum(), x, create_graph=True)
    (h,) = tt.autograd.grad((g * g).sum(), x)
    want = fd_grad(lambda xv: float((first(xv) ** 2).sum()), x0)
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn, ref", [(tt.softmax, _np_softmax), (tt.log_softmax, _np_log_softmax)])
def test_the_quiet_fallback_keeps_the_dim(fn, ref):
    x = np.array([[np.inf, 1.0], [1.0, 2.0]])
    with np.errstate(all="raise"):  # the bare kernel raises; the quiet one runs again
        out = fn(tt.tensor(x), 1).numpy()
    assert np.isnan(out[0, 0])
    np.testing.assert_allclose(out[1], ref(x[1], 0), rtol=1e-15)


@pytest.mark.parametrize("fn, name", [(tt.softmax, "softmax"), (tt.log_softmax, "log_softmax")])
def test_a_bad_input_names_the_op(fn, name):
    with pytest.raises(TypeError, match=f"^{name}: "):
        fn("x", 0)
