"""Activation functions and (log-)softmax. Forward in NumPy, backward in tinytensor ops."""

from __future__ import annotations

import warnings

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import rng, wrap
from tinytensor.nn.functional._util import float_input, saves
from tinytensor.nn.functional.piecewise import hardtanh
from tinytensor.nn.functional.piecewise import in_place as _in_place
from tinytensor.nn.functional.piecewise import mask as _mask
from tinytensor.nn.functional.piecewise import scalar_as as _scalar
from tinytensor.ops import explog as EL
from tinytensor.ops import selection as SEL
from tinytensor.ops import softmax as SM
from tinytensor.ops import trig as TRIG
from tinytensor.ops import unary as UN
from tinytensor.ops._util import one_dim


def relu(input, inplace=False):
    """`f(x) = max(x, 0);  dx = g*(x > 0)`"""
    return input.relu_() if inplace else UN.relu(input)


def relu6(input, inplace=False):
    """f(x) = min(max(x, 0), 6)"""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """`f(x) = x if x > 0 else slope*x`;  `dx = g*(1 if x > 0 else slope)`"""
    x = float_input(input, "leaky_relu")
    attrs = {"negative_slope": negative_slope}
    if inplace:
        saved = (negative_slope, True)
        return _in_place(
            x, lambda t: LEAKY_RELU.apply((t,), (t._data,), (t, *saved), attrs), "leaky_relu_"
        )
    return LEAKY_RELU.apply((x,), (x._data,), (x, negative_slope), attrs)


def _leaky_relu_kernel(d, *, negative_slope):
    with np.errstate(invalid="ignore"):  # -inf * 0.0 is NaN, as in PyTorch, without a warning
        return d * _leaky_slope(d, negative_slope=negative_slope)


def _leaky_relu_backward(g, x, negative_slope, in_place=False):
    if in_place and negative_slope < 0:
        raise RuntimeError(
            "leaky_relu_: the backward of in-place leaky_relu with a negative slope "
            f"({negative_slope}) is not supported, as in PyTorch (the result's sign no longer "
            "tells which slope applied); call the out-of-place leaky_relu (inplace=False)"
        )
    return (g * LEAKY_SLOPE.apply((x,), (x._data,), (), {"negative_slope": negative_slope}),)


def _leaky_slope(d, *, negative_slope):
    return np.where(d > 0, _scalar(1.0, d), _scalar(negative_slope, d))


LEAKY_RELU = Primitive("LeakyRelu", _leaky_relu_kernel, _leaky_relu_backward)
LEAKY_SLOPE = Primitive("LeakyReluSlope", _leaky_slope)  # 1 or the slope: no gradient


def elu(input, alpha=1.0, inplace=False):
    """`f(x) = x if x > 0 else alpha*(e^x - 1);  dx = g if x > 0 else g*alpha*e^x`"""
    return _elu(input, alpha, 1.0, inplace, "elu")


def selu(input, inplace=False):
    """`f(x) = scale * elu(x, alpha)` with the self-normalising constants"""
    return _elu(input, 1.6732632423543772, 1.0507009873554805, inplace, "selu")


def _elu(input, alpha, scale, inplace, who):
    """`f(x) = scale*x if x > 0 else scale*alpha*(e^x - 1)`"""
    x = float_input(input, who)
    # One "Elu" node, one layout (x or the result, alpha, scale, is_result), as PyTorch's
    # elu_backward(grad, alpha, scale, input_scale, is_result, self_or_result).
    attrs = {"alpha": alpha, "scale": scale}
    if inplace:
        # As PyTorch's elu_: the gradient is read from the result, the new value of x; x takes
        # the node's history (a copy_ would add +0.0 for the old values: -0.0 became +0.0).
        return _in_place(
            x, lambda t: ELU.apply((t,), (t._data,), (OUT, alpha, scale, True), attrs), who + "_"
        )
    return ELU.apply((x,), (x._data,), (x, alpha, scale, False), attrs)


def _nonpositive(d):
    """d where d <= 0 or NaN, 0 elsewhere: expm1 of it never overflows, and -0.0 stays -0.0
    (np.minimum(d, 0) may return the 0 at a tie), so elu(-0.0) is -0.0 as in PyTorch."""
    return np.where(d > 0, _scalar(0, d), d)


def _elu_kernel(d, *, alpha, scale):
    neg = _scalar(alpha * scale, d) * np.expm1(_nonpositive(d))
    return np.where(d > 0, d * _scalar(scale, d) if scale != 1.0 else d, neg)


def _elu_backward(g, x_or_out, alpha, scale, is_result):
    if is_result:
        return _elu_result_backward(g, x_or_out, alpha, scale)
    return _elu_input_backward(g, x_or_out, alpha, scale)


def _elu_input_backward(g, x, alpha, scale):
    """`dx = g*scale if x > 0 else g*scale*alpha*e^x` (a NaN x takes the second branch: NaN,
    as PyTorch's vectorized loop)"""
    positive = _mask(x, "gt", lo=0)
    # exp of min(x, 0): the unused branch stays finite, so no 0*inf in double backward.
    pos = g if scale == 1.0 else g * scale
    return (SEL.where(positive, pos, g * EL.exp(SEL.clamp(x, max=0.0)) * (alpha * scale)),)


def _elu_result_backward(g, out, alpha, scale):
    """dx from the result y: `g*scale if y > 0 else g*(y + scale*alpha)`"""
    pos = g if scale == 1.0 else g * scale
    return (SEL.where(_mask(out, "gt", lo=0), pos, g * (out + alpha * scale)),)


ELU = Primitive("Elu", _elu_kernel, _elu_backward)


# erfc(z) for z >= 0 to ~1.2e-7 relative error (Numerical Recipes' Chebyshev fit): float32
# GELU with NumPy alone. float64 uses the slower series/continued-fraction pair below.
_ERFC = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip


def _erf(x):
    if x.dtype == np.float64:
        return _erf64(x)
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(t)
    for c in reversed(_ERFC[1:]):
        poly = t * (poly + c)
    erfc = t * np.exp(-z * z + _ERFC[0] + poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(x.dtype, copy=False)


def _erf64(x):
    """erf to ~1e-14: Maclaurin series for |x| < 2.5, Laplace's continued fraction beyond."""
    out = np.empty_like(x)
    small = np.abs(x) < 2.5
    xs = x[small]
    term, total, x2 = xs.copy(), xs.copy(), xs * xs
    for n in range(1, 60):
        term = term * (-x2) / n
        total = total + term / (2 * n + 1)
    out[small] = total * (2 / np.sqrt(np.pi))
    xl = np.abs(x[~small])
    f = xl.copy()
    for k in range(80, 0, -1):
        f = xl + (k / 2) / f
    out[~small] = np.sign(x[~small]) * (1.0 - np.exp(-xl * xl) / (np.sqrt(np.pi) * f))
    return out


def gelu(input, approximate="none"):
    """`f(x) = x*Phi(x)` (or the tanh approximation);  `dx = g*(Phi(x) + x*phi(x))`"""
    x = float_input(input, "gelu")
    if approximate == "tanh":
        c = float(np.sqrt(2.0 / np.pi))
        inner = (x + x * x * x * 0.044715) * c
        return x * 0.5 * (TRIG.tanh(inner) + 1.0)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply((x,), (x._data,), (x,))


def _gelu_kernel(d):
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as in PyTorch, without a warning
        return d * _cdf_np(d)


def _gelu_backward(g, x):
    return (g * (_normal_cdf(x) + x * _normal_pdf(x)),)


def _cdf_np(d):
    with np.errstate(all="ignore"):  # huge |x| overflows inside erf's series: IEEE silently
        return 0.5 * (1.0 + _erf(d * _scalar(1 / np.sqrt(2.0), d)))


def _normal_pdf(x):
    return EL.exp(x * x * -0.5) * float(1 / np.sqrt(2 * np.pi))


def _normal_cdf(x):
    """`f(x) = Phi(x)`, the standard normal CDF;  `dx = g*phi(x)`"""
    return NORMAL_CDF.apply((x,), (x._data,), (x,))


def _normal_cdf_backward(g, x):
    return (g * _normal_pdf(x),)


GELU = Primitive("Gelu", _gelu_kernel, _gelu_backward)
NORMAL_CDF = Primitive("NormalCdf", _cdf_np, _normal_cdf_backward)


def silu(input, inplace=False):
    """`f(x) = x*sigmoid(x);  dx = g*s*(1 + x*(1 - s)), s = sigmoid(x)`"""
    x = float_input(input, "silu")
    if inplace:
        # silu's own node on a snapshot of x (the in-place writer hands fn the old values).
        return _in_place(x, lambda t: SILU.apply((t,), (t._data,), (t,)), "silu_")
    return SILU.apply((x,), (x._data,), (x,))


def _silu_kernel(d):
    # sigmoid by exp of a non-positive number only (no overflow), as ``tt.sigmoid``
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(d))
        s = np.where(d >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(d.dtype, copy=False)
        return d * s  # -inf * 0 is NaN, as in PyTorch, quietly


def _silu_backward(g, x):
    s = UN.sigmoid(x)
    return (g * s * (x * (1.0 - s) + 1.0),)


SILU = Primitive("Silu", _silu_kernel, _silu_backward)


def mish(input, inplace=False):
    """`f(x) = x*tanh(softplus(x))`; ``inplace=True`` writes the result into ``input``"""
    if inplace:
        x = float_input(input, "mish")
        return _in_place(x, lambda t: t * TRIG.tanh(softplus(t)), "mish_")
    return input * TRIG.tanh(softplus(input))


def softplus(input, beta=1.0, threshold=20.0):
    """`f(x) = log(1 + e^(beta*x))/beta (x where beta*x > threshold);  dx = g*sigmoid(beta*x)`"""
    x = float_input(input, "softplus")
    attrs = {"beta": beta, "threshold": threshold}
    return SOFTPLUS.apply((x,), (x._data,), (x, beta, threshold), attrs)


def _softplus_kernel(d, *, beta, threshold):
    bx = d * _scalar(beta, d)
    soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / _scalar(beta, d)
    return np.where(bx > threshold, d, soft)


def _softplus_backward(g, x, beta, threshold):
    linear = _mask(x, "gt", lo=threshold, mul=beta)
    return (SEL.where(linear, g, g * UN.sigmoid(x * beta)),)


SOFTPLUS = Primitive("Softplus", _softplus_kernel, _softplus_backward)


def logsigmoid(input):
    """`f(x) = log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|);  dx = g*sigmoid(-x)`"""
    x = float_input(input, "logsigmoid")
    return LOGSIGMOID.apply((x,), (x._data,), (x,))


def _logsigmoid_kernel(d):
    return np.minimum(d, 0) - np.log1p(np.exp(-np.abs(d)))


def _logsigmoid_backward(g, x):
    return (g * UN.sigmoid(-x),)


LOGSIGMOID = Primitive("LogSigmoid", _logsigmoid_kernel, _logsigmoid_backward)


def softsign(input):
    """f(x) = x/(1 + |x|)"""
    return input / (UN.abs(input) + 1.0)


def sigmoid(input):
    """`f(x) = 1/(1 + e^-x);  dx = g*s*(1 - s), s = sigmoid(x)` (``tt.sigmoid``)"""
    return UN.sigmoid(input)


def tanh(input):
    """`f(x) = tanh(x);  dx = g*(1 - tanh(x)^2)` (``tt.tanh``)"""
    return TRIG.tanh(input)


def _softmax_dim(dim, ndim, who):
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {who} has been deprecated. Change the call to "
            "include dim=X as an argument.",
            stacklevel=3,
        )
        dim = 0 if ndim in (0, 1, 3) else 1
    return one_dim(dim, ndim, who)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """f(x) = e^x / sum(e^x) along dim (the math is ``ops.softmax.softmax``)"""
    x = float_input(input, "softmax") if dtype is None else input
    return SM.softmax(x, _softmax_dim(dim, x.ndim, "softmax"), dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """f(x) = x - logsumexp(x) along dim (the math is ``ops.softmax.log_softmax``)"""
    x = float_input(input, "log_softmax") if dtype is None else input
    return SM.log_softmax(x, _softmax_dim(dim, x.ndim, "log_softmax"), dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """f(x) = softmax(-x) along dim: e^-x / sum(e^-x), weights that favour the smallest entries"""
    return softmax(-input, dim, _stacklevel, dtype)


# --- the rest of PyTorch's activations (the piecewise ones are in piecewise.py) ---------------


def relu_(input):
    """In-place ``relu``: writes max(x, 0) into ``input`` and returns it."""
    return relu(input, inplace=True)


def elu_(input, alpha=1.0):
    """In-place ``elu``: writes the result into ``input`` and returns it."""
    return elu(input, alpha, inplace=True)


def selu_(input):
    """In-place ``selu``: writes the result into ``input`` and returns it."""
    return selu(input, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu``: writes the result into ``input`` and returns it."""
    return leaky_relu(input, negative_slope, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """`f(x) = max(0, x) + min(0, alpha*(e^(x/alpha) - 1));  dx = g if x > 0 else g*e^(x/alpha)`"""
    x = float_input(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu: alpha must not be 0")
    if inplace:
        return _in_place(x, lambda t: celu(t, alpha), "celu_")
    return CELU.apply((x,), (x._data,), (x, alpha), {"alpha": alpha}, None)


def _celu_kernel(d, *, alpha):
    return np.where(d > 0, d, _scalar(alpha, d) * np.expm1(_nonpositive(d) / _scalar(alpha, d)))


def _celu_backward(g, x, alpha):
    positive = _mask(x, "gt", lo=0)  # a NaN x: the exp branch, NaN (as PyTorch's vector loop)
    return (SEL.where(positive, g, g * EL.exp(SEL.clamp(x, max=0.0) / alpha)),)


CELU = Primitive("Celu", _celu_kernel, _celu_backward)


def celu_(input, alpha=1.0):
    """In-place ``celu``: writes the result into ``input`` and returns it."""
    return celu(input, alpha, inplace=True)


def glu(input, dim=-1):
    """`f(x) = a*sigmoid(b)`, a and b the two halves of x along dim"""
    x = float_input(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    ax = one_dim(dim, x.ndim, "glu")
    if x.shape[ax] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {ax} is size {x.shape[ax]}"
        )
    a, b = x.chunk(2, ax)
    return saves(a * UN.sigmoid(b), "Glu", x)


def prelu(input, weight):
    """`f(x, w) = x if x > 0 else w*x` (`w` per channel, dim
    `1);  dx = g*(1 or w), dw = g*x (x <= 0`)"""
    x = float_input(input, "prelu")
    n = weight.numel()
    if n != 1:
        ch = 1 if x.ndim >= 2 else 0
        if x.ndim == 0 or x.shape[ch] != n:
            raise RuntimeError(
                f"prelu: weight has {n} entries but the input of shape {tuple(x.shape)} has "
                f"{x.shape[ch] if x.ndim else 1} channels; use 1 or one per channel"
            )
        shape = [1] * x.ndim
        shape[ch] = n
        w = weight.reshape(shape)
    else:
        w = weight.reshape(())
    return PRELU.apply((x, w), (x._data, w._data), (x, w))


def _prelu_kernel(d, wd):
    return np.where(d > 0, d, wd * d)


def _prelu_backward(g, x, w):
    pos = _mask(x, "gt", lo=0)
    return SEL.where(pos, g, g * w), SEL.where(pos, 0.0, g * x)


PRELU = Primitive("Prelu", _prelu_kernel, _prelu_backward)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """`f(x) = x if x >= 0 else a*x, a ~ U(lower, upper)` per element when training, else
    `a = (lower + upper)/2`;  `dx = g*(1 or a)`"""
    x = float_input(input, "rrelu")
    if not training:
        return leaky_relu(x, (lower + upper) / 2, inplace)
    if inplace:
        return _in_place(x, lambda t: rrelu(t, lower, upper, True), "rrelu_")
    out, noise = RRELU.compute((x,), (x._data,), {"lower": lower, "upper": upper})
    return RRELU.record(wrap(out), (x,), (x, wrap(noise)))


def _rrelu_kernel(d, *, lower, upper):
    """(x*noise, noise): the slopes drawn from the global generator at call time."""
    a = rng().uniform(lower, upper, d.shape).astype(d.dtype)
    noise = np.where(d >= 0, _scalar(1, d), a)
    return d * noise, noise


def _rrelu_backward(g, x, noise):
    return (g * noise,)


RRELU = Primitive("RreluWithNoise", _rrelu_kernel, _rrelu_backward, multi=True, random=True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place ``rrelu``: writes the result into ``input`` and returns it."""
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + G)/tau) with G ~ Gumbel(0, 1) from the global generator; ``hard``
    returns the one-hot of its argmax with the soft sample's gradient (straight-through)."""
    x = float_input(logits, "gumbel_softmax")
    ax = one_dim(dim, x.ndim, "gumbel_softmax")  # checked first, so the error names this op
    d = x._data
    gumbels = GUMBEL_NOISE.apply((), (), (), {"shape": d.shape, "dtype": d.dtype})
    y = softmax((x + gumbels) / tau, ax)
    if not hard:
        return y
    return ONE_HOT_MAX.apply((y,), (y._data,), (), {"dim": ax}) - y.detach() + y


def _gumbel_kernel(*, shape, dtype):
    return (-np.log(rng().exponential(1.0, shape))).astype(dtype)


def _one_hot_max_kernel(yd, *, dim):
    onehot = np.zeros_like(yd)
    np.put_along_axis(onehot, np.expand_dims(np.argmax(yd, axis=dim), dim), 1, dim)
    return onehot


GUMBEL_NOISE = Primitive("GumbelNoise", _gumbel_kernel, random=True)
ONE_HOT_MAX = Primitive("OneHotMax", _one_hot_max_kernel)  # no gradient (straight-through)


def channel_shuffle(input, groups):
    """`(N, g*k, *) -> (N, k*g, *)`: channel `i*k + j` moves to `j*g + i`"""
    n, c = input.shape[:2]
    if groups <= 0 or c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle
