"""Adaptive max pooling and max-unpooling against plain-loop NumPy oracles, without PyTorch:
values, flat indices, gradients of three orders, output sizes, bounds and every error's class
and text. Written to kill the one-token bugs ``tools/mutation.py`` plants in
``nn/functional/pooling.py`` (issue #25)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from nn.max_pool_oracles import adaptive_max_oracle, put, take, tup

# --------------------------------------------------------------------------- adaptive max

ADAPTIVE = [
    (1, (10,), 4), (1, (7,), 7), (1, (3,), 5), (1, (9,), 1),
    (2, (7, 9), (3, 4)), (2, (5, 4), (None, 3)), (2, (4, 5), (6, 2)),
    (3, (5, 7, 6), (2, 3, 4)), (3, (3, 4, 5), 2),
]  # fmt: skip


@pytest.mark.parametrize("nd,sp,o", ADAPTIVE, ids=[str(i) for i in range(len(ADAPTIVE))])
def test_adaptive_max_pool_values_indices_and_gradients_against_loops(nd, sp, o):
    rng = np.random.default_rng(sum(sp) + nd)
    x = rng.permutation(2 * 3 * int(np.prod(sp))).reshape((2, 3) + sp) / 5.0 - 4.0
    oo = tuple(sp[a] if v is None else v for a, v in enumerate(tup(o, nd)))
    xt = tt.tensor(x, requires_grad=True)
    out, ind = getattr(F, f"adaptive_max_pool{nd}d")(xt, o, return_indices=True)
    g = rng.standard_normal(oo)
    g = np.broadcast_to(g, (2, 3) + oo) * rng.standard_normal((2, 3) + (1,) * nd)
    want, want_idx, want_grad = adaptive_max_oracle(x, oo, g)
    assert tuple(out.shape) == (2, 3) + oo
    np.testing.assert_array_equal(out.detach().numpy(), want)
    np.testing.assert_array_equal(ind.numpy(), want_idx)
    gt = tt.tensor(g, requires_grad=True)
    (dx,) = tt.autograd.grad(out, xt, gt, create_graph=True)
    np.testing.assert_allclose(dx.detach().numpy(), want_grad, atol=1e-13)
    v = tt.tensor(rng.standard_normal(x.shape), requires_grad=True)
    (dg,) = tt.autograd.grad(dx, gt, v, create_graph=True)
    np.testing.assert_allclose(dg.detach().numpy(), take(v.detach().numpy(), want_idx))
    w = rng.standard_normal((2, 3) + oo)
    (dv,) = tt.autograd.grad(dg, v, tt.tensor(w))
    np.testing.assert_allclose(dv.numpy(), put(w, want_idx, sp), atol=1e-13)
    plain = getattr(F, f"adaptive_max_pool{nd}d")(tt.tensor(x), o)
    assert isinstance(plain, tt.Tensor)
    np.testing.assert_array_equal(plain.numpy(), want)


def test_adaptive_max_pool_short_windows_never_read_past_their_end():
    # 10 -> 4 windows [0,3) [2,5) [5,8) [7,10): the big value right after a window's end must
    # stay out of it, and ties inside a window keep the first
    x = np.array([[[0.0, 1.0, 1.0, 9.0, 2.0, 3.0, 3.0, 8.0, 1.0, 0.0]]])
    out, ind = F.adaptive_max_pool1d(tt.tensor(x), 4, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), [[[1.0, 9.0, 8.0, 8.0]]])
    np.testing.assert_array_equal(ind.numpy(), [[[1, 3, 7, 7]]])
    # 5 -> 3 windows [0,2) [1,4) [3,5): decreasing values put each max at a window's start
    y = np.array([[[5.0, 4.0, 3.0, 2.0, 1.0]]])
    out, ind = F.adaptive_max_pool1d(tt.tensor(y), 3, return_indices=True)
    np.testing.assert_array_equal(ind.numpy(), [[[0, 1, 3]]])
    # increasing values put it at each window's end
    out, ind = F.adaptive_max_pool1d(tt.tensor(y[..., ::-1].copy()), 3, return_indices=True)
    np.testing.assert_array_equal(ind.numpy(), [[[1, 3, 4]]])


def test_adaptive_max_pool_nan_and_integers():
    x = np.array([[[1.0, np.nan, 3.0, 4.0, np.nan, 0.0]]])
    out, ind = F.adaptive_max_pool1d(tt.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(ind.numpy(), [[[1, 4]]])
    assert np.isnan(out.numpy()).all()
    xi = np.random.default_rng(0).integers(-50, 50, (2, 2, 5, 7)).astype(np.int16)
    out, ind = F.adaptive_max_pool2d(tt.tensor(xi), (3, 4), return_indices=True)
    want, want_idx, _ = adaptive_max_oracle(xi, (3, 4))
    assert out.numpy().dtype == np.int16
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(ind.numpy(), want_idx)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_unbatched_adaptive_max_pool(nd):
    sp = (7, 5, 6)[:nd]
    x = np.random.default_rng(nd).standard_normal((2,) + sp)
    fn = getattr(F, f"adaptive_max_pool{nd}d")
    out, ind = fn(tt.tensor(x), 3, return_indices=True)
    ref, ref_ind = fn(tt.tensor(x[None]), 3, return_indices=True)
    assert tuple(out.shape) == (2,) + (3,) * nd and ind.shape == out.shape
    np.testing.assert_array_equal(out.numpy(), ref.numpy()[0])
    np.testing.assert_array_equal(ind.numpy(), ref_ind.numpy()[0])


def test_adaptive_output_size_forms_and_errors():
    x = tt.randn(1, 2, 6, 5)
    assert F.adaptive_max_pool2d(x, 3).shape == (1, 2, 3, 3)
    assert F.adaptive_max_pool2d(x, [4, 2]).shape == (1, 2, 4, 2)
    assert F.adaptive_max_pool2d(x, (None, 2)).shape == (1, 2, 6, 2)
    assert F.adaptive_max_pool2d(x, (3, None)).shape == (1, 2, 3, 5)
    assert F.adaptive_max_pool2d(x, (np.int64(2), 1)).shape == (1, 2, 2, 1)
    with pytest.raises(
        RuntimeError, match=r"^adaptive_max_pool2d: output_size must be an int or 2"
    ):
        F.adaptive_max_pool2d(x, (1, 2, 3))
    with pytest.raises(
        RuntimeError, match=r"^adaptive_max_pool2d: output_size must be an int or 2"
    ):
        F.adaptive_max_pool2d(x, (2,))
    for bad in (0, (0, 2), (2, -1)):
        with pytest.raises(ValueError, match=r"^adaptive_max_pool2d: output_size must be positive"):
            F.adaptive_max_pool2d(x, bad)


# --------------------------------------------------------------------------- max_unpool


def test_max_unpool_default_size_is_in_minus_one_times_stride_minus_two_pad_plus_kernel():
    x = tt.ones(1, 1, 3, 4)
    ind = tt.zeros(1, 1, 3, 4, dtype=tt.int64)
    # H: (3 - 1) * 3 - 2 * 1 + 4 = 8; W: (4 - 1) * 2 - 2 * 0 + 3 = 9
    assert F.max_unpool2d(x, ind, (4, 3), (3, 2), (1, 0)).shape == (1, 1, 8, 9)
    # stride defaults to the kernel: (3 - 1) * 2 + 2 = 6, (4 - 1) * 3 + 3 = 12
    assert F.max_unpool2d(x, ind, (2, 3)).shape == (1, 1, 6, 12)
    assert F.max_unpool1d(tt.ones(2, 5), tt.zeros(2, 5, dtype=tt.int64), 3, 2, 1).shape == (2, 9)
    y = tt.ones(1, 2, 2, 3, 2)
    j = tt.zeros(1, 2, 2, 3, 2, dtype=tt.int64)
    assert F.max_unpool3d(y, j, (2, 3, 1), (3, 1, 2)).shape == (1, 2, 5, 5, 3)


def test_max_unpool_output_size_bounds_per_dim():
    x = tt.ones(1, 1, 3, 4)
    ind = tt.zeros(1, 1, 3, 4, dtype=tt.int64)
    # defaults (6, 8) with stride (2, 2): each within (default - 2, default + 2)
    for size in [(5, 7), (7, 9), (6, 8), (1, 1, 5, 9)]:
        assert tuple(F.max_unpool2d(x, ind, 2, output_size=size).shape[2:]) == tuple(size[-2:])
    for size in [(4, 8), (8, 8), (6, 6), (6, 10), (8,)]:
        with pytest.raises(ValueError, match=r"^max_unpool2d: output_size"):
            F.max_unpool2d(x, ind, 2, output_size=size)
    # the check is per axis, against that axis's own stride
    # (defaults (4, 11) with stride (1, 3): H has no slack, W may be 9..13)
    assert F.max_unpool2d(x, ind, 2, (1, 3), output_size=(4, 13)).shape == (1, 1, 4, 13)
    assert F.max_unpool2d(x, ind, 2, (1, 3), output_size=(4, 9)).shape == (1, 1, 4, 9)
    for size in [(3, 11), (5, 11), (4, 14), (4, 8)]:
        with pytest.raises(ValueError, match="within a stride"):
            F.max_unpool2d(x, ind, 2, (1, 3), output_size=size)


def test_max_unpool_places_values_writes_last_and_takes_the_gradient():
    x = np.array([[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]])
    idx = np.array([[[0, 3, 3, 1], [5, 0, 2, 2]]])
    xt = tt.tensor(x, requires_grad=True)
    out = F.max_unpool1d(xt, tt.tensor(idx), 2, 2, 1)  # size (4 - 1) * 2 - 2 + 2 = 6
    np.testing.assert_array_equal(
        out.detach().numpy(), [[[1.0, 4.0, 0.0, 3.0, 0.0, 0.0], [6.0, 0.0, 8.0, 0.0, 0.0, 5.0]]]
    )
    g = tt.tensor(np.arange(12.0).reshape(1, 2, 6) + 1.0, requires_grad=True)
    (dx,) = tt.autograd.grad(out, xt, g, create_graph=True)
    np.testing.assert_array_equal(
        dx.detach().numpy(), [[[1.0, 4.0, 4.0, 2.0], [12.0, 7.0, 9.0, 9.0]]]
    )
    # its gradient with respect to g is a put that adds at repeated indices
    v = tt.tensor(np.array([[[1.0, 10.0, 100.0, 1000.0], [1.0, 2.0, 3.0, 4.0]]]))
    (dg,) = tt.autograd.grad(dx, g, v)
    np.testing.assert_array_equal(dg.numpy(), [[[1.0, 1000.0, 0.0, 110.0, 0.0, 0.0],
                                                [2.0, 0.0, 7.0, 0.0, 0.0, 1.0]]])  # fmt: skip


def test_max_unpool_unbatched_and_float32():
    x = np.random.default_rng(0).standard_normal((3, 2, 2)).astype(np.float32)
    pooled, ind = F.max_pool2d(tt.tensor(x), 1, return_indices=True)
    out = F.max_unpool2d(pooled, ind, 2)
    assert out.shape == (3, 4, 4) and out.dtype == tt.float32
    want = put(x[None].astype(np.float64), ind.numpy()[None], (4, 4))[0]
    np.testing.assert_array_equal(out.numpy(), want)
    xt = tt.tensor(x, requires_grad=True)
    F.max_unpool2d(xt, ind, 2).sum().backward()
    assert xt.grad.dtype == tt.float32
    np.testing.assert_array_equal(xt.grad.numpy(), np.ones_like(x))


def test_max_unpool_refuses_bad_indices():
    x = tt.ones(1, 1, 2, 2)
    good = tt.tensor(np.array([[[[0, 1], [4, 15]]]]))  # output 4 x 4: 0..15
    assert F.max_unpool2d(x, good, 2).numpy().sum() == 4.0
    for bad in (-1, 16):
        arr = np.array([[[[0, 1], [4, bad]]]])
        with pytest.raises(RuntimeError, match=r"^max_unpool2d: found an index out of range"):
            F.max_unpool2d(x, tt.tensor(arr), 2)
    with pytest.raises(RuntimeError, match=r"^max_unpool2d: indices must be an int64 tensor"):
        F.max_unpool2d(x, tt.tensor(np.array([[[[0, 1], [4, 5]]]], np.int32)), 2)
    with pytest.raises(RuntimeError, match=r"^max_unpool2d: indices must be an int64 tensor"):
        F.max_unpool2d(x, tt.tensor(np.array([[[0, 1, 4, 5]]])), 2)
    with pytest.raises(RuntimeError, match=r"^max_unpool2d: expected a 3-D"):
        F.max_unpool2d(tt.ones(2), tt.tensor(np.array([0, 1])), 2)


def test_a_batch_of_no_samples_pools_unpools_and_backpropagates():
    # PyTorch takes N = 0 (the reshapes once used -1, which NumPy cannot infer from size 0)
    x = tt.ones(0, 2, 5, requires_grad=True)
    out, ind = F.max_pool1d(x, 2, return_indices=True)
    assert out.shape == (0, 2, 2) and ind.shape == (0, 2, 2)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 5)
    y = tt.ones(0, 2, 5, requires_grad=True)
    out, ind = F.adaptive_max_pool1d(y, 3, return_indices=True)
    assert out.shape == (0, 2, 3) and ind.shape == (0, 2, 3)
    out.sum().backward()
    assert y.grad.shape == (0, 2, 5)
    z = tt.ones(0, 2, 3, requires_grad=True)
    un = F.max_unpool1d(z, tt.zeros(0, 2, 3, dtype=tt.int64), 2)
    assert un.shape == (0, 2, 6)
    un.sum().backward()
    assert z.grad.shape == (0, 2, 3)
    for nd in (2, 3):
        w = tt.ones(0, 2, *(5,) * nd, requires_grad=True)
        out, ind = getattr(F, f"fractional_max_pool{nd}d")(w, 2, output_size=3,
                                                           return_indices=True)  # fmt: skip
        assert out.shape == (0, 2) + (3,) * nd and ind.shape == out.shape
        out.sum().backward()
        assert w.grad.shape == w.shape
