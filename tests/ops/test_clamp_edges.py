"""clamp, clamp_min and clamp_max on edge values as PyTorch 2.13 (tinytensor/ops/selection.py).

Forward: a bound replaces x only where x is beyond it (or the bound is NaN), so at a tie between
-0.0 and +0.0 the result is x's zero; bounds apply as min(max(x, lo), hi) (hi wins when
lo > hi). PyTorch's scalar loop computes exactly this; its vectorized loop (a contiguous run of
16 float32 on AVX-512) picks the bound at a tie for tensor bounds, so the torch tests read
tensor bounds through a strided view, which always takes the scalar loop. Gradients of two
tensor bounds follow PyTorch's clamp_backward_min_max: dx = g where lo <= x <= hi,
dlo = g where x < lo < hi, dhi = g where x > hi or hi < lo. Number bounds are converted with
PyTorch's overflow check (RuntimeError), a number mixed with a tensor that is not a 0-d
constant is a TypeError, and bool clamps are not implemented (NotImplementedError).
NumPy oracles first, PyTorch behind the marker."""

import itertools

import numpy as np
import pytest
from same_bits import assert_same_bits

import tinytensor as tt

NAN, INF = np.nan, np.inf
EDGES = [-0.0, 0.0, NAN, INF, -INF, 1.0, -1.0]


def _ref(x, lo, hi):
    """Elementwise oracle in plain Python: x unless beyond a bound; NaN from any NaN."""
    out = []
    for v, a, b in zip(x.ravel().tolist(), lo.ravel().tolist(), hi.ravel().tolist()):
        if a is not None and (v < a or a != a):
            v = a
        if b is not None and (v > b or b != b):
            v = b
        out.append(v)
    return np.array(out, x.dtype).reshape(x.shape)


def _bounds(n, v):
    return np.array([v] * n, dtype=object)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_number_bounds_keep_x_at_a_tie_numpy(dtype):
    # 40 elements: past any SIMD width, so a vectorized tie rule would show.
    x = np.array(EDGES * 6, dtype)
    n = x.size
    for lo, hi in itertools.product(EDGES + [None], repeat=2):
        if lo is None and hi is None:
            continue
        want = _ref(x, _bounds(n, lo), _bounds(n, hi))
        assert_same_bits(tt.clamp(tt.tensor(x), lo, hi).numpy(), want)
        t = tt.tensor(x)
        t.clamp_(lo, hi)
        assert_same_bits(t.numpy(), want)
        if hi is None:
            assert_same_bits(tt.clamp_min(tt.tensor(x), lo).numpy(), want)
            assert_same_bits(tt.tensor(x).clamp_min_(lo).numpy(), want)
        if lo is None:
            assert_same_bits(tt.clamp_max(tt.tensor(x), hi).numpy(), want)
            assert_same_bits(tt.tensor(x).clamp_max_(hi).numpy(), want)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_tensor_bounds_keep_x_at_a_tie_numpy(dtype):
    combos = list(itertools.product(EDGES, repeat=3))
    x, lo, hi = (np.array([c[i] for c in combos], dtype) for i in range(3))
    want = _ref(x, lo.astype(object), hi.astype(object))
    assert_same_bits(tt.clamp(tt.tensor(x), tt.tensor(lo), tt.tensor(hi)).numpy(), want)
    none = np.array([None] * x.size, object)
    want_min = _ref(x, lo.astype(object), none)
    assert_same_bits(tt.clamp_min(tt.tensor(x), tt.tensor(lo)).numpy(), want_min)
    assert_same_bits(tt.clamp(tt.tensor(x), min=tt.tensor(lo)).numpy(), want_min)
    want_max = _ref(x, none, hi.astype(object))
    assert_same_bits(tt.clamp_max(tt.tensor(x), tt.tensor(hi)).numpy(), want_max)
    assert_same_bits(tt.clamp(tt.tensor(x), max=tt.tensor(hi)).numpy(), want_max)


def test_tensor_bounds_gradients_numpy():
    vals = [-1.0, 0.0, 1.0, NAN]
    combos = list(itertools.product(vals, repeat=3))
    xv, lov, hiv = (np.array([c[i] for c in combos]) for i in range(3))
    g = -np.arange(1.0, len(combos) + 1)
    x, lo, hi = (tt.tensor(v, requires_grad=True) for v in (xv, lov, hiv))
    tt.clamp(x, lo, hi).backward(tt.tensor(g))
    with np.errstate(invalid="ignore"):
        dx = np.where((xv >= lov) & (xv <= hiv), g, 0.0)
        dlo = np.where((xv < lov) & (lov < hiv), g, 0.0)
        dhi = np.where((xv > hiv) | (hiv < lov), g, 0.0)
    assert_same_bits(x.grad.numpy(), dx)
    assert_same_bits(lo.grad.numpy(), dlo)
    assert_same_bits(hi.grad.numpy(), dhi)
    # At lo == hi > x no operand gets the gradient (the rule above, not maximum's half split).
    x, lo, hi = (tt.tensor([v], requires_grad=True) for v in (-1.0, 0.0, 0.0))
    tt.clamp(x, lo, hi).backward(tt.tensor([1.0]))
    assert (x.grad.item(), lo.grad.item(), hi.grad.item()) == (0.0, 0.0, 0.0)
    # A tie x == lo gives x the whole gradient (maximum would give each side half).
    x, lo, hi = (tt.tensor([v], requires_grad=True) for v in (0.0, 0.0, 2.0))
    tt.clamp(x, lo, hi).backward(tt.tensor([1.0]))
    assert (x.grad.item(), lo.grad.item(), hi.grad.item()) == (1.0, 0.0, 0.0)


def test_tensor_bounds_broadcast_and_reduce_gradients_numpy():
    x = tt.tensor([[-2.0, 0.5, 3.0]], requires_grad=True)
    lo = tt.tensor([[-1.0], [1.0]], requires_grad=True)
    hi = tt.tensor(2.0, requires_grad=True)
    out = tt.clamp(x, lo, hi)
    np.testing.assert_array_equal(out.detach().numpy(), [[-1.0, 0.5, 2.0], [1.0, 1.0, 2.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(lo.grad.numpy(), [[1.0], [2.0]])
    assert hi.grad.item() == 2.0
    with pytest.raises(RuntimeError, match="clamp"):
        tt.clamp(tt.ones(3), tt.ones(2), tt.ones(3))


# (tensor dtype, bound, expected values or error class): PyTorch 2.13's checked conversion.
CONVERSIONS = [
    ("uint8", -1, [255, 255]),
    ("uint8", -255, [1, 1]),
    ("uint8", -256, RuntimeError),
    ("uint8", 256, RuntimeError),
    ("int8", 127, [127, 127]),
    ("int8", 128, RuntimeError),
    ("int8", -129, RuntimeError),
    ("int64", 2**63 - 1, [2**63 - 1, 2**63 - 1]),
    ("int64", 2**63, RuntimeError),
    ("int64", 2**64, OverflowError),
    ("int64", -(2**63) - 1, OverflowError),
    ("float16", 65504.0, [65504.0, 65504.0]),
    ("float16", 65519.0, RuntimeError),
    ("float16", INF, [INF, INF]),
    ("float32", 3.5e38, RuntimeError),
    ("float32", 2**64 - 1, [float(2**64 - 1)] * 2),
    ("bool", True, NotImplementedError),
]


@pytest.mark.parametrize("dtype,bound,want", CONVERSIONS)
def test_number_bound_conversion_numpy(dtype, bound, want):
    for f in (tt.clamp, tt.clamp_min):
        x = tt.tensor([0, 1], dtype=getattr(tt, dtype))
        if isinstance(want, type):
            with pytest.raises(want, match="clamp"):
                f(x, bound)
            assert x.tolist() == [0, 1]
            with pytest.raises(want, match="clamp"):
                x.clamp_(bound)
            assert x.tolist() == [0, 1]  # nothing written
        else:
            out = f(x, bound)
            assert out.dtype is x.dtype and out.tolist() == want


def test_bound_kinds_and_dtypes_numpy():
    x = tt.tensor([1.0, 2.0, 3.0])
    for bad in (np.array([1.5]), "1"):
        with pytest.raises(TypeError, match="clamp"):
            tt.clamp(x, bad)
    with pytest.raises(TypeError, match="both Tensors or both numbers"):
        tt.clamp(x, tt.tensor([1.5]), 2.0)
    with pytest.raises(TypeError, match="both Tensors or both numbers"):
        tt.clamp(x, tt.tensor(1.5, requires_grad=True), 2.0)
    # A constant 0-d tensor beside a number is read as the number (the Scalar overload).
    out = tt.clamp(tt.tensor([1, 2, 3]), tt.tensor(1.5, dtype=tt.float64), 2)
    assert out.dtype is tt.float32 and out.tolist() == [1.5, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="without overflow"):
        tt.clamp(x, tt.tensor(1e300, dtype=tt.float64), 2.5)
    with pytest.raises(NotImplementedError):
        tt.clamp(tt.tensor([True]), tt.tensor(True), tt.tensor(True))
    assert tt.clamp_min(tt.tensor([True, False]), tt.tensor([True])).tolist() == [True, True]
    assert tt.clamp(tt.tensor([True, False]), 2).dtype is tt.int64
    ints = tt.tensor([1, 2, 3])
    # Two tensor bounds: PyTorch's result_type over the three (0-d ones weigh less).
    assert tt.clamp(ints, tt.tensor(0.5, dtype=tt.float64), tt.tensor(2)).dtype is tt.float64
    assert tt.clamp(ints, tt.tensor([0, 1, 2]), tt.tensor(2.5)).dtype is tt.float32
    assert tt.clamp(ints.to(tt.int8), tt.tensor(0), tt.tensor(2)).dtype is tt.int8
    assert tt.clamp(x, tt.tensor([0.5], dtype=tt.float64), tt.tensor(2.5)).dtype is tt.float64


@pytest.mark.torch
def test_ties_nan_inf_match_torch():
    torch = pytest.importorskip("torch")
    for dtype in ("float16", "float32", "float64"):
        tdt = getattr(torch, dtype)
        x = np.array(EDGES * 6, dtype)
        for lo, hi in itertools.product(EDGES + [None], repeat=2):
            if lo is None and hi is None:
                continue
            want = torch.clamp(torch.tensor(x), lo, hi).numpy()
            assert_same_bits(tt.clamp(tt.tensor(x), lo, hi).numpy(), want)
            if hi is None:
                want = torch.clamp_min(torch.tensor(x), lo).numpy()
                assert_same_bits(tt.clamp_min(tt.tensor(x), lo).numpy(), want)
        # Tensor bounds through a strided view: PyTorch's scalar loop everywhere.
        combos = list(itertools.product(EDGES, repeat=3))
        cols = [np.repeat(np.array([c[i] for c in combos], dtype), 2) for i in range(3)]
        tx, tlo, thi = (torch.tensor(c, dtype=tdt)[::2] for c in cols)
        xs, los, his = (c[::2] for c in cols)
        assert_same_bits(
            tt.clamp(tt.tensor(xs), tt.tensor(los), tt.tensor(his)).numpy(),
            torch.clamp(tx, tlo, thi).numpy(),
        )
        assert_same_bits(
            tt.clamp_min(tt.tensor(xs), tt.tensor(los)).numpy(),
            torch.clamp_min(tx, tlo).numpy(),
        )
        assert_same_bits(
            tt.clamp_max(tt.tensor(xs), tt.tensor(his)).numpy(),
            torch.clamp_max(tx, thi).numpy(),
        )


@pytest.mark.torch
def test_tensor_bounds_gradients_match_torch():
    torch = pytest.importorskip("torch")
    vals = [-1.0, 0.0, 1.0, NAN]
    combos = list(itertools.product(vals, repeat=3))
    cols = [np.array([c[i] for c in combos]) for i in range(3)]
    g = -np.arange(1.0, len(combos) + 1)
    for kw in ("both", "min", "max"):
        ours = [tt.tensor(c, requires_grad=True) for c in cols]
        theirs = [torch.tensor(c, requires_grad=True) for c in cols]
        for lib, (x, lo, hi) in ((tt, ours), (torch, theirs)):
            args = {"both": (lo, hi), "min": (lo, None), "max": (None, hi)}[kw]
            lib.clamp(x, *args).backward(lib.tensor(g))
        for a, b in zip(ours, theirs):
            if b.grad is None:
                assert a.grad is None
            else:
                assert_same_bits(a.grad.numpy(), b.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("dtype,bound,want", CONVERSIONS)
def test_number_bound_conversion_matches_torch(dtype, bound, want):
    torch = pytest.importorskip("torch")
    for name in ("clamp", "clamp_min", "clamp_max"):
        try:
            expect = getattr(torch, name)(torch.tensor([0, 1], dtype=getattr(torch, dtype)), bound)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            with pytest.raises(type(e)):
                getattr(tt, name)(tt.tensor([0, 1], dtype=getattr(tt, dtype)), bound)
            continue
        got = getattr(tt, name)(tt.tensor([0, 1], dtype=getattr(tt, dtype)), bound)
        assert got.tolist() == expect.tolist()
        assert str(got.dtype).split(".")[1] == str(expect.dtype).split(".")[1]
