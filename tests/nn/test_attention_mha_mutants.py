"""multi_head_attention_forward branch by branch against a NumPy oracle of the functional form,
NumPy only: 3-D bool and float masks on both paths (need_weights True and False), key padding
mixed with attention masks (and the deprecation warning), the is_causal hint, packed and separate
projections (and which sharing of query/key/value objects takes the packed one), static keys and
values, bias_k/bias_v with zero attention, unbatched inputs, seeded dropout only in training,
dtypes kept, gradients, and every error message whole.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck

R = np.random.default_rng(2026)


def _np_softmax(s):
    """softmax over the last axis; rows that are all -inf give 0."""
    m = np.max(s, -1, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)
    e = np.exp(s - m)
    den = e.sum(-1, keepdims=True)
    return e / np.where(den == 0, 1.0, den)


def _t(a, grad=False):
    return tt.tensor(np.array(a), requires_grad=grad)


def _keep(shape, p, seed):
    """The keep-mask scaled by 1/(1-p) that dropout draws after tt.manual_seed(seed)."""
    tt.manual_seed(seed)
    return F.dropout(tt.ones(*shape, dtype=tt.float64), p).numpy()


# --- multi_head_attention_forward ----------------------------------------------------------------

E, H, L, S, N = 4, 2, 3, 5, 2
HD = E // H


def _params(seed=0, bias=True):
    r = np.random.default_rng(seed)
    w_in, w_out = r.standard_normal((3 * E, E)) * 0.5, r.standard_normal((E, E)) * 0.5
    b_in = r.standard_normal(3 * E) * 0.3 if bias else None
    b_out = r.standard_normal(E) * 0.3 if bias else None
    return w_in, b_in, w_out, b_out


def _np_mha(q, k, v, w_in, b_in, w_out, b_out, bias=None, static_k=None, static_v=None,
            keep=None, k_extra=None, zero_attn=False):  # fmt: skip
    """(L, N, E) inputs -> out (L, N, E) and per-head weights (N, H, L, S'); ``bias`` is an
    additive (N*H, L or 1, S) float array."""
    wq, wk, wv = np.split(w_in, 3)
    bq, bk, bv = np.split(b_in, 3) if b_in is not None else (0.0, 0.0, 0.0)
    qp, kp, vp = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    n = q.shape[1]

    def heads(t):  # (S, N, E) -> (N*H, S, HD)
        return t.reshape(t.shape[0], n * H, HD).transpose(1, 0, 2)

    qh = heads(qp)
    kh = heads(kp) if static_k is None else static_k
    vh = heads(vp) if static_v is None else static_v
    if k_extra is not None:  # bias_k / bias_v rows
        kh = np.concatenate([kh, heads(k_extra[0])], 1)
        vh = np.concatenate([vh, heads(k_extra[1])], 1)
    if zero_attn:
        kh = np.concatenate([kh, np.zeros((n * H, 1, HD))], 1)
        vh = np.concatenate([vh, np.zeros((n * H, 1, HD))], 1)
    s = qh @ kh.transpose(0, 2, 1) / math.sqrt(HD)
    if bias is not None:
        s = s + np.pad(bias, [(0, 0), (0, 0), (0, kh.shape[1] - bias.shape[-1])])
    w = _np_softmax(s)
    wd = w if keep is None else w * keep
    ctx = (wd @ vh).transpose(1, 0, 2).reshape(q.shape[0], n, E)
    out = ctx @ w_out.T + (0.0 if b_out is None else b_out)
    return out, wd.reshape(n, H, q.shape[0], -1)


def _mhaf(q, k, v, params, **kw):
    w_in, b_in, w_out, b_out = (None if a is None else _t(a) for a in params)
    kw = {n: (_t(a) if isinstance(a, np.ndarray) else a) for n, a in kw.items()}
    bias_k, bias_v = kw.pop("bias_k", None), kw.pop("bias_v", None)
    zero = kw.pop("add_zero_attn", False)
    p = kw.pop("dropout_p", 0.0)
    q = q if isinstance(q, tt.Tensor) else _t(q)
    k = k if isinstance(k, tt.Tensor) else _t(k)
    v = v if isinstance(v, tt.Tensor) else _t(v)
    return F.multi_head_attention_forward(q, k, v, E, H, w_in, b_in, bias_k, bias_v, zero, p,
                                          w_out, b_out, **kw)  # fmt: skip


def _x(L_=L, S_=S, n=N):
    return (
        R.standard_normal((L_, n, E)),
        R.standard_normal((S_, n, E)),
        R.standard_normal((S_, n, E)),
    )


def _bool_bias(m):
    return np.where(m, -np.inf, 0.0)  # multi-head attention: True = masked


def test_mha_three_d_masks_bool_and_float_on_both_paths():
    q, k, v = _x()
    params = _params(1)
    am_bool = R.random((N * H, L, S)) > 0.6
    am_bool[..., 0] = False
    am_float = R.standard_normal((N * H, L, S))
    for am, bias in ((am_bool, _bool_bias(am_bool)), (am_float, am_float)):
        want, want_w = _np_mha(q, k, v, *params, bias=bias)
        out, w = _mhaf(q, k, v, params, attn_mask=am, average_attn_weights=False)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-11, atol=1e-13)
        out, w = _mhaf(q, k, v, params, attn_mask=am, need_weights=False)
        assert w is None
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)


def test_mha_key_padding_float_with_bool_attn_mask_warns_and_adds():
    q, k, v = _x()
    params = _params(2)
    kpm = R.standard_normal((N, S))
    am = np.zeros((L, S), bool)
    am[1, 3:] = True
    bias = np.repeat(kpm, H, 0)[:, None, :] + _bool_bias(am)[None]
    want, want_w = _np_mha(q, k, v, *params, bias=bias)
    msg = (r"^Support for mismatched key_padding_mask and attn_mask is deprecated\. Use same "
           r"type for both instead\.$")  # fmt: skip
    with pytest.warns(UserWarning, match=msg):
        out, w = _mhaf(q, k, v, params, key_padding_mask=kpm, attn_mask=am)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(w.numpy(), want_w.mean(1), rtol=1e-11, atol=1e-13)
    with warnings.catch_warnings():  # the same types: no warning
        warnings.simplefilter("error")
        _mhaf(q, k, v, params, key_padding_mask=kpm, attn_mask=_bool_bias(am))
        out, _ = _mhaf(q, k, v, params, key_padding_mask=kpm > 0, need_weights=False)
    want, _ = _np_mha(q, k, v, *params, bias=np.repeat(_bool_bias(kpm > 0), H, 0)[:, None, :])
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)


def test_mha_only_bool_and_float_masks():
    q, k, v = _x()
    for name in ("key_padding_mask", "attn_mask"):
        shape = (N, S) if name == "key_padding_mask" else (L, S)
        with pytest.raises(AssertionError, match=f"only bool and floating types of {name}"):
            _mhaf(q, k, v, _params(), **{name: np.zeros(shape, np.int64)})


def test_mha_is_causal_hint():
    """With need_weights=False and no key padding the hint replaces the mask (as PyTorch);
    otherwise the mask is used as given."""
    q, k, v = _x(L_=4, S_=4)
    params = _params(3)
    zeros = np.zeros((4, 4))
    causal_bias = np.where(np.tri(4, 4, dtype=bool), 0.0, -np.inf)[None]
    want_causal, _ = _np_mha(q, k, v, *params, bias=causal_bias)
    want_plain, _ = _np_mha(q, k, v, *params)
    out, _ = _mhaf(q, k, v, params, attn_mask=zeros, is_causal=True, need_weights=False)
    np.testing.assert_allclose(out.numpy(), want_causal, rtol=1e-11, atol=1e-13)
    out, _ = _mhaf(q, k, v, params, attn_mask=zeros, is_causal=True)
    np.testing.assert_allclose(out.numpy(), want_plain, rtol=1e-11, atol=1e-13)
    kpm = np.zeros((N, 4))
    out, _ = _mhaf(q, k, v, params, attn_mask=zeros, is_causal=True, need_weights=False,
                   key_padding_mask=kpm)  # fmt: skip
    np.testing.assert_allclose(out.numpy(), want_plain, rtol=1e-11, atol=1e-13)
    with pytest.raises(
        RuntimeError,
        match=r"^Need attn_mask if specifying the is_causal hint\. You may use the Transformer "
        r"module method `generate_square_subsequent_mask` to create this mask\.$",
    ):
        _mhaf(q, k, v, params, is_causal=True, need_weights=False)


def test_mha_self_attention_packed_projection_without_bias():
    x = R.standard_normal((L, N, E))
    xt = _t(x)
    for bias in (True, False):
        params = _params(4, bias=bias)
        want, want_w = _np_mha(x, x, x, *params)
        for need in (True, False):
            out, w = _mhaf(xt, xt, xt, params, need_weights=need)
            np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(
            _mhaf(xt, xt, xt, params)[1].numpy(), want_w.mean(1), rtol=1e-11, atol=1e-13
        )


def test_mha_separate_projection_weights_same_object():
    x = R.standard_normal((L, N, E))
    xt = _t(x)
    w_in, b_in, w_out, b_out = _params(5)
    wq, wk, wv = (_t(w) for w in np.split(w_in, 3))
    want, _ = _np_mha(x, x, x, w_in, b_in, w_out, b_out)
    out, _ = F.multi_head_attention_forward(
        xt, xt, xt, E, H, None, _t(b_in), None, None, False, 0.0, _t(w_out), _t(b_out),
        use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv,
    )  # fmt: skip
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
    for missing in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
        weights = {"q_proj_weight": wq, "k_proj_weight": wk, "v_proj_weight": wv, missing: None}
        with pytest.raises(AssertionError, match=r"^use_separate_proj_weight is True but a "
                           r"q/k/v_proj_weight is None$"):  # fmt: skip
            F.multi_head_attention_forward(
                xt, xt, xt, E, H, None, _t(b_in), None, None, False, 0.0, _t(w_out),
                _t(b_out), use_separate_proj_weight=True, **weights,
            )  # fmt: skip
    with pytest.raises(AssertionError, match=r"sequence and batch dims .*\[3, 2\].*\[4, 2\]\)$"):
        F.multi_head_attention_forward(
            xt, xt, _t(R.standard_normal((L + 1, N, E))), E, H, None, None, None, None, False,
            0.0, _t(w_out), None, use_separate_proj_weight=True, q_proj_weight=wq,
            k_proj_weight=wk, v_proj_weight=wv,
        )  # fmt: skip


def test_mha_static_keys_and_values():
    q, k, v = _x()
    params = _params(6)
    sk = R.standard_normal((N * H, 6, HD))
    sv = R.standard_normal((N * H, 6, HD))
    want, want_w = _np_mha(q, k, v, *params, static_k=sk, static_v=sv)
    for need in (True, False):
        out, w = _mhaf(q, k, v, params, static_k=sk, static_v=sv, need_weights=need,
                       average_attn_weights=False)  # fmt: skip
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(
        _mhaf(q, k, v, params, static_k=sk, static_v=sv, average_attn_weights=False)[1].numpy(),
        want_w, rtol=1e-11, atol=1e-13,
    )  # fmt: skip
    for bad in (sk[:, :, :1], sk[1:]):
        with pytest.raises(AssertionError, match=r"expecting static_k of shape \(4, S, 2\)"):
            _mhaf(q, k, v, params, static_k=bad)
    with pytest.raises(AssertionError, match=r"expecting static_v of shape \(4, S, 2\)"):
        _mhaf(q, k, v, params, static_v=sv[:, :, :1])
    bk = R.standard_normal((1, 1, E))
    with pytest.raises(AssertionError, match=r"^bias cannot be added to static key\.$"):
        _mhaf(q, k, v, params, static_k=sk, bias_k=bk, bias_v=bk)
    with pytest.raises(AssertionError, match=r"^bias cannot be added to static key\.$"):
        _mhaf(q, k, v, params, static_v=sv, bias_k=bk, bias_v=bk)


def test_mha_bias_kv_and_zero_attention_with_masks_on_both_paths():
    q, k, v = _x()
    params = _params(7)
    bk, bv = R.standard_normal((1, 1, E)), R.standard_normal((1, 1, E))
    am = R.standard_normal((L, S))
    kpm = np.zeros((N, S), bool)
    kpm[1, :2] = True
    bias = am[None] + np.repeat(_bool_bias(kpm), H, 0)[:, None, :]
    extra = (np.broadcast_to(bk, (1, N, E)), np.broadcast_to(bv, (1, N, E)))
    want, want_w = _np_mha(q, k, v, *params, bias=bias, k_extra=extra, zero_attn=True)
    for need in (True, False):
        with pytest.warns(UserWarning, match="mismatched key_padding_mask"):
            out, w = _mhaf(q, k, v, params, bias_k=bk, bias_v=bv, add_zero_attn=True,
                           attn_mask=am, key_padding_mask=kpm, need_weights=need,
                           average_attn_weights=False)  # fmt: skip
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
        if need:
            np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-11, atol=1e-13)
    with pytest.raises(
        AssertionError, match="^bias_k and bias_v must both be set or both be None$"
    ):
        _mhaf(q, k, v, params, bias_k=bk)
    with pytest.raises(
        AssertionError, match="^bias_k and bias_v must both be set or both be None$"
    ):
        _mhaf(q, k, v, params, bias_v=bv)


def test_mha_unbatched_with_key_padding_on_both_paths():
    q, k, v = _x(n=1)
    params = _params(8)
    kpm = np.array([False, True, False, False, True])
    want, want_w = _np_mha(q, k, v, *params, bias=np.repeat(_bool_bias(kpm)[None], H, 0)[:, None])
    for need in (True, False):
        out, w = _mhaf(q[:, 0], k[:, 0], v[:, 0], params, key_padding_mask=kpm, need_weights=need)
        assert tuple(out.shape) == (L, E)
        np.testing.assert_allclose(out.numpy(), want[:, 0], rtol=1e-11, atol=1e-13)
    assert tuple(w.shape if w is not None else ()) == ()
    _, w = _mhaf(q[:, 0], k[:, 0], v[:, 0], params, key_padding_mask=kpm)
    assert tuple(w.shape) == (L, S)
    np.testing.assert_allclose(w.numpy(), want_w[0].mean(0), rtol=1e-11, atol=1e-13)
    am = R.standard_normal((H, L, S))  # unbatched 3-D mask: (heads, L, S)
    want, _ = _np_mha(q, k, v, *params, bias=am)
    out, _ = _mhaf(q[:, 0], k[:, 0], v[:, 0], params, attn_mask=am, need_weights=False)
    np.testing.assert_allclose(out.numpy(), want[:, 0], rtol=1e-11, atol=1e-13)


def test_mha_dropout_only_in_training_and_seeded():
    q, k, v = _x()
    params = _params(9)
    want, want_w = _np_mha(q, k, v, *params)
    for need in (True, False):
        out, _ = _mhaf(q, k, v, params, dropout_p=0.3, training=False, need_weights=need)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
    keep = _keep((N * H, L, S), 0.3, seed=4)
    assert 0 < (keep == 0).sum() < keep.size
    want, want_w = _np_mha(q, k, v, *params, keep=keep)
    for need in (True, False):
        tt.manual_seed(4)
        out, w = _mhaf(q, k, v, params, dropout_p=0.3, need_weights=need,
                       average_attn_weights=False)  # fmt: skip
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)
        if need:  # the weights returned are the dropped ones, as PyTorch's
            np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-11, atol=1e-13)


def test_mha_gradients_both_paths():
    q, k, v = (_t(a[:2, :1], True) for a in _x())
    w_in, b_in, w_out, b_out = (_t(a, True) for a in _params(10))
    am = _t(R.standard_normal((2, 2)))
    for need in (True, False):

        def fn(q, k, v, w_in, b_in, w_out, b_out, need=need):
            return F.multi_head_attention_forward(
                q, k, v, E, H, w_in, b_in, None, None, False, 0.0, w_out, b_out,
                attn_mask=am, need_weights=need)[0]  # fmt: skip

        assert gradcheck(fn, (q, k, v, w_in, b_in, w_out, b_out))


def test_mha_shape_errors():
    q, k, v = _x()
    p = _params()
    cases = [
        ((q[0, 0], k[0, 0], v[0, 0]), {}, "query should be unbatched 2D or batched 3D"),
        ((q[None], k[None], v[None]), {}, "received 4-D query"),
        ((q, k[:, 0], v), {},
         r"^For batched \(3-D\) `query`, expected `key` and `value` to be 3-D but found 2-D "
         r"and 3-D tensors respectively$"),
        ((q[:, 0], k, v[:, 0]), {}, r"^For unbatched \(2-D\) `query`, expected `key` and"),
        ((q, k, v[:, 0]), {}, r"to be 3-D but found 3-D and 2-D"),
        ((q, k, v), {"key_padding_mask": np.zeros((N, 1, S), bool)},
         r"`key_padding_mask` to be `None` or 2-D but found 3-D"),
        ((q, k, v), {"attn_mask": np.zeros(S, bool)}, r"^For batched \(3-D\) `query`, expected "
         r"`attn_mask` to be `None`, 2-D or 3-D but found 1-D tensor instead$"),
        ((q, k, v), {"attn_mask": np.zeros((1, 1, L, S), bool)}, "2-D or 3-D but found 4-D"),
        ((q[:, 0], k[:, 0], v[:, 0]), {"attn_mask": np.zeros((H, L, S + 1), bool)},
         r"Expected `attn_mask` shape to be \(2, 3, 5\) but got \(2, 3, 6\)"),
        ((q, k, v), {"attn_mask": np.zeros((N * H, L, S + 1), bool)},
         r"3D attn_mask is .* but should be \(4, 3, 5\)"),
        ((q, k, v), {"attn_mask": np.zeros((L, S + 1), bool)},
         r"2D attn_mask is .* but should be \(3, 5\)"),
        ((q, k, v), {"key_padding_mask": np.zeros((N, S + 1), bool)},
         r"key_padded_mask.shape to be \(2, 5\), but got \(2, 6\)"),
        ((q, k, v[:-1]), {}, "does not match value shape"),
    ]  # fmt: skip
    for args, kw, msg in cases:
        with pytest.raises((AssertionError, RuntimeError), match=msg):
            _mhaf(*args, p, **kw)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 6, but got 4"):
        F.multi_head_attention_forward(_t(q), _t(k), _t(v), 6, H, *(_t(a) for a in p[:2]),
                                       None, None, False, 0.0, *(_t(a) for a in p[2:]))  # fmt: skip
    with pytest.raises(AssertionError, match="embed_dim 4 not divisible by num_heads 3"):
        F.multi_head_attention_forward(_t(q), _t(k), _t(v), E, 3, *(_t(a) for a in p[:2]),
                                       None, None, False, 0.0, *(_t(a) for a in p[2:]))  # fmt: skip
    with pytest.raises(
        AssertionError, match="^use_separate_proj_weight is False but in_proj_weight is None$"
    ):
        F.multi_head_attention_forward(_t(q), _t(k), _t(v), E, H, None, None, None, None, False,
                                       0.0, _t(p[2]), None)  # fmt: skip


def test_mha_shared_key_value_or_query_key_objects_use_their_own_projections():
    """Only query is key is value takes the packed projection; any other sharing projects each
    input by its own third of the weight."""
    a, b = R.standard_normal((L, N, E)), R.standard_normal((L, N, E))
    at, bt = _t(a), _t(b)
    params = _params(11)
    for q, k, v, qt, kt, vt in ((a, b, b, at, bt, bt), (a, a, b, at, at, bt),
                                (a, b, a, at, bt, at)):  # fmt: skip
        want, _ = _np_mha(q, k, v, *params)
        for need in (True, False):
            out, _ = _mhaf(qt, kt, vt, params, need_weights=need)
            np.testing.assert_allclose(out.numpy(), want, rtol=1e-11, atol=1e-13)


def test_mha_keeps_the_float32_dtype_with_bool_masks_and_zero_attention():
    q, k, v = (a.astype(np.float32) for a in _x())
    params = [a.astype(np.float32) for a in _params(12)]
    kpm = np.zeros((N, S), bool)
    kpm[0, 1] = True
    am = np.zeros((L, S), bool)
    am[2, 0] = True
    want, _ = _np_mha(*(a.astype(np.float64) for a in (q, k, v)), *params,
                      bias=np.repeat(_bool_bias(kpm), H, 0)[:, None, :] + _bool_bias(am)[None],
                      zero_attn=True)  # fmt: skip
    old = tt.get_default_dtype()
    tt.set_default_dtype(tt.float64)  # so a zero column made without the dtype shows
    try:
        for need in (True, False):
            out, _ = _mhaf(tt.tensor(q), tt.tensor(k), tt.tensor(v), params, add_zero_attn=True,
                           key_padding_mask=kpm, attn_mask=am, need_weights=need)  # fmt: skip
            assert out.dtype == tt.float32
            np.testing.assert_allclose(out.numpy(), want, rtol=2e-5, atol=1e-6)
    finally:
        tt.set_default_dtype(old)


def test_mha_unbatched_single_query_and_key_keep_their_dims():
    q, k, v = _x(L_=1, S_=1, n=1)
    params = _params(13)
    want, want_w = _np_mha(q, k, v, *params)
    for need in (True, False):
        out, w = _mhaf(q[:, 0], k[:, 0], v[:, 0], params, need_weights=need)
        assert tuple(out.shape) == (1, E)
        np.testing.assert_allclose(out.numpy(), want[:, 0], rtol=1e-11, atol=1e-13)
        if need:
            assert tuple(w.shape) == (1, 1)
            np.testing.assert_allclose(w.numpy(), want_w[0].mean(0), rtol=1e-11)
