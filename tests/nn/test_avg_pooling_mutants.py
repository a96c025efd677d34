"""Average, adaptive-average and power-average (LP) pooling against plain-loop NumPy oracles of
PyTorch's window rules, without PyTorch: values, dtypes, gradients of three orders, the
averaging matrices an exporter reads, the saved input, divisor_override, ceil_mode's partial
windows and every error. Written to kill the one-token bugs ``tools/mutation.py`` plants in
``nn/functional/avg_pooling.py`` (issue #25)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

# --------------------------------------------------------------------------- oracles


def _windows(n, k, s, p, ceil):
    """PyTorch's windows along one axis: (first, last + 1 inside the input, size for
    count_include_pad), the size counting padding but not what ceil_mode adds past it."""
    out = []
    for i in itertools.count():
        start = i * s - p
        if not ceil and start + k > n + p:
            break
        # ceil_mode: up to one more window than fit, if it starts inside input or left padding
        if ceil and (i * s > n + 2 * p - k + s - 1 or start >= n):
            break
        end = min(start + k, n + p)
        out.append((max(start, 0), min(end, n), end - start))
    return out


def _avg_oracle(x, k, s, p, ceil, cip, divisor=None):
    """(out, matrix A) with out = A @ x.ravel() per plane, by loops over every window."""
    nd = len(k)
    sp = x.shape[2:]
    wins = [_windows(sp[a], k[a], s[a], p[a], ceil) for a in range(nd)]
    o = tuple(len(w) for w in wins)
    a_mat = np.zeros((math.prod(o), math.prod(sp)))
    for r, oi in enumerate(np.ndindex(*o)):
        ws = [wins[a][oi[a]] for a in range(nd)]
        inside = [range(lo, hi) for lo, hi, _ in ws]
        if divisor is not None:
            div = divisor
        elif cip:
            div = math.prod(n for _, _, n in ws)
        else:
            div = math.prod(hi - lo for lo, hi, _ in ws)
        for pos in itertools.product(*inside):
            a_mat[r, np.ravel_multi_index(pos, sp)] += 1.0 / div
    planes = x.reshape(x.shape[0] * x.shape[1], -1)
    return (planes @ a_mat.T).reshape(x.shape[:2] + o), a_mat


def _adaptive_oracle(x, o):
    nd = len(o)
    sp = x.shape[2:]
    wins = [[((i * n) // oo, -((-(i + 1) * n) // oo)) for i in range(oo)] for n, oo in zip(sp, o)]
    a_mat = np.zeros((math.prod(o), math.prod(sp)))
    for r, oi in enumerate(np.ndindex(*o)):
        ranges = [range(*wins[a][oi[a]]) for a in range(nd)]
        cells = list(itertools.product(*ranges))
        for pos in cells:
            a_mat[r, np.ravel_multi_index(pos, sp)] += 1.0 / len(cells)
    planes = x.reshape(x.shape[0] * x.shape[1], -1)
    return (planes @ a_mat.T).reshape(x.shape[:2] + tuple(o)), a_mat


def _apply(a_mat, v, out_shape):
    return (v.reshape(v.shape[0] * v.shape[1], -1) @ a_mat.T).reshape(out_shape)


def _tup(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


def _check_three_orders(fn, x, a_mat, out_shape, rng):
    """dx = A^T g;  d(dx.v)/dg = A v;  d((A v).w)/dv = A^T w, each against the matrix."""
    xt = tt.tensor(x, requires_grad=True)
    out = fn(xt)
    g = tt.tensor(rng.standard_normal(out_shape), requires_grad=True)
    (dx,) = tt.autograd.grad(out, xt, g, create_graph=True)
    want = _apply(a_mat.T, g.detach().numpy(), x.shape)
    np.testing.assert_allclose(dx.detach().numpy(), want, rtol=1e-12, atol=1e-14)
    v = tt.tensor(rng.standard_normal(x.shape), requires_grad=True)
    (dg,) = tt.autograd.grad(dx, g, v, create_graph=True)
    want = _apply(a_mat, v.detach().numpy(), out_shape)
    np.testing.assert_allclose(dg.detach().numpy(), want, rtol=1e-12, atol=1e-14)
    w = rng.standard_normal(out_shape)
    (dv,) = tt.autograd.grad(dg, v, tt.tensor(w))
    np.testing.assert_allclose(dv.numpy(), _apply(a_mat.T, w, x.shape), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- avg_pool

AVG = [
    # nd, spatial shape, kernel, stride, padding, ceil_mode
    (1, (9,), 3, 2, 1, False),
    (1, (10,), 4, 3, 2, True),
    (1, (7,), 2, None, 1, True),
    (1, (8,), 2, None, 0, False),
    (2, (7, 8), (3, 2), (2, 1), (1, 1), False),
    (2, (9, 7), 3, 2, 1, True),
    (2, (6, 9), (2, 4), (3, 2), (1, 2), True),
    (3, (5, 6, 7), (3, 2, 3), 2, 1, True),
    (3, (4, 5, 6), (2, 3, 2), (1, 2, 3), (1, 0, 1), False),
]


def test_window_oracle_agrees_with_hand_counted_windows():
    # n = 5, k = 2, s = 2, p = 1, ceil: windows [-1, 1) [1, 3) [3, 5) -> 3 windows, the first
    # counting one pad; n = 6, k = 3, s = 2, p = 1, ceil: [-1,2) [1,4) [3,6) [5,7): the last
    # runs one past the right padding, so its size for count_include_pad is 2
    assert _windows(5, 2, 2, 1, True) == [(0, 1, 2), (1, 3, 2), (3, 5, 2)]
    assert _windows(6, 3, 2, 1, True) == [(0, 2, 3), (1, 4, 3), (3, 6, 3), (5, 6, 2)]
    assert _windows(6, 3, 2, 1, False) == [(0, 2, 3), (1, 4, 3), (3, 6, 3)]
    assert _windows(5, 2, 2, 0, True) == [(0, 2, 2), (2, 4, 2), (4, 5, 1)]


@pytest.mark.parametrize("case", AVG, ids=[str(i) for i in range(len(AVG))])
@pytest.mark.parametrize("cip", [True, False], ids=["include-pad", "exclude-pad"])
def test_avg_pool_values_and_gradients_against_loops(case, cip):
    nd, sp, k, s, p, ceil = case
    kk, pp = _tup(k, nd), _tup(p, nd)
    ss = kk if s is None else _tup(s, nd)
    rng = np.random.default_rng(sum(sp) * 3 + nd)
    x = rng.standard_normal((2, 3) + sp)
    want, a_mat = _avg_oracle(x, kk, ss, pp, ceil, cip)
    fn = getattr(F, f"avg_pool{nd}d")

    def call(t):
        return fn(t, k, s, p, ceil, cip)

    got = call(tt.tensor(x))
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)
    _check_three_orders(call, x, a_mat, want.shape, rng)
    # float32 stays float32 and agrees to float32 precision
    got32 = call(tt.tensor(x.astype(np.float32)))
    assert got32.dtype == tt.float32
    np.testing.assert_allclose(got32.numpy(), want, rtol=1e-5, atol=1e-6)
    # the node carries the per-axis averaging matrices, whose outer product is A
    node = call(tt.tensor(x, requires_grad=True)).grad_fn
    assert node.name() == f"AvgPool{nd}DBackward"
    mats = [m.numpy() for m in node.attrs["matrices"]]
    assert len(mats) == nd and not any(m.flags.writeable for m in mats)
    np.testing.assert_allclose(
        np.einsum(*itertools.chain(*((m, [a, nd + a]) for a, m in enumerate(mats)))).reshape(
            a_mat.shape
        ),
        a_mat,
        rtol=1e-12,
    )


def test_avg_pool_hand_counted_values():
    x = tt.tensor(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]))
    # k = 2, s = 2, p = 1: windows [pad, 1] [2, 3] [4, 5]
    np.testing.assert_allclose(F.avg_pool1d(x, 2, 2, 1).numpy(), [[[0.5, 2.5, 4.5]]])
    np.testing.assert_allclose(
        F.avg_pool1d(x, 2, 2, 1, count_include_pad=False).numpy(), [[[1.0, 2.5, 4.5]]]
    )
    # floor mode by default: the last element, left over, is dropped
    np.testing.assert_allclose(F.avg_pool1d(x, 2).numpy(), [[[1.5, 3.5]]])
    # ceil_mode: a last window [5] of one element divides by 1 either way
    np.testing.assert_allclose(F.avg_pool1d(x, 2, ceil_mode=True).numpy(), [[[1.5, 3.5, 5.0]]])
    np.testing.assert_allclose(
        F.avg_pool1d(x, 2, ceil_mode=True, count_include_pad=False).numpy(),
        [[[1.5, 3.5, 5.0]]],
    )
    # k = 3, s = 1, p = 1 excluding padding: edge windows hold two elements
    np.testing.assert_allclose(
        F.avg_pool1d(x, 3, 1, 1, count_include_pad=False).numpy(),
        [[[1.5, 2.0, 3.0, 4.0, 4.5]]],
    )


# torch 2.13: F.avg_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 3, 2, 1,
#     count_include_pad=True, divisor_override=2)
DIVISOR_TORCH = [[5.0, 12.0], [25.5, 45.0]]
# torch 2.13: F.avg_pool2d(torch.arange(20.).reshape(1, 1, 4, 5), (2, 3), (1, 2), (1, 1),
#     ceil_mode=True, count_include_pad=True, divisor_override=3)
DIVISOR_TORCH_CEIL = [[1 / 3, 2.0, 7 / 3], [4.0, 9.0, 8.0], [32 / 3, 19.0, 44 / 3],
                      [52 / 3, 29.0, 64 / 3], [31 / 3, 17.0, 37 / 3]]  # fmt: skip


def test_divisor_override_divides_every_window_sum_by_it():
    x = tt.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(
        F.avg_pool2d(x, 3, 2, 1, divisor_override=2).numpy()[0, 0], DIVISOR_TORCH, rtol=1e-6
    )
    # count_include_pad plays no part once a divisor is given
    np.testing.assert_allclose(
        F.avg_pool2d(x, 3, 2, 1, False, False, 2).numpy()[0, 0], DIVISOR_TORCH, rtol=1e-6
    )
    y = tt.arange(20.0).reshape(1, 1, 4, 5)
    got = F.avg_pool2d(y, (2, 3), (1, 2), (1, 1), True, True, 3).numpy()[0, 0]
    np.testing.assert_allclose(got, DIVISOR_TORCH_CEIL, rtol=1e-6)
    rng = np.random.default_rng(3)
    for nd, sp, k, s, p, ceil, div in [
        (2, (6, 7), (2, 3), (1, 2), (1, 1), True, 5),
        (3, (4, 5, 6), (2, 3, 2), 2, 1, False, 7),
        (3, (5, 5, 5), 3, 2, 0, True, 1),
    ]:
        x = rng.standard_normal((2, 2) + sp)
        kk, ss, pp = _tup(k, nd), _tup(s, nd), _tup(p, nd)
        want, a_mat = _avg_oracle(x, kk, ss, pp, ceil, True, div)

        def call(t, nd=nd, k=k, s=s, p=p, ceil=ceil, div=div):
            return getattr(F, f"avg_pool{nd}d")(t, k, s, p, ceil, True, div)

        np.testing.assert_allclose(call(tt.tensor(x)).numpy(), want, rtol=1e-12, atol=1e-14)
        _check_three_orders(call, x, a_mat, want.shape, rng)


def test_divisor_override_must_be_positive():
    x = tt.randn(1, 1, 4, 4, 4)
    for bad in (0, -1, -2.5):
        with pytest.raises(ValueError, match=r"^avg_pool3d: divisor_override must be positive"):
            F.avg_pool3d(x, 2, divisor_override=bad)
        with pytest.raises(ValueError, match=r"^avg_pool2d: divisor_override must be positive"):
            F.avg_pool2d(x[0], 2, divisor_override=bad)
    np.testing.assert_allclose(
        F.avg_pool3d(x, 2, divisor_override=1).numpy(),
        x.numpy().reshape(1, 1, 2, 2, 2, 2, 2, 2).sum((3, 5, 7)),
        rtol=1e-5,
    )


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_avg_pool_unbatched_and_defaults(nd):
    sp = (6, 5, 4)[:nd]
    x = np.random.default_rng(nd).standard_normal((3,) + sp)
    fn = getattr(F, f"avg_pool{nd}d")
    got = fn(tt.tensor(x), 2, 1, 1)
    np.testing.assert_allclose(got.numpy(), fn(tt.tensor(x[None]), 2, 1, 1).numpy()[0])
    # defaults: stride = kernel, padding 0, floor mode, padding counted
    want, _ = _avg_oracle(x[None], (2,) * nd, (2,) * nd, (0,) * nd, False, True)
    np.testing.assert_allclose(fn(tt.tensor(x), 2).numpy(), want[0], rtol=1e-12)
    for stride in ((), []):
        np.testing.assert_allclose(fn(tt.tensor(x), 2, stride).numpy(), want[0], rtol=1e-12)
    # count_include_pad defaults to True: the padding counts in the divisor
    want, _ = _avg_oracle(x[None], (3,) * nd, (1,) * nd, (1,) * nd, False, True)
    np.testing.assert_allclose(fn(tt.tensor(x), 3, 1, 1).numpy(), want[0], rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_avg_pool_errors_name_the_op(nd):
    fn = getattr(F, f"avg_pool{nd}d")
    for shape in [(4,) * nd, (1, 1, 1) + (4,) * nd]:
        with pytest.raises(RuntimeError, match=rf"^avg_pool{nd}d: expected a {nd + 1}-D"):
            fn(tt.zeros(*shape), 2)
    with pytest.raises(TypeError, match=rf"^avg_pool{nd}d: expected a floating point input"):
        fn(tt.zeros(1, 1, *(4,) * nd, dtype=tt.int64), 2)
    with pytest.raises(RuntimeError, match=rf"^avg_pool{nd}d: padding .* at most half"):
        fn(tt.zeros(1, 1, *(6,) * nd), 3, 1, 2)
    with pytest.raises(RuntimeError, match=rf"^avg_pool{nd}d: output size .* too small"):
        fn(tt.zeros(1, 1, *(3,) * nd), 4)
    with pytest.raises(RuntimeError, match=rf"^avg_pool{nd}d: kernel_size, stride and dilation"):
        fn(tt.zeros(1, 1, *(3,) * nd), 2, 0)


def test_avg_pool_saves_its_input_and_upsampling_does_not():
    # PyTorch's pools save the input (changing it in place makes backward raise); its
    # upsampling saves only sizes
    x = tt.randn(1, 1, 4, 4, requires_grad=True)
    for op in (lambda t: F.avg_pool2d(t, 2), lambda t: F.adaptive_avg_pool2d(t, (3, 2))):
        y = x * 1.0
        out = op(y)
        y.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
    y = x * 1.0
    out = F.interpolate(y, scale_factor=2, mode="bilinear")
    y.add_(1.0)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 1, 4, 4), 4.0), rtol=1e-6)


def test_second_order_nodes_are_the_transposed_and_back():
    x = tt.randn(1, 1, 6, 6, dtype=tt.float64, requires_grad=True)
    out = F.avg_pool2d(x, 3, 2, 1)
    g = tt.ones(*out.shape, dtype=tt.float64, requires_grad=True)
    (dx,) = tt.autograd.grad(out, x, g, create_graph=True)
    assert dx.grad_fn.name() == "AvgPool2DBackwardBackward"
    assert dx.grad_fn.attrs["transposed"] is True
    mats = out.grad_fn.attrs["matrices"]
    for m, n in zip(mats, dx.grad_fn.attrs["matrices"]):
        np.testing.assert_array_equal(m.numpy(), n.numpy())
    assert "transposed" not in out.grad_fn.attrs
    v = tt.ones(1, 1, 6, 6, dtype=tt.float64, requires_grad=True)
    (dg,) = tt.autograd.grad(dx, g, v, create_graph=True)
    assert dg.grad_fn.name() == "AvgPool2DBackwardBackwardBackward"
    assert "transposed" not in dg.grad_fn.attrs


# --------------------------------------------------------------------------- adaptive avg

ADAPTIVE = [
    (1, (10,), 4), (1, (3,), 5), (1, (7,), 7), (1, (6,), 1),
    (2, (7, 9), (3, 4)), (2, (5, 4), (None, 3)), (2, (5, 4), 2), (2, (4, 5), (6, 2)),
    (2, (5, 6), 1),
    (3, (5, 7, 6), (2, 3, 4)), (3, (3, 4, 5), (2, None, 1)), (3, (3, 4, 2), 1),
]  # fmt: skip


@pytest.mark.parametrize("nd,sp,o", ADAPTIVE, ids=[str(i) for i in range(len(ADAPTIVE))])
def test_adaptive_avg_pool_values_and_gradients_against_loops(nd, sp, o):
    rng = np.random.default_rng(sum(sp) + 7 * nd)
    x = rng.standard_normal((2, 3) + sp)
    oo = tuple(sp[a] if v is None else v for a, v in enumerate(_tup(o, nd)))
    want, a_mat = _adaptive_oracle(x, oo)
    fn = getattr(F, f"adaptive_avg_pool{nd}d")
    got = fn(tt.tensor(x), o)
    assert tuple(got.shape) == (2, 3) + oo
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)
    _check_three_orders(lambda t: fn(t, o), x, a_mat, want.shape, rng)
    got32 = fn(tt.tensor(x.astype(np.float32)), o)
    assert got32.dtype == tt.float32
    np.testing.assert_allclose(got32.numpy(), want, rtol=1e-5, atol=1e-6)
    node = fn(tt.tensor(x, requires_grad=True), o).grad_fn
    assert node.name() == ("MeanBackward" if oo == (1,) * nd else f"AdaptiveAvgPool{nd}DBackward")
    unb = fn(tt.tensor(x[0]), o)
    assert tuple(unb.shape) == (3,) + oo
    np.testing.assert_allclose(unb.numpy(), want[0], rtol=1e-12, atol=1e-14)


def test_adaptive_avg_pool_output_size_errors():
    x = tt.randn(1, 2, 6, 5)
    with pytest.raises(RuntimeError, match=r"^adaptive_avg_pool2d: output_size must be an int"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
    for bad in (0, (0, 2), (3, -1)):
        with pytest.raises(ValueError, match=r"^adaptive_avg_pool2d: output_size must be positive"):
            F.adaptive_avg_pool2d(x, bad)
    with pytest.raises(RuntimeError, match=r"^adaptive_avg_pool3d: expected a 4-D"):
        F.adaptive_avg_pool3d(x[0, 0], 2)
    with pytest.raises(TypeError, match=r"^adaptive_avg_pool1d: expected a floating point"):
        F.adaptive_avg_pool1d(tt.zeros(1, 2, 3, dtype=tt.int32), 2)


# --------------------------------------------------------------------------- lp_pool

# torch 2.13, e.g. F.lp_pool1d(torch.tensor([[[1., 2, 3, 4, 5]]]), 1, 2, ceil_mode=True):
# ceil_mode's partial last window is averaged over its own length, then multiplied by the
# full kernel (PyTorch's formula), so [5] gives 5 * 2 = 10
LP_TORCH = [
    (1, [1.0, 2, 3, 4, 5], 1, 2, None, True, [3.0, 7.0, 10.0]),
    (1, [1.0, 2, 3, 4, 5], 2, 2, None, True, [5**0.5, 5.0, 50**0.5]),
    (1, [-1.0, -2, 3, -4, 5, -6], 1, 2, None, False, [-3.0, -1.0, -1.0]),
    (1, [1.0, 2, 3, 4, 5, 6, 7], 2, 3, 2, False, [14**0.5, 50**0.5, 110**0.5]),
]


@pytest.mark.parametrize("case", LP_TORCH, ids=[str(i) for i in range(len(LP_TORCH))])
def test_lp_pool1d_numbers_from_torch(case):
    _, x, p, k, s, ceil, want = case
    got = F.lp_pool1d(tt.tensor(np.array([[x]])), p, k, s, ceil)
    np.testing.assert_allclose(got.numpy()[0, 0], want, rtol=1e-12)


def test_lp_pool2d_ceil_mode_number_from_torch():
    # torch 2.13: F.lp_pool2d(torch.arange(20.).reshape(1, 1, 4, 5), 2, (2, 3), ceil_mode=True)
    got = F.lp_pool2d(tt.arange(20.0).reshape(1, 1, 4, 5), 2, (2, 3), ceil_mode=True)
    want = [[10.7238, 15.9687], [33.6898, 39.6863]]
    np.testing.assert_allclose(got.numpy()[0, 0], want, rtol=1e-4)
    # 15.9687 by hand: window rows 0-1, cols 3-4 sums 9 + 16 + 64 + 81 = 170, scaled by 3 / 2
    assert abs(got.numpy()[0, 0, 0, 1] - (170 * 1.5) ** 0.5) < 1e-4


@pytest.mark.filterwarnings("ignore:invalid value encountered in power:RuntimeWarning")
def test_lp_pool_with_a_negative_window_sum_is_nan_for_odd_powers():
    # (-1)^3 + (-2)^3 = -9 < 0: the 1/3 power of a negative number is NaN, as in PyTorch
    out = F.lp_pool1d(tt.tensor(np.array([[[-1.0, -2.0, 3.0, 1.0]]])), 3, 2).numpy()[0, 0]
    assert np.isnan(out[0])
    np.testing.assert_allclose(out[1], 28 ** (1 / 3), rtol=1e-12)


@pytest.mark.parametrize(
    "nd,sp,p,k,s",
    [(1, (9,), 2, 3, 2), (2, (7, 6), 3, (2, 3), None), (2, (6, 6), 1.5, 2, 1),
     (3, (4, 5, 4), 2, 2, (1, 2, 2)), (3, (5, 4, 6), 4, (3, 2, 2), 2)],
)  # fmt: skip
def test_lp_pool_is_the_p_norm_of_each_window(nd, sp, p, k, s):
    rng = np.random.default_rng(nd * 10 + sum(sp))
    x = rng.uniform(0.5, 2.0, (2, 3) + sp)
    kk = _tup(k, nd)
    ss = kk if s is None else _tup(s, nd)
    sums, a_mat = _avg_oracle(x**p, kk, ss, (0,) * nd, False, True, divisor=1)
    want = sums ** (1.0 / p)
    fn = getattr(F, f"lp_pool{nd}d")
    got = fn(tt.tensor(x), p, k, s)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    # gradient: d/dx_j (sum x^p)^(1/p) = x_j^(p-1) * out^(1-p), summed over the windows
    xt = tt.tensor(x, requires_grad=True)
    g = rng.standard_normal(want.shape)
    fn(xt, p, k, s).backward(tt.tensor(g))
    want_grad = _apply(a_mat.T, g * want ** (1.0 - p), x.shape) * x ** (p - 1)
    np.testing.assert_allclose(xt.grad.numpy(), want_grad, rtol=1e-10)
    unb = fn(tt.tensor(x[0]), p, k, s)
    np.testing.assert_allclose(unb.numpy(), want[0], rtol=1e-12)


def test_lp_pool_errors_name_the_op():
    with pytest.raises(RuntimeError, match=r"^lp_pool2d: expected a 3-D"):
        F.lp_pool2d(tt.ones(4, 4), 2, 2)
    with pytest.raises(TypeError, match=r"^lp_pool1d: expected a floating point"):
        F.lp_pool1d(tt.ones(1, 4, dtype=tt.int64), 2, 2)
    with pytest.raises(RuntimeError, match=r"^lp_pool3d: output size .* too small"):
        F.lp_pool3d(tt.ones(1, 1, 2, 2, 2), 2, 3)
    with pytest.raises(RuntimeError, match=r"^lp_pool2d: expected kernel_size to be a single"):
        F.lp_pool2d(tt.ones(1, 4, 4), 2, (2, 2, 2))
    with pytest.raises(TypeError, match=r"^lp_pool2d: kernel_size must be an int or a tuple"):
        F.lp_pool2d(tt.ones(1, 4, 4), 2, "2")


def test_lp_pool_defaults_floor_mode_and_stride_equal_to_the_kernel():
    x = tt.tensor(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]))
    np.testing.assert_allclose(F.lp_pool1d(x, 1, 2).numpy(), [[[3.0, 7.0]]])
    y = tt.tensor(np.arange(1.0, 26.0).reshape(1, 5, 5))
    got = F.lp_pool2d(y, 1, 2).numpy()
    np.testing.assert_allclose(got, [[[16.0, 24.0], [56.0, 64.0]]])
    z = tt.tensor(np.ones((1, 1, 3, 3, 5)))
    np.testing.assert_allclose(F.lp_pool3d(z, 1, (1, 1, 2)).numpy(), np.full((1, 1, 3, 3, 2), 2.0))


def test_separable_by_default_names_its_node_and_saves_its_input():
    from tinytensor.nn.functional.avg_pooling import separable

    x = tt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    m = np.array([[1.0, 0.0, 2.0]])
    out = separable(x, [m])
    assert out.grad_fn.name() == "SeparableBackward"
    np.testing.assert_array_equal(out.detach().numpy(), [[4.0], [13.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0, 2.0]] * 2)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool_ceil_mode_is_passed_through(nd):
    # a window past the end (partial) is kept: its p-power sum scaled by k / (part inside)
    x = np.random.default_rng(nd).uniform(0.5, 2.0, (1, 2) + (5,) * nd)
    got = getattr(F, f"lp_pool{nd}d")(tt.tensor(x), 2, 2, ceil_mode=True)
    assert tuple(got.shape) == (1, 2) + (3,) * nd
    sums, _ = _avg_oracle(x**2, (2,) * nd, (2,) * nd, (0,) * nd, True, True)
    np.testing.assert_allclose(got.numpy(), np.sqrt(sums * 2**nd), rtol=1e-12)
