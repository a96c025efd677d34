"""What the pointwise families (compare, selection, binary, unary, explog, trig, special) share:
gradients at kinks and zeros across them, the in-place forms of Tensor's pointwise mixins
(tensor_methods/pointwise*.py), and errors and edge values, each against PyTorch or NumPy."""

import numpy as np
import pytest

import tinytensor as tt


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


# --- in-place forms ------------------------------------------------------------------------------

O = ("o",)  # stands for the second operand
INPLACE = [
    *[(n, ()) for n in (
        "abs_ absolute_ sqrt_ rsqrt_ log_ log1p_ log2_ log10_ exp2_ expm1_ sin_ cos_ tan_ asin_ "
        "acos_ atan_ arcsin_ arccos_ arctan_ sinh_ cosh_ tanh_ asinh_ atanh_ arcsinh_ arctanh_ "
        "sigmoid_ sign_ sgn_ floor_ ceil_ round_ trunc_ fix_ frac_ reciprocal_ square_ erf_ erfc_ "
        "erfinv_ lgamma_ digamma_ i0_ sinc_ logit_ deg2rad_ rad2deg_ nan_to_num_ negative_"
    ).split()],
    ("acosh_", "shift"), ("arccosh_", "shift"), ("polygamma_", (1,)), ("mvlgamma_", (1,)),
    ("clamp_min_", (0.5,)), ("clamp_max_", (0.5,)), ("lerp_", ("o", 0.3)),
    ("addcmul_", ("o", "o"), {"value": 2.0}), ("addcdiv_", ("o", "o"), {"value": 2.0}),
    *[(n, O) for n in (
        "atan2_ arctan2_ xlogy_ fmod_ remainder_ copysign_ hypot_ ldexp_ true_divide_ "
        "multiply_ subtract_ divide_ float_power_ clamp_min_ clamp_max_"
    ).split()],
]  # fmt: skip
NO_GRAD_INPLACE = [
    (n, O)
    for n in (
        "floor_divide_ nextafter_ heaviside_ eq_ ne_ lt_ le_ gt_ ge_ greater_ greater_equal_ "
        "less_ less_equal_ not_equal_ logical_and_ logical_or_ logical_xor_"
    ).split()
] + [("logical_not_", ())]


def _run_inplace(lib, name, spec, grad):
    """x = leaf*1 (values in (0.2, 0.8)), x.<name>(*args); returns (x values, leaf gradient)."""
    args, kwargs = spec[1], spec[2] if len(spec) > 2 else {}
    base = np.array([0.25, 0.4, 0.55, 0.7])
    if args == "shift":
        base, args = base + 1.0, ()
    leaf = lib.tensor(base, dtype=lib.float64, requires_grad=grad)
    other = lib.tensor([0.3, 0.6, 0.45, 0.35], dtype=lib.float64)
    x = leaf * 1.0
    out = getattr(x, name)(*[other if a == "o" else a for a in args], **kwargs)
    if not name.endswith("_"):
        x = out
    else:
        assert out is x
    if not grad:
        return x.detach().numpy().copy(), None
    x.sum().backward()
    return x.detach().numpy().copy(), leaf.grad.numpy().copy()


@pytest.mark.parametrize("spec", INPLACE + NO_GRAD_INPLACE, ids=lambda s: s[0])
def test_inplace_equals_out_of_place_and_bumps_version(spec):
    name = spec[0]
    x = tt.tensor([0.25, 0.4, 0.55, 0.7], dtype=tt.float64)
    if spec[1] == "shift":
        x = x + 1.0
    before, version = x.clone(), x._version
    values, _ = _run_inplace(tt, name, spec, grad=False)
    args = [tt.tensor([0.3, 0.6, 0.45, 0.35], dtype=tt.float64) if a == "o" else a
            for a in (() if spec[1] == "shift" else spec[1])]  # fmt: skip
    expected = getattr(before, name[:-1])(*args, **(spec[2] if len(spec) > 2 else {}))
    np.testing.assert_allclose(values, expected.double().numpy())
    getattr(x, name)(*args, **(spec[2] if len(spec) > 2 else {}))
    assert x._version == version + 1


@pytest.mark.torch
@pytest.mark.parametrize("spec", INPLACE, ids=lambda s: s[0])
def test_inplace_values_and_gradients_match_torch(spec):
    torch = pytest.importorskip("torch")
    ours = _run_inplace(tt, spec[0], spec, grad=True)
    theirs = _run_inplace(torch, TORCH_SPELLING.get(spec[0], spec[0]), spec, grad=True)
    # 1e-8: torch's trigamma (polygamma(1), digamma's gradient) is accurate to about 1e-9
    # only; ours agrees with SciPy to 1e-15 (tests/test_special.py).
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-8)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-8, atol=1e-12)


#: torch has no derivative for in-place asinh_/atanh_/acosh_ (NotImplementedError), so the
#: out-of-place form is the oracle; torch.sgn's gradient is a ZeroTensor, so sign_ is.
TORCH_SPELLING = {
    "asinh_": "asinh", "arcsinh_": "asinh", "atanh_": "atanh", "arctanh_": "atanh",
    "acosh_": "acosh", "arccosh_": "acosh", "sgn_": "sign_",
}  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("spec", NO_GRAD_INPLACE, ids=lambda s: s[0])
def test_inplace_without_gradient_matches_torch(spec):
    torch = pytest.importorskip("torch")
    ours = _run_inplace(tt, spec[0], spec, grad=False)[0]
    np.testing.assert_array_equal(ours, _run_inplace(torch, spec[0], spec, grad=False)[0])


def test_inplace_bitwise_on_integers():
    x = tt.tensor([5, 6, 7])
    x.bitwise_and_(3).bitwise_or_(8).bitwise_xor_(1).bitwise_left_shift_(1)
    expected = [(((v & 3) | 8) ^ 1) << 1 for v in (5, 6, 7)]
    assert x.tolist() == expected
    x.bitwise_right_shift_(1).bitwise_not_()
    assert x.tolist() == [~(v >> 1) for v in expected]


def test_float_power_inplace_needs_float64():
    x = tt.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="float_power_.*float64"):
        x.float_power_(2)
    assert x.tolist() == [1.0, 2.0]


# --- errors and edge values ----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_errors_name_the_op_and_change_nothing():
    with pytest.raises(NotImplementedError, match="frac"):
        tt.frac(tt.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="addcdiv: integer division"):
        tt.addcdiv(tt.tensor([1]), tt.tensor([1]), tt.tensor([2]))
    with pytest.raises(RuntimeError, match="fmod: integer division by zero"):
        tt.fmod(tt.tensor([1, 2]), 0)
    with pytest.raises(RuntimeError, match="heaviside: .* same dtype"):
        tt.heaviside(tt.tensor([1.0]), tt.tensor([1]))
    with pytest.raises(RuntimeError, match="polygamma: n must be"):
        tt.polygamma(-1, tt.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"atan2: shapes \(2,\) and \(3,\)"):
        tt.atan2(tt.ones(2), tt.ones(3))
    x = tt.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="hypot_"):
        x.hypot_(tt.ones(2, 2))  # the result would have another shape
    assert x.tolist() == [1.0, 2.0] and x._version == 0


def test_edge_values_follow_torch():
    inf, nan = float("inf"), float("nan")
    out = tt.nan_to_num(tt.tensor([nan, inf, -inf, 1.0]), posinf=5.0).tolist()
    assert out[0] == 0.0 and out[1] == 5.0 and out[2] == np.finfo(np.float32).min
    assert tt.logaddexp(tt.tensor([-inf, inf]), tt.tensor([-inf, inf])).tolist() == [-inf, inf]
    xl = tt.xlogy(tt.tensor([0.0, 0.0, 1.0]), tt.tensor([0.0, nan, 0.0])).tolist()
    assert xl[0] == 0.0 and np.isnan(xl[1]) and xl[2] == -inf
    assert tt.lerp(tt.tensor([1.0]), tt.tensor([2.0]), 1.0).tolist() == [2.0]  # exact at w = 1
    assert tt.positive(x := tt.tensor([1.0])) is x
    assert tt.sinc(tt.tensor([0.0])).tolist() == [1.0]
    assert tt.signbit(tt.tensor([-0.0, 0.0])).tolist() == [True, False]
    assert tt.tan(tt.tensor([1])).dtype is tt.float32  # integers become the default float
    assert tt.float_power(tt.tensor([2]), 2).dtype is tt.float64
    assert tt.clamp_min(tt.tensor([1, 2]), 1.5).tolist() == [1.5, 2.0]
    assert tt.fmod(tt.tensor([5, -5]), 3).tolist() == [2, -2]
