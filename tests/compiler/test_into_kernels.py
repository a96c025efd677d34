"""Each primitive's ``into`` (the kernel writing into a compiled replay's buffer) equals its
kernel bit for bit, over the dtypes, shapes and layouts the kernel takes: broadcasting,
non-contiguous and 0-d operands, empty arrays, NaN, inf, -0.0, and floating-point signals made
errors. The buffer is filled with junk first, so an ``into`` that leaves an element unwritten
fails. A kernel is its ``into`` given no buffers (one body), so each kernel's result is also
checked against a plain NumPy reference (``kernel_references``). NumPy-only.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from tinytensor.compiler.buffers import empty, layout
from tinytensor.nn.functional import attention as A
from tinytensor.nn.functional import normalization as N
from tinytensor.nn.functional import pooling as P
from tinytensor.ops import binary as B
from tinytensor.ops import join as J
from tinytensor.ops import shape as S
from tinytensor.ops import unary as U

from . import kernel_references as R

L = importlib.import_module("tinytensor.nn.functional.linear")  # (F.linear is the function)
RNG = np.random.default_rng(23)

# primitive name -> (its plain NumPy reference, bit for bit: True, or to float rounding)
REFERENCES = {
    "Relu": (R.relu, True),
    "ReluMask": (R.relu_mask, True),
    "ReluBackward": (R.relu_backward, True),
    "Linear": (R.linear, False),
    "LinearInputGrad": (R.linear_input_grad, False),
    "LinearWeightGrad": (R.linear_weight_grad, False),
    "NativeLayerNorm": (R.layer_norm, False),
    "NativeLayerNormBackward": (R.layer_norm_grad, False),
    "ScaledDotProductAttention": (R.sdpa, False),
    "ScaledDotProductAttentionBackward": (R.sdpa_grad, False),
    **{f"MaxPool{nd}D": (R.max_pool, True) for nd in (1, 2, 3)},
    "MaxPoolBackward": (R.max_pool_backward, False),
    "Reshape": (R.reshape, True),
    "Cat": (R.cat, True),
}
_TOL = {2: 1e-2, 4: 1e-4, 8: 1e-10}  # float itemsize -> tolerance, relative to the largest


def against_reference(prim, got, *args, **attrs):
    """The kernel's result ``got`` equals the reference: every element's value (and sign of
    zero, but for max pooling's value, which the windows' ties decide) where bit for bit, else
    within float rounding."""
    ref, exact = REFERENCES[prim.name]
    want = ref(*args, **attrs)
    got, want = (got, want) if prim.multi else ((got,), (want,))
    assert len(got) == len(want), prim.name
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (prim.name, k, g.shape, w.shape)
        if exact:
            assert np.array_equal(g, w, equal_nan=g.dtype.kind == "f"), (prim.name, k)
            if g.dtype.kind == "f" and not prim.name.startswith("MaxPool"):
                same = np.signbit(g) == np.signbit(w)
                assert (same | np.isnan(w)).all(), (prim.name, k)
            continue
        tol = _TOL[g.dtype.itemsize]
        finite = np.abs(w[np.isfinite(w)])
        scale = finite.max() if finite.size else 1.0
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, equal_nan=True,
                                   err_msg=f"{prim.name} result {k}")  # fmt: skip


def junk_like(a):
    """An array laid out as ``a`` (a compiled replay's buffer: ``buffers.empty``) holding
    random bytes."""
    if a.size == 0:  # (a program pools no empty value; the into still takes one)
        return np.empty(a.shape, a.dtype)
    order = layout(a)
    assert order is not None, "a kernel's result a buffer could not hold"
    out = empty(a.shape, a.dtype, order)
    raw = out.transpose(order).reshape(-1).view(np.uint8)
    raw[...] = RNG.integers(0, 256, raw.size, dtype=np.uint8)
    assert out.strides == a.strides
    return out



def check(prim, *args, **attrs):
    """``prim.into`` equals ``prim.kernel`` bit for bit; with several results, also with
    each result left to the into (None) in turn."""
    want = prim.kernel(*args, **attrs)
    if prim.name in REFERENCES:
        against_reference(prim, want, *args, **attrs)
    if not prim.multi:
        want = np.asarray(want)
        out = junk_like(want)
        assert prim.into(out, *args, **attrs) is out
        assert out.tobytes() == want.tobytes(), prim.name
        return
    want = tuple(np.asarray(w) for w in want)
    for skip in (None, *range(len(want))):
        out = tuple(None if k == skip else junk_like(w) for k, w in enumerate(want))
        got = prim.into(out, *args, **attrs)
        assert len(got) == len(want)
        for k, (w, g, o) in enumerate(zip(want, got, out)):
            assert (g.dtype, g.shape) == (w.dtype, w.shape), prim.name
            assert g.size == 0 or g.strides == w.strides, prim.name
            assert g.tobytes() == w.tobytes(), (prim.name, k, skip)
            if o is not None and o.size:  # written into the buffer (or a view of it)
                assert np.shares_memory(g, o) and o.tobytes() == w.tobytes()


def floats(shape, dtype=np.float32, special=True):
    a = RNG.standard_normal(shape).astype(dtype)
    if special and a.size >= 6:
        flat = a.reshape(-1)
        flat[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e30 if dtype != np.float16 else 6e4]
    return a


SHAPES = [((4, 5), (4, 5)), ((4, 5), (5,)), ((3, 1, 5), (4, 1)), ((), (3,)), ((0, 5), (5,)),
          ((7,), ())]  # fmt: skip


@pytest.mark.parametrize("prim", [B.ADD, B.SUB, B.MUL, B.DIV], ids=lambda p: p.name)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_arithmetic_into_equals_its_kernel(prim, dtype):
    for sa, sb in SHAPES:
        a, b = floats(sa, dtype), floats(sb, dtype)
        check(prim, a, b)
        check(prim, b, a)
    big = floats((6, 8), dtype)
    check(prim, big.T, floats((6,), dtype))  # a transposed operand
    check(prim, big[::2, 1::3], floats((3, 3), dtype)[::-1])  # strided, reversed
    check(prim, big, dtype(2.5))  # a NumPy scalar constant
    check(prim, big, 0.1)  # a Python float


@pytest.mark.parametrize("prim", [B.ADD, B.SUB, B.MUL], ids=lambda p: p.name)
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
def test_integer_arithmetic_into_equals_its_kernel_wrapping_included(prim, dtype):
    info = np.iinfo(dtype)
    a = RNG.integers(info.min, info.max, (5, 6), dtype=dtype, endpoint=True)
    b = RNG.integers(info.min, info.max, (6,), dtype=dtype, endpoint=True)
    check(prim, a, b)
    check(prim, a.T[::2], RNG.integers(0, 9, (1, 5), dtype=dtype))


def test_bool_add_and_mul_into_equal_their_kernels():
    a, b = RNG.random((4, 6)) > 0.5, RNG.random((6,)) > 0.5
    check(B.ADD, a, b)
    check(B.MUL, a, b)


def test_arithmetic_into_is_quiet_where_signals_are_errors():
    a = np.array([1.0, 0.0, np.inf, 3e38], np.float32)
    b = np.array([0.0, 0.0, np.inf, 3e38], np.float32)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        for prim in (B.ADD, B.SUB, B.MUL, B.DIV):
            out = junk_like(a)
            with np.errstate(all="ignore"):
                want = {"Add": a + b, "Sub": a - b, "Mul": a * b, "Div": a / b}[prim.name]
            assert prim.into(out, a, b) is out
            assert out.tobytes() == want.tobytes()


RELU_INPUTS = [
    ("f16", floats((5, 7), np.float16)),
    ("f32", floats((5, 7), np.float32)),
    ("f64", floats((3, 4, 5), np.float64)),
    ("big", floats((300, 300), np.float32)),  # past the cached zeros: a 0-d zero
    ("strided", floats((6, 8), np.float32)[:, ::3]),
    ("neg zero", np.full((4, 4), -0.0, np.float32)),
    ("0-d", np.array(-0.0, np.float64)),
    ("empty", np.zeros((0, 3), np.float32)),
    ("int32", RNG.integers(-9, 9, (4, 5), dtype=np.int32)),
    ("int8", RNG.integers(-128, 127, (9,), dtype=np.int8)),
]


@pytest.mark.parametrize("case", RELU_INPUTS, ids=lambda c: c[0])
def test_relu_and_its_mask_into_equal_their_kernels(case):
    _, d = case
    check(U.RELU, d)
    if d.dtype.kind == "f":
        out = U.RELU.kernel(d)
        check(U.RELU_MASK, np.asarray(out))


def test_relu_into_takes_the_select_for_a_float_type_neither_order_keeps_minus_zero():
    d = floats((4, 6), np.longdouble)
    assert d.dtype not in U._ZEROS_FIRST and d.dtype not in U._ZEROS_SECOND
    check(U.RELU, d)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_backward_into_equals_its_kernel_finite_or_not(dtype):
    keep = RNG.random((6, 9)) > 0.4
    finite = floats((6, 9), dtype, special=False)
    check(U.RELU_BACKWARD, finite, keep)
    check(U.RELU_BACKWARD, -finite, keep)  # negative g under a False mask
    check(U.RELU_BACKWARD, floats((6, 9), dtype), keep)  # inf and NaN: the select
    check(U.RELU_BACKWARD, floats((9, 6), dtype, special=False).T, keep)  # strided g
    check(U.RELU_BACKWARD, np.zeros((0, 9), dtype), np.zeros((0, 9), bool))


LINEAR_CASES = [
    ("2-d", (10, 6), (4, 6), True),
    ("no bias", (10, 6), (4, 6), False),
    ("1-d", (6,), (4, 6), True),
    ("3-d", (2, 5, 6), (3, 6), True),
    ("4-d", (2, 3, 2, 6), (3, 6), True),
    ("swapped", (16, 128), (256, 128), True),  # float32, few rows: (W x^T)^T
    ("empty batch", (0, 6), (4, 6), True),
    ("empty features", (5, 0), (4, 0), True),
]


@pytest.mark.parametrize("case", LINEAR_CASES, ids=lambda c: c[0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_into_equals_its_kernel(case, dtype):
    _, xs, ws, has_bias = case
    x, w = floats(xs, dtype, special=False), floats(ws, dtype, special=False)
    b = floats((ws[0],), dtype, special=False) if has_bias else None
    check(L.LINEAR, x, w, b)
    check(L.LINEAR, x, w, np.asarray(dtype(0.5)))  # a 0-d bias
    if x.ndim == 2 and x.size:
        check(L.LINEAR, np.asfortranarray(x), w.T.copy().T, b)  # non-contiguous operands
        nan = x.copy()
        nan[0, 0] = np.inf
        check(L.LINEAR, nan, w, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_gradient_intos_equal_their_kernels(dtype):
    for gs, ws in [((10, 4), (4, 6)), ((4,), (4, 6)), ((2, 5, 4), (4, 6)), ((0, 4), (4, 6))]:
        g, w = floats(gs, dtype, special=False), floats(ws, dtype, special=False)
        check(L.LINEAR_INPUT_GRAD, g, w)
        x = floats(gs[:-1] + (6,), dtype, special=False)
        if g.ndim >= 2:
            check(L.LINEAR_WEIGHT_GRAD, g, x)
            check(L.LINEAR_WEIGHT_GRAD, np.asfortranarray(g), x)


def test_linear_into_is_quiet_where_signals_are_errors():
    x = np.full((3, 4), 3e38, np.float32)
    w = np.full((2, 4), 3e38, np.float32)
    b = np.array([np.inf, -np.inf], np.float32)
    with np.errstate(all="ignore"):
        want = L._linear_kernel(x, w, b)
    with np.errstate(all="raise"):
        out = junk_like(want)
        assert L.LINEAR.into(out, x, w, b) is out
    assert out.tobytes() == want.tobytes()


def _pooled_case(shape, k, s, p, d, dtype=np.float32, ceil_mode=False):
    x = floats(shape, dtype, special=False)
    o = tuple(P._pool_size(n, k, s, p, d, ceil_mode) for n in shape[2:])
    kk, ss, pp, dd = (k, k), (s, s), (p, p), (d, d)
    _, am = P._MAX_POOL[2].kernel(x, kernel_size=kk, stride=ss, padding=pp, dilation=dd,
                                  output_size=o, with_indices=False)  # fmt: skip
    win = P._Windows(shape[2:], kk, ss, dd, pp)
    return floats(am.shape, dtype), am, win


POOL_CASES = [
    ("tiles 2x2", (2, 3, 8, 10), 2, 2, 0, 1, np.float32),
    ("tiles 2x2 f16", (2, 3, 8, 10), 2, 2, 0, 1, np.float16),
    ("tiles 2x2 f64", (2, 3, 8, 10), 2, 2, 0, 1, np.float64),  # 8-byte: the general loop
    ("tiles 3x3", (1, 2, 9, 9), 3, 3, 0, 1, np.float32),  # exact, width 3: the loop
    ("floor leftover", (1, 2, 9, 11), 2, 2, 0, 1, np.float32),  # rows past the windows
    ("overlap", (2, 2, 9, 9), 3, 2, 0, 1, np.float32),  # += per offset
    ("dilated", (1, 2, 9, 9), 2, 2, 0, 2, np.float32),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: c[0])
def test_max_pool_backward_into_equals_its_kernel(case):
    _, shape, k, s, p, d, dtype = case
    g, am, win = _pooled_case(shape, k, s, p, d, dtype)
    check(P.MAX_POOL_BACKWARD, g, am, win=win)
    check(P.MAX_POOL_BACKWARD, -np.abs(g), am, win=win)  # -0.0 nowhere, negative g
    inf = g.copy()
    inf.reshape(-1)[:3] = [np.inf, np.nan, -np.inf]
    check(P.MAX_POOL_BACKWARD, inf, am, win=win)


def test_max_pool_backward_with_padding_is_never_pooled_and_its_into_copies():
    # The kernel's result is a view into a padded array (gaps between rows): no buffer has
    # that layout, so a program never pools it; given a C-contiguous array, the into copies.
    g, am, win = _pooled_case((1, 2, 8, 8), 3, 2, 1, 1)
    want = P.MAX_POOL_BACKWARD.kernel(g, am, win=win)
    assert layout(want) is None
    out = junk_like(np.ascontiguousarray(want))
    assert P.MAX_POOL_BACKWARD.into(out, g, am, win=win) is out
    assert out.tobytes() == np.ascontiguousarray(want).tobytes()


def test_reshape_into_copies_a_non_contiguous_input_in_c_order():
    x = floats((4, 6), np.float32)
    check(S.RESHAPE, x.T, (24,))
    check(S.RESHAPE, x.T, [3, -1])
    check(S.RESHAPE, x[:, :5], (5, 4))  # rows with a gap
    check(S.RESHAPE, x, (6, 4))  # a view for the kernel: the same values copied
    check(S.RESHAPE, np.zeros((0, 3), np.int64).T, (0,))


def test_cat_into_equals_its_kernel():
    a, b = floats((2, 5), np.float32), floats((3, 5), np.float32)
    check(J.CAT, [a, b], np.dtype(np.float32), 0)
    check(J.CAT, [a.T, b.T[:, ::-1]], np.dtype(np.float32), 1)
    check(J.CAT, [a, floats((4, 5), np.float16)], np.dtype(np.float32), 0)  # promoted
    check(J.CAT, [a, np.zeros((0, 5), np.float32)], np.dtype(np.float32), -2)
    check(J.CAT, [RNG.integers(0, 5, (2, 2)), RNG.integers(0, 5, (2, 3))], np.dtype(np.int64), 1)


def _qkv(b, h, lq, lk, e, dtype):
    shapes = ((b, h, lq, e), (b, h, lk, e), (b, h, lk, e))
    return tuple(floats(s, dtype, special=False) for s in shapes)


SDPA_CASES = [
    ("plain", (2, 2, 5, 7, 4), np.float32, None, False),
    ("causal", (2, 2, 6, 6, 4), np.float64, None, True),
    ("float mask", (1, 2, 5, 7, 4), np.float32, (5, 7), False),
    ("broad mask", (1, 2, 5, 7, 4), np.float32, (3, 1, 2, 5, 7), False),  # more batch dims
    ("float16", (1, 2, 3, 4, 4), np.float16, None, True),  # the general kernel
    ("empty", (1, 2, 0, 4, 4), np.float32, None, False),
]


@pytest.mark.parametrize("case", SDPA_CASES, ids=lambda c: c[0])
def test_attention_intos_equal_their_kernels(case):
    _, dims, dtype, mask_shape, causal = case
    q, k, v = _qkv(*dims, dtype)
    bias = None
    if mask_shape is not None:
        bias = floats(mask_shape, dtype, special=False)
        bias.reshape(-1)[0] = -np.inf
    attrs = {"scale": 0.5, "is_causal": causal}
    # (a mask with more batch dims than the scores: the product broadcast into the buffer)
    check(A.SDPA, q, k, v, bias, **attrs)
    out, p = A.SDPA.kernel(q, k, v, bias, **attrs)
    g = floats(out.shape, dtype, special=False)
    check(A.SDPA_GRAD, g, q, k, v, out, p, scale=0.5)
    check(A.SDPA_GRAD, np.swapaxes(floats(out.shape[:-2] + out.shape[:-3:-1], dtype), -1, -2),
          q, k, v, out, p, scale=0.5)  # fmt: skip


LN_CASES = [
    ("rows", (4, 6, 8), (8,), True),
    ("no affine", (4, 6, 8), (8,), False),
    ("two axes", (3, 4, 5), (4, 5), True),
    ("float64", (5, 16), (16,), True),
    ("float16", (3, 8), (8,), True),  # the general kernels
    ("long rows", (2, 5000), (5000,), False),  # past ROW_SUM_MAX: the general kernels
]


@pytest.mark.parametrize("case", LN_CASES, ids=lambda c: c[0])
def test_layer_norm_intos_equal_their_kernels(case):
    name, shape, norm_shape, affine = case
    dtype = {"float64": np.float64, "float16": np.float16}.get(name, np.float32)
    d = floats(shape, dtype, special=False)
    w = floats(norm_shape, dtype, special=False) if affine else None
    b = floats(norm_shape, dtype, special=False) if affine else None
    axes = tuple(range(len(shape) - len(norm_shape), len(shape)))
    check(N.LAYER_NORM, d, w, b, axes=axes, eps=1e-5)
    _, mu, rstd = N.LAYER_NORM.kernel(d, w, b, axes=axes, eps=1e-5)
    g = floats(shape, dtype, special=False)
    for sums in (False, True):
        check(N.LAYER_NORM_GRAD, g, d, w, mu, rstd, axes=axes, sums=sums)
    inf = d.copy()
    inf.reshape(-1)[:2] = [np.inf, np.nan]
    check(N.LAYER_NORM, inf, w, b, axes=axes, eps=1e-5)


@pytest.mark.parametrize(
    "make",
    [lambda: np.empty((3, 4)), lambda: np.empty((3, 4), order="F"), lambda: np.empty((2, 3, 4))
     .swapaxes(1, 2), lambda: np.empty((1, 5)).T, lambda: np.empty(())],  # fmt: skip
)
def test_a_buffer_has_the_strides_of_the_compact_array_it_stands_for(make):
    a = make()
    order = layout(a)
    assert order is not None
    b = empty(a.shape, a.dtype, order)
    assert (b.shape, b.dtype, b.strides) == (a.shape, a.dtype, a.strides)


def test_arrays_with_gaps_negative_strides_or_read_only_get_no_buffer():
    base = np.zeros((6, 8))
    assert layout(base[:, ::2]) is None  # gaps
    assert layout(base[::-1]) is None  # negative strides
    assert layout(np.broadcast_to(np.zeros(3), (4, 3))) is None  # read-only, overlapping
    ro = np.zeros(4)
    ro.flags.writeable = False
    assert layout(ro) is None
    assert layout(np.empty((0, 3))) is None  # empty: nothing to reuse


MAX_POOL_CASES = [
    ("pairs in place", (2, 3, 28, 28), (2, 2), np.float32),  # windows 14 wide: cast in place
    ("pairs copied", (2, 3, 14, 14), (2, 2), np.float32),  # 7 wide: each row copied first
    ("float64 pairs", (1, 2, 8, 24), (2, 2), np.float64),  # 8-byte: split by slicing
    ("float16", (1, 2, 6, 24), (2, 2), np.float16),
    ("uint8", (1, 2, 6, 24), (2, 2), np.uint8),
    ("int32 3x3", (2, 2, 9, 12), (3, 3), np.int32),  # three planes per row
    ("one column", (1, 2, 8, 5), (2, 1), np.float32),  # one plane per row
    ("int32 offsets", (1, 2, 24, 24), (12, 12), np.float32),  # 144 offsets: int32
    ("floor leftover", (1, 2, 9, 11), (2, 2), np.float32),
]


@pytest.mark.parametrize("case", MAX_POOL_CASES, ids=lambda c: c[0])
@pytest.mark.parametrize("with_indices", [False, True])
def test_max_pool_into_equals_its_kernel(case, with_indices):
    _, shape, k, dtype = case
    if np.dtype(dtype).kind == "f":
        x = floats(shape, dtype, special=False)
        x.reshape(-1)[::7] = 0.0  # ties: the first maximum wins
        x.reshape(-1)[1::11] = -0.0
    else:
        x = RNG.integers(0, 4, shape).astype(dtype)  # many ties
    o = tuple(n // kk for n, kk in zip(shape[2:], k))
    attrs = {"kernel_size": k, "stride": k, "padding": (0, 0), "dilation": (1, 1),
             "output_size": o, "with_indices": with_indices}  # fmt: skip
    check(P._MAX_POOL[2], x, **attrs)
    check(P._MAX_POOL[2], np.asfortranarray(x), **attrs)  # a strided input
    if np.dtype(dtype).kind == "f":
        nan = x.copy()
        nan.reshape(-1)[5] = np.nan  # a window with NaN: the general pass, copied in
        nan.reshape(-1)[40] = -np.inf
        check(P._MAX_POOL[2], nan, **attrs)


def test_max_pool_into_copies_the_general_pass_for_overlapping_or_padded_windows():
    x = floats((2, 3, 9, 9), np.float32, special=False)
    for k, s, p in [((3, 3), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((2, 2), (1, 1), (0, 0))]:
        o = tuple(P._pool_size(n, kk, ss, pp, 1, False) for n, kk, ss, pp in zip((9, 9), k, s, p))
        check(P._MAX_POOL[2], x, kernel_size=k, stride=s, padding=p, dilation=(1, 1),
              output_size=o, with_indices=True)  # fmt: skip
    for nd, shape in ((1, (2, 3, 10)), (3, (1, 2, 4, 4, 4))):  # 1-d and 3-d: the general pass
        k = (2,) * nd
        check(P._MAX_POOL[nd], floats(shape, np.float32, special=False), kernel_size=k,
              stride=k, padding=(0,) * nd, dilation=(1,) * nd,
              output_size=tuple(n // 2 for n in shape[2:]), with_indices=False)  # fmt: skip
