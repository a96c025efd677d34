"""hardsigmoid, hardswish and leaky_relu on edge values, bit for bit as PyTorch 2.13, and the
in-place activations (``inplace=True``) keeping their own backward.

hardsigmoid: dx = g*(1/6) for -3 < x < 3, else +0.0 (a select: an inf or NaN g outside gives
0, and a -0.0 is never made). hardswish: dx = +0.0 for x <= -3, g for x >= 3, g*(x/3 + 1/2)
between (a NaN x gives NaN, as PyTorch's vectorized loop). The in-place forms (hardsigmoid,
hardswish, elu, selu, celu, silu, mish, rrelu) write through ``ops.inplace``, so their gradient
is the out-of-place one bit for bit: a -0.0 upstream gradient stays -0.0 (a ``copy_`` added
+0.0 for the overwritten values). leaky_relu (slope 0 included) gives -inf*0 = NaN as PyTorch
without a NumPy warning, and refuses the backward of its in-place form with a negative slope.
hardshrink/softshrink keep a NaN and select their gradient (+0.0 in the band, none for a NaN);
elu, selu and celu keep -0.0 and give a NaN gradient at a NaN (PyTorch's vectorized loop);
silu, gelu, hardswish and mish are quiet at -inf. NumPy oracles first, PyTorch behind the
marker (grids of 84 or more elements, mostly in PyTorch's vectorized loop)."""

import warnings

import numpy as np
import pytest
from same_bits import assert_same_bits

import tinytensor as tt
import tinytensor.nn.functional as F

NAN, INF = np.nan, np.inf


def _grid(dtype=np.float32):
    xs = np.array([-4.0, -3.0, -2.9, -0.0, 0.0, 0.5, 2.9, 3.0, 4.0, NAN, INF, -INF], dtype)
    gs = np.array([1.5, -2.5, 0.0, -0.0, INF, -INF, NAN], dtype)
    x, g = np.meshgrid(xs, gs, indexing="ij")
    return np.ascontiguousarray(np.tile(x, (1, 10))), np.ascontiguousarray(np.tile(g, (1, 10)))


def _grad(fn, x, g):
    t = tt.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning escapes
        fn(t * 1.0).backward(tt.tensor(g))  # t * 1.0: a non-leaf, so in-place forms may run
    return t.grad.numpy()


def _hardsigmoid_grad(x, g):
    with np.errstate(invalid="ignore"):
        inside = (x > -3) & (x < 3)
        return np.where(inside, g * x.dtype.type(1.0 / 6.0), x.dtype.type(0.0))


def _hardswish_grad(x, g):
    with np.errstate(invalid="ignore"):
        mid = g * (x / x.dtype.type(3.0) + x.dtype.type(0.5))
        return np.where(x <= -3, x.dtype.type(0.0), np.where(x >= 3, g, mid))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("inplace", [False, True])
def test_hardsigmoid_gradient_bits_numpy(dtype, inplace):
    x, g = _grid(dtype)
    got = _grad(lambda t: F.hardsigmoid(t, inplace=inplace), x, g)
    assert_same_bits(got, _hardsigmoid_grad(x, g))
    assert not np.signbit(got[(x <= -3) | (x >= 3)]).any()  # no -0.0 outside


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("inplace", [False, True])
def test_hardswish_gradient_bits_numpy(dtype, inplace):
    x, g = _grid(dtype)
    got = _grad(lambda t: F.hardswish(t, inplace=inplace), x, g)
    assert_same_bits(got, _hardswish_grad(x, g))
    # at the bounds themselves: 0 at -3, the whole g at 3 (not 1.5 g)
    one = np.ones(1, dtype)
    assert _grad(F.hardswish, -3 * one, -2 * one)[0] == 0.0
    assert _grad(F.hardswish, 3 * one, -2 * one)[0] == -2.0


INPLACE = {
    "hardsigmoid": lambda t, ip: F.hardsigmoid(t, inplace=ip),
    "hardswish": lambda t, ip: F.hardswish(t, inplace=ip),
    "elu": lambda t, ip: F.elu(t, inplace=ip),
    "selu": lambda t, ip: F.selu(t, inplace=ip),
    "celu": lambda t, ip: F.celu(t, 0.7, inplace=ip),
    "silu": lambda t, ip: F.silu(t, inplace=ip),
    "mish": lambda t, ip: F.mish(t, inplace=ip),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_gradient_is_the_out_of_place_one_numpy(name):
    x = np.array([-4.0, -2.0, -0.5, -0.0, 0.0, 0.5, 2.0, 4.0] * 4, np.float32)
    g = np.array([-0.0] * 8 + [-1.5] * 8 + [2.0] * 8 + [0.0] * 8, np.float32)
    fn = INPLACE[name]
    out = _grad(lambda t: fn(t, False), x, g)
    got = _grad(lambda t: fn(t, True), x, g)
    if name in ("elu", "selu"):  # elu_ reads its result: g*(y + alpha), not g*alpha*e^x
        np.testing.assert_allclose(got, out, rtol=1e-5)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(out))
    else:
        assert_same_bits(got, out)
    # A -0.0 upstream gradient where the activation passes it through stays -0.0.
    passed = (g == 0) & np.signbit(g) & (x > 0) & (x < 2.5)
    assert np.signbit(got[passed]).all()


def test_rrelu_training_inplace_keeps_negative_zero_numpy():
    tt.manual_seed(0)
    x = tt.tensor([0.5, 2.0, -1.0], requires_grad=True)
    F.rrelu(x * 1.0, training=True, inplace=True).backward(tt.tensor([-0.0, -0.0, -0.0]))
    assert np.signbit(x.grad.numpy()).all()


@pytest.mark.torch
@pytest.mark.parametrize("name", ["hardsigmoid", "hardswish"])
@pytest.mark.parametrize("inplace", [False, True])
def test_hard_gradient_bits_match_torch(name, inplace):
    torch = pytest.importorskip("torch")
    x, g = _grid()
    tx = torch.tensor(x, requires_grad=True)
    getattr(torch.nn.functional, name)(tx * 1.0, inplace=inplace).backward(torch.tensor(g))
    got = _grad(lambda t: INPLACE[name](t, inplace), x, g)
    assert_same_bits(got, tx.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_negative_zero_matches_torch(name):
    torch = pytest.importorskip("torch")
    tf = {
        "hardsigmoid": lambda t: torch.nn.functional.hardsigmoid(t, inplace=True),
        "hardswish": lambda t: torch.nn.functional.hardswish(t, inplace=True),
        "elu": lambda t: torch.nn.functional.elu(t, inplace=True),
        "selu": lambda t: torch.nn.functional.selu(t, inplace=True),
        "celu": lambda t: torch.nn.functional.celu(t, 0.7, inplace=True),
        "silu": lambda t: torch.nn.functional.silu(t, inplace=True),
        "mish": lambda t: torch.nn.functional.mish(t, inplace=True),
    }[name]
    x = np.array([0.5, 1.0, 2.0, 4.0] * 40, np.float32)
    g = np.full(x.shape, -0.0, np.float32)
    tx = torch.tensor(x, requires_grad=True)
    tf(tx * 1.0).backward(torch.tensor(g))
    got = _grad(lambda t: INPLACE[name](t, True), x, g)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(tx.grad.numpy()))
    np.testing.assert_array_equal(got, tx.grad.numpy())


LEAKY_X = np.array([-INF, INF, NAN, -1.0, -0.0, 0.0, 2.0] * 20, np.float32)
LEAKY_G = np.array([INF, -INF, NAN, INF, -0.0, 1.0, -0.0] * 20, np.float32)


def _leaky_oracle(x, g, slope):
    with np.errstate(invalid="ignore"):
        s = np.where(x > 0, np.float32(1.0), np.float32(slope))
        return x * s, g * s


@pytest.mark.parametrize("slope", [0.0, 0.01])
@pytest.mark.parametrize("inplace", [False, True])
def test_leaky_relu_is_quiet_on_inf_and_nan_numpy(slope, inplace):
    want_y, want_g = _leaky_oracle(LEAKY_X, LEAKY_G, slope)
    t = tt.tensor(LEAKY_X, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would fail here
        y = F.leaky_relu(t * 1.0, slope, inplace=inplace)
        y.backward(tt.tensor(LEAKY_G))
        module_y = tt.nn.LeakyReLU(slope)(tt.tensor(LEAKY_X))
    assert_same_bits(y.detach().numpy(), want_y)
    assert_same_bits(module_y.numpy(), want_y)
    assert_same_bits(t.grad.numpy(), want_g)


def test_leaky_relu_inplace_negative_slope_backward_refused_numpy():
    x = tt.tensor([-1.0, 2.0], requires_grad=True)
    y = F.leaky_relu(x * 1.0, -0.5, inplace=True)
    np.testing.assert_array_equal(y.detach().numpy(), [0.5, 2.0])
    with pytest.raises(RuntimeError, match="negative slope"):
        y.sum().backward()
    plain = tt.tensor([-1.0, 2.0])
    F.leaky_relu(plain, -0.5, inplace=True)  # no graph: allowed, as in PyTorch
    np.testing.assert_array_equal(plain.numpy(), [0.5, 2.0])


@pytest.mark.torch
@pytest.mark.parametrize("slope", [0.0, 0.01])
@pytest.mark.parametrize("inplace", [False, True])
def test_leaky_relu_edges_match_torch(slope, inplace):
    torch = pytest.importorskip("torch")
    tx = torch.tensor(LEAKY_X, requires_grad=True)
    ty = torch.nn.functional.leaky_relu(tx * 1.0, slope, inplace=inplace)
    ty.backward(torch.tensor(LEAKY_G))
    t = tt.tensor(LEAKY_X, requires_grad=True)
    y = F.leaky_relu(t * 1.0, slope, inplace=inplace)
    y.backward(tt.tensor(LEAKY_G))
    assert_same_bits(y.detach().numpy(), ty.detach().numpy())
    assert_same_bits(t.grad.numpy(), tx.grad.numpy())
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.nn.functional.leaky_relu(x * 1.0, -0.5, inplace=True).sum().backward()


SHRINK_X = np.array([-0.7, -0.5, -0.2, -0.0, 0.0, 0.2, 0.5, 0.7, NAN, INF, -INF] * 12, np.float32)


@pytest.mark.parametrize("name", ["hardshrink", "softshrink"])
def test_shrink_keeps_nan_and_selects_its_gradient_numpy(name):
    x, lam = SHRINK_X, np.float32(0.5)
    band = np.abs(x) <= lam
    with np.errstate(invalid="ignore"):
        shifted = x if name == "hardshrink" else x - np.sign(x) * lam
        want_y = np.where(band, np.float32(0.0), shifted)
    g = np.tile(np.array([INF, -2.0, NAN, -0.0], np.float32), x.size // 4)
    want_g = np.where(np.abs(x) > lam, g, np.float32(0.0))  # NaN x: no gradient
    t = tt.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(F, name)(t * 1.0, 0.5)
        y.backward(tt.tensor(g))
    assert_same_bits(y.detach().numpy(), want_y)
    assert_same_bits(t.grad.numpy(), want_g)


ELU_X = np.array([-30.0, -1.0, -0.0, 0.0, 1.0, NAN, INF, -INF] * 20, np.float32)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "elu_"])
def test_elu_family_signed_zero_and_nan_numpy(name):
    fn = {
        "elu": F.elu,
        "selu": F.selu,
        "celu": lambda t: F.celu(t, 0.7),
        "elu_": lambda t: F.elu(t, inplace=True),
    }[name]
    t = tt.tensor(ELU_X, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(t * 1.0)
        y.backward(tt.ones(ELU_X.shape))
    y = y.detach().numpy()
    zero = ELU_X == 0
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(ELU_X[zero]))  # -0.0 stays
    assert np.isnan(y[np.isnan(ELU_X)]).all()
    assert np.isnan(t.grad.numpy()[np.isnan(ELU_X)]).all()  # PyTorch's vectorized loop: NaN
    assert (t.grad.numpy()[ELU_X > 0] > 0).all()


@pytest.mark.parametrize("name", ["silu", "gelu", "hardswish", "mish"])
def test_activations_at_minus_infinity_are_quiet_numpy(name):
    x = tt.tensor(np.array([-INF, -1.0, 0.0, INF], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(F, name)(x)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["hardshrink", "softshrink", "elu", "selu", "celu"])
def test_shrink_and_elu_edges_match_torch(name):
    torch = pytest.importorskip("torch")
    # 2048 elements: all in PyTorch's vectorized loop (its scalar tail treats a NaN otherwise)
    x = np.resize(SHRINK_X if "shrink" in name else ELU_X, 2048)
    g = np.resize(np.array([INF, -2.0, NAN, -0.0], np.float32), 2048)
    tx = torch.tensor(x, requires_grad=True)
    getattr(torch.nn.functional, name)(tx * 1.0).backward(torch.tensor(g))
    t = tt.tensor(x, requires_grad=True)
    y = getattr(F, name)(t * 1.0)
    y.backward(tt.tensor(g))
    want_y = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(np.isnan(y.detach().numpy()), np.isnan(want_y))
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-6)
    zero = want_y == 0
    np.testing.assert_array_equal(np.signbit(y.detach().numpy()[zero]), np.signbit(want_y[zero]))
    got_g, want_g = t.grad.numpy(), tx.grad.numpy()
    np.testing.assert_array_equal(np.isnan(got_g), np.isnan(want_g))
    np.testing.assert_allclose(got_g, want_g, rtol=1e-5)
