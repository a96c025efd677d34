"""The fast paths of layer norm's and attention's kernels against their general kernels and
NumPy references, NumPy only (a planted error in a fast path fails here without PyTorch):
the shapes that take them and the edge cases beside them (odd sizes, one key, non-contiguous
and broadcast inputs, NaN, inf, masked rows, other dtypes), gradcheck in float64, the
first-order kernels against the create_graph composites, tt.compile; then PyTorch oracles.
"""

from __future__ import annotations

import numpy as np
import pytest
from call_counting import Counting

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.nn.functional import attention as att
from tinytensor.nn.functional import attention_kernels as attk
from tinytensor.nn.functional import layer_norm_kernels as lnk
from tinytensor.nn.functional._util import column_sums
from tinytensor.testing import gradcheck

R = np.random.default_rng(2023)
# float32: a few roundings of terms of size ~10 (the gradients cancel to 0 in some rows)
TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-5}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def _close(a, b, dtype):
    np.testing.assert_allclose(a, b, **TOL[dtype])


def _same_nan(a, b):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))


# --- layer norm kernels ---------------------------------------------------------------------

LN_SHAPES = {  # (input shape, number of normalised trailing dims)
    "w8": ((16, 32, 64), 1),
    "two-dims": ((3, 4, 5), 2),
    "one-row": ((1, 7), 1),
    "width-one": ((4, 1), 1),
    "odd": ((5, 3, 7), 1),
}


def _ln_case(shape, k, dtype, affine=(True, True)):
    x = (R.standard_normal(shape) * 3 + 1).astype(dtype)
    ns = shape[len(shape) - k :]
    w = R.standard_normal(ns).astype(dtype) if affine[0] else None
    b = R.standard_normal(ns).astype(dtype) if affine[1] else None
    return x, w, b, tuple(range(len(shape) - k, len(shape)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("case", list(LN_SHAPES))
def test_layer_norm_fast_kernels_match_the_general_ones(case, affine, dtype):
    x, w, b, axes = _ln_case(*LN_SHAPES[case], dtype, affine)
    assert lnk.rows(x, axes, w, b) is not None  # these shapes take the fast path
    fast = lnk.layer_norm_kernel(x, w, b, axes=axes, eps=1e-5)
    slow = lnk.layer_norm_general(x, w, b, axes=axes, eps=1e-5)
    for a, c in zip(fast, slow):
        assert a.shape == c.shape and a.dtype == c.dtype == dtype
        _close(a, c, dtype)
    g = R.standard_normal(x.shape).astype(dtype)
    fast = lnk.layer_norm_grad_kernel(g, x, w, fast[1], fast[2], axes=axes)
    slow = lnk.layer_norm_grad_general(g, x, w, slow[1], slow[2], axes=axes)
    for a, c in zip(fast, slow):
        assert a.shape == c.shape == x.shape and a.dtype == dtype
        _close(a, c, dtype)


def test_layer_norm_fast_kernels_against_a_plain_numpy_reference():
    x, w, b, axes = _ln_case((6, 4, 5), 2, np.float64)
    out, mu, rstd = lnk.layer_norm_kernel(x, w, b, axes=axes, eps=0.25)
    want_mu = x.mean(axes, keepdims=True)
    want_rstd = 1 / np.sqrt(x.var(axes, keepdims=True) + 0.25)
    np.testing.assert_allclose(mu, want_mu, rtol=1e-13)
    np.testing.assert_allclose(rstd, want_rstd, rtol=1e-13)
    xhat = (x - want_mu) * want_rstd
    np.testing.assert_allclose(out, xhat * w + b, rtol=1e-12, atol=1e-13)
    g = R.standard_normal(x.shape)
    dx, gx = lnk.layer_norm_grad_kernel(g, x, w, mu, rstd, axes=axes)
    d = g * w
    want = want_rstd * (d - d.mean(axes, keepdims=True)
                        - xhat * (d * xhat).mean(axes, keepdims=True))  # fmt: skip
    np.testing.assert_allclose(dx, want, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gx, g * xhat, rtol=1e-12, atol=1e-13)


def test_layer_norm_fast_kernels_read_non_contiguous_and_broadcast_arrays():
    base = R.standard_normal((8, 6)).astype(np.float32)
    x = base.T  # (6, 8), rows not contiguous
    w, b = np.float32(2.0) * np.ones(8, np.float32), np.arange(8, dtype=np.float32)
    fast = lnk.layer_norm_kernel(x, w, b, axes=(1,), eps=1e-5)
    slow = lnk.layer_norm_general(x, w, b, axes=(1,), eps=1e-5)
    for a, c in zip(fast, slow):
        _close(a, c, np.float32)
    g = np.broadcast_to(R.standard_normal(8).astype(np.float32), x.shape)  # zero strides
    got = lnk.layer_norm_grad_kernel(g, x, w, fast[1], fast[2], axes=(1,))
    want = lnk.layer_norm_grad_general(g, x, w, slow[1], slow[2], axes=(1,))
    for a, c in zip(got, want):
        _close(a, c, np.float32)
    assert not np.shares_memory(got[0], g) and not np.shares_memory(fast[0], x)
    np.testing.assert_array_equal(x, base.T)  # the inputs are untouched


def test_layer_norm_rows_with_inf_or_nan_give_nan_rows_as_the_general_kernel():
    x = R.standard_normal((5, 6))
    x[1, 2], x[2, 0], x[3, 1], x[3, 4] = np.inf, np.nan, np.inf, -np.inf
    w, b = R.standard_normal(6), R.standard_normal(6)
    fast = lnk.layer_norm_kernel(x, w, b, axes=(1,), eps=1e-5)
    slow = lnk.layer_norm_general(x, w, b, axes=(1,), eps=1e-5)
    assert np.isnan(fast[0][1:4]).all() and np.isfinite(fast[0][[0, 4]]).all()
    for a, c in zip(fast, slow):
        _same_nan(a, c)
        np.testing.assert_allclose(a[[0, 4]], c[[0, 4]], rtol=1e-12)
    g = R.standard_normal(x.shape)
    got = lnk.layer_norm_grad_kernel(g, x, w, fast[1], fast[2], axes=(1,))
    want = lnk.layer_norm_grad_general(g, x, w, slow[1], slow[2], axes=(1,))
    for a, c in zip(got, want):
        _same_nan(a, c)
        np.testing.assert_allclose(a[[0, 4]], c[[0, 4]], rtol=1e-11, atol=1e-13)


def test_layer_norm_cases_outside_the_fast_path_take_the_general_kernels():
    x32 = R.standard_normal((3, 4)).astype(np.float32)
    w64 = R.standard_normal(4)
    cases = [
        (x32.astype(np.float16), None, None, (1,)),  # no BLAS for half
        (x32, w64, None, (1,)),  # a weight of another dtype: NumPy's promotion, as before
        (x32, np.ones((1, 4), np.float32), None, (1,)),  # a weight of another shape
        (x32, None, None, (0,)),  # not the trailing dims
        (np.zeros((0, 4), np.float32), None, None, (1,)),  # empty
        (np.ones((1, lnk.ROW_SUM_MAX + 1), np.float32), None, None, (1,)),  # a long row
    ]
    for x, w, b, axes in cases:
        assert lnk.rows(x, axes, w, b) is None
        fast = lnk.layer_norm_kernel(x, w, b, axes=axes, eps=1e-5)
        slow = lnk.layer_norm_general(x, w, b, axes=axes, eps=1e-5)
        for a, c in zip(fast, slow):
            assert a.dtype == c.dtype and a.shape == c.shape
            np.testing.assert_array_equal(a, c)
    assert lnk.layer_norm_kernel(x32, w64, None, axes=(1,), eps=1e-5)[0].dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["w8", "two-dims", "one-row", "half"])
def test_layer_norm_grad_kernel_sums_the_parameter_gradients_over_the_leading_dims(case, dtype):
    shape, k = LN_SHAPES.get(case, ((3, 4, 5), 1))
    if case == "half":
        dtype = np.float16  # the general kernel: NumPy's sums
    x, w, b, axes = _ln_case(shape, k, dtype)
    _, mu, rstd = lnk.layer_norm_kernel(x, w, b, axes=axes, eps=1e-5)
    g = R.standard_normal(x.shape).astype(dtype)
    dx, gx = lnk.layer_norm_grad_kernel(g, x, w, mu, rstd, axes=axes)
    sdx, dw, db = lnk.layer_norm_grad_kernel(g, x, w, mu, rstd, axes=axes, sums=True)
    lead = tuple(range(x.ndim - k))
    np.testing.assert_array_equal(sdx, dx)
    assert dw.shape == db.shape == w.shape and dw.dtype == db.dtype == dtype
    tol = {"rtol": 2e-2, "atol": 2e-2} if dtype == np.float16 else TOL[dtype]
    np.testing.assert_allclose(dw, gx.astype(np.float64).sum(lead), **tol)
    np.testing.assert_allclose(db, g.astype(np.float64).sum(lead), **tol)


@pytest.mark.parametrize("m", [1, 7, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 5])
def test_column_sums_in_blocks_are_the_column_sums(m):
    a = R.standard_normal((m, 3))
    np.testing.assert_allclose(column_sums(a), a.sum(0), rtol=1e-12, atol=1e-12)
    a32 = (a + 10).astype(np.float32)  # all positive: a plain running sum would drift
    want = a32.astype(np.float64).sum(0)
    np.testing.assert_allclose(column_sums(a32), want, rtol=2e-6)


def test_layer_norm_with_broadcasting_parameter_shapes_leaves_the_sums_to_the_engine():
    x, w, b, _ = _ln_case((3, 4, 5), 1, np.float64)
    grads = []
    for shape in ((5,), (1, 5)):
        args = [tt.tensor(a.reshape(shape) if a.ndim == 1 else a, requires_grad=True)
                for a in (x, w, b)]  # fmt: skip
        out = F.layer_norm(args[0], (5,), args[1], args[2])
        out.backward(tt.tensor(np.cos(np.arange(60.0)).reshape(3, 4, 5)))
        assert tuple(args[1].grad.shape) == shape
        grads.append([a.grad.numpy().reshape(a.grad.shape[-1:] if a.ndim < 3 else x.shape)
                      for a in args])  # fmt: skip
    for a, c in zip(*grads):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("k", [1, 2])
def test_layer_norm_gradcheck_on_the_fast_path(k):
    x, w, b, _ = _ln_case((3, 4, 5), k, np.float64)
    args = tuple(tt.tensor(a, requires_grad=True) for a in (x, w, b))
    ns = x.shape[3 - k :]
    assert gradcheck(lambda x, w, b: F.layer_norm(x, ns, w, b, eps=0.1), args)


def test_layer_norm_float32_first_order_kernel_matches_the_create_graph_composite():
    x, w, b, _ = _ln_case((16, 32, 64), 1, np.float32)
    args = [tt.tensor(a, requires_grad=True) for a in (x, w, b)]
    g = tt.tensor(R.standard_normal(x.shape).astype(np.float32))
    first = tt.autograd.grad([F.layer_norm(args[0], (64,), args[1], args[2])], args, [g])
    again = tt.autograd.grad(
        [F.layer_norm(args[0], (64,), args[1], args[2])], args, [g], create_graph=True
    )
    for a, c in zip(first, again):
        np.testing.assert_allclose(a.numpy(), c.detach().numpy(), rtol=1e-4, atol=1e-5)


# --- attention kernels ----------------------------------------------------------------------


def _qkv(lead, L, S, E, Ev, dtype=np.float64):
    return (R.standard_normal(lead + (L, E)).astype(dtype),
            R.standard_normal(lead + (S, E)).astype(dtype),
            R.standard_normal(lead + (S, Ev)).astype(dtype))  # fmt: skip


def _np_grads(g, q, k, v, out, p, scale):
    """The backward's formula in plain NumPy: dS = P*(g v^T - rowsum(g*out))."""
    ds = p * (g @ np.swapaxes(v, -1, -2) - (g * out).sum(-1, keepdims=True))
    return ds @ k * scale, np.swapaxes(ds, -1, -2) @ q * scale, np.swapaxes(p, -1, -2) @ g


SDPA_SHAPES = {  # (lead, L, S, E, Ev)
    "w8": ((16, 4), 32, 32, 16, 16),
    "odd-keys": ((2, 3), 4, 5, 3, 7),
    "one-key": ((2,), 3, 1, 4, 2),
    "one-query": ((3,), 1, 6, 4, 4),
    "unbatched": ((), 5, 9, 3, 3),
}


def _mask(L, S, kind):
    if kind is None:
        return None
    m = R.standard_normal((L, S))
    if kind == "masked-row":
        m[L // 2] = -np.inf  # every key masked for one query
        m[0, 0] = -np.inf
    return m


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask", [None, "float", "masked-row"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("case", list(SDPA_SHAPES))
def test_sdpa_fast_kernels_match_the_general_kernel_and_the_formula(case, causal, mask, dtype):
    lead, L, S, E, Ev = SDPA_SHAPES[case]
    q, k, v = _qkv(lead, L, S, E, Ev, dtype)
    bias = _mask(L, S, mask)
    bias = None if bias is None else bias.astype(dtype)
    scale = 0.3
    out, p = attk.sdpa_kernel(q, k, v, bias, scale=scale, is_causal=causal)
    want_out, want_p = attk.sdpa_general(q, k, v, bias, scale=scale, is_causal=causal)
    assert out.shape == want_out.shape and p.shape == want_p.shape and p.dtype == dtype
    _close(p, want_p, dtype)
    _close(out, want_out, dtype)
    if mask == "masked-row" and not (causal and L // 2 == 0 and S == 1):
        np.testing.assert_array_equal(p[..., L // 2, :], 0.0)
        np.testing.assert_array_equal(out[..., L // 2, :], 0.0)
    g = R.standard_normal(out.shape).astype(dtype)
    got = attk.sdpa_grad_kernel(g, q, k, v, out, p, scale=scale)
    want = _np_grads(g, q, k, v, want_out, want_p, scale)
    for a, c in zip(got, want):
        assert a.shape == c.shape and a.dtype == dtype
        _close(a, c, dtype)


def test_sdpa_fast_kernel_keeps_nan_and_inf_rows_as_the_general_kernel():
    q, k, v = _qkv((2,), 4, 5, 3, 3)
    q[0, 1, 0] = np.nan  # a NaN query: its row is NaN
    k[1, 2, :] = np.inf  # an inf key: inf - inf in the rows that see it
    out, p = attk.sdpa_kernel(q, k, v, None, scale=0.5, is_causal=False)
    want_out, want_p = attk.sdpa_general(q, k, v, None, scale=0.5, is_causal=False)
    assert np.isnan(p[0, 1]).all()
    for a, c in ((out, want_out), (p, want_p)):
        _same_nan(a, c)
        ok = ~np.isnan(c)
        np.testing.assert_allclose(a[ok], c[ok], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n", range(1, 10))
def test_the_max_over_keys_tree_is_max(n):
    s = R.standard_normal((3, n, 4))
    s[0, n // 2, 1] = np.nan
    s[1, :, 2] = -np.inf
    s[2, n - 1, 3] = np.inf
    m = attk.max_over_keys(s)
    want = s.max(-2, keepdims=True)
    np.testing.assert_array_equal(m, want)
    assert not np.shares_memory(m, s)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("level", [0.0, 80.0, 84.0, 86.0, 300.0, -86.0, -100.0, -120.0, -720.0])
@pytest.mark.parametrize("keys", [1, 5, 4096])
def test_softmax_over_keys_with_and_without_the_max_subtracted(level, keys, dtype):
    # Scores near, inside and beyond the range where exp(s) is taken without subtracting the
    # max (float32: about -86..84 for 32 keys; a sum of 4096 terms narrows the top): every
    # case is the general safe softmax, never inf, NaN or an underflowed row of zeros.
    s = (level + R.standard_normal((2, 3, keys))).astype(dtype)
    want = attk.safe_probs(s)
    got = np.swapaxes(attk.softmax_over_keys(np.swapaxes(s, -1, -2).copy()), -1, -2)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got.sum(-1), 1.0, rtol=1e-5 if dtype == np.float32 else 1e-12)
    _close(got, want, dtype)


def test_sdpa_fast_kernel_with_masks_that_broadcast_and_batches_that_broadcast():
    q, k, v = _qkv((2, 3), 4, 5, 3, 2)
    bigger = R.standard_normal((4, 2, 3, 4, 5))  # more batch dims than the scores
    row = R.standard_normal(5)  # one row for every query
    for kk, vv, bias in ((k, v, bigger), (k, v, row), (k[:1], v[:1], None)):
        out, p = attk.sdpa_kernel(q, kk, vv, bias, scale=0.4, is_causal=False)
        want_out, want_p = attk.sdpa_general(q, kk, vv, bias, scale=0.4, is_causal=False)
        assert out.shape == want_out.shape and p.shape == want_p.shape
        _close(out, want_out, np.float64)
        _close(p, want_p, np.float64)
        g = R.standard_normal(out.shape)
        got = attk.sdpa_grad_kernel(g, q, kk, vv, out, p, scale=0.4)
        for a, c in zip(got, _np_grads(g, q, kk, vv, want_out, want_p, 0.4)):
            assert a.shape == c.shape
            _close(a, c, np.float64)


def test_sdpa_outside_the_fast_path_takes_the_general_kernel():
    for dtype, shapes in ((np.float16, (3, 4, 2)), (np.float64, (0, 4, 2)),
                          (np.float64, (3, 0, 2)), (np.float64, (3, 4, 0))):  # fmt: skip
        L, S, E = shapes
        q, k, v = _qkv((2,), L, S, E, 3, dtype)
        got = attk.sdpa_kernel(q, k, v, None, scale=0.5, is_causal=True)
        want = attk.sdpa_general(q, k, v, None, scale=0.5, is_causal=True)
        for a, c in zip(got, want):
            assert a.dtype == c.dtype and a.shape == c.shape
            np.testing.assert_array_equal(a, c)


def test_sdpa_kernels_leave_their_inputs_alone():
    q, k, v = _qkv((2,), 4, 4, 3, 3, np.float32)
    g = R.standard_normal((2, 4, 3)).astype(np.float32)
    copies = [a.copy() for a in (q, k, v, g)]
    out, p = attk.sdpa_kernel(q, k, v, None, scale=0.5, is_causal=True)
    p_copy, out_copy = p.copy(), out.copy()
    attk.sdpa_grad_kernel(g, q, k, v, out, p, scale=0.5)
    for a, c in zip((q, k, v, g, p, out), (*copies, p_copy, out_copy)):
        np.testing.assert_array_equal(a, c)


def test_safe_probs_gives_zero_rows_for_all_masked_rows_and_is_a_softmax():
    s = R.standard_normal((2, 3, 4))
    s[0, 1] = -np.inf
    s[1, 2, 3] = np.nan
    p = attk.safe_probs(s)
    np.testing.assert_array_equal(p[0, 1], 0.0)
    assert np.isnan(p[1, 2]).all()
    live = np.ones((2, 3), bool)
    live[0, 1] = live[1, 2] = False
    e = np.exp(s[live] - s[live].max(-1, keepdims=True))
    np.testing.assert_allclose(p[live], e / e.sum(-1, keepdims=True), rtol=1e-14)
    assert attk.safe_probs(np.zeros((2, 0))).shape == (2, 0)


GRAD_CASES = {
    "plain": {},
    "causal-wide": {"is_causal": True},
    "float-mask": {"attn_mask": "float"},
    "masked-row": {"attn_mask": "masked-row"},
    "scale": {"scale": 0.37},
}


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_sdpa_gradcheck_through_the_first_order_kernel(case):
    kw = dict(GRAD_CASES[case])
    q, k, v = _qkv((2,), 3, 5, 4, 2)
    if "attn_mask" in kw:
        kw["attn_mask"] = tt.tensor(_mask(3, 5, kw["attn_mask"]))
    args = tuple(tt.tensor(a, requires_grad=True) for a in (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_first_order_backward_is_one_kernel_and_matches_the_composite(monkeypatch, dtype):
    counting = Counting(att.SDPA_GRAD)
    monkeypatch.setattr(att, "SDPA_GRAD", counting)
    q, k, v = (tt.tensor(a, requires_grad=True) for a in _qkv((2, 4), 8, 8, 4, 4, dtype))
    mask = tt.tensor(R.random((8, 8)) > 0.3)
    g = tt.tensor(R.standard_normal((2, 4, 8, 4)).astype(dtype))
    out = F.scaled_dot_product_attention(q, k, v, mask)
    first = tt.autograd.grad([out], [q, k, v], [g])
    assert counting.count == 1
    again = tt.autograd.grad([F.scaled_dot_product_attention(q, k, v, mask)], [q, k, v], [g],
                             create_graph=True)  # fmt: skip
    assert counting.count == 1 and all(a.requires_grad for a in again)
    for a, c in zip(first, again):
        _close(a.numpy(), c.detach().numpy(), dtype)


def test_compiled_sdpa_records_the_backward_kernel_and_matches_eager():
    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True).sum()

    f = tt.compile(fn)
    for _ in range(3):  # fresh values each call: the replay reads them
        arrays = _qkv((2, 2), 6, 6, 4, 4, np.float32)
        a = [tt.tensor(x, requires_grad=True) for x in arrays]
        b = [tt.tensor(x, requires_grad=True) for x in arrays]
        fn(*a).backward()
        f(*b).backward()
        for x, y in zip(a, b):
            np.testing.assert_array_equal(y.grad.numpy(), x.grad.numpy())
    listing = str(f.program)
    assert "ScaledDotProductAttentionBackward(" in listing and "Matmul(" not in listing


# --- PyTorch oracles ------------------------------------------------------------------------


@pytest.mark.torch
def test_w8_shaped_layer_norm_and_attention_match_torch_in_float32():
    torch = pytest.importorskip("torch")
    x, w, b, _ = _ln_case((16, 32, 64), 1, np.float32)
    q, k, v = _qkv((16, 4), 32, 32, 16, 16, np.float32)
    ours = [tt.tensor(a, requires_grad=True) for a in (x, w, b, q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b, q, k, v)]

    def run(lib_F, t):
        return lib_F.layer_norm(t[0], (64,), t[1], t[2]), lib_F.scaled_dot_product_attention(
            t[3], t[4], t[5])

    o, t = run(F, ours), run(torch.nn.functional, theirs)
    gs = [R.standard_normal(tuple(a.shape)).astype(np.float32) for a in t]
    for a, c in zip(o, t):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-4, atol=1e-5)
    tt.autograd.backward(list(o), [tt.tensor(g) for g in gs])
    torch.autograd.backward(list(t), [torch.tensor(g) for g in gs])
    for a, c in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), c.grad.numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.torch
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_with_a_fully_masked_row_matches_torch(causal):
    torch = pytest.importorskip("torch")
    q, k, v = _qkv((2, 3), 5, 5, 4, 3)
    keep = R.random((5, 5)) > 0.3
    keep[2] = False
    ours = [tt.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    mask_kw = {} if causal else {"attn_mask": keep}
    o = F.scaled_dot_product_attention(*ours, is_causal=causal,
                                       **{n: tt.tensor(m) for n, m in mask_kw.items()})  # fmt: skip
    t = torch.nn.functional.scaled_dot_product_attention(
        *theirs, is_causal=causal, **{n: torch.tensor(m) for n, m in mask_kw.items()}
    )
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = R.standard_normal(tuple(t.shape))
    o.backward(tt.tensor(g))
    t.backward(torch.tensor(g))
    for a, c in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), c.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_self_attention_gives_the_sdpa_kernel_head_major_contiguous_q_k_v(monkeypatch):
    # The packed projection's chunks need a copy to split the heads; that copy is laid out
    # (N, heads, L, head_dim), so the kernel's matrix products read contiguous matrices.
    seen = []
    kernel = att.SDPA._run

    def spy(q, k, v, bias, **attrs):
        seen.append((q, k, v))
        return kernel(q, k, v, bias, **attrs)

    monkeypatch.setattr(att.SDPA, "_run", spy)
    mha = tt.nn.MultiheadAttention(8, 2, batch_first=True)
    x = tt.tensor(R.standard_normal((3, 5, 8)).astype(np.float32))
    out = mha(x, x, x, need_weights=False)[0]
    (q, k, v), = seen
    assert all(a.shape == (3, 2, 5, 4) and a.flags.c_contiguous for a in (q, k, v))
    monkeypatch.undo()
    want = mha(x, x, x, need_weights=True)[0]  # the composite path, heads split as views
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                               atol=1e-6)  # fmt: skip
