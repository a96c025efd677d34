"""Max pooling over fixed windows against plain-loop NumPy oracles,
without PyTorch: values, flat indices, first-, second- and third-order gradients, output
sizes, the saved tensors, the node attributes an exporter reads, and every error's class and
text. Written to kill the one-token bugs ``tools/mutation.py`` plants in
``nn/functional/pooling.py`` (issue #25)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from nn.max_pool_oracles import max_pool_oracle, out_len, put, take, tup

# --------------------------------------------------------------------------- output sizes


def test_window_counting_oracle_agrees_with_hand_counted_sizes():
    # hand-counted: (n, k, s, p, d, ceil) -> windows
    for case, want in [((5, 2, 2, 0, 1, False), 2), ((5, 2, 2, 0, 1, True), 3),
                       ((6, 2, 2, 1, 1, True), 4), ((5, 2, 2, 1, 1, True), 3),
                       ((10, 3, 2, 1, 2, False), 4), ((10, 3, 2, 1, 2, True), 5),
                       ((7, 3, 3, 1, 1, True), 3), ((4, 4, 1, 0, 1, True), 1)]:  # fmt: skip
        assert out_len(*case) == want, case


@pytest.mark.parametrize("ceil", [False, True])
def test_max_pool1d_output_lengths_over_a_grid(ceil):
    for n, k, s, d in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(1, 3)):
        for p in range(k // 2 + 1):
            want = out_len(n, k, s, p, d, ceil)
            x = tt.zeros(1, 1, n)
            if want < 1:
                with pytest.raises(RuntimeError, match="^max_pool1d: output size"):
                    F.max_pool1d(x, k, s, p, d, ceil)
                continue
            assert F.max_pool1d(x, k, s, p, d, ceil).shape == (1, 1, want), (n, k, s, p, d)


# --------------------------------------------------------------------------- values, indices, grads

FIXED = [
    # nd, input spatial shape, kernel, stride, padding, dilation, ceil_mode
    (1, (11,), 3, 2, 1, 2, False),
    (1, (10,), 3, 2, 1, 1, True),
    (1, (9,), 4, 3, 2, 1, True),
    (1, (8,), 2, None, 0, 1, False),  # tiling windows
    (2, (7, 8), (3, 2), (2, 1), (1, 1), (1, 2), False),
    (2, (9, 7), (3, 3), (2, 2), (1, 1), (1, 1), True),
    (2, (8, 6), 2, None, 0, 1, False),  # tiling windows
    (2, (7, 7), (2, 3), (2, 3), (1, 1), (1, 1), True),
    (2, (6, 9), (2, 3), (3, 1), (0, 1), (2, 3), True),
    (3, (5, 6, 5), (3, 2, 3), 2, 1, 1, True),
    (3, (4, 6, 4), 2, None, 0, 1, False),  # tiling windows
    (3, (6, 5, 7), (2, 3, 2), (1, 2, 3), (1, 0, 1), (2, 1, 3), False),
    (3, (5, 6, 7), 2, 2, 0, 1, True),  # ceil_mode keeps a last partial window on two axes
    # windows that stop short of the right padding (the padded size is not the windows' reach)
    (1, (10,), 3, 2, 1, 1, False),
    (2, (8, 7), 3, 2, 1, 1, False),
]


def _case(nd, sp, k, s, p, d, ceil):
    return (tup(k, nd), tup(k, nd) if s is None else tup(s, nd), tup(p, nd), tup(d, nd),
            ceil)  # fmt: skip


@pytest.mark.parametrize("case", FIXED, ids=[str(i) for i in range(len(FIXED))])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["mixed", "all-negative"])
def test_max_pool_values_indices_and_gradient_against_loops(case, sign):
    nd, sp = case[:2]
    k, s, p, d, ceil = _case(*case)
    rng = np.random.default_rng(len(sp) * 100 + sum(sp))
    # distinct values; all-negative ones catch padding that reads as 0 instead of -inf
    x = rng.permutation(2 * 3 * int(np.prod(sp))).reshape((2, 3) + sp) / 8.0
    x = (x - x.max() - 1.0) if sign < 0 else x - x.mean()
    xt = tt.tensor(x, requires_grad=True)
    fn = getattr(F, f"max_pool{nd}d")
    out, ind = fn(xt, case[2], case[3], case[4], case[5], ceil, return_indices=True)
    g = rng.standard_normal(tuple(out.shape))
    want, want_idx, want_grad = max_pool_oracle(x, g, k, s, p, d, ceil)
    assert out.shape == want.shape and ind.dtype == tt.int64
    np.testing.assert_array_equal(out.detach().numpy(), want)
    np.testing.assert_array_equal(ind.numpy(), want_idx)
    out.backward(tt.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), want_grad, rtol=1e-13, atol=1e-13)
    # without return_indices: the same values, one tensor
    plain = fn(tt.tensor(x), case[2], case[3], case[4], case[5], ceil)
    assert isinstance(plain, tt.Tensor)
    np.testing.assert_array_equal(plain.numpy(), want)


@pytest.mark.parametrize("case", FIXED, ids=[str(i) for i in range(len(FIXED))])
def test_max_pool_ties_go_to_the_first_in_scan_order(case):
    nd, sp = case[:2]
    k, s, p, d, ceil = _case(*case)
    rng = np.random.default_rng(sum(sp) + 1)
    x = rng.integers(0, 3, (2, 2) + sp).astype(np.float64)  # many ties
    out, ind = getattr(F, f"max_pool{nd}d")(tt.tensor(x), *case[2:6], ceil, return_indices=True)
    want, want_idx, _ = max_pool_oracle(x, None, k, s, p, d, ceil)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(ind.numpy(), want_idx)


@pytest.mark.parametrize("case", [FIXED[i] for i in (0, 3, 5, 6, 9, 10, 13, 14)],
                         ids=["1d-dilated", "1d-tiling", "2d-ceil", "2d-tiling", "3d-ceil",
                              "3d-tiling", "1d-short", "2d-short"])  # fmt: skip
def test_max_pool_second_and_third_order_gradients(case):
    # dx = scatter(g) at the argmax; d(dx.v)/dg = v read at the argmax (a gather);
    # d(gather(v).w)/dv = scatter(w) again
    nd, sp = case[:2]
    k, s, p, d, ceil = _case(*case)
    rng = np.random.default_rng(7)
    x = rng.permutation(2 * 2 * int(np.prod(sp))).reshape((2, 2) + sp) / 4.0 - 3.0
    xt = tt.tensor(x, requires_grad=True)
    out = getattr(F, f"max_pool{nd}d")(xt, *case[2:6], ceil)
    _, idx, _ = max_pool_oracle(x, None, k, s, p, d, ceil)
    g = tt.tensor(rng.standard_normal(tuple(out.shape)), requires_grad=True)
    (dx,) = tt.autograd.grad(out, xt, g, create_graph=True)
    np.testing.assert_allclose(dx.detach().numpy(), put(g.detach().numpy(), idx, sp), atol=1e-13)
    v = tt.tensor(rng.standard_normal(x.shape), requires_grad=True)
    (dg,) = tt.autograd.grad(dx, g, v, create_graph=True)
    np.testing.assert_allclose(dg.detach().numpy(), take(v.detach().numpy(), idx), atol=1e-13)
    w = rng.standard_normal(tuple(out.shape))
    (dv,) = tt.autograd.grad(dg, v, tt.tensor(w))
    np.testing.assert_allclose(dv.numpy(), put(w, idx, sp), atol=1e-13)


@pytest.mark.parametrize("case", [FIXED[i] for i in (0, 3, 5, 6, 9, 10)],
                         ids=["1d-dilated", "1d-tiling", "2d-ceil", "2d-tiling", "3d-ceil",
                              "3d-tiling"])  # fmt: skip
def test_max_pool_double_backward_reads_only_the_argmax_of_an_infinite_gradient(case):
    # d(dx.v)/dg selects v at each window's argmax: an infinite v elsewhere must not reach it
    # (v * mask would give inf * 0 = NaN)
    nd, sp = case[:2]
    k, s, p, d, ceil = _case(*case)
    rng = np.random.default_rng(11)
    x = rng.permutation(2 * 2 * int(np.prod(sp))).reshape((2, 2) + sp) / 4.0
    xt = tt.tensor(x, requires_grad=True)
    out = getattr(F, f"max_pool{nd}d")(xt, *case[2:6], ceil)
    _, idx, _ = max_pool_oracle(x, None, k, s, p, d, ceil)
    g = tt.ones(*out.shape, dtype=tt.float64, requires_grad=True)
    (dx,) = tt.autograd.grad(out, xt, g, create_graph=True)
    v = rng.standard_normal(x.shape)
    chosen = np.zeros(x.shape, bool)
    np.put_along_axis(chosen.reshape(2, 2, -1), idx.reshape(2, 2, -1), True, 2)
    v[~chosen] = np.where(rng.random(int((~chosen).sum())) < 0.5, np.inf, -np.inf)
    (dg,) = tt.autograd.grad(dx, g, tt.tensor(v))
    assert np.isfinite(dg.numpy()).all()
    np.testing.assert_array_equal(dg.numpy(), take(v, idx))


def test_max_pool_nan_wins_and_the_last_nan_is_the_index():
    x = np.array([[[1.0, np.nan, 5.0, np.nan, 2.0, 7.0, 3.0]]])
    out, ind = F.max_pool1d(tt.tensor(x), 4, 1, return_indices=True)
    want, want_idx, _ = max_pool_oracle(x, None, (4,), (1,), (0,), (1,), False)
    np.testing.assert_array_equal(ind.numpy(), want_idx)
    assert ind.numpy().tolist() == [[[3, 3, 3, 3]]]
    assert np.isnan(out.numpy()).all()
    # a window with no NaN after one with it: the plain maximum
    out, ind = F.max_pool1d(tt.tensor(x), 2, 1, return_indices=True)
    np.testing.assert_array_equal(ind.numpy(), [[[1, 1, 3, 3, 5, 5]]])
    np.testing.assert_array_equal(out.numpy()[0, 0, 4:], [7.0, 7.0])


def test_max_pool_over_a_kernel_of_more_than_127_offsets():
    # offsets past int8's range must still be told apart
    x = np.zeros((1, 2, 300))
    x[0, 0, 200], x[0, 1, 140] = 5.0, 3.0
    out, ind = F.max_pool1d(tt.tensor(x), 150, 150, return_indices=True)
    np.testing.assert_array_equal(ind.numpy(), [[[0, 200], [140, 150]]])
    xt = tt.tensor(x, requires_grad=True)
    F.max_pool1d(xt, 150, 150).sum().backward()
    want = np.zeros_like(x)
    want[0, 0, [0, 200]] = 1.0
    want[0, 1, [140, 150]] = 1.0
    np.testing.assert_array_equal(xt.grad.numpy(), want)
    # 2-D kernel of 12 * 12 = 144 offsets, and exactly 128 (16 * 8)
    for kh, kw in [(12, 12), (16, 8)]:
        y = np.random.default_rng(kh).standard_normal((1, 1, kh * 2, kw))
        o, i = F.max_pool2d(tt.tensor(y), (kh, kw), return_indices=True)
        wo, wi, _ = max_pool_oracle(y, None, (kh, kw), (kh, kw), (0, 0), (1, 1), False)
        np.testing.assert_array_equal(i.numpy(), wi)
        np.testing.assert_array_equal(o.numpy(), wo)


@pytest.mark.parametrize("dtype,lo", [(np.int8, -128), (np.int32, -(2**31)), (np.uint8, 0),
                                      (np.int64, -(2**62))])  # fmt: skip
def test_max_pool_integer_input_pads_with_the_lowest_value(dtype, lo):
    rng = np.random.default_rng(2)
    x = rng.integers(lo, lo + 5, (2, 2, 7, 6), endpoint=True).astype(dtype)
    out, ind = F.max_pool2d(tt.tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    want, want_idx, _ = max_pool_oracle(x, None, (3, 3), (2, 2), (1, 1), (1, 1), True)
    assert out.numpy().dtype == dtype
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(ind.numpy(), want_idx)


def test_max_pool_float32_gradient_stays_float32():
    x = tt.tensor(np.random.default_rng(0).standard_normal((1, 2, 6, 6)).astype(np.float32),
                  requires_grad=True)  # fmt: skip
    for args in [(3, 2, 1), (2,)]:  # overlapping windows, and windows that tile the input
        out = F.max_pool2d(x, *args)
        g = tt.ones(*out.shape, requires_grad=True)
        (dx,) = tt.autograd.grad(out, x, g, create_graph=True)
        assert dx.dtype == tt.float32
        (dg,) = tt.autograd.grad(dx, g, tt.ones(1, 2, 6, 6))
        assert dg.dtype == tt.float32
    y = tt.tensor(x.detach().numpy(), requires_grad=True)
    F.adaptive_max_pool2d(y, (4, 5)).sum().backward()
    assert y.grad.dtype == tt.float32


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_unbatched_max_pool_is_the_batched_one_without_its_batch_axis(nd):
    sp = (5, 6, 4)[:nd]
    x = np.random.default_rng(nd).standard_normal((3,) + sp)
    fn = getattr(F, f"max_pool{nd}d")
    out, ind = fn(tt.tensor(x), 2, 1, 1, return_indices=True)
    ref, ref_ind = fn(tt.tensor(x[None]), 2, 1, 1, return_indices=True)
    assert out.shape == ref.shape[1:] and ind.shape == ref_ind.shape[1:]
    np.testing.assert_array_equal(out.numpy(), ref.numpy()[0])
    np.testing.assert_array_equal(ind.numpy(), ref_ind.numpy()[0])
    assert fn(tt.tensor(x), 2).shape == (3,) + tuple(n // 2 for n in sp)
    xt = tt.tensor(x, requires_grad=True)
    fn(xt, 2, 1, 1).sum().backward()
    xb = tt.tensor(x[None], requires_grad=True)
    fn(xb, 2, 1, 1).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), xb.grad.numpy()[0])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_with_indices_variants_always_return_the_indices(nd):
    sp = (6, 4, 4)[:nd]
    x = tt.tensor(np.random.default_rng(0).standard_normal((1, 2) + sp))
    got = getattr(F, f"max_pool{nd}d_with_indices")(x, 2, return_indices=False)
    ref = getattr(F, f"max_pool{nd}d")(x, 2, return_indices=True)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_array_equal(got[0].numpy(), ref[0].numpy())
    np.testing.assert_array_equal(got[1].numpy(), ref[1].numpy())
    # the other arguments are passed through in order
    got = getattr(F, f"max_pool{nd}d_with_indices")(x, 3, 2, 1, 1, True)
    ref = getattr(F, f"max_pool{nd}d")(x, 3, 2, 1, 1, True, True)
    np.testing.assert_array_equal(got[1].numpy(), ref[1].numpy())
    assert got[0].shape == ref[0].shape


def test_stride_none_or_empty_means_the_kernel_size():
    x = tt.tensor(np.random.default_rng(1).standard_normal((1, 1, 7, 9)))
    want = F.max_pool2d(x, (2, 3), (2, 3)).numpy()
    for stride in (None, (), []):
        np.testing.assert_array_equal(F.max_pool2d(x, (2, 3), stride).numpy(), want)
    np.testing.assert_array_equal(F.max_pool2d(x, (2, 3)).numpy(), want)
    # a one-element stride (or any one-element argument) applies to every axis, as in PyTorch
    np.testing.assert_array_equal(
        F.max_pool2d(x, 2, [1]).numpy(), F.max_pool2d(x, 2, (1, 1)).numpy()
    )
    assert F.max_pool2d(x, [3], [2], [1], [2]).shape == (1, 1, 3, 4)


def test_the_node_carries_the_normalised_parameters_an_exporter_reads():
    x = tt.randn(1, 1, 9, 9, requires_grad=True)
    assert F.max_pool2d(x, 3).grad_fn.attrs == {
        "kernel_size": (3, 3),
        "stride": (3, 3),
        "padding": (0, 0),
        "dilation": (1, 1),
    }
    assert F.max_pool2d(x, (3, 2), 2, (1, 0), (1, 2)).grad_fn.attrs == {
        "kernel_size": (3, 2),
        "stride": (2, 2),
        "padding": (1, 0),
        "dilation": (1, 2),
    }
    assert F.adaptive_max_pool2d(x, (4, None)).grad_fn.attrs == {"output_size": (4, 9)}


def test_changing_the_input_or_the_indices_in_place_makes_backward_raise():
    x = tt.tensor(np.random.default_rng(0).standard_normal((1, 1, 4, 4)), requires_grad=True)
    y = x * 1.0
    out = F.max_pool2d(y, 2)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    out, ind = F.max_pool2d(x * 1.0, 2, return_indices=True)
    ind.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# --------------------------------------------------------------------------- argument checks


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_input_rank_and_dtype_errors_name_the_op(nd):
    fn = getattr(F, f"max_pool{nd}d")
    for shape in [(4,) * nd, (1, 1, 1) + (4,) * nd]:
        with pytest.raises(RuntimeError, match=rf"^max_pool{nd}d: expected a {nd + 1}-D \(C"):
            fn(tt.zeros(*shape), 2)
        with pytest.raises(RuntimeError, match=rf"^adaptive_max_pool{nd}d: expected a {nd + 1}-D"):
            getattr(F, f"adaptive_max_pool{nd}d")(tt.zeros(*shape), 2)
    for shape in [(2,) + (4,) * nd, (1, 2) + (4,) * nd]:
        assert fn(tt.zeros(*shape), 2).shape == shape[:-nd] + (2,) * nd
    with pytest.raises(NotImplementedError, match=rf"^max_pool{nd}d: not implemented for dtype"):
        fn(tt.zeros(1, 1, *(4,) * nd, dtype=tt.bool), 2)
    with pytest.raises(NotImplementedError, match=rf"^adaptive_max_pool{nd}d: not implemented"):
        getattr(F, f"adaptive_max_pool{nd}d")(tt.zeros(1, 1, *(4,) * nd, dtype=tt.bool), 2)


def test_pool_parameter_checks_one_by_one():
    x = tt.zeros(1, 1, 8, 8)
    msg = r"^max_pool2d: kernel_size, stride and dilation must be positive"
    for kwargs in [dict(kernel_size=0), dict(kernel_size=(2, 0)), dict(kernel_size=2, stride=0),
                   dict(kernel_size=2, stride=(1, 0)), dict(kernel_size=2, dilation=0),
                   dict(kernel_size=2, dilation=(1, 0)), dict(kernel_size=2, padding=-1),
                   dict(kernel_size=2, padding=(0, -1))]:  # fmt: skip
        with pytest.raises(RuntimeError, match=msg):
            F.max_pool2d(x, **kwargs)
    # padding may be exactly half the kernel, never more (each axis on its own)
    assert F.max_pool2d(x, (2, 4), padding=(1, 2)).shape == (1, 1, 5, 3)
    for pad in [(2, 0), (0, 3)]:
        with pytest.raises(RuntimeError, match=r"^max_pool2d: padding .* at most half"):
            F.max_pool2d(x, (3, 4), padding=pad)
    # an output of exactly one window is fine; none is refused
    assert F.max_pool2d(x, 8).shape == (1, 1, 1, 1)
    with pytest.raises(RuntimeError, match=r"^max_pool2d: output size \(0, 1\) is too small"):
        F.max_pool2d(x, (9, 8))
    with pytest.raises(RuntimeError, match=r"^max_pool2d: output size \(2, 0\) is too small"):
        F.max_pool2d(x, (4, 5), dilation=(1, 2))


def test_argument_errors_name_the_op_and_the_argument():
    x = tt.zeros(1, 1, 6, 6)
    for op in ("max_pool2d", "avg_pool2d"):
        fn = getattr(F, op)
        for name in ("kernel_size", "stride", "padding") + (("dilation",) if op[0] == "m" else ()):
            kwargs = {"kernel_size": 2, name: (1, 1, 1)}
            with pytest.raises(RuntimeError, match=rf"^{op}: expected {name} to be a single"):
                fn(x, **kwargs)
            kwargs = {"kernel_size": 2, name: "2"}
            with pytest.raises(TypeError, match=rf"^{op}: {name} must be an int or a tuple of 2"):
                fn(x, **kwargs)
    ind = tt.zeros(1, 1, 6, 6, dtype=tt.int64)
    for name in ("kernel_size", "stride", "padding"):
        kwargs = {"kernel_size": 2, name: (1, 1, 1)}
        with pytest.raises(RuntimeError, match=rf"^max_unpool2d: expected {name} to be a single"):
            F.max_unpool2d(x, ind, **kwargs)
    for fn, who in [(lambda v: F.max_pool2d(v, 2), "max_pool2d"),
                    (lambda v: F.adaptive_max_pool2d(v, 2), "adaptive_max_pool2d"),
                    (lambda v: F.max_unpool2d(v, ind, 2), "max_unpool2d"),
                    (lambda v: F.max_unpool2d(x, v, 2), "max_unpool2d")]:  # fmt: skip
        with pytest.raises(TypeError, match=rf"^{who}: expected a"):
            fn({"not": "a tensor"})


def test_plain_arrays_and_lists_are_taken_as_inputs():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    np.testing.assert_array_equal(F.max_pool2d(x, 2).numpy(), F.max_pool2d(tt.tensor(x), 2).numpy())
    np.testing.assert_array_equal(
        F.adaptive_max_pool2d(x, 3).numpy(), F.adaptive_max_pool2d(tt.tensor(x), 3).numpy()
    )
    out, ind = F.max_pool2d(tt.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(
        F.max_unpool2d(out, ind.numpy().tolist(), 2).numpy(), F.max_unpool2d(out, ind, 2).numpy()
    )


def test_unbatched_single_channel_keeps_its_size_one_axes():
    # only the added batch axis is removed: a channel of one and an output of one stay
    x = tt.tensor(np.random.default_rng(0).standard_normal((1, 4, 5)))
    out, ind = F.max_pool2d(x, (4, 2), return_indices=True)
    assert out.shape == (1, 1, 2) and ind.shape == (1, 1, 2)
    assert F.max_pool2d(x, (4, 5)).shape == (1, 1, 1)
    out, ind = F.adaptive_max_pool2d(x, (1, 3), return_indices=True)
    assert out.shape == (1, 1, 3) and ind.shape == (1, 1, 3)
    assert F.adaptive_max_pool2d(x, 1).shape == (1, 1, 1)
    un = F.max_unpool2d(out, ind, (4, 1), (4, 2), output_size=(4, 5))
    assert un.shape == (1, 4, 5)
    un = F.max_unpool1d(tt.ones(1, 1), tt.zeros(1, 1, dtype=tt.int64), 1)
    assert un.shape == (1, 1)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_with_indices_forms_default_to_floor_mode(nd):
    x = tt.tensor(np.random.default_rng(nd).standard_normal((1, 1) + (5,) * nd))
    out, ind = getattr(F, f"max_pool{nd}d_with_indices")(x, 2)
    assert tuple(out.shape) == (1, 1) + (2,) * nd and ind.shape == out.shape
