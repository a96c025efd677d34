"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Without dropout (and with a mask that needs no gradient) attention is one node that saves what
PyTorch's fused CPU kernel saves (query, key, value, the float mask and the output) and the
probabilities, as PyTorch's math path keeps them: a first-order backward is one kernel from
them; a backward that builds a graph (create_graph) recomputes them as ops. The kernels make
the scores transposed, (..., keys, queries), so the softmax reduces over contiguous rows. With
dropout, or a mask that needs a gradient, it is the composite PyTorch's math path is: matmul,
softmax, dropout, matmul. Either way a row whose keys are all masked gives zeros, as PyTorch's
safe softmax does.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive, tracing
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input
from tinytensor.nn.functional.attention_kernels import (
    safe_probs,
    sdpa_grad_into,
    sdpa_grad_kernel,
    sdpa_into,
    sdpa_kernel,
)
from tinytensor.nn.functional.dropout import dropout
from tinytensor.nn.functional.linear import linear
from tinytensor.ops.creation import zeros
from tinytensor.ops.join import cat
from tinytensor.ops.linalg.products import matmul
from tinytensor.ops.masked import masked_fill
from tinytensor.ops.pad import pad
from tinytensor.ops.softmax import softmax

# --- scaled dot-product attention ---------------------------------------------------------------


def _bias_kernel(m, *, dtype, true_is_masked=False):
    """The additive float bias of a bool mask: -inf where attention is masked, else 0."""
    if true_is_masked:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    return np.where(m, 0.0, -np.inf).astype(dtype)


def _causal_kernel(*, L, S):
    """(L, S) bool: True above the diagonal (the keys a query may not see)."""
    return ~np.tri(L, S, dtype=bool)


def _safe_softmax_backward(g, out):
    """`dx = p*(g - sum(g*p))` (0 in a row that was all -inf, where p is 0)"""
    return (out * (g - (g * out).sum(-1, keepdim=True)),)


# No gradient: the masks are constants of the call.
MASK_BIAS = Primitive("AttentionMaskBias", _bias_kernel)
CAUSAL_MASK = Primitive("CausalMask", _causal_kernel)
# PyTorch's safe softmax: rows whose keys are all masked give zeros, not NaN.
SAFE_SOFTMAX = Primitive("SafeSoftmax", safe_probs, _safe_softmax_backward)


def _float_mask(mask, dtype):
    """A bool mask (True = attend) as its additive float bias, by a kernel; float masks as is."""
    if mask is None or mask._data.dtype != np.bool_:
        return mask
    return MASK_BIAS.apply((mask,), (mask._data,), (), {"dtype": dtype})


def _probs(q, k, mask, scale, is_causal):
    """Attention probabilities as tinytensor ops (so backward can be differentiated again)."""
    root = math.sqrt(scale)  # both sides scaled, as PyTorch's math path (it saves those)
    s = matmul(q * root, k.mT * root)
    if mask is not None:
        s = s + _float_mask(mask, s._data.dtype)
    if is_causal:
        causal = CAUSAL_MASK.apply((), (), (), {"L": q.shape[-2], "S": k.shape[-2]})
        s = masked_fill(s, causal, -math.inf)
    return SAFE_SOFTMAX.apply((s,), (s._data,), (OUT,))


def _check_sdpa(q, k, v, attn_mask, dropout_p):
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(q.shape)}, key {tuple(k.shape)} and "
            f"value {tuple(v.shape)} must share the embedding size (query/key, last dim) and "
            "the source length (key/value, dim -2)"
        )
    if attn_mask is not None and attn_mask._data.dtype not in (np.bool_, q._data.dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype} and  query.dtype: {q.dtype} instead."
        )


def _repeat_heads(t, rep):
    """repeat_interleave(t, rep, dim=-3) as a view-and-reshape composite."""
    *lead, h, s, e = t.shape
    return t.unsqueeze(-3).expand(*lead, h, rep, s, e).reshape(*lead, h * rep, s, e)


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p=0.0,
    is_causal=False,
    scale=None,
    enable_gqa=False,
):
    """`out = dropout(softmax(q k^T * scale + mask)) v, scale = 1/sqrt(E)` by default;
    `dq = dS k*scale, dk = dS^T q*scale, dv = P^T g` with `dS = P*(g v^T - rowsum(g*out))`"""
    q = float_input(query, "scaled_dot_product_attention", "query")
    k = float_input(key, "scaled_dot_product_attention", "key")
    v = float_input(value, "scaled_dot_product_attention", "value")
    mask = attn_mask
    _check_sdpa(q, k, v, mask, dropout_p)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hk == 0 or hq % hk or v.shape[-3] != hk:
            raise RuntimeError(
                f"scaled_dot_product_attention: with enable_gqa the query heads ({hq}) must be "
                f"a multiple of the key/value heads ({hk}, {v.shape[-3]})"
            )
        k, v = _repeat_heads(k, hq // hk), _repeat_heads(v, hq // hk)
    if dropout_p > 0.0 or getattr(mask, "requires_grad", False):
        p = _probs(q, k, mask, scale, is_causal)
        return matmul(dropout(p, dropout_p) if dropout_p > 0.0 else p, v)
    mask = _float_mask(mask, q._data.dtype)  # a bool mask: a fresh float one, as PyTorch's
    attrs = {"scale": scale, "is_causal": is_causal}
    inputs = (q, k, v)
    out, probs = SDPA.compute(
        inputs, (q._data, k._data, v._data, None if mask is None else mask._data), attrs
    )
    out = wrap(out)
    # The probabilities are saved (a tensor no one else holds), as PyTorch's math path keeps
    # them: a first-order backward does not compute them again.
    saved = (q, k, v, mask, OUT, wrap(probs), scale, is_causal)
    # node attrs: attn_mask is the additive float mask (also saved), None without one
    return SDPA.record(out, inputs, saved, {"attn_mask": mask, **attrs})


def _sdpa_backward(g, q, k, v, mask, out, probs, scale, is_causal):
    """`dq = dS k*scale, dk = dS^T q*scale, dv = P^T g;  dS = P*(g v^T - rowsum(g*out))`

    P is the forward's, saved: a first-order backward is one kernel from it; where backward
    builds a graph (create_graph, outside a compiler trace) it is the composite of ops, with P
    computed again from q and k, so that it differentiates again."""
    if not grad_state.enabled or tracing():
        arrays = (g._data, q._data, k._data, v._data, out._data, probs._data)
        dq, dk, dv = SDPA_GRAD.compute((g, q, k, v, out, probs), arrays, {"scale": scale})
        return wrap(dq), wrap(dk), wrap(dv)
    p = _probs(q, k, mask, scale, is_causal)
    ds = p * (matmul(g, v.mT) - (g * out).sum(-1, keepdim=True))
    return matmul(ds, k) * scale, matmul(ds.mT, q) * scale, matmul(p.mT, g)


# The kernel returns the output and the probabilities (saved for backward); the node has the
# one output.
SDPA = Primitive(
    "ScaledDotProductAttention", sdpa_kernel, _sdpa_backward, multi=True, into=sdpa_into
)
# No rule of its own: a backward that builds a graph takes the composite path above.
SDPA_GRAD = Primitive(
    "ScaledDotProductAttentionBackward", sdpa_grad_kernel, multi=True, into=sdpa_grad_into
)


# --- multi-head attention -----------------------------------------------------------------------


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask becomes a float one (-inf where True); float masks pass unchanged."""
    if mask is None:
        return None
    kind = mask._data.dtype
    if kind != np.bool_ and kind.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same "
            "type for both instead.",
            stacklevel=3,
        )
    if kind == np.bool_:
        attrs = {"dtype": target_type.np, "true_is_masked": True}
        return MASK_BIAS.apply((mask,), (mask._data,), (), attrs)
    return mask


def _none_or_dtype(input):
    return None if input is None else input.dtype


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (3-D) inputs, False for unbatched (2-D); AssertionError otherwise."""
    if query.ndim not in (2, 3):
        raise AssertionError(
            "query should be unbatched 2D or batched 3D tensor but received "
            f"{query.ndim}-D query tensor"
        )
    batched = query.ndim == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {query.ndim}-D but found "
            f"{key.ndim}-D and {value.ndim}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
            f"{query.ndim - 1}-D but found {key_padding_mask.ndim}-D tensor instead"
        )
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(
                f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                f"{attn_mask.ndim}-D tensor instead"
            )
        want = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.ndim == 3 and tuple(attn_mask.shape) != want:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {want} but got {tuple(attn_mask.shape)}"
            )
    return batched


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate):
    """q, k, v projections from the packed (3E, E) weight or the three separate weights."""
    if separate is None:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = separate
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    if separate is None and query is key and key is value:
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads):
    """A 2-D mask (L, S) becomes (1, L, S); a 3-D one must be `(N*heads, L, S)`."""
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )
    return attn_mask


def _add_key_column(k, v, attn_mask, key_padding_mask, k_extra, v_extra, dim):
    """Append one key/value column (bias_kv or a zero column) and widen the masks by one."""
    k, v = cat([k, k_extra], dim), cat([v, v_extra], dim)
    attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
    key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    return k, v, attn_mask, key_padding_mask


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Multi-head attention on (L, N, E) sequence-first inputs (or unbatched (L, E)):
    project q, k, v, attend per head, project out -> (output, weights or None)"""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but a q/k/v_proj_weight is None")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate)
    attn_mask = _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key.")
        k, v, attn_mask, key_padding_mask = _add_key_column(
            k, v, attn_mask, key_padding_mask, bias_k.repeat(1, bsz, 1), bias_v.repeat(1, bsz, 1), 0
        )
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be set or both be None")
    q = _split_heads(q, bsz, num_heads, head_dim)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "static_k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "static_v")
    if add_zero_attn:
        zero = zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype)
        k, v, attn_mask, key_padding_mask = _add_key_column(
            k, v, attn_mask, key_padding_mask, zero, zero, 1
        )
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"Expected key_padded_mask.shape to be {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = matmul(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None


def _split_heads(t, bsz, num_heads, head_dim):
    """`(S, N, E) -> (N*heads, S, head_dim)`: a view where the strides allow (a projection's
    own output); where they do not (a chunk of the packed projection) the one copy is laid out
    head by head, so that attention's matrix products read contiguous matrices."""
    s = t.shape[0]
    t = t.reshape(s, bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    return t.reshape(bsz * num_heads, s, head_dim)


def _heads(t, static, bsz, num_heads, head_dim, name):
    """`(S, N, E) -> (N*heads, S, head_dim)`, or the given static `(N*heads, S, head_dim)`."""
    bh = bsz * num_heads
    if static is None:
        return _split_heads(t, bsz, num_heads, head_dim)
    if static.shape[0] != bh or static.shape[2] != head_dim:
        raise AssertionError(
            f"expecting {name} of shape ({bh}, S, {head_dim}), but got {tuple(static.shape)}"
        )
    return static
