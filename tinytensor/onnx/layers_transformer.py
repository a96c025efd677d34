"""ONNX for ``MultiheadAttention`` and the transformer layers, written whole from their
configuration and parameters.

The transformer layers are written whole (not traced through to their MultiheadAttention)
because they turn a bool mask into a fresh float one, which the tape would only see as a
constant: written whole, a mask stays the graph input it is. Every reshape keeps the batch dim
symbolic (``Reshape`` with 0 copies a dim), so the graph runs at any batch size.
Bool masks of these layers are True where a key is *not* attended, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from tinytensor.nn import functional as F
from tinytensor.onnx.graph import ExportError
from tinytensor.onnx.layers import LAYERS as _LAYERS
from tinytensor.onnx.layers import gelu, linear
from tinytensor.onnx.ops_attention import attend, causal_bias, neg_inf_where


class _Scope:
    """A module inside the layer being written (the layer itself at prefix ""): its parameters
    are the call's, under their ``state_dict`` keys. It stands in for the ``call`` argument of
    the converters in ``layers.py``."""

    def __init__(self, call, module, prefix=""):
        self.call, self.module, self.prefix = call, module, prefix
        self.in_shapes = [(0, 0, 0)]  # Linear takes its MatMul path, right for any rank

    def param(self, name):
        return self.call.param(self.prefix + name)

    def child(self, name):
        return _Scope(self.call, self.module._modules[name], f"{self.prefix}{name}.")


def _sub(g, scope, name, x):
    """The submodule ``name`` (a Linear, LayerNorm, Dropout...) applied to x."""
    s = scope.child(name)
    kind = type(s.module).__name__
    convert = linear if kind == "NonDynamicallyQuantizableLinear" else _LAYERS.get(kind)
    if convert is None:
        raise ExportError(f"{kind} (at {s.prefix[:-1]}) has no ONNX export in tinytensor.onnx")
    return convert(g, s.module, [x], s)


class _Gelu:
    approximate = "none"


def _activation(g, scope, x):
    act = scope.module.activation
    if act is F.relu:
        return g.op("Relu", [x])
    if act is F.gelu:
        return gelu(g, _Gelu, [x], scope)
    if "activation" in scope.module._modules:
        return _sub(g, scope, "activation", x)
    raise ExportError(
        f"{type(scope.module).__name__}: activation {act!r} has no ONNX export; use 'relu', "
        "'gelu' or an nn activation module"
    )


def _mask(call, name):
    """(ONNX name, is bool, rank) of a mask argument, or None."""
    x = call.arg(name)
    return None if x is None else (x, call.is_bool(name), len(call.shape(name)))


def _bias(g, mask, dtype):
    name, is_bool, _ = mask
    return neg_inf_where(g, name, dtype) if is_bool else name


def mha(g, scope, q, k, v, *, kpm=None, mask=None, need_weights=False, average=True,
        is_causal=False, batched=True, L=None, S=None, dtype=np.float32):  # fmt: skip
    """Multi-head attention as MatMul/Softmax; returns [output] (+ [weights])."""
    m = scope.module
    E, H = m.embed_dim, m.num_heads
    D = E // H
    laid = {}

    def layout(x):  # -> (N, L, E)
        if x not in laid:
            if not batched:
                laid[x] = g.op("Unsqueeze", [x, g.ints([0])])
            else:
                laid[x] = x if m.batch_first else g.op("Transpose", [x], perm=[1, 0, 2])
        return laid[x]

    def thirds(p):  # rows [0, E), [E, 2E), [2E, 3E) of a packed q/k/v parameter
        return [
            g.op("Slice", [p, g.ints([i * E]), g.ints([i * E + E]), g.ints([0])]) for i in range(3)
        ]

    if m._qkv_same_embed_dim:
        ws = thirds(scope.param("in_proj_weight"))
    else:
        ws = [scope.param(f"{n}_proj_weight") for n in "qkv"]
    bs = [None] * 3
    if m.in_proj_bias is not None:
        bs = thirds(scope.param("in_proj_bias"))

    # add_bias_kv appends a learnt key/value column, add_zero_attn a zero one (after the
    # heads split); the masks widen with a 0 (attended) column for each.
    extra = int(m.bias_k is not None) + int(bool(m.add_zero_attn))

    def heads(x, i, append=None):  # (N, L, E) -> (N, H, L, D)
        y = g.op("MatMul", [layout(x), g.op("Transpose", [ws[i]], perm=[1, 0])])
        y = y if bs[i] is None else g.op("Add", [y, bs[i]])
        if append is not None:  # (1, 1, E) repeated over the batch
            n = g.op("Slice", [g.op("Shape", [y]), g.ints([0]), g.ints([1])])
            shape = g.op("Concat", [n, g.ints([1, E])], axis=0)
            y = g.op("Concat", [y, g.op("Expand", [scope.param(append), shape])], axis=1)
        y = g.op("Transpose", [g.op("Reshape", [y, g.ints([0, 0, H, D])])], perm=[0, 2, 1, 3])
        if i and m.add_zero_attn:
            one = g.op("Slice", [y, g.ints([0]), g.ints([1]), g.ints([2])])
            zeros = g.op("Expand", [g.const(np.zeros((1, 1, 1, D), dtype)), g.op("Shape", [one])])
            y = g.op("Concat", [y, zeros], axis=2)
        return y

    kv = ("bias_k", "bias_v") if m.bias_k is not None else (None, None)
    Q, K, V = heads(q, 0), heads(k, 1, kv[0]), heads(v, 2, kv[1])
    S2 = S + extra

    def widen(b, rank):
        if not extra:
            return b
        pads = g.ints([0] * (2 * rank - 1) + [extra])
        return g.op("Pad", [b, pads, g.const(np.asarray(0.0, dtype))], mode="constant")

    bias = None
    if is_causal and kpm is None and not need_weights:
        bias = causal_bias(g, L, S2, dtype)
    else:
        if mask is not None:
            bias = widen(_bias(g, mask, dtype), mask[2])
            if mask[2] == 3:  # (N*H, L, S)
                bias = g.op("Reshape", [bias, g.ints([-1, H, L, S2])])
        if kpm is not None:
            kb = widen(_bias(g, kpm, dtype), kpm[2])
            kb = g.op("Reshape", [kb, g.ints([-1, 1, 1, S2])])
            bias = kb if bias is None else g.op("Add", [bias, kb])
    out, p = attend(
        g, Q, K, V, 1.0 / np.sqrt(D), [bias] if bias is not None else [], not need_weights, 4, dtype
    )
    out = g.op("Reshape", [g.op("Transpose", [out], perm=[0, 2, 1, 3]), g.ints([0, 0, E])])
    out = _sub(g, scope, "out_proj", out)
    if not batched:
        out = g.op("Squeeze", [out, g.ints([0])])
    elif not m.batch_first:
        out = g.op("Transpose", [out], perm=[1, 0, 2])
    if not need_weights:
        return [out]
    if average:
        p = g.reduce("ReduceMean", p, [1], False)
    if not batched:
        p = g.op("Squeeze", [p, g.ints([0])])
    return [out, p]


def _seq_len(shape, batch_first):
    return shape[0] if len(shape) == 2 else shape[1 if batch_first else 0]


def _dtype(call):
    return np.dtype(call.in_dtypes[0]) if call.in_dtypes else np.dtype(np.float32)


def multihead_attention(g, m, xs, call):
    qs, ks = call.shape("query"), call.shape("key")
    return mha(
        g, _Scope(call, m), call.arg("query"), call.arg("key"), call.arg("value"),
        kpm=_mask(call, "key_padding_mask"), mask=_mask(call, "attn_mask"),
        need_weights=bool(call.values["need_weights"]),
        average=bool(call.values["average_attn_weights"]),
        is_causal=bool(call.values["is_causal"]), batched=len(qs) == 3,
        L=_seq_len(qs, m.batch_first), S=_seq_len(ks, m.batch_first), dtype=_dtype(call),
    )  # fmt: skip


def _feed_forward(g, scope, x):
    return _sub(g, scope, "linear2", _activation(g, scope, _sub(g, scope, "linear1", x)))


def _encoder_layer(g, scope, x, mask, kpm, is_causal, batched, L, dtype):
    m = scope.module
    sa_scope = scope.child("self_attn")

    def sa(h):
        return mha(g, sa_scope, h, h, h, kpm=kpm, mask=mask, is_causal=is_causal,
                   batched=batched, L=L, S=L, dtype=dtype)[0]  # fmt: skip

    def norm(name, h):
        return _sub(g, scope, name, h)

    if m.norm_first:
        x = g.op("Add", [x, sa(norm("norm1", x))])
        return g.op("Add", [x, _feed_forward(g, scope, norm("norm2", x))])
    x = norm("norm1", g.op("Add", [x, sa(x)]))
    return norm("norm2", g.op("Add", [x, _feed_forward(g, scope, x)]))


def _decoder_layer(g, scope, x, mem, masks, causal, batched, L, S, dtype):
    m = scope.module
    tgt_mask, mem_mask, tgt_kpm, mem_kpm = masks
    sa_scope, ca_scope = scope.child("self_attn"), scope.child("multihead_attn")

    def sa(h):
        return mha(g, sa_scope, h, h, h, kpm=tgt_kpm, mask=tgt_mask, is_causal=causal[0],
                   batched=batched, L=L, S=L, dtype=dtype)[0]  # fmt: skip

    def ca(h):
        return mha(g, ca_scope, h, mem, mem, kpm=mem_kpm, mask=mem_mask, is_causal=causal[1],
                   batched=batched, L=L, S=S, dtype=dtype)[0]  # fmt: skip

    def norm(name, h):
        return _sub(g, scope, name, h)

    if m.norm_first:
        x = g.op("Add", [x, sa(norm("norm1", x))])
        x = g.op("Add", [x, ca(norm("norm2", x))])
        return g.op("Add", [x, _feed_forward(g, scope, norm("norm3", x))])
    x = norm("norm1", g.op("Add", [x, sa(x)]))
    x = norm("norm2", g.op("Add", [x, ca(x)]))
    return norm("norm3", g.op("Add", [x, _feed_forward(g, scope, x)]))


def encoder_layer(g, m, xs, call):
    shape = call.shape("src")
    return _encoder_layer(
        g, _Scope(call, m), call.arg("src"), _mask(call, "src_mask"),
        _mask(call, "src_key_padding_mask"), bool(call.values["is_causal"]), len(shape) == 3,
        _seq_len(shape, m.self_attn.batch_first), _dtype(call),
    )  # fmt: skip


def decoder_layer(g, m, xs, call):
    return _decoder(g, _Scope(call, m), call, [m], None, "tgt_is_causal")


def _decoder(g, scope, call, layers, prefix, causal_arg):
    """Decoder layers in turn (``prefix``: where they sit, None for a lone layer)."""
    bf = layers[0].self_attn.batch_first
    tshape, mshape = call.shape("tgt"), call.shape("memory")
    masks = [_mask(call, n) for n in ("tgt_mask", "memory_mask", "tgt_key_padding_mask",
                                       "memory_key_padding_mask")]  # fmt: skip
    # None: the decoder checks whether tgt_mask is the causal mask; writing the mask is the same.
    causal = (call.values[causal_arg] is True, bool(call.values["memory_is_causal"]))
    x = call.arg("tgt")
    for i in range(len(layers)):
        s = scope if prefix is None else scope.child(prefix).child(str(i))
        x = _decoder_layer(g, s, x, call.arg("memory"), masks, causal, len(tshape) == 3,
                           _seq_len(tshape, bf), _seq_len(mshape, bf), _dtype(call))  # fmt: skip
    return x


def _zero_padded(g, x, kpm, check):
    """PyTorch's nested-tensor inference path of TransformerEncoder: padded positions give 0
    (when the padding is at the end of every row, which ``check`` tests in the graph)."""
    name, is_bool, _ = kpm
    padded = name if is_bool else g.op("IsInf", [name], detect_positive=0)
    if check:
        seen = g.op("CumSum", [g.op("Cast", [padded], to=7), g.const(np.int64(1))])
        bad = g.op("And", [g.op("Not", [padded]), g.op("Greater", [seen, g.const(np.int64(0))])])
        worst = g.reduce("ReduceMax", g.op("Cast", [bad], to=7), [0, 1], False)
        padded = g.op("And", [padded, g.op("Equal", [worst, g.const(np.int64(0))])])
    keep = g.op("Cast", [g.op("Not", [padded])], to=1)
    return g.op("Mul", [x, g.op("Unsqueeze", [keep, g.ints([-1])])])


def _encoder(g, scope, call, src_arg, mask_arg, kpm_arg, causal_arg):
    m = scope.module
    first = m.layers[0]
    shape = call.shape(src_arg)
    mask, kpm = _mask(call, mask_arg), _mask(call, kpm_arg)
    is_causal = call.values[causal_arg] is True  # None: as the mask, written as it is
    x = call.arg(src_arg)
    batched, L = len(shape) == 3, _seq_len(shape, first.self_attn.batch_first)
    for i in range(len(m.layers)):
        s = scope.child("layers").child(str(i))
        x = _encoder_layer(g, s, x, mask, kpm, is_causal, batched, L, _dtype(call))
    if m.use_nested_tensor and batched and kpm is not None and mask is None:
        x = _zero_padded(g, x, kpm, m.mask_check)
    return _sub(g, scope, "norm", x) if m.norm is not None else x


def encoder(g, m, xs, call):
    return _encoder(g, _Scope(call, m), call, "src", "mask", "src_key_padding_mask", "is_causal")


def decoder(g, m, xs, call):
    scope = _Scope(call, m)
    x = _decoder(g, scope, call, list(m.layers), "layers", "tgt_is_causal")
    return _sub(g, scope, "norm", x) if m.norm is not None else x


def transformer(g, m, xs, call):
    kinds = (type(m.encoder).__name__, type(m.decoder).__name__)
    if kinds != ("TransformerEncoder", "TransformerDecoder"):
        raise ExportError(f"Transformer with custom {kinds} has no export in tinytensor.onnx")
    scope = _Scope(call, m)
    memory = _encoder(
        g, scope.child("encoder"), call, "src", "src_mask", "src_key_padding_mask",
        "src_is_causal",
    )  # fmt: skip
    dec = scope.child("decoder")
    call.xs = list(call.xs) + [memory]
    call.slots = {**call.slots, "memory": (len(call.xs) - 1, 1)}
    call.values = {**call.values, "memory": memory}
    call.in_shapes = list(call.in_shapes) + [call.shape("src")]
    call.in_dtypes = list(call.in_dtypes) + [_dtype(call)]
    x = _decoder(g, dec, call, list(m.decoder.layers), "layers", "tgt_is_causal")
    return _sub(g, dec, "norm", x) if m.decoder.norm is not None else x


LAYERS = {
    "MultiheadAttention": multihead_attention,
    "TransformerEncoderLayer": encoder_layer,
    "TransformerDecoderLayer": decoder_layer,
    "TransformerEncoder": encoder,
    "TransformerDecoder": decoder,
    "Transformer": transformer,
}
