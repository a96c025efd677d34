"""Fractional max pooling against a plain-loop NumPy oracle of PyTorch's window rule, without
PyTorch: window starts, values, flat indices, gradients of every order (batched and
unbatched), the sample order per axis, output_ratio, NaN, argument checks and the
``adaptive_max_pool*_with_indices`` forms. Written to kill the one-token bugs
``tools/mutation.py`` plants in ``nn/functional/fractional.py`` (issue #25)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck


@pytest.mark.parametrize("nd", [2, 3])
def test_unbatched_gradients_of_every_order(nd):
    # the unbatched backward must give its put a batch axis on both g and the indices, or the
    # second-order gradient comes back without it
    x = np.random.default_rng(nd).permutation(2 * 7**nd).reshape((2,) + (7,) * nd) / 10.0
    xt = tt.tensor(x, requires_grad=True)
    s = tt.tensor(np.random.default_rng(0).uniform(size=(1, 2, nd)))
    fn = getattr(F, f"fractional_max_pool{nd}d")
    assert gradcheck(lambda x: fn(x, 2, output_size=4, _random_samples=s), (xt,))
    assert gradgradcheck(lambda x: fn(x, 2, output_size=4, _random_samples=s) ** 2, (xt,))
    # and it equals the batched op's
    xb = tt.tensor(x[None], requires_grad=True)
    g = tt.tensor(np.random.default_rng(1).standard_normal((2,) + (4,) * nd), requires_grad=True)
    (dx,) = tt.autograd.grad(fn(xt, 2, output_size=4, _random_samples=s), xt, g, create_graph=True)
    (dxb,) = tt.autograd.grad(
        fn(xb, 2, output_size=4, _random_samples=s), xb, g.unsqueeze(0), create_graph=True
    )
    np.testing.assert_array_equal(dx.detach().numpy(), dxb.detach().numpy()[0])
    v = np.random.default_rng(2).standard_normal(x.shape)
    (dg,) = tt.autograd.grad(dx, g, tt.tensor(v))
    assert dg.shape == g.shape
    _, ind = fn(tt.tensor(x), 2, output_size=4, _random_samples=s, return_indices=True)
    np.testing.assert_array_equal(
        dg.numpy(),
        np.take_along_axis(v.reshape(2, -1), ind.numpy().reshape(2, -1), 1).reshape(dg.shape),
    )


# --------------------------------------------------------------------------- oracle


def _starts(u, size, out, k, dtype):
    """PyTorch's window starts along one axis, computed in ``dtype`` as its kernel does:
    alpha = (size - k) / (out - 1); start_i = int((i + u) * alpha) - int(u * alpha) for
    i < out - 1; the last window ends at the input's end."""
    t = np.dtype(dtype).type
    u = t(u)
    if out == 1:
        return [size - k]
    alpha = t(size - k) / t(out - 1)
    return [int(t(t(i) + u) * alpha) - int(u * alpha) for i in range(out - 1)] + [size - k]


def _fractional_oracle(x, samples, k, out, g=None):
    """(values, flat indices, input gradient) by loops; sample a drives axis order[a]: for 2-D
    sample 0 is the width's and 1 the height's, for 3-D (T, H, W) in order. A strictly greater
    value or a NaN takes over, so among NaNs the last wins."""
    nd = len(k)
    sp = x.shape[2:]
    order = (1, 0) if nd == 2 else tuple(range(nd))
    vals = np.zeros(x.shape[:2] + tuple(out), x.dtype)
    idx = np.zeros(x.shape[:2] + tuple(out), np.int64)
    grad = np.zeros(x.shape)
    for b, c in np.ndindex(*x.shape[:2]):
        st = [_starts(samples[b, c, order[a]], sp[a], out[a], k[a], x.dtype) for a in range(nd)]
        for oi in np.ndindex(*out):
            best = None
            for ki in np.ndindex(*k):
                pos = tuple(st[a][oi[a]] + ki[a] for a in range(nd))
                v = x[(b, c) + pos]
                if best is None or v > x[(b, c) + best] or np.isnan(v):
                    best = pos
            vals[(b, c) + oi] = x[(b, c) + best]
            idx[(b, c) + oi] = np.ravel_multi_index(best, sp)
            if g is not None:
                grad[(b, c) + best] += g[(b, c) + oi]
    return vals, idx, grad


def _put(v, idx, size):
    n, c = v.shape[:2]
    out = np.zeros((n, c, int(np.prod(size))))
    for b, ch in np.ndindex(n, c):
        np.add.at(out[b, ch], idx[b, ch].ravel(), v[b, ch].ravel())
    return out.reshape((n, c) + tuple(size))


def _take(v, idx):
    n, c = v.shape[:2]
    return np.take_along_axis(v.reshape(n, c, -1), idx.reshape(n, c, -1), 2).reshape(idx.shape)


def test_start_oracle_by_hand():
    # size 10, k 3, out 4: alpha = 7 / 3; u = 0.5: int(0.5*7/3) = 1; starts int(i+0.5)*7/3 - 1
    assert _starts(0.5, 10, 4, 3, np.float64) == [0, 2, 4, 7]
    assert _starts(0.0, 10, 4, 3, np.float64) == [0, 2, 4, 7]
    assert _starts(0.9, 9, 3, 2, np.float64) == [0, 3, 7]  # alpha 3.5: int(6.65) - int(3.15)
    assert _starts(0.3, 5, 1, 2, np.float64) == [3]


# --------------------------------------------------------------------------- values and grads

CASES = [
    # nd, input shape, kernel, output size
    (2, (2, 3, 9, 11), (2, 3), (4, 5)),
    (2, (3, 8, 8), 2, (5, 6)),  # unbatched
    (2, (1, 2, 7, 10), (3, 1), (5, 10)),
    (2, (2, 2, 6, 5), 2, (1, 2)),  # one window along an axis: it ends at the input's end
    (3, (2, 2, 7, 8, 9), (2, 2, 3), (3, 4, 4)),
    (3, (2, 5, 6, 7), (3, 2, 2), (3, 4, 2)),  # unbatched
]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_values_indices_and_gradients_against_loops(case, dtype):
    nd, shape, k, out = case
    kk = (k,) * nd if isinstance(k, int) else k
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 5.0).astype(dtype)
    batched = len(shape) == nd + 2
    xb = x if batched else x[None]
    s = rng.random((xb.shape[0], xb.shape[1], nd)).astype(dtype)
    fn = getattr(F, f"fractional_max_pool{nd}d")
    xt = tt.tensor(x, requires_grad=True)
    y, ind = fn(xt, k, output_size=out, return_indices=True, _random_samples=tt.tensor(s))
    g = rng.standard_normal((xb.shape[0], xb.shape[1]) + out)
    want, want_idx, want_grad = _fractional_oracle(xb, s, kk, out, g)
    sq = (lambda a: a) if batched else (lambda a: a[0])
    assert y.dtype == xt.dtype and ind.dtype == tt.int64
    np.testing.assert_array_equal(y.detach().numpy(), sq(want))
    np.testing.assert_array_equal(ind.numpy(), sq(want_idx))
    gt = tt.tensor(sq(g).astype(dtype), requires_grad=True)
    (dx,) = tt.autograd.grad(y, xt, gt, create_graph=True)
    assert dx.dtype == xt.dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(dx.detach().numpy(), sq(want_grad), rtol=tol, atol=tol)
    v = rng.standard_normal(xb.shape).astype(dtype)
    (dg,) = tt.autograd.grad(dx, gt, tt.tensor(sq(v)), create_graph=True)
    np.testing.assert_allclose(dg.detach().numpy(), sq(_take(v, want_idx)), rtol=tol)
    # the plain call gives the values alone
    plain = fn(tt.tensor(x), k, output_size=out, _random_samples=tt.tensor(s))
    assert isinstance(plain, tt.Tensor)
    np.testing.assert_array_equal(plain.numpy(), sq(want))


@pytest.mark.parametrize("nd", [2, 3])
def test_third_order_gradient_is_a_put_again(nd):
    rng = np.random.default_rng(nd)
    shape = (2, 2) + (6,) * nd
    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0
    s = rng.random((2, 2, nd))
    xt = tt.tensor(x, requires_grad=True)
    fn = getattr(F, f"fractional_max_pool{nd}d")
    y = fn(xt, 2, output_size=3, _random_samples=tt.tensor(s))
    _, idx, _ = _fractional_oracle(x, s, (2,) * nd, (3,) * nd)
    g = tt.tensor(rng.standard_normal(tuple(y.shape)), requires_grad=True)
    (dx,) = tt.autograd.grad(y, xt, g, create_graph=True)
    v = tt.tensor(rng.standard_normal(shape), requires_grad=True)
    (dg,) = tt.autograd.grad(dx, g, v, create_graph=True)
    w = rng.standard_normal(tuple(y.shape))
    (dv,) = tt.autograd.grad(dg, v, tt.tensor(w))
    np.testing.assert_allclose(dv.numpy(), _put(w, idx, shape[2:]), atol=1e-13)


def test_each_axis_reads_its_own_sample():
    # 2-D: sample 0 places the width's windows and sample 1 the height's (PyTorch's order);
    # 3-D: samples (0, 1, 2) place (T, H, W). Distinct samples on a non-square input.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 1, 12, 15))
    s = np.array([[[0.7, 0.2]]])
    _, ind = F.fractional_max_pool2d(
        tt.tensor(x), 2, output_size=(5, 6), return_indices=True, _random_samples=tt.tensor(s)
    )
    _, want, _ = _fractional_oracle(x, s, (2, 2), (5, 6))
    _, swapped, _ = _fractional_oracle(x, s[..., ::-1], (2, 2), (5, 6))
    assert not np.array_equal(want, swapped)
    np.testing.assert_array_equal(ind.numpy(), want)
    y = rng.standard_normal((1, 1, 11, 12, 13))
    s3 = np.array([[[0.15, 0.55, 0.95]]])
    _, ind = F.fractional_max_pool3d(
        tt.tensor(y), 2, output_size=(4, 5, 6), return_indices=True, _random_samples=tt.tensor(s3)
    )
    _, want, _ = _fractional_oracle(y, s3, (2, 2, 2), (4, 5, 6))
    np.testing.assert_array_equal(ind.numpy(), want)


def test_starts_are_computed_in_the_input_dtype():
    # a sample u where float32 and float64 arithmetic truncate to different starts (found by
    # a search over u): the float32 input must follow the float32 rule, as PyTorch's kernel
    # (templated on the dtype) does
    size, out, k = 100, 37, 3
    found = np.float32(0.06185469)
    assert _starts(found, size, out, k, np.float32) != _starts(found, size, out, k, np.float64)
    x = np.arange(size, dtype=np.float32)[None, None, :, None] * np.ones((1, 1, 1, 3), np.float32)
    s = np.array([[[0.5, found]]], np.float32)  # sample 1: the height (the long axis)
    _, ind = F.fractional_max_pool2d(
        tt.tensor(x), (k, 1), output_size=(out, 3), return_indices=True,
        _random_samples=tt.tensor(s),
    )  # fmt: skip
    rows = ind.numpy()[0, 0, :, 0] // 3
    # increasing values: each window's max is its last row, start + k - 1
    assert (rows - (k - 1)).tolist() == _starts(found, size, out, k, np.float32)


def test_nan_wins_and_the_last_nan_is_the_index():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = np.nan
    s = np.array([[[0.0, 0.0]]])
    out, ind = F.fractional_max_pool2d(
        tt.tensor(x), 3, output_size=2, return_indices=True, _random_samples=tt.tensor(s)
    )
    _, want, _ = _fractional_oracle(x, s, (3, 3), (2, 2))
    np.testing.assert_array_equal(ind.numpy(), want)
    assert ind.numpy()[0, 0, 0, 0] == 2 * 6 + 2 and np.isnan(out.numpy()[0, 0, 0, 0])


def test_output_ratio_sets_the_size_per_axis():
    x = tt.randn(2, 3, 10, 12)
    s = tt.rand(2, 3, 2, dtype=tt.float32)
    for ratio, want in [
        (0.5, (5, 6)),
        ((0.5, 0.75), (5, 9)),
        ([0.3], (3, 3)),
        ((0.25, 0.5), (2, 6)),
    ]:
        got = F.fractional_max_pool2d(x, 2, output_ratio=ratio, _random_samples=s)
        assert tuple(got.shape[2:]) == want, ratio
        ref = F.fractional_max_pool2d(x, 2, output_size=want, _random_samples=s)
        np.testing.assert_array_equal(got.numpy(), ref.numpy())
    y = tt.randn(1, 1, 8, 9, 10)
    assert F.fractional_max_pool3d(y, 2, output_ratio=(0.5, 0.4, 0.75)).shape == (1, 1, 4, 3, 7)
    # output_size wins when both are given (the module refuses that; the function reads size)
    assert F.fractional_max_pool2d(x, 2, 4, 0.5, _random_samples=s).shape == (2, 3, 4, 4)


def test_kernel_and_size_forms():
    x = tt.tensor(np.random.default_rng(0).standard_normal((1, 2, 9, 8)))
    s = tt.rand(1, 2, 2, dtype=tt.float64)
    a = F.fractional_max_pool2d(x, 2, 4, _random_samples=s)
    for kernel, size in [((2, 2), (4, 4)), ([2], [4]), ((2,), (4, 4)), (2, [4, 4])]:
        b = F.fractional_max_pool2d(x, kernel, size, _random_samples=s)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = F.fractional_max_pool2d(x, (3, 1), (4, 5), _random_samples=s)
    _, idx, _ = _fractional_oracle(x.numpy(), s.numpy(), (3, 1), (4, 5))
    np.testing.assert_array_equal(
        c.numpy(), np.take_along_axis(x.numpy().reshape(1, 2, -1), idx.reshape(1, 2, -1), 2)
        .reshape(c.shape)
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"^fractional_max_pool2d: kernel_size must be a single"):
        F.fractional_max_pool2d(x, (2, 2, 2), 4, _random_samples=s)
    with pytest.raises(ValueError, match=r"^fractional_max_pool2d: output_size must be a single"):
        F.fractional_max_pool2d(x, 2, (4, 4, 4), _random_samples=s)
    with pytest.raises(ValueError, match=r"^fractional_max_pool3d: output_ratio must be a single"):
        F.fractional_max_pool3d(tt.randn(1, 1, 6, 6, 6), 2, output_ratio=(0.5, 0.5))


def test_default_samples_come_from_the_global_generator_in_the_input_dtype():
    for dtype in (tt.float32, tt.float64):
        x = tt.tensor(np.random.default_rng(1).standard_normal((2, 3, 11, 13)), dtype=dtype)
        tt.manual_seed(11)
        got, ind = F.fractional_max_pool2d(x, 2, output_size=(5, 6), return_indices=True)
        tt.manual_seed(11)
        s = tt.rand(2, 3, 2, dtype=dtype)
        _, want, _ = _fractional_oracle(x.numpy(), s.numpy(), (2, 2), (5, 6))
        np.testing.assert_array_equal(ind.numpy(), want)
        # unbatched: one sample row per channel
        tt.manual_seed(12)
        got, ind = F.fractional_max_pool2d(x[0], 2, output_size=(5, 6), return_indices=True)
        tt.manual_seed(12)
        s = tt.rand(1, 3, 2, dtype=dtype)
        _, want, _ = _fractional_oracle(x.numpy()[:1], s.numpy(), (2, 2), (5, 6))
        np.testing.assert_array_equal(ind.numpy(), want[0])


def test_errors_name_the_op_and_the_axis():
    x = tt.randn(1, 2, 6, 7)
    with pytest.raises(RuntimeError, match=r"^fractional_max_pool2d: expected a 3-D or 4-D"):
        F.fractional_max_pool2d(tt.randn(6, 7), 2, 3)
    with pytest.raises(RuntimeError, match=r"^fractional_max_pool3d: expected a 4-D or 5-D"):
        F.fractional_max_pool3d(tt.randn(1, 1, 1, 4, 4, 4), 2, 3)
    with pytest.raises(ValueError, match=r"^fractional_max_pool2d requires specifying either"):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(TypeError, match=r"^fractional_max_pool2d: expected a floating point"):
        F.fractional_max_pool2d(tt.zeros(1, 1, 4, 4, dtype=tt.int64), 2, 2)
    # out + k - 1 may equal the input size, never exceed it
    assert F.fractional_max_pool2d(x, (3, 2), (4, 6)).shape == (1, 2, 4, 6)
    with pytest.raises(RuntimeError, match=r"^fractional_max_pool2d: output_size\[height\] \+"):
        F.fractional_max_pool2d(x, (3, 2), (5, 6))
    with pytest.raises(RuntimeError, match=r"output_size\[width\] \+ kernel_size\[width\] - 1 = 8"):
        F.fractional_max_pool2d(x, (3, 2), (4, 7))
    with pytest.raises(RuntimeError, match=r"output_size\[time\] .* the input's time 4"):
        F.fractional_max_pool3d(tt.randn(1, 4, 5, 6), 2, (4, 2, 2))
    with pytest.raises(RuntimeError, match=r"output_size\[height\] .* the input's height 5"):
        F.fractional_max_pool3d(tt.randn(1, 4, 5, 6), 2, (2, 5, 2))
    with pytest.raises(RuntimeError, match=r"_random_samples must have shape \(1, 2, 2\)"):
        F.fractional_max_pool2d(x, 2, 3, _random_samples=tt.rand(1, 2, 3))
    with pytest.raises(
        RuntimeError, match=r"_random_samples must have shape \(1, 2, 2\).*got list"
    ):
        F.fractional_max_pool2d(x, 2, 3, _random_samples=[[[0.5, 0.5], [0.5, 0.5]]])
    with pytest.raises(RuntimeError, match=r"spatial axis\), got .*\[1, 2, 3\]"):
        F.fractional_max_pool2d(x, 2, 3, _random_samples=tt.rand(1, 2, 3))
    with pytest.raises(RuntimeError, match=r"_random_samples must have shape \(1, 3, 2\)"):
        F.fractional_max_pool2d(tt.randn(3, 6, 6), 2, 3, _random_samples=tt.rand(3, 1, 2))


def test_node_attributes_and_the_saved_indices():
    x = tt.randn(1, 2, 7, 8, requires_grad=True)
    s = tt.rand(1, 2, 2)
    y, ind = F.fractional_max_pool2d(x, (2, 3), (4, 5), return_indices=True, _random_samples=s)
    assert y.grad_fn.attrs == {"kernel_size": (2, 3), "output_size": (4, 5)}
    assert y.grad_fn.name() == "FractionalMaxPool2DBackward"
    ind.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("nd", [2, 3])
def test_with_indices_forms_always_return_both(nd):
    shape = (1, 2) + (7,) * nd  # 7 -> 3 with k = 2: the windows depend on the samples
    x = tt.tensor(np.random.default_rng(nd).standard_normal(shape))
    s = tt.rand(1, 2, nd, dtype=tt.float64)
    got = getattr(F, f"fractional_max_pool{nd}d_with_indices")(x, 2, 3, None, False, s)
    ref = getattr(F, f"fractional_max_pool{nd}d")(x, 2, 3, None, True, s)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_array_equal(got[0].numpy(), ref[0].numpy())
    np.testing.assert_array_equal(got[1].numpy(), ref[1].numpy())
    got = getattr(F, f"fractional_max_pool{nd}d_with_indices")(
        x, 2, output_ratio=0.5, _random_samples=s
    )
    assert tuple(got[0].shape[2:]) == (3,) * nd


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_with_indices_forms_ignore_return_indices(nd):
    x = tt.tensor(np.random.default_rng(nd).standard_normal((1, 2) + (5,) * nd))
    out, idx = getattr(F, f"adaptive_max_pool{nd}d_with_indices")(x, 3, return_indices=False)
    ref, ref_idx = getattr(F, f"adaptive_max_pool{nd}d")(x, 3, return_indices=True)
    assert tuple(out.shape[2:]) == (3,) * nd
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())


def test_nan_index_is_the_last_nan_of_its_window_wherever_it_lies():
    # random values (the maximum is not always a window's last element), NaNs at window
    # offsets 1 and 4 of window (0, 0): its index is offset 4's; other windows keep their max
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 1, 6, 6))
    x[0, 0, 0, 1] = x[0, 0, 1, 1] = np.nan
    s = np.array([[[0.0, 0.0]]])
    out, ind = F.fractional_max_pool2d(
        tt.tensor(x), 3, output_size=2, return_indices=True, _random_samples=tt.tensor(s)
    )
    _, want, _ = _fractional_oracle(x, s, (3, 3), (2, 2))
    np.testing.assert_array_equal(ind.numpy(), want)
    assert ind.numpy()[0, 0, 0, 0] == 1 * 6 + 1 and np.isnan(out.numpy()[0, 0, 0, 0])
    assert not np.isnan(out.numpy()[0, 0, 1, 1])
