"""ONNX for attention: the tape's ``ScaledDotProductAttention`` node, and ``attend``, the
`softmax(q k^T * scale + bias) v` that the MultiheadAttention and transformer converters share.

A bias is additive (-inf where masked). Where a whole row is masked, tinytensor's (and
PyTorch's) fused attention gives zeros, not NaN: ``attend(..., safe=True)`` writes that.
"""

from __future__ import annotations

import numpy as np

from tinytensor.onnx.ops import attr


def neg_inf_where(g, mask, dtype=np.float32):
    """The additive bias of a bool mask: -inf where it is True, 0 elsewhere."""
    return g.op(
        "Where", [mask, g.const(np.asarray(-np.inf, dtype)), g.const(np.asarray(0.0, dtype))]
    )


def causal_bias(g, L, S, dtype=np.float32):
    """(L, S): -inf above the diagonal (a later key), 0 elsewhere."""
    return g.const(np.where(np.tri(L, S, dtype=bool), 0.0, -np.inf).astype(dtype))


def attend(g, q, k, v, scale, biases=(), safe=True, rank=4, dtype=np.float32):
    """`softmax(q k^T * scale + sum(biases)) v` over the last two axes; returns (out, probs)."""
    perm = list(range(rank))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    s = g.op("MatMul", [q, g.op("Transpose", [k], perm=perm)])
    s = g.op("Mul", [s, g.const(np.asarray(scale, dtype))])
    for b in biases:
        s = g.op("Add", [s, b])
    if biases and safe:
        # A row of -inf only: softmax of zeros, then zeroed.
        dead = g.op("IsInf", [g.reduce("ReduceMax", s, [-1], True)], detect_positive=0)
        zero = g.const(np.asarray(0.0, dtype))
        p = g.op("Softmax", [g.op("Where", [dead, zero, s])], axis=-1)
        p = g.op("Where", [dead, zero, p])
    else:
        p = g.op("Softmax", [s], axis=-1)
    return g.op("MatMul", [p, v]), p


def _sdpa(g, node, ins):
    q, k, v = ins
    mask, scale = attr(node, "attn_mask"), attr(node, "scale")
    is_causal = attr(node, "is_causal")
    dtype = np.dtype(node.dtype)
    original = g.extra(node)
    biases = []
    if original is not None and original._data.dtype == np.bool_:
        keep = g.tensor_name(original)  # True: attend (sdpa's convention)
        biases.append(neg_inf_where(g, g.op("Not", [keep]), dtype))
    elif mask is not None:
        biases.append(g.tensor_name(mask))
    if is_causal:
        biases.append(causal_bias(g, q.shape[-2], k.shape[-2], dtype))
    return attend(g, q.name, k.name, v.name, scale, biases, True, len(q.shape), dtype)[0]


CONVERTERS = {"ScaledDotProductAttention": _sdpa}
