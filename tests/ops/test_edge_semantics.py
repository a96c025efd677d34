"""Edge cases where tinytensor differed from PyTorch (issue #21, "Also hit"): the gradient of a
power at a zero base, cummax/cummin of a 0-d tensor, nonzero of a 0-d tensor, Python ints
outside an integer dtype's range, scatter(..., reduce=), linspace/logspace with dtype=bool.
Each rule has a NumPy-only test (the numbers written out) and one against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt

INF, NAN = math.inf, math.nan
EXPONENTS = [-1.0, 0.0, 0.5, 2.0, NAN, -0.5]


def _grads(fn, *values):
    xs = [tt.tensor(v, dtype=tt.float64, requires_grad=True) for v in values]
    fn(tt, *xs).sum().backward()
    return [x.grad.numpy() for x in xs]


# --- pow at a zero base -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base",
    [
        lambda lib, x: lib.tensor(0.0, dtype=x.dtype) ** x,
        lambda lib, x: 0**x,
        lambda lib, x: 0.0**x,
    ],
    ids=["tensor_zero", "int_zero", "float_zero"],
)
def test_gradient_of_zero_to_the_x(base):
    # d(0^x)/dx: 0 where x >= 0, -inf where x < 0 (out * log 0 = inf * -inf), NaN for NaN.
    (g,) = _grads(base, EXPONENTS)
    np.testing.assert_array_equal(g, [-INF, 0.0, 0.0, 0.0, NAN, -INF])


def test_gradient_of_x_to_the_y_at_zero():
    a, y = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0], [-1.0, -0.5, -2.0, 0.0, 0.5, NAN, -1.0]
    ga, gy = _grads(lambda lib, a, y: a**y, a, y)
    np.testing.assert_array_equal(ga, [-INF, -INF, -INF, 0.0, INF, NAN, -0.25])
    np.testing.assert_array_equal(gy, [-INF, -INF, -INF, 0.0, 0.0, NAN, 0.5 * math.log(2.0)])


def test_zero_base_gradient_differentiates_again():
    # The masked value is a constant: second derivatives away from the zero base stay finite.
    x = tt.tensor([0.5, 2.0], dtype=tt.float64, requires_grad=True)
    base = tt.tensor([0.0, 3.0], dtype=tt.float64, requires_grad=True)
    (gx,) = tt.autograd.grad((base**x).sum(), x, create_graph=True)
    (gb,) = tt.autograd.grad(gx.sum(), base)
    assert np.isfinite(gb.numpy()[1])
    expected = 3.0 ** (2.0 - 1) * (2.0 * math.log(3.0) + 1)  # d/db (b^x log b) at b=3, x=2
    assert gb.numpy()[1] == pytest.approx(expected)


@pytest.mark.torch
def test_power_gradients_at_zero_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda lib, x: lib.tensor(0.0, dtype=x.dtype) ** x, [EXPONENTS]),
        (lambda lib, x: 0**x, [EXPONENTS]),
        (lambda lib, a, y: a**y, [[0.0] * 6 + [2.0, -1.0], [-1, -0.5, -2, 0, 0.5, NAN, -1, 2.0]]),
        (lambda lib, a: a**-1.5, [[0.0, 0.0, 1.0]]),
    ]  # fmt: skip
    for fn, values in cases:
        ours = _grads(fn, *values)
        ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        fn(torch, *ts).sum().backward()
        for g, t in zip(ours, ts):
            np.testing.assert_array_equal(g, t.grad.numpy())


# --- cummax / cummin of a 0-d tensor --------------------------------------------------------------


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cumulative_extremes_of_a_0d_tensor_keep_shape_empty(name):
    x = tt.tensor(3.0, requires_grad=True)
    values, indices = getattr(tt, name)(x, 0)
    assert values.shape == () and indices.shape == ()
    assert values.item() == 3.0 and indices.item() == 0 and indices.dtype == tt.int64
    values.backward()
    assert x.grad.shape == () and x.grad.item() == 1.0
    assert getattr(x, name)(-1).values.shape == ()


@pytest.mark.torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cumulative_extremes_of_a_0d_tensor_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(tt, name)(tt.tensor(-2.5), 0)
    theirs = getattr(torch, name)(torch.tensor(-2.5), 0)
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape) and a.item() == b.item()


# --- nonzero with an empty result -----------------------------------------------------------------

NONZERO_INPUTS = {
    "0d_zero": lambda lib: lib.tensor(0.0),
    "0d_one": lambda lib: lib.tensor(1.0),
    "1d_zeros": lambda lib: lib.zeros(3),
    "2d_zeros": lambda lib: lib.zeros(2, 3),
    "empty": lambda lib: lib.zeros(0, 2),
    "bool_false": lambda lib: lib.tensor([[False, False]]),
}
NONZERO_SHAPES = {
    "0d_zero": (0, 0), "0d_one": (1, 0), "1d_zeros": (0, 1), "2d_zeros": (0, 2),
    "empty": (0, 2), "bool_false": (0, 2),
}  # fmt: skip


@pytest.mark.parametrize("name", NONZERO_INPUTS)
def test_nonzero_with_nothing_or_a_0d_input(name):
    x = NONZERO_INPUTS[name](tt)
    out = tt.nonzero(x)
    assert out.shape == NONZERO_SHAPES[name] and out.dtype == tt.int64
    assert tt.argwhere(x).shape == NONZERO_SHAPES[name]
    parts = tt.nonzero(x, as_tuple=True)
    assert len(parts) == max(x.ndim, 1)
    assert all(p.shape == (NONZERO_SHAPES[name][0],) for p in parts)


@pytest.mark.torch
@pytest.mark.parametrize("name", NONZERO_INPUTS)
def test_nonzero_with_nothing_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = NONZERO_INPUTS[name](tt), NONZERO_INPUTS[name](torch)
    assert tuple(tt.nonzero(ours).shape) == tuple(torch.nonzero(theirs).shape)
    ours_t, theirs_t = tt.nonzero(ours, as_tuple=True), torch.nonzero(theirs, as_tuple=True)
    assert [tuple(p.shape) for p in ours_t] == [tuple(p.shape) for p in theirs_t]


# --- Python ints outside an integer dtype's range -------------------------------------------------

WRAPS = [
    ("or_int32", lambda lib: lib.tensor([0, 5], dtype=lib.int32) | 0xFFFFFFFF, [-1, -1]),
    ("ror_int32", lambda lib: 0xFFFFFFFF | lib.tensor([0, 5], dtype=lib.int32), [-1, -1]),
    ("and_int32", lambda lib: lib.tensor([5, -3], dtype=lib.int32) & 0xFFFFFFFF, [5, -3]),
    ("add_int32", lambda lib: lib.tensor([0, 1], dtype=lib.int32) + 2**40, [0, 1]),
    ("eq_int32", lambda lib: lib.tensor([0, -1], dtype=lib.int32) == 2**40, [True, False]),
    ("add_int8", lambda lib: lib.tensor([0], dtype=lib.int8) + 300, [44]),
    ("sub_uint8", lambda lib: lib.tensor([0], dtype=lib.uint8) - 1, [255]),
    ("or_int64", lambda lib: lib.tensor([0], dtype=lib.int64) | (2**64 - 1), [-1]),
]


@pytest.mark.parametrize("fn, expected", [w[1:] for w in WRAPS], ids=[w[0] for w in WRAPS])
def test_python_ints_wrap_to_the_dtype(fn, expected):
    out = fn(tt)
    assert out.tolist() == expected


def test_python_ints_beyond_64_bits_raise_and_keep_the_dtype():
    x = tt.tensor([0], dtype=tt.int32)
    with pytest.raises(OverflowError, match="64 bits"):
        x | 2**64
    with pytest.raises(OverflowError, match="64 bits"):
        x + (-(2**63) - 1)
    assert (x | 0xFFFFFFFF).dtype == tt.int32


@pytest.mark.torch
@pytest.mark.parametrize("fn", [w[1] for w in WRAPS], ids=[w[0] for w in WRAPS])
def test_python_ints_wrap_as_torch(fn):
    torch = pytest.importorskip("torch")
    ours, theirs = fn(tt), fn(torch)
    assert ours.tolist() == theirs.tolist()
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    with pytest.raises(OverflowError):
        torch.tensor([0], dtype=torch.int32) | 2**64


# --- scatter with reduce= -------------------------------------------------------------------------


def test_scatter_reduce_add_and_multiply():
    x = tt.ones(4)
    idx, src = tt.tensor([0, 0, 2]), tt.tensor([2.0, 3.0, 5.0])
    assert tt.scatter(x, 0, idx, src, reduce="add").tolist() == [6.0, 1.0, 6.0, 1.0]
    assert tt.scatter(x, 0, idx, src, reduce="multiply").tolist() == [6.0, 1.0, 5.0, 1.0]
    assert x.scatter(0, idx, 2.0, reduce="multiply").tolist() == [4.0, 1.0, 2.0, 1.0]
    y = tt.ones(4, dtype=tt.int64)
    y.scatter_(0, idx, tt.tensor([2, 3, 5]), reduce="add")
    assert y.tolist() == [6, 1, 6, 1] and y.dtype == tt.int64
    with pytest.raises(RuntimeError, match="add or multiply"):
        tt.scatter(x, 0, idx, src, reduce="mean")
    assert x.tolist() == [1.0] * 4  # a refused call changes nothing


def test_scatter_with_reduce_has_no_derivative():
    x, src = tt.ones(3, requires_grad=True), tt.tensor([2.0, 3.0], requires_grad=True)
    y = tt.scatter(x, 0, tt.tensor([0, 0]), src, reduce="add")
    assert y.tolist() == [6.0, 1.0, 1.0] and y.requires_grad
    with pytest.raises(RuntimeError, match="not implemented.*scatter_reduce"):
        y.sum().backward()


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_matches_torch(reduce):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 4))
    idx = rng.integers(0, 3, (2, 4))
    src = rng.standard_normal((2, 4))
    outs = [
        lib.scatter(lib.tensor(base), 0, lib.tensor(idx), lib.tensor(src), reduce=reduce)
        for lib in (tt, torch)
    ]
    np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy(), rtol=1e-12)
    for lib in (tt, torch):
        out = lib.scatter(
            lib.ones(3, requires_grad=True), 0, lib.tensor([0]), lib.tensor([2.0]), reduce=reduce
        )
        with pytest.raises(RuntimeError, match="not implemented"):
            out.sum().backward()
    with pytest.raises(RuntimeError, match="add or multiply"):
        torch.scatter(torch.ones(3), 0, torch.tensor([0]), torch.tensor([2.0]), reduce="mean")


# --- linspace / logspace with dtype=bool ---------------------------------------------------------


@pytest.mark.parametrize("name", ["linspace", "logspace"])
def test_spaced_numbers_refuse_bool(name):
    with pytest.raises(NotImplementedError, match="Bool"):
        getattr(tt, name)(0, 1, 5, dtype=tt.bool)
    assert getattr(tt, name)(0, 2, 3, dtype=tt.int64).dtype == tt.int64


@pytest.mark.torch
@pytest.mark.parametrize("name", ["linspace", "logspace"])
def test_spaced_numbers_refuse_bool_as_torch(name):
    torch = pytest.importorskip("torch")
    for lib in (tt, torch):
        with pytest.raises(NotImplementedError):
            getattr(lib, name)(0, 1, 5, dtype=lib.bool)


# --- xlogy / xlog1py: the gradient in x at x == 0 -----------------------------------------------

# (x, y) points where x == 0 or y sits on the edge of log's domain. PyTorch's rule:
# dx = xlogy(g, y), masked to 0 where x == 0 and y <= 0 (xlog1py: log1p, y <= -1).
XLOG_POINTS = [(0.0, 2.0), (0.0, 0.0), (1.0, 0.0), (0.0, NAN), (1.0, -1.0), (0.0, -1.0),
               (0.0, INF), (0.5, -0.5), (3.0, 2.0)]


def test_xlogy_gradient_at_zero_x_numpy():
    xs, ys = zip(*XLOG_POINTS)
    dx, dy = _grads(lambda t, x, y: t.xlogy(x, y), list(xs), list(ys))
    with np.errstate(all="ignore"):
        want_dx = [math.log(2), 0.0, -INF, NAN, NAN, 0.0, INF, NAN, math.log(2)]
        want_dy = [0.0, NAN, INF, NAN, -1.0, -0.0, 0.0, -1.0, 1.5]
    np.testing.assert_array_equal(dx, want_dx)
    np.testing.assert_array_equal(dy, want_dy)


def test_xlog1py_gradient_at_zero_x_numpy():
    xs, ys = zip(*XLOG_POINTS)
    dx, _ = _grads(lambda t, x, y: t.special.xlog1py(x, y), list(xs), list(ys))
    want_dx = [math.log1p(2.0), 0.0, 0.0, NAN, -INF, 0.0, INF, math.log1p(-0.5), math.log1p(2.0)]
    np.testing.assert_allclose(dx, want_dx, rtol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["xlogy", "special.xlog1py"])
def test_xlog_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    xs, ys = (list(v) for v in zip(*XLOG_POINTS))

    def op(lib):
        return getattr(lib.special, name[8:]) if name.startswith("special.") else lib.xlogy

    got = _grads(lambda t, x, y: op(t)(x, y), xs, ys)
    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    op(torch)(tx, ty).sum().backward()
    np.testing.assert_allclose(got[0], tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(got[1], ty.grad.numpy(), rtol=1e-15)
