"""MultiheadAttention without torch: a NumPy oracle of the whole layer (in-projection, heads of
size embed_dim // num_heads scaled by 1/sqrt(head_dim), masks, bias_k/bias_v, zero attention,
kdim/vdim, out-projection, averaged and per-head weights), and need_weights=True (explicit
softmax path) agreeing with need_weights=False (the scaled_dot_product_attention path)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn

R = np.random.default_rng(51)
E, HEADS, L, S, N = 8, 4, 3, 5, 2


def _softmax(s):
    m = np.max(np.where(np.isinf(s), -1e300, s), -1, keepdims=True)
    e = np.exp(s - m)
    return e / e.sum(-1, keepdims=True)


def np_mha(m, q, k, v, key_padding_mask=None, attn_mask=None):
    """q (L, N, E), k (S, N, kdim), v (S, N, vdim) -> out (L, N, E), weights (N, H, L, S')."""
    p = {n: t.detach().numpy() for n, t in m.named_parameters()}
    h = m.num_heads
    hd = m.embed_dim // h
    if m.in_proj_weight is not None:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0.0, 0.0, 0.0)
    qp, kp, vp = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    n = q.shape[1]
    bias = np.zeros((n, q.shape[0], k.shape[0]))
    if attn_mask is not None:
        bias = bias + (np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask)
    if key_padding_mask is not None:
        kpm = key_padding_mask
        bias = bias + (np.where(kpm, -np.inf, 0.0) if kpm.dtype == bool else kpm)[:, None, :]
    if m.bias_k is not None:
        kp = np.concatenate([kp, np.broadcast_to(p["bias_k"], (1, n, m.embed_dim))])
        vp = np.concatenate([vp, np.broadcast_to(p["bias_v"], (1, n, m.embed_dim))])
        bias = np.concatenate([bias, np.zeros(bias.shape[:2] + (1,))], -1)
    if m.add_zero_attn:
        kp = np.concatenate([kp, np.zeros((1, n, m.embed_dim))])
        vp = np.concatenate([vp, np.zeros((1, n, m.embed_dim))])
        bias = np.concatenate([bias, np.zeros(bias.shape[:2] + (1,))], -1)

    def heads(t):  # (S, N, E) -> (N, H, S, hd)
        return t.reshape(t.shape[0], n, h, hd).transpose(1, 2, 0, 3)

    scores = heads(qp) @ heads(kp).transpose(0, 1, 3, 2) / np.sqrt(hd) + bias[:, None]
    w = _softmax(scores)
    ctx = (w @ heads(vp)).transpose(2, 0, 1, 3).reshape(q.shape[0], n, m.embed_dim)
    out = ctx @ p["out_proj.weight"].T + p.get("out_proj.bias", 0.0)
    return out, w


CONFIGS = {
    "plain": ({}, {}),
    "no-bias": ({"bias": False}, {}),
    "kdim-vdim": ({"kdim": 3, "vdim": 6}, {}),
    "bias-kv-zero-attn": ({"add_bias_kv": True, "add_zero_attn": True}, {}),
    "bias-kv-zero-attn-masks": (
        {"add_bias_kv": True, "add_zero_attn": True},
        {"key_padding_mask": "float", "attn_mask": "float"},
    ),
    "zero-attn-bool-masks": (
        {"add_zero_attn": True},
        {"key_padding_mask": True, "attn_mask": "bool"},
    ),
    "float-masks": ({}, {"key_padding_mask": "float", "attn_mask": "float"}),
    "bool-mask-batch-first": ({"batch_first": True}, {"attn_mask": "bool"}),
    "dropout-in-eval": ({"dropout": 0.5}, {"key_padding_mask": True}),
}


def _inputs(m, masks):
    q = R.standard_normal((L, N, E))
    k = R.standard_normal((S, N, m.kdim))
    v = R.standard_normal((S, N, m.vdim))
    kw = {}
    if masks.get("key_padding_mask"):
        kpm = np.zeros((N, S), bool)
        kpm[0, -2:] = True
        kw["key_padding_mask"] = kpm
        if masks["key_padding_mask"] == "float":
            kw["key_padding_mask"] = np.where(kpm, -np.inf, R.standard_normal((N, S)))
    if masks.get("attn_mask") == "float":
        kw["attn_mask"] = R.standard_normal((L, S))
    elif masks.get("attn_mask") == "bool":
        am = R.random((L, S)) > 0.6
        am[:, 0] = False  # every query keeps at least one key
        kw["attn_mask"] = am
    return q, k, v, kw


def _call(m, q, k, v, kw, **extra):
    t = (lambda a: tt.tensor(a.transpose(1, 0, 2))) if m.batch_first else tt.tensor
    out, w = m(t(q), t(k), t(v), **{n: tt.tensor(a) for n, a in kw.items()}, **extra)
    out = out.detach().numpy()
    return (out.transpose(1, 0, 2) if m.batch_first else out), w


@pytest.mark.parametrize("name", list(CONFIGS))
def test_multihead_attention_numpy_oracle(name):
    cfg, masks = CONFIGS[name]
    tt.manual_seed(5)
    m = nn.MultiheadAttention(E, HEADS, dtype=tt.float64, **cfg).eval()
    with tt.no_grad():  # non-zero biases, so a bias mix-up shows
        for p in m.parameters():
            p.add_(tt.tensor(R.standard_normal(tuple(p.shape)) * 0.2))
    q, k, v, kw = _inputs(m, masks)
    want, want_w = np_mha(m, q, k, v, kw.get("key_padding_mask"), kw.get("attn_mask"))
    out, w = _call(m, q, k, v, kw)
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), want_w.mean(1), rtol=1e-10, atol=1e-12)
    _, per_head = _call(m, q, k, v, kw, average_attn_weights=False)
    np.testing.assert_allclose(per_head.detach().numpy(), want_w, rtol=1e-10, atol=1e-12)
    fast, none = _call(m, q, k, v, kw, need_weights=False)
    assert none is None
    np.testing.assert_allclose(fast, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_need_weights_true_and_false_agree_with_gradients(name):
    """Both paths give the same output and the same parameter and input gradients."""
    cfg, masks = CONFIGS[name]
    tt.manual_seed(6)
    m = nn.MultiheadAttention(E, HEADS, dtype=tt.float64, **cfg).eval()
    q, k, v, kw = _inputs(m, masks)
    results = []
    for need in (True, False):
        m.zero_grad()
        qt = tt.tensor(q, requires_grad=True)
        args = [qt.transpose(0, 1) if m.batch_first else qt]
        args += [tt.tensor(a.transpose(1, 0, 2) if m.batch_first else a) for a in (k, v)]
        out, _ = m(*args, need_weights=need, **{n: tt.tensor(a) for n, a in kw.items()})
        (out * tt.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))).sum().backward()
        grads = [qt.grad.numpy()] + [p.grad.numpy().copy() for p in m.parameters()]
        results.append((out.detach().numpy(), grads))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_causal_mask_same_on_both_paths_and_unbatched():
    tt.manual_seed(8)
    m = nn.MultiheadAttention(E, HEADS, dtype=tt.float64).eval()
    x = R.standard_normal((4, 1, E))
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=tt.float64)
    want, _ = np_mha(m, x, x, x, attn_mask=causal.numpy())
    a, _ = m(tt.tensor(x), tt.tensor(x), tt.tensor(x), attn_mask=causal)
    b, _ = m(tt.tensor(x), tt.tensor(x), tt.tensor(x), attn_mask=causal, need_weights=False,
             is_causal=True)  # fmt: skip
    c, w = m(*(tt.tensor(x[:, 0]),) * 3, attn_mask=causal)  # unbatched
    for got in (a, b):
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), want[:, 0], rtol=1e-10, atol=1e-12)
    assert tuple(w.shape) == (4, 4) and np.allclose(np.triu(w.detach().numpy(), 1), 0)


def test_sdpa_grouped_query_attention_numpy_oracle():
    """enable_gqa: query head h reads key/value head h // (query heads / kv heads)."""
    q = R.standard_normal((2, 6, 3, 4))
    k = R.standard_normal((2, 2, 5, 4))
    v = R.standard_normal((2, 2, 5, 3))
    out = F.scaled_dot_product_attention(tt.tensor(q), tt.tensor(k), tt.tensor(v),
                                         enable_gqa=True).numpy()  # fmt: skip
    kk, vv = np.repeat(k, 3, axis=1), np.repeat(v, 3, axis=1)
    want = _softmax(q @ kk.transpose(0, 1, 3, 2) / 2.0) @ vv  # 1/sqrt(4)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
