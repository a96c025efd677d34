"""The tiling fast path of 2-D max pooling (kernel == stride, no padding, no dilation) against
the general pass, plain loops and PyTorch: values bit for bit, argmax offsets, flat indices and
the gradient, on the shapes that take it and the neighbours that do not (issue #24)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.nn.functional import max_windows as mt
from tinytensor.nn.functional import pooling as pool

from .max_pool_oracles import max_pool_oracle

FLOATS = (np.float32, np.float64, np.float16)
INTS = (np.int8, np.int32, np.uint8, np.int64)


def _bits(a):
    """The array's bit patterns (so -0.0 differs from 0.0 and NaN payloads count)."""
    return a.view(np.dtype(f"u{a.dtype.itemsize}")) if a.dtype.kind == "f" else a


def _general(xd, k, o, with_indices=True):
    """The general pass: one strided slice per kernel offset (max_windows.max_over)."""
    positions = [np.arange(oo)[:, None] * kk + np.arange(kk)[None, :] for kk, oo in zip(k, o)]
    out, idx = mt.max_over(xd, positions, k)
    if with_indices:
        return out, idx, mt.flat_indices(idx, positions, xd.shape[2:])
    return out, idx


def _kernel(xd, k, o):
    return pool._max_pool_kernel(
        xd, kernel_size=k, stride=k, padding=(0,) * len(k), dilation=(1,) * len(k),
        output_size=o, with_indices=True,
    )  # fmt: skip


def _values(rng, shape, dt, nan=False):
    """Few distinct values, so windows hold ties, +-0, infinities (and NaN if asked)."""
    if np.dtype(dt).kind == "f":
        pool_ = [0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf] + ([np.nan] * 2 if nan else [])
        return rng.choice(np.array(pool_, dt), size=shape)
    lo = 0 if np.dtype(dt).kind == "u" else -3
    return rng.integers(lo, 4, size=shape).astype(dt)


@pytest.fixture(params=["pairs cast in place", "rows copied first"])
def both_paths(request, monkeypatch):
    """Runs a test with window-width-2 pairs cast straight from the input at every width, then
    with every window row copied out first."""
    monkeypatch.setattr(mt, "IN_PLACE_MIN_WIDTH", 0 if request.param.startswith("pairs") else 10**9)


def _assert_same(a, b):
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(_bits(u), _bits(v))


TILING = [  # (shape, kernel): every one takes the fast path
    ((2, 3, 4, 6), (2, 2)),
    ((64, 2, 28, 28), (2, 2)),
    ((1, 1, 2, 2), (2, 2)),
    ((2, 2, 5, 7), (2, 2)),  # odd sizes: floor mode leaves the last row/column out
    ((2, 2, 6, 6), (3, 2)),
    ((2, 2, 6, 6), (2, 3)),
    ((2, 2, 8, 9), (4, 3)),
    ((2, 2, 5, 5), (1, 1)),
    ((2, 2, 6, 4), (2, 1)),
    ((0, 3, 4, 4), (2, 2)),  # a batch of no samples
]


@pytest.mark.parametrize("shape,k", TILING)
@pytest.mark.parametrize("dt", FLOATS + INTS)
def test_tiling_path_equals_the_general_pass_bit_for_bit(shape, k, dt, both_paths):
    rng = np.random.default_rng(zlib.crc32(repr((shape, k, np.dtype(dt).name)).encode()))
    o = (shape[2] // k[0], shape[3] // k[1])
    assert mt.tiles(k, k, (0, 0), (1, 1), o, shape[2:])
    for _ in range(5):
        x = _values(rng, shape, dt)
        fast = mt.max_tiles(x, k, o)
        assert fast is not None and all(a.flags.c_contiguous for a in fast)
        _assert_same(fast, _general(x, k, o, with_indices=False))
        _assert_same(_kernel(x, k, o), _general(x, k, o))


@pytest.mark.parametrize("dt", FLOATS)
def test_a_window_with_nan_goes_to_the_general_pass(dt, both_paths):
    rng = np.random.default_rng(3)
    x = _values(rng, (3, 2, 6, 8), dt, nan=True)
    x[0, 0, :2, :2] = [[np.nan, 1.0], [np.nan, 5.0]]  # the last NaN of the window wins
    assert mt.max_tiles(x, (2, 2), (3, 4)) is None
    res = _kernel(x, (2, 2), (3, 4))
    _assert_same(res, _general(x, (2, 2), (3, 4)))
    assert np.isnan(res[0][0, 0, 0, 0]) and res[1][0, 0, 0, 0] == 2 and res[2][0, 0, 0, 0] == 8
    # a NaN outside every window (the odd last column) changes nothing
    y = _values(rng, (2, 2, 4, 5), dt)
    y[..., -1] = np.nan
    assert mt.max_tiles(y, (2, 2), (2, 2)) is not None
    _assert_same(_kernel(y, (2, 2), (2, 2)), _general(y, (2, 2), (2, 2)))


def test_ties_keep_the_first_offset_and_zero_signs_match_the_general_pass(both_paths):
    x = np.zeros((1, 4, 2, 2), np.float32)
    x[0, 0] = [[-0.0, 0.0], [0.0, -0.0]]
    x[0, 1] = [[1.0, 2.0], [2.0, 2.0]]  # first maximum: offset 1
    x[0, 2] = [[1.0, 0.0], [2.0, 2.0]]  # a later row wins only when strictly greater: offset 2
    x[0, 3] = [[7.0, 7.0], [7.0, 7.0]]
    out, idx = mt.max_tiles(x, (2, 2), (1, 1))
    assert idx.ravel().tolist() == [0, 1, 2, 0]
    _assert_same((out, idx), _general(x, (2, 2), (1, 1), with_indices=False))
    rng = np.random.default_rng(5)
    z = rng.choice(np.array([0.0, -0.0], np.float32), size=(4, 3, 10, 12))
    _assert_same(mt.max_tiles(z, (2, 2), (5, 6)), _general(z, (2, 2), (5, 6), False))


def test_non_contiguous_inputs_take_the_path_with_the_same_results(both_paths):
    rng = np.random.default_rng(7)
    base = _values(rng, (3, 4, 9, 10), np.float32)
    views = [
        base.transpose(0, 1, 3, 2),  # W is not the last axis in memory
        base[:, ::2, 1:, :],  # strided channels, offset rows
        base[..., ::-1],  # negative strides
        np.asfortranarray(base),
        np.concatenate([base[:1, 0, 0, :1].ravel(), base[..., :8].ravel()])[1:].reshape(3, 4, 9, 8),
    ]  # the last: C order, 4 bytes past an 8-byte boundary (unaligned wide-integer views)
    assert views[-1].flags.c_contiguous and views[-1].ctypes.data % 8 == 4
    for v in views:
        o = (v.shape[2] // 2, v.shape[3] // 2)
        _assert_same(_kernel(v, (2, 2), o), _general(np.ascontiguousarray(v), (2, 2), o))


@pytest.mark.parametrize(
    "k,s,p,d,ceil",
    [
        ((2, 2), (1, 1), (0, 0), (1, 1), False),  # stride != kernel
        ((2, 2), (2, 2), (1, 1), (1, 1), False),  # padding
        ((2, 2), (2, 2), (0, 0), (2, 2), False),  # dilation
        ((2, 2), (2, 2), (0, 0), (1, 1), True),  # ceil_mode's extra window
        ((1, 2), (1, 2), (0, 0), (1, 1), True),  # the same, along W only
        ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ],
)
def test_neighbours_of_the_tiling_case_keep_the_general_pass(k, s, p, d, ceil):
    x = _values(np.random.default_rng(11), (2, 3, 7, 9), np.float32)
    o = tuple(pool._pool_size(n, *a, ceil) for n, a in zip((7, 9), zip(k, s, p, d)))
    assert not mt.tiles(k, s, p, d, o, (7, 9))
    g = np.random.default_rng(12).standard_normal((2, 3) + o).astype(np.float32)
    t = tt.tensor(x, requires_grad=True)
    y, ind = F.max_pool2d(t, k, s, p, d, ceil, True)
    y.backward(tt.tensor(g))
    ref, ref_ind, ref_g = max_pool_oracle(x, g, k, s, p, d, ceil)
    np.testing.assert_array_equal(y.detach().numpy(), ref)  # -0.0 == 0.0: see the tie test
    np.testing.assert_array_equal(ind.numpy(), ref_ind)
    np.testing.assert_allclose(t.grad.numpy(), ref_g, rtol=1e-6, atol=0)


@pytest.mark.parametrize("nd", [1, 3])
def test_one_and_three_d_pools_agree_with_the_loop_oracle(nd):
    rng = np.random.default_rng(13)
    shape = (2, 3) + (8,) * nd
    x = _values(rng, shape, np.float32)
    g = rng.standard_normal((2, 3) + (4,) * nd).astype(np.float32)
    fn = F.max_pool1d if nd == 1 else F.max_pool3d
    t = tt.tensor(x, requires_grad=True)
    y, ind = fn(t, 2, return_indices=True)
    y.backward(tt.tensor(g))
    ref, ref_ind, ref_g = max_pool_oracle(x, g, (2,) * nd, (2,) * nd, (0,) * nd, (1,) * nd, False)
    np.testing.assert_array_equal(y.detach().numpy(), ref)  # -0.0 == 0.0: see the tie test
    np.testing.assert_array_equal(ind.numpy(), ref_ind)
    np.testing.assert_array_equal(t.grad.numpy(), ref_g)


def _scatter_reference(g, am, k, size):
    """Zeros of the input's shape with g written at each window's argmax offset."""
    full = np.zeros(g.shape[:2] + tuple(size), g.dtype)
    for i in np.ndindex(*g.shape):
        r, c = divmod(int(am[i]), k[1])
        full[i[0], i[1], i[2] * k[0] + r, i[3] * k[1] + c] = g[i]
    return full


@pytest.mark.parametrize(
    "shape,k", [((2, 3, 4, 6), (2, 2)), ((3, 2, 6, 4), (3, 2)), ((2, 2, 8, 4), (4, 2)),
                ((0, 2, 4, 4), (2, 2)), ((2, 2, 10, 4), (5, 2)), ((2, 2, 6, 6), (2, 3))],
)  # fmt: skip
@pytest.mark.parametrize("dt", FLOATS)
def test_gradient_is_g_at_the_argmax_and_zero_elsewhere(shape, k, dt):
    rng = np.random.default_rng(17)
    x = _values(rng, shape, dt)
    o = (shape[2] // k[0], shape[3] // k[1])
    _, am = mt.max_tiles(x, k, o)
    # infinities and NaN in g stay at the argmax (no inf * 0 = NaN elsewhere); -0.0 is kept
    g = rng.choice(np.array([1.5, -2.0, 0.0, -0.0, np.inf, -np.inf, np.nan], dt), size=am.shape)
    ref = _scatter_reference(g, am, k, shape[2:])
    win = pool._Windows(shape[2:], k, k, (1, 1), (0, 0))
    got = pool._scatter_max_kernel(g, am, win=win)
    assert got.dtype == g.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(_bits(got), _bits(ref))
    fast = mt.scatter_tiles(g, am, k)
    if fast is not None:  # width 2 and a shift that fits a byte: the fast layout
        np.testing.assert_array_equal(_bits(fast), _bits(ref))
    # a broadcast (non-contiguous, read-only) gradient, as a sum's backward hands down
    gb = np.broadcast_to(g[:, :, :1, :1], g.shape)
    np.testing.assert_array_equal(
        _bits(pool._scatter_max_kernel(gb, am, win=win)),
        _bits(_scatter_reference(gb, am, k, shape[2:])),
    )


def test_the_fast_gradient_layout_is_taken_for_the_common_case():
    am = np.array([[[[0, 1], [2, 3]]]], np.int8)
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    full = mt.scatter_tiles(g, am, (2, 2))
    assert full is not None
    np.testing.assert_array_equal(
        full[0, 0], [[1, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]
    )
    assert mt.scatter_tiles(g.astype(np.float64), am, (2, 2)) is None  # 8-byte elements
    assert mt.scatter_tiles(g, am, (2, 3)) is None  # width 3


def test_gradient_of_a_floor_mode_crop_is_zero_past_the_last_window():
    rng = np.random.default_rng(19)
    x = rng.standard_normal((2, 3, 7, 5)).astype(np.float32)
    g = rng.standard_normal((2, 3, 3, 2)).astype(np.float32)
    t = tt.tensor(x, requires_grad=True)
    F.max_pool2d(t, 2).backward(tt.tensor(g))
    _, _, ref_g = max_pool_oracle(x, g, (2, 2), (2, 2), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(t.grad.numpy(), ref_g)
    assert not t.grad.numpy()[:, :, 6, :].any() and not t.grad.numpy()[:, :, :, 4].any()


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_public_max_pool2d_against_the_loop_oracle(dt):
    rng = np.random.default_rng(23)
    x = np.maximum(rng.standard_normal((4, 3, 8, 10)), 0).astype(dt)  # after a ReLU: ties at 0
    g = rng.standard_normal((4, 3, 4, 5)).astype(dt)
    t = tt.tensor(x, requires_grad=True)
    y, ind = F.max_pool2d(t, 2, return_indices=True)
    y.backward(tt.tensor(g))
    ref, ref_ind, ref_g = max_pool_oracle(x, g, (2, 2), (2, 2), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(y.detach().numpy(), ref)  # -0.0 == 0.0: see the tie test
    np.testing.assert_array_equal(ind.numpy(), ref_ind)
    np.testing.assert_array_equal(t.grad.numpy(), ref_g)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(64, 4, 28, 28), (3, 2, 7, 9), (0, 2, 4, 4)])
@pytest.mark.parametrize("nan", [False, True])
def test_max_pool2d_forward_and_backward_match_torch(shape, nan):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(29)
    x = np.maximum(rng.standard_normal(shape), 0).astype(np.float32)
    x[..., ::3, ::4] = 0.0
    if nan and x.size:
        x[0, 0, 0, 1] = x[0, 0, 1, 1] = np.nan
        x[-1, -1, 2, 2] = np.inf
    o = (shape[2] // 2, shape[3] // 2)
    g = rng.standard_normal(shape[:2] + o).astype(np.float32)
    if g.size:
        g[0, 0, 0, 0] = np.inf  # stays at its argmax, zeros elsewhere (as PyTorch)
    t = tt.tensor(x, requires_grad=True)
    y, ind = F.max_pool2d(t, 2, return_indices=True)
    y.backward(tt.tensor(g))
    tx = torch.tensor(x, requires_grad=True)
    ty, tind = torch.nn.functional.max_pool2d(tx, 2, return_indices=True)
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(ind.numpy(), tind.numpy())
    np.testing.assert_array_equal(t.grad.numpy(), tx.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("dt", ["int8", "int32", "float64"])
def test_max_pool2d_dtypes_match_torch(dt):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(31)
    x = rng.integers(-4, 4, size=(2, 3, 6, 8)).astype(dt)
    y, ind = F.max_pool2d(tt.tensor(x), 2, return_indices=True)
    ty, tind = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert str(y.dtype).split(".")[-1] == str(ty.dtype).split(".")[-1]
    np.testing.assert_array_equal(y.detach().numpy(), ty.numpy())
    np.testing.assert_array_equal(ind.numpy(), tind.numpy())


@pytest.mark.parametrize("dt", [np.float32, np.int32, np.int8])
def test_padding_never_wins_even_against_the_lowest_value(dt):
    """A window whose input elements all equal the padding value (-inf, or the integer type's
    minimum) points at its first input element, never at the padding (PyTorch's rule)."""
    low = -np.inf if np.dtype(dt).kind == "f" else np.iinfo(dt).min
    x = np.full((1, 2, 5, 6), low, dt)
    x[0, 1, 2, 3] = 1
    for k, s, p, ceil in [((2, 2), (2, 2), (1, 1), False), ((3, 3), (2, 2), (1, 1), True),
                          ((2, 2), (2, 2), (0, 0), True)]:  # fmt: skip
        y, ind = F.max_pool2d(tt.tensor(x), k, s, p, 1, ceil, True)
        ref, ref_ind, _ = max_pool_oracle(x, None, k, s, p, (1, 1), ceil)
        np.testing.assert_array_equal(y.numpy(), ref)
        np.testing.assert_array_equal(ind.numpy(), ref_ind)
        assert ind.numpy().min() >= 0


@pytest.mark.torch
def test_padding_never_wins_like_torch():
    torch = pytest.importorskip("torch")
    x = np.full((1, 1, 5, 7), -np.inf, np.float32)
    x[0, 0, 1:3, 2:4] = [[0.0, 2.0], [-1.0, -np.inf]]
    for k, s, p, ceil in [((2, 2), (2, 2), (1, 1), False), ((3, 3), (2, 2), (1, 1), True)]:
        y, ind = F.max_pool2d(tt.tensor(x), k, s, p, 1, ceil, True)
        ty, tind = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, 1, ceil, True)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        np.testing.assert_array_equal(ind.numpy(), tind.numpy())
