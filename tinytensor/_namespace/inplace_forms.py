"""The top-level in-place forms (``torch.abs_(x)``, ``torch.clamp_min_(x, 0)``...): each calls
the Tensor method of the same name, so validation, version counters and view histories are the
method's (tinytensor.ops.inplace). Only the check that ``input`` is a tensor is added here."""

from __future__ import annotations

from tinytensor._namespace.conventions import check_tensor


def abs_(input):  # noqa: A002
    """In place: ``input.abs_()``."""
    return check_tensor(input, "abs_").abs_()


def acos_(input):  # noqa: A002
    """In place: ``input.acos_()``."""
    return check_tensor(input, "acos_").acos_()


def acosh_(input):  # noqa: A002
    """In place: ``input.acosh_()``."""
    return check_tensor(input, "acosh_").acosh_()


def arccos_(input):  # noqa: A002
    """In place: ``input.arccos_()``."""
    return check_tensor(input, "arccos_").arccos_()


def arccosh_(input):  # noqa: A002
    """In place: ``input.arccosh_()``."""
    return check_tensor(input, "arccosh_").arccosh_()


def arcsin_(input):  # noqa: A002
    """In place: ``input.arcsin_()``."""
    return check_tensor(input, "arcsin_").arcsin_()


def arcsinh_(input):  # noqa: A002
    """In place: ``input.arcsinh_()``."""
    return check_tensor(input, "arcsinh_").arcsinh_()


def arctan_(input):  # noqa: A002
    """In place: ``input.arctan_()``."""
    return check_tensor(input, "arctan_").arctan_()


def arctanh_(input):  # noqa: A002
    """In place: ``input.arctanh_()``."""
    return check_tensor(input, "arctanh_").arctanh_()


def asin_(input):  # noqa: A002
    """In place: ``input.asin_()``."""
    return check_tensor(input, "asin_").asin_()


def asinh_(input):  # noqa: A002
    """In place: ``input.asinh_()``."""
    return check_tensor(input, "asinh_").asinh_()


def atan_(input):  # noqa: A002
    """In place: ``input.atan_()``."""
    return check_tensor(input, "atan_").atan_()


def atanh_(input):  # noqa: A002
    """In place: ``input.atanh_()``."""
    return check_tensor(input, "atanh_").atanh_()


def ceil_(input):  # noqa: A002
    """In place: ``input.ceil_()``."""
    return check_tensor(input, "ceil_").ceil_()


def cos_(input):  # noqa: A002
    """In place: ``input.cos_()``."""
    return check_tensor(input, "cos_").cos_()


def cosh_(input):  # noqa: A002
    """In place: ``input.cosh_()``."""
    return check_tensor(input, "cosh_").cosh_()


def deg2rad_(input):  # noqa: A002
    """In place: ``input.deg2rad_()``."""
    return check_tensor(input, "deg2rad_").deg2rad_()


def erf_(input):  # noqa: A002
    """In place: ``input.erf_()``."""
    return check_tensor(input, "erf_").erf_()


def erfc_(input):  # noqa: A002
    """In place: ``input.erfc_()``."""
    return check_tensor(input, "erfc_").erfc_()


def exp2_(input):  # noqa: A002
    """In place: ``input.exp2_()``."""
    return check_tensor(input, "exp2_").exp2_()


def exp_(input):  # noqa: A002
    """In place: ``input.exp_()``."""
    return check_tensor(input, "exp_").exp_()


def expm1_(input):  # noqa: A002
    """In place: ``input.expm1_()``."""
    return check_tensor(input, "expm1_").expm1_()


def fix_(input):  # noqa: A002
    """In place: ``input.fix_()``."""
    return check_tensor(input, "fix_").fix_()


def floor_(input):  # noqa: A002
    """In place: ``input.floor_()``."""
    return check_tensor(input, "floor_").floor_()


def frac_(input):  # noqa: A002
    """In place: ``input.frac_()``."""
    return check_tensor(input, "frac_").frac_()


def i0_(input):  # noqa: A002
    """In place: ``input.i0_()``."""
    return check_tensor(input, "i0_").i0_()


def log10_(input):  # noqa: A002
    """In place: ``input.log10_()``."""
    return check_tensor(input, "log10_").log10_()


def log1p_(input):  # noqa: A002
    """In place: ``input.log1p_()``."""
    return check_tensor(input, "log1p_").log1p_()


def log2_(input):  # noqa: A002
    """In place: ``input.log2_()``."""
    return check_tensor(input, "log2_").log2_()


def log_(input):  # noqa: A002
    """In place: ``input.log_()``."""
    return check_tensor(input, "log_").log_()


def neg_(input):  # noqa: A002
    """In place: ``input.neg_()``."""
    return check_tensor(input, "neg_").neg_()


def negative_(input):  # noqa: A002
    """In place: ``input.negative_()``."""
    return check_tensor(input, "negative_").negative_()


def rad2deg_(input):  # noqa: A002
    """In place: ``input.rad2deg_()``."""
    return check_tensor(input, "rad2deg_").rad2deg_()


def reciprocal_(input):  # noqa: A002
    """In place: ``input.reciprocal_()``."""
    return check_tensor(input, "reciprocal_").reciprocal_()


def relu_(input):  # noqa: A002
    """In place: ``input.relu_()``."""
    return check_tensor(input, "relu_").relu_()


def rsqrt_(input):  # noqa: A002
    """In place: ``input.rsqrt_()``."""
    return check_tensor(input, "rsqrt_").rsqrt_()


def sigmoid_(input):  # noqa: A002
    """In place: ``input.sigmoid_()``."""
    return check_tensor(input, "sigmoid_").sigmoid_()


def sin_(input):  # noqa: A002
    """In place: ``input.sin_()``."""
    return check_tensor(input, "sin_").sin_()


def sinc_(input):  # noqa: A002
    """In place: ``input.sinc_()``."""
    return check_tensor(input, "sinc_").sinc_()


def sinh_(input):  # noqa: A002
    """In place: ``input.sinh_()``."""
    return check_tensor(input, "sinh_").sinh_()


def sqrt_(input):  # noqa: A002
    """In place: ``input.sqrt_()``."""
    return check_tensor(input, "sqrt_").sqrt_()


def square_(input):  # noqa: A002
    """In place: ``input.square_()``."""
    return check_tensor(input, "square_").square_()


def tan_(input):  # noqa: A002
    """In place: ``input.tan_()``."""
    return check_tensor(input, "tan_").tan_()


def tanh_(input):  # noqa: A002
    """In place: ``input.tanh_()``."""
    return check_tensor(input, "tanh_").tanh_()


def trunc_(input):  # noqa: A002
    """In place: ``input.trunc_()``."""
    return check_tensor(input, "trunc_").trunc_()


def ldexp_(input, other):  # noqa: A002
    """In place: ``input.ldexp_(other)``."""
    return check_tensor(input, "ldexp_").ldexp_(other)


def xlogy_(input, other):  # noqa: A002
    """In place: ``input.xlogy_(other)``."""
    return check_tensor(input, "xlogy_").xlogy_(other)


def clamp_max_(input, max):  # noqa: A002
    """In place: ``input.clamp_max_(max)``."""
    return check_tensor(input, "clamp_max_").clamp_max_(max)


def clamp_min_(input, min):  # noqa: A002
    """In place: ``input.clamp_min_(min)``."""
    return check_tensor(input, "clamp_min_").clamp_min_(min)


def logit_(input, eps=None):  # noqa: A002
    """In place: ``input.logit_(eps)``."""
    return check_tensor(input, "logit_").logit_(eps)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002
    """In place: ``input.nan_to_num_(nan, posinf, neginf)``."""
    return check_tensor(input, "nan_to_num_").nan_to_num_(nan, posinf, neginf)


def round_(input, *, decimals=0):  # noqa: A002
    """In place: ``input.round_(decimals=decimals)``."""
    return check_tensor(input, "round_").round_(decimals=decimals)


def gcd_(input, other):  # noqa: A002
    """In place: ``input.gcd_(other)``."""
    return check_tensor(input, "gcd_").gcd_(other)


def lcm_(input, other):  # noqa: A002
    """In place: ``input.lcm_(other)``."""
    return check_tensor(input, "lcm_").lcm_(other)


def addmv_(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    """In place: ``input.addmv_(mat, vec, beta=beta, alpha=alpha)``."""
    return check_tensor(input, "addmv_").addmv_(mat, vec, beta=beta, alpha=alpha)


__all__ = [
    "abs_",
    "acos_",
    "acosh_",
    "addmv_",
    "arccos_",
    "arccosh_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "clamp_max_",
    "clamp_min_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fix_",
    "floor_",
    "frac_",
    "gcd_",
    "i0_",
    "lcm_",
    "ldexp_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "xlogy_",
]
