"""NumPy-only tests pinning ``nn/functional/activation.py`` tightly enough that a one-line bug
(a flipped comparison, a wrong constant, a swapped argument, a dropped in-place branch) fails:
NumPy oracles for each activation's value and gradient, the in-place forms (mish, silu, elu,
selu, celu, leaky_relu, rrelu) against their out-of-place results, and the softmax family's
implicit-dim rule.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)
X = np.array([[-3.0, -1.0, -0.25, 0.0], [0.3, 1.0, 2.5, -0.7]])
ALPHA, SCALE = 1.6732632423543772, 1.0507009873554805
ERF = np.vectorize(math.erf)


def _t(a, grad=False, dtype=np.float64):
    return tt.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _grad(fn, x):
    """d(sum(fn(x)))/dx in tinytensor."""
    xt = _t(x, grad=True)
    fn(xt).sum().backward()
    return xt.grad.numpy()


ORACLES = {  # name: (call, value, derivative)
    "relu": (F.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0),
    "leaky_relu": (
        lambda t: F.leaky_relu(t, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        lambda x: np.where(x > 0, 1.0, 0.2),
    ),
    "leaky_relu_default": (
        F.leaky_relu,
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: np.where(x > 0, 1.0, 0.01),
    ),
    "elu": (
        lambda t: F.elu(t, 0.5),
        lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)),
        lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x)),
    ),
    "elu_default": (
        F.elu,
        lambda x: np.where(x > 0, x, np.expm1(x)),
        lambda x: np.where(x > 0, 1.0, np.exp(x)),
    ),
    "selu": (
        F.selu,
        lambda x: SCALE * np.where(x > 0, x, ALPHA * np.expm1(x)),
        lambda x: SCALE * np.where(x > 0, 1.0, ALPHA * np.exp(x)),
    ),
    "celu": (
        lambda t: F.celu(t, 2.0),
        lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0)),
        lambda x: np.where(x > 0, 1.0, np.exp(x / 2.0)),
    ),
    "celu_default": (
        F.celu,
        lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x)),
        lambda x: np.where(x > 0, 1.0, np.exp(x)),
    ),
    "gelu": (
        F.gelu,
        lambda x: x * 0.5 * (1 + ERF(x / math.sqrt(2))),
        lambda x: 0.5 * (1 + ERF(x / math.sqrt(2)))
        + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
    ),
    "gelu_tanh": (
        lambda t: F.gelu(t, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        None,
    ),
    "silu": (F.silu, lambda x: x * _sig(x), lambda x: _sig(x) * (1 + x * (1 - _sig(x)))),
    "mish": (F.mish, lambda x: x * np.tanh(_softplus(x)), None),
    "softplus": (F.softplus, _softplus, _sig),
    "softplus_beta": (
        lambda t: F.softplus(t, beta=2.0, threshold=1.5),
        lambda x: _softplus(x, 2.0, 1.5),
        lambda x: np.where(2.0 * x > 1.5, 1.0, _sig(2.0 * x)),
    ),
    "logsigmoid": (F.logsigmoid, lambda x: np.log(_sig(x)), lambda x: _sig(-x)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "sigmoid": (F.sigmoid, _sig, lambda x: _sig(x) * (1 - _sig(x))),
    "tanh": (F.tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "rrelu_eval": (
        lambda t: F.rrelu(t, 0.1, 0.3),
        lambda x: np.where(x >= 0, x, 0.2 * x),
        lambda x: np.where(x > 0, 1.0, 0.2),
    ),
    "rrelu_eval_default": (
        F.rrelu,
        lambda x: np.where(x >= 0, x, (1 / 8 + 1 / 3) / 2 * x),
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_activation_value_and_gradient_oracles(name):
    call, value, deriv = ORACLES[name]
    x = np.concatenate([X.ravel(), [7.0, 11.0, -9.0, 0.76]])
    np.testing.assert_allclose(call(_t(x)).numpy(), value(x), rtol=1e-9, atol=1e-12)
    if deriv is not None:
        np.testing.assert_allclose(_grad(call, x), deriv(x), rtol=1e-9, atol=1e-12)
    xg = x[np.abs(x) > 1e-3]
    xg = xg[np.abs(xg - 6) > 1e-3]
    xg = xg[np.abs(2.0 * xg - 1.5) > 1e-3]
    assert gradcheck(call, (_t(xg, grad=True),))


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "gelu", "silu", "mish", "softplus"])
def test_smooth_activations_double_backward(name):
    call = ORACLES[name][0]
    assert gradgradcheck(call, (_t([-1.5, -0.2, 0.4, 2.0], grad=True),))


def test_gelu_float32_and_errors():
    x = np.linspace(-6, 6, 49).astype(np.float32)
    got = F.gelu(tt.tensor(x)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, x * 0.5 * (1 + ERF(x / math.sqrt(2))), atol=2e-6)
    big = F.gelu(_t([-40.0, 40.0, 3.0])).numpy()
    np.testing.assert_allclose(big, [0.0, 40.0, 3.0 * 0.5 * (1 + math.erf(3 / math.sqrt(2)))])
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(_t(X), approximate="erf")
    with pytest.raises(TypeError, match=r"gelu: expected a floating point input"):
        F.gelu(tt.tensor([1, 2]))


@pytest.mark.parametrize(
    "name, call",
    [
        ("mish", lambda t, ip: F.mish(t, inplace=ip)),
        ("silu", lambda t, ip: F.silu(t, inplace=ip)),
        ("elu", lambda t, ip: F.elu(t, 0.7, inplace=ip)),
        ("selu", lambda t, ip: F.selu(t, inplace=ip)),
        ("celu", lambda t, ip: F.celu(t, 1.5, inplace=ip)),
        ("leaky_relu", lambda t, ip: F.leaky_relu(t, 0.3, inplace=ip)),
        ("relu", lambda t, ip: F.relu(t, inplace=ip)),
        ("rrelu", lambda t, ip: F.rrelu(t, 0.2, 0.4, inplace=ip)),
    ],
)
def test_inplace_forms_write_the_input_and_match_gradients(name, call):
    x = RNG.standard_normal((3, 4))
    want = call(_t(x), False).numpy()
    xi = _t(x)
    out = call(xi, True)
    np.testing.assert_allclose(xi.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    # through a non-leaf: the gradient of the in-place form equals the out-of-place one
    a = _t(x, grad=True)
    call(a * 1.0, True).sum().backward()
    b = _t(x, grad=True)
    call(b * 1.0, False).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)


def test_inplace_underscore_aliases():
    x = RNG.standard_normal(6)
    for fn, ref in [
        (F.relu_, F.relu),
        (F.elu_, F.elu),
        (F.selu_, F.selu),
        (F.celu_, F.celu),
        (F.leaky_relu_, F.leaky_relu),
        (F.rrelu_, F.rrelu),
    ]:
        xi = _t(x)
        assert fn(xi) is xi
        np.testing.assert_allclose(xi.numpy(), ref(_t(x)).numpy(), rtol=1e-12)
    xi = _t(x)
    F.elu_(xi, 0.3)
    np.testing.assert_allclose(xi.numpy(), F.elu(_t(x), 0.3).numpy())
    xi = _t(x)
    F.leaky_relu_(xi, 0.5)
    np.testing.assert_allclose(xi.numpy(), np.where(x > 0, x, 0.5 * x))


def test_mish_inplace_rejects_integer_input():
    with pytest.raises(TypeError, match=r"mish: expected a floating point input"):
        F.mish(tt.tensor([1, 2]), inplace=True)


def _np_softmax(x, dim):
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


@pytest.mark.parametrize(
    "shape, implicit", [((5,), 0), ((2, 5), 1), ((2, 3, 4), 0), ((2, 3, 2, 2), 1)]
)
def test_softmax_family_implicit_dim_warns_and_follows_pytorch(shape, implicit):
    x = RNG.standard_normal(shape)
    for fn, oracle in [
        (F.softmax, lambda a, d: _np_softmax(a, d)),
        (F.log_softmax, lambda a, d: np.log(_np_softmax(a, d))),
        (F.softmin, lambda a, d: _np_softmax(-a, d)),
    ]:
        with pytest.warns(UserWarning, match=r"Implicit dimension choice for"):
            got = fn(_t(x)).numpy()
        np.testing.assert_allclose(got, oracle(x, implicit), rtol=1e-10)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = fn(_t(x), dim=-1).numpy()
        np.testing.assert_allclose(got, oracle(x, len(shape) - 1), rtol=1e-10)


def test_softmax_dtype_and_errors():
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    got = F.softmax(tt.tensor(x), dim=1, dtype=tt.float64)
    assert got.dtype == tt.float64
    np.testing.assert_allclose(got.numpy(), _np_softmax(x.astype(np.float64), 1), rtol=1e-12)
    assert F.log_softmax(tt.tensor(x), 1, dtype=tt.float64).dtype == tt.float64
    assert F.softmin(tt.tensor(x), 1).dtype == tt.float32
    with pytest.raises(TypeError, match=r"softmax: expected a floating point input"):
        F.softmax(tt.tensor([1, 2]), 0)
    with pytest.raises(IndexError):
        F.log_softmax(_t(x), 2)
    xg = _t(RNG.standard_normal((2, 3)), grad=True)
    assert gradcheck(lambda a: F.softmin(a, 0), (xg,))
    assert gradcheck(lambda a: F.log_softmax(a, 1), (xg,))


def test_celu_glu_prelu_channel_shuffle():
    with pytest.raises(RuntimeError, match=r"celu: alpha must not be 0"):
        F.celu(_t(X), 0.0)
    x = RNG.standard_normal((2, 6, 3))
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(F.glu(_t(x), 1).numpy(), a * _sig(b), rtol=1e-12)
    np.testing.assert_allclose(
        F.glu(_t(x[..., :2])).numpy(), x[..., :1] * _sig(x[..., 1:2]), rtol=1e-12
    )
    with pytest.raises(RuntimeError, match=r"Halving dimension must be even, but dimension 2"):
        F.glu(_t(x))
    with pytest.raises(RuntimeError, match=r"glu does not support scalars"):
        F.glu(_t(1.0))
    assert gradcheck(lambda t: F.glu(t, 1), (_t(x, grad=True),))
    # prelu: one weight per channel (dim 1), or a single one
    w = np.array([0.1, 0.5, -0.3, 2.0, 0.0, 0.25])
    want = np.where(x > 0, x, w[None, :, None] * x)
    np.testing.assert_allclose(F.prelu(_t(x), _t(w)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(F.prelu(_t(x), _t([0.4])).numpy(), np.where(x > 0, x, 0.4 * x))
    v = np.array([-1.0, 2.0, -3.0])
    np.testing.assert_allclose(F.prelu(_t(v), _t([0.5, 0.1, 0.2])).numpy(), [-0.5, 2.0, -0.6])
    xg, wg = _t(x, grad=True), _t(w, grad=True)
    F.prelu(xg, wg).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), np.where(x > 0, 1.0, w[None, :, None]))
    np.testing.assert_allclose(wg.grad.numpy(), np.where(x > 0, 0.0, x).sum((0, 2)))
    with pytest.raises(RuntimeError, match=r"prelu: weight has 4 entries but the input"):
        F.prelu(_t(x), _t(np.ones(4)))
    # channel_shuffle: channel i*k + j moves to j*g + i
    c = np.arange(2 * 6 * 2, dtype=np.float64).reshape(2, 6, 2)
    got = F.channel_shuffle(_t(c), 2).numpy()
    np.testing.assert_array_equal(got[:, [0, 2, 4, 1, 3, 5]], c)
    got = F.channel_shuffle(_t(c), 3).numpy()
    np.testing.assert_array_equal(got[:, [0, 3, 1, 4, 2, 5]], c)
    for g in (0, 4, -2):
        with pytest.raises(RuntimeError, match=r"Number of channels must be divisible by groups"):
            F.channel_shuffle(_t(c), g)


def test_rrelu_training_draws_slopes_in_range():
    tt.manual_seed(3)
    x = -np.abs(RNG.standard_normal(4000)) - 0.01
    x[:5] = [0.0, 1.0, 2.0, 3.0, 0.5]
    xt = _t(x, grad=True)
    out = F.rrelu(xt, 0.1, 0.3, training=True)
    slope = out.detach().numpy() / np.where(x == 0, 1, x)
    np.testing.assert_array_equal(slope[:5], [0.0, 1.0, 1.0, 1.0, 1.0])
    neg = slope[5:]
    assert neg.min() >= 0.1 and neg.max() <= 0.3 and neg.std() > 0.04
    assert abs(neg.mean() - 0.2) < 0.01
    out.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy()[5:], neg, rtol=1e-12)
    np.testing.assert_array_equal(xt.grad.numpy()[:5], 1.0)


def test_gumbel_softmax_soft_and_hard():
    tt.manual_seed(0)
    logits = _t(RNG.standard_normal((50, 4)), grad=True)
    y = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.detach().numpy().sum(1), 1.0, rtol=1e-12)
    assert np.all(y.detach().numpy() > 0)
    tt.manual_seed(0)
    h = F.gumbel_softmax(logits, tau=0.5, hard=True)
    hn = h.detach().numpy()
    np.testing.assert_array_equal(hn.sum(1), 1.0)
    np.testing.assert_array_equal(np.argmax(hn, 1), np.argmax(y.detach().numpy(), 1))
    assert set(np.unique(hn)) == {0.0, 1.0}
    # straight-through: the hard sample's gradient is the soft one's
    wts = _t(RNG.standard_normal((50, 4)))
    (h * wts).sum().backward()
    g_hard = logits.grad.numpy().copy()
    logits.grad = None
    tt.manual_seed(0)
    (F.gumbel_softmax(logits, tau=0.5) * wts).sum().backward()
    np.testing.assert_allclose(g_hard, logits.grad.numpy(), rtol=1e-10)
    tt.manual_seed(0)
    hd = F.gumbel_softmax(logits, tau=0.5, hard=True, dim=0).detach().numpy()
    np.testing.assert_array_equal(hd.sum(0), 1.0)


@pytest.mark.parametrize(
    "name, call",
    [
        ("leaky_relu", F.leaky_relu), ("elu", F.elu), ("selu", F.selu), ("silu", F.silu),
        ("softplus", F.softplus), ("logsigmoid", F.logsigmoid), ("celu", F.celu),
        ("glu", F.glu), ("rrelu", F.rrelu), ("gumbel_softmax", F.gumbel_softmax),
        ("softmax", lambda t: F.softmax(t, 0)), ("log_softmax", lambda t: F.log_softmax(t, 0)),
        ("prelu", lambda t: F.prelu(t, _t([0.25]))),
    ],
)  # fmt: skip
def test_integer_input_errors_name_the_op(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: expected a floating point input"):
        call(tt.tensor([[1, 2], [3, 4]]))


def test_softmax_dim_errors_and_warning_details():
    for name, fn in [("softmax", F.softmax), ("log_softmax", F.log_softmax), ("glu", F.glu)]:
        with pytest.raises(IndexError, match=rf"^{name}: dim 3 is out of range"):
            fn(_t(np.zeros((2, 2))), 3)
    with pytest.raises(IndexError, match=r"^gumbel_softmax: dim 3 is out of range"):
        F.gumbel_softmax(_t(np.zeros((2, 2))), dim=3)
    with pytest.warns(UserWarning, match=r"Change the call to include dim=X as an argument\.") as w:
        got = F.softmax(_t(2.0))  # 0-d: the implicit dim is 0
    assert got.item() == 1.0
    assert w[0].filename == __file__  # the warning points at the caller
    with pytest.warns(UserWarning) as w:
        F.log_softmax(_t([1.0, 2.0]))
    assert w[0].filename == __file__
    # an integer input with a dtype is cast, as in PyTorch
    got = F.softmax(tt.tensor([1, 2, 3]), 0, dtype=tt.float64).numpy()
    np.testing.assert_allclose(got, _np_softmax(np.array([1.0, 2.0, 3.0]), 0), rtol=1e-12)
    got = F.log_softmax(tt.tensor([1, 2, 3]), 0, dtype=tt.float64)
    assert got.dtype == tt.float64
    got = F.softmin(tt.tensor(np.array([1.0, 2.0], np.float32)), 0, dtype=tt.float64)
    assert got.dtype == tt.float64
    np.testing.assert_allclose(got.numpy(), _np_softmax(-np.array([1.0, 2.0]), 0), rtol=1e-12)


def test_float32_kernels_keep_the_dtype_and_softplus_threshold_is_strict():
    x32 = tt.tensor(np.array([-2.0, -0.5, 0.0, 1.5], np.float32))
    for fn in (F.silu, F.gelu, F.softplus, F.logsigmoid, F.elu, F.celu, F.mish):
        assert fn(x32).dtype == tt.float32
    tt.manual_seed(1)
    assert F.rrelu(x32, training=True).dtype == tt.float32
    # beta*x == threshold: still the soft branch (PyTorch's test is beta*x > threshold)
    assert F.softplus(_t(20.0)).item() == math.log1p(math.exp(20.0))
    assert F.softplus(_t(1.0), beta=2.0, threshold=2.0).item() == math.log1p(math.exp(2.0)) / 2
    assert F.softplus(_t(20.5)).item() == 20.5


def test_gelu_float64_erf_is_tight_past_the_series_switch():
    x = np.array([-3.4, -2.6, -2.5, 2.4, 2.5, 2.6, 3.0, 3.4, 4.5, 6.0])
    want = x * 0.5 * (1 + ERF(x / math.sqrt(2)))
    np.testing.assert_allclose(F.gelu(_t(x)).numpy(), want, rtol=1e-13, atol=2e-14)


def test_inplace_training_rrelu_and_celu_alpha():
    x = RNG.standard_normal((4, 5))
    tt.manual_seed(9)
    want = F.rrelu(_t(x), 0.2, 0.4, training=True).numpy()
    for call in (
        lambda t: F.rrelu(t, 0.2, 0.4, training=True, inplace=True),
        lambda t: F.rrelu_(t, 0.2, 0.4, training=True),
    ):
        tt.manual_seed(9)
        xi = _t(x)
        assert call(xi) is xi
        np.testing.assert_array_equal(xi.numpy(), want)
    slope = want[x < 0] / x[x < 0]
    assert slope.min() >= 0.2 and slope.max() <= 0.4 and slope.std() > 0.01
    xi = _t(x)
    F.celu_(xi, 2.0)
    np.testing.assert_allclose(xi.numpy(), F.celu(_t(x), 2.0).numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"^ZeroDivisionError: celu: alpha must not be 0$"):
        F.celu(_t(x), 0)
    with pytest.raises(RuntimeError, match=r"has 1 channels; use 1 or one per channel$"):
        F.prelu(_t(1.0), _t([0.1, 0.2, 0.3]))
    out = F.glu(_t(x[:, :4], grad=True), 1)
    assert out.grad_fn.name() == "GluBackward"


def test_gumbel_softmax_samples_the_softmax_distribution():
    tt.manual_seed(4)
    logits = _t(np.tile(np.log([1.0, 2.0, 5.0]), (20000, 1)))
    hard = F.gumbel_softmax(logits, tau=0.7, hard=True).numpy()
    np.testing.assert_allclose(hard.mean(0), [1 / 8, 2 / 8, 5 / 8], atol=0.015)
    # tau divides: log(y) is (logits + G)/tau up to a per-row constant
    x = RNG.standard_normal((6, 4))
    tt.manual_seed(7)
    y1 = F.gumbel_softmax(_t(x), tau=1.0).numpy()
    tt.manual_seed(7)
    y3 = F.gumbel_softmax(_t(x), tau=3.0).numpy()
    d = np.log(y1) - 3.0 * np.log(y3)
    np.testing.assert_allclose(d - d[:, :1], 0.0, atol=1e-9)
    tt.manual_seed(7)
    y0 = F.gumbel_softmax(_t(x), dim=0).numpy()
    np.testing.assert_allclose(y0.sum(0), 1.0, rtol=1e-12)
