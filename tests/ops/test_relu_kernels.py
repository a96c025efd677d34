"""relu's gradient kernels: the one-comparison mask and the select on g's bits (an integer
multiply of g's bit pattern by the mask) give exactly PyTorch's select
(``where(not out <= 0, g, 0)``) bit for bit: a zeroed unit gets +0.0 whatever g holds there
(-0.0, a negative number, inf, NaN), a passed unit g's own bits, on every shape and layout and
on the edge cases."""

import warnings

import numpy as np
import pytest
from same_bits import assert_same_bits

import tinytensor as tt
from tinytensor.ops.unary import _relu_backward_into, _relu_backward_kernel
from tinytensor.testing import gradcheck, gradgradcheck

NAN, INF = np.nan, np.inf


def _reference(x, g):
    """relu's input gradient by PyTorch's rule: g where not relu(x) <= 0, else 0."""
    out = np.maximum(x, 0)
    return np.where(~(out <= 0), g, np.zeros((), g.dtype))


def _grad(x, g):
    xt = tt.tensor(x, requires_grad=True)
    tt.relu(xt).backward(tt.tensor(g))
    return xt.grad.numpy()


def _specials(dtype):
    """Inputs and gradients holding every edge value, each gradient value beside every input."""
    xs = np.array([-2.0, -0.0, 0.0, 3.0, NAN, -NAN, -INF, INF], dtype)
    gs = np.array([1.5, -2.5, 0.0, -0.0, INF, -INF, NAN], dtype)
    x, g = np.meshgrid(xs, gs, indexing="ij")
    return np.ascontiguousarray(x), np.ascontiguousarray(g)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_gradient_of_every_edge_value_pair_equals_the_where_rule(dtype):
    x, g = _specials(dtype)
    got = _grad(x, g)
    want = _reference(x, g)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert_same_bits(got, want)
    # inf or NaN gradients of inactive units give 0 (inf*0 would be NaN)
    assert np.isfinite(got[:3]).all()
    assert np.isnan(got[4:6, -1]).all()  # a NaN input passes the gradient on


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [INF, -INF, NAN])
@pytest.mark.parametrize("at", [0, 1, 4095, 4096])
def test_one_nonfinite_gradient_among_many_is_blocked_by_an_inactive_unit(dtype, bad, at):
    rng = np.random.default_rng(at)
    x = rng.standard_normal(4097).astype(dtype)
    g = rng.standard_normal(4097).astype(dtype)
    x[at], g[at] = -1.0, bad
    got = _grad(x, g)
    assert got[at] == 0
    np.testing.assert_array_equal(got, _reference(x, g))


@pytest.mark.parametrize("dtype, big", [(np.float32, 3e19), (np.float64, 1e160)])
def test_large_finite_gradients_pass_without_a_floating_point_signal(dtype, big):
    # The select is an integer multiply of g's bits: nothing overflows, nothing is signalled,
    # even with NumPy set to raise or warnings made errors.
    x = np.array([[1.0, -1.0], [2.0, 0.0]], dtype)
    g = np.array([[big, -big], [-big, big]], dtype)
    want = np.array([[big, 0], [-big, 0]], dtype)
    with np.errstate(all="raise"):
        got = _grad(x, g)
    assert_same_bits(got, want)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_bits(_grad(x, g), want)
        g[1, 1], g[0, 1] = np.inf, np.nan  # non-finite gradients at zeroed units
        assert_same_bits(_grad(x, g), want)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "transposed", "0-d"])
def test_the_bit_select_is_where_bit_for_bit_in_every_layout(dtype, layout):
    rng = np.random.default_rng(7)
    edges = np.array([-0.0, 0.0, -1.5, 2.5, INF, -INF, NAN, 1e-45], dtype)
    g = rng.choice(edges, (6, 10)).astype(dtype)
    keep = rng.random((6, 10)) < 0.5
    g, keep = {
        "contiguous": (g, keep),
        "strided": (g[:, ::3], keep[:, ::3]),
        "transposed": (g.T, keep.T),
        "0-d": (g[0, 0].reshape(()), keep[0, 0].reshape(())),
    }[layout]
    want = np.where(keep, g, np.zeros((), dtype))
    got = _relu_backward_kernel(g, keep)
    assert got.dtype == g.dtype and got.shape == g.shape
    assert_same_bits(got, want)
    out = np.full(g.shape, 7.0, dtype)  # a compiled replay's buffer, stale values inside
    assert _relu_backward_into(out, g, keep) is out
    assert_same_bits(out, want)
    assert not np.signbit(got[~keep]).any()  # +0.0 at every zeroed unit


def test_relu_gradient_arriving_permuted_takes_the_elementwise_test():
    # relu(x).permute(...): the gradient reaching relu is a permuted (non-contiguous) view.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 6))
    g = rng.standard_normal((6, 4, 5))
    x[0, 0, 1], g[1, 0, 0] = -1.0, INF
    x[2, 3, 4], g[4, 2, 3] = -2.0, NAN
    xt = tt.tensor(x, requires_grad=True)
    tt.relu(xt).permute(2, 0, 1).backward(tt.tensor(g))
    want = _reference(x, g.transpose(1, 2, 0))
    np.testing.assert_array_equal(xt.grad.numpy(), want)
    assert want[0, 0, 1] == 0 and want[2, 3, 4] == 0


@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 0), (2, 3), (2, 3, 4, 5)])
def test_relu_values_and_gradients_for_each_rank_and_zero_size(shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    xt = tt.tensor(x, requires_grad=True)
    y = tt.relu(xt)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(x, 0))
    y.backward(tt.tensor(g))
    np.testing.assert_array_equal(xt.grad.numpy(), _reference(x, g))
    assert xt.grad.shape == shape


@pytest.mark.parametrize("dtype", [tt.int32, tt.int64, tt.uint8])
def test_relu_of_integers_keeps_the_dtype(dtype):
    x = tt.tensor([-3, 0, 5], dtype=dtype) if dtype != tt.uint8 else tt.tensor([0, 7], dtype=dtype)
    y = tt.relu(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), np.maximum(x.numpy(), 0))


def test_relu_mask_keeps_nan_outputs_and_drops_signed_zeros():
    x = tt.tensor(np.array([NAN, -NAN, -0.0, 0.0, 1e-45, -1e-45], np.float32), requires_grad=True)
    tt.relu(x).backward(tt.ones(6, dtype=tt.float32))
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 0, 0, 1, 0])


def test_relu_first_and_second_derivatives_in_float64():
    x = tt.tensor(np.random.default_rng(1).uniform(-2, 2, (4, 5)), requires_grad=True)
    assert gradcheck(tt.relu, (x,))
    assert gradgradcheck(tt.relu, (x,))
    (g,) = tt.autograd.grad(tt.relu(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), (x.detach().numpy() > 0) * 1.0)


RELUS = {
    "relu": tt.relu,
    "F.relu": tt.nn.functional.relu,
    "Tensor.relu": lambda t: t.relu(),
    "F.relu_": lambda t: tt.nn.functional.relu_(t.clone()),
    "relu_inplace": lambda t: tt.nn.functional.relu(t.clone(), inplace=True),
    "ReLU_inplace": lambda t: tt.nn.ReLU(inplace=True)(t.clone()),
    "relu6": tt.nn.functional.relu6,
}


def _sign_and_value(a):
    a = np.asarray(a)
    return np.signbit(a), np.where(np.isnan(a), 0, a), np.isnan(a)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8,), (3, 700)])  # cached zeros of the shape, and not
@pytest.mark.parametrize("name", list(RELUS))
def test_relu_keeps_the_sign_of_a_negative_zero(name, shape, dtype):
    # PyTorch's relu is max(x, 0) returning x where they are equal: relu(-0.0) is -0.0
    x = np.random.default_rng(2).choice([-0.0, 0.0, -1.5, 2.0, NAN, INF, -INF], shape)
    x = x.astype(dtype)
    want = np.where(x < 0, np.zeros((), dtype), x)
    if name == "relu6":
        want = np.where(want > 6, dtype(6), want)
    got = RELUS[name](tt.tensor(x)).numpy()
    for a, b in zip(_sign_and_value(got), _sign_and_value(want)):
        np.testing.assert_array_equal(a, b)
    assert np.signbit(got[x == 0]).tolist() == np.signbit(x[x == 0]).tolist()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_the_probed_argument_order_of_relus_maximum_keeps_negative_zero(dtype):
    from tinytensor.ops.unary import _relu_order

    x, z = np.full(70, -0.0, dtype), np.zeros(70, dtype)
    first, second = np.signbit(np.maximum(z, x)).all(), np.signbit(np.maximum(x, z)).all()
    want = "zeros first" if first else "zeros second" if second else "select"
    assert _relu_order(np.dtype(dtype)) == want


@pytest.mark.parametrize("order", ["zeros first", "zeros second", "select"])
def test_relu_takes_the_order_it_was_told(order, monkeypatch):
    from tinytensor.ops import unary

    x = np.array([-0.0, 0.0, -1.0, 3.0, NAN, -INF], np.float32)
    z = np.zeros(6, np.float32)
    f32 = np.dtype(np.float32)
    monkeypatch.setattr(unary, "_ZEROS_FIRST", {f32} if order == "zeros first" else set())
    monkeypatch.setattr(unary, "_ZEROS_SECOND", {f32} if order == "zeros second" else set())
    got = tt.relu(tt.tensor(x)).numpy()
    want = {
        "zeros first": np.maximum(z, x),
        "zeros second": np.maximum(x, z),
        "select": np.where(x < 0, z, x),
    }[order]
    for a, b in zip(_sign_and_value(got), _sign_and_value(want)):
        np.testing.assert_array_equal(a, b)
    assert np.signbit(got[0]) == np.signbit(want[0])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(RELUS))
def test_relu_signs_of_zero_match_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    theirs = {
        "relu": torch.relu,
        "F.relu": torch.nn.functional.relu,
        "Tensor.relu": lambda t: t.relu(),
        "F.relu_": lambda t: torch.nn.functional.relu_(t.clone()),
        "relu_inplace": lambda t: torch.nn.functional.relu(t.clone(), inplace=True),
        "ReLU_inplace": lambda t: torch.nn.ReLU(inplace=True)(t.clone()),
        "relu6": torch.nn.functional.relu6,
    }[name]
    x = np.random.default_rng(3).choice([-0.0, 0.0, -1.5, 2.0, NAN, INF, -INF], (4, 37))
    x = x.astype(dtype)
    got = RELUS[name](tt.tensor(x)).numpy()
    want = theirs(torch.tensor(x)).numpy()
    for a, b in zip(_sign_and_value(got), _sign_and_value(want)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_values_and_gradients_of_edge_values_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    x, g = _specials(dtype)
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(g))
    assert_same_bits(_grad(x, g), xt.grad.numpy())  # +0.0 at zeroed units under g < 0
    np.testing.assert_array_equal(tt.relu(tt.tensor(x)).numpy(), torch.relu(torch.tensor(x)))
    rng = np.random.default_rng(5)
    x, g = rng.standard_normal((2, 3, 33)).astype(dtype), rng.standard_normal((2, 3, 33))
    g = g.astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(g))
    assert_same_bits(_grad(x, g), xt.grad.numpy())
