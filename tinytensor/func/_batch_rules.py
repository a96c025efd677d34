"""Exact batching rules for ``vmap``: functions whose batched call is provably per-sample.

A rule is looked up by the identity of the function given to ``vmap`` (``vmap(tt.sin)``,
``vmap(tt.matmul, in_dims=(0, None))``, ``vmap(tt.sum, in_dims=(0, None))``). It receives the
arguments with every mapped tensor's batch dimension moved to the front (``None`` marks an
unmapped argument) and returns the batched result with its batch dimension in front, or
``NotImplemented`` when the call is outside what the rule can prove (tensors in unexpected
places, a full reduction with ``keepdim``): ``vmap`` then runs the function once per entry.
"""

from __future__ import annotations

import tinytensor as _tt
from tinytensor.core import TensorBase
from tinytensor.nn import functional as _F

__all__ = ["rule_for"]

_UNARY = (
    "abs neg exp exp2 expm1 log log2 log10 log1p sin cos tan asin acos atan sinh cosh tanh "
    "asinh acosh atanh sigmoid relu sqrt rsqrt square sign floor ceil round trunc frac "
    "reciprocal erf erfc erfinv lgamma digamma clamp clip nan_to_num logit sinc deg2rad rad2deg "
    "positive"
).split()
_F_UNARY = (
    "relu relu6 elu selu celu gelu silu mish softplus softsign tanhshrink hardtanh hardswish "
    "hardsigmoid leaky_relu logsigmoid sigmoid tanh softshrink hardshrink"
).split()
_BINARY = (
    "add sub subtract mul multiply div divide true_divide pow maximum minimum fmax fmin atan2 "
    "remainder fmod hypot eq ne lt le gt ge logical_and logical_or logical_xor xlogy "
    "floor_divide copysign"
).split()
_REDUCE = "sum mean prod amax amin logsumexp nansum nanmean std var".split()
_DIM_OPS = "softmax log_softmax cumsum cumprod".split()


def _pad(t, rank):
    """A batched tensor ``(B, *s)`` as ``(B, 1, ..., 1, *s)`` with ``rank`` dims after B."""
    extra = rank - (t.dim() - 1)
    return t.reshape((t.shape[0],) + (1,) * extra + tuple(t.shape[1:])) if extra > 0 else t


def _only_plain(values):
    return not any(isinstance(v, TensorBase) for v in values)


def _unary(fn):
    def rule(args, dims, kwargs):
        if dims[0] is None or not _only_plain(args[1:]) or not _only_plain(kwargs.values()):
            return NotImplemented
        return fn(*args, **kwargs)

    return rule


def _binary(fn):
    def rule(args, dims, kwargs):
        if len(args) < 2 or not _only_plain(args[2:]) or not _only_plain(kwargs.values()):
            return NotImplemented
        a, b = args[:2]
        ranks = [
            (x.dim() - (d is not None)) if isinstance(x, TensorBase) else 0
            for x, d in zip((a, b), dims[:2])
        ]
        rank = max(ranks)
        a = _pad(a, rank) if dims[0] is not None else a
        b = _pad(b, rank) if dims[1] is not None else b
        return fn(a, b, *args[2:], **kwargs)

    return rule


def _shift(dim):
    if isinstance(dim, (tuple, list)):
        return type(dim)(_shift(d) for d in dim)
    return dim + 1 if dim >= 0 else dim


def _dim_rule(fn, full_reduce):
    def rule(args, dims, kwargs):
        if dims[0] is None or not _only_plain(args[1:]) or not _only_plain(kwargs.values()):
            return NotImplemented
        x, rest = args[0], list(args[1:])
        kwargs = dict(kwargs)
        if "dim" in kwargs:
            dim = kwargs["dim"]
        elif rest and isinstance(rest[0], (int, tuple, list)) and not isinstance(rest[0], bool):
            dim = rest[0]
        else:
            dim = None
        if dim is None:
            if not full_reduce or kwargs.get("keepdim") or x.dim() == 1:
                return NotImplemented
            kwargs["dim"] = tuple(range(1, x.dim()))
            return fn(x, *rest, **kwargs)
        if "dim" in kwargs:
            kwargs["dim"] = _shift(dim)
        else:
            rest[0] = _shift(dim)
        return fn(x, *rest, **kwargs)

    return rule


def _matmul(args, dims, kwargs):
    """Per-sample ``matmul``: 1-D operands become a row/column, and batched operands are
    padded after the batch dimension so that broadcasting never pairs B with a sample dim."""
    if len(args) != 2 or kwargs or not all(isinstance(x, TensorBase) for x in args):
        return NotImplemented
    (a, b), (da, db) = args, dims[:2]
    ra, rb = a.dim() - (da is not None), b.dim() - (db is not None)
    if ra == 0 or rb == 0:
        return NotImplemented
    if ra == 1:
        a = a.unsqueeze(-2)
    if rb == 1:
        b = b.unsqueeze(-1)
    rank = max(ra, rb, 2)
    a = _pad(a, rank) if da is not None else a
    b = _pad(b, rank) if db is not None else b
    out = _tt.matmul(a, b)
    if rb == 1:
        out = out.squeeze(-1)
    if ra == 1:
        out = out.squeeze(-1 if rb == 1 else -2)
    return out


def _linear(args, dims, kwargs):
    """``F.linear(x, weight, bias)`` with only ``x`` mapped acts on its last dim per sample."""
    if dims[0] is None or any(d is not None for d in dims[1:]):
        return NotImplemented
    if not _only_plain(kwargs.values()) and set(kwargs) - {"weight", "bias"}:
        return NotImplemented
    if args[0].dim() < 2:
        return NotImplemented
    return _F.linear(*args, **kwargs)


_RULES = {}
for _n in _UNARY:
    if hasattr(_tt, _n):
        _RULES[getattr(_tt, _n)] = _unary(getattr(_tt, _n))
for _n in _F_UNARY:
    if hasattr(_F, _n):
        _RULES[getattr(_F, _n)] = _unary(getattr(_F, _n))
for _n in _BINARY:
    if hasattr(_tt, _n):
        _RULES[getattr(_tt, _n)] = _binary(getattr(_tt, _n))
for _n in _REDUCE:
    if hasattr(_tt, _n):
        _RULES[getattr(_tt, _n)] = _dim_rule(getattr(_tt, _n), True)
for _n in _DIM_OPS:
    if hasattr(_tt, _n):
        _RULES[getattr(_tt, _n)] = _dim_rule(getattr(_tt, _n), False)
    if hasattr(_F, _n):
        _RULES[getattr(_F, _n)] = _dim_rule(getattr(_F, _n), False)
_RULES[_tt.matmul] = _matmul
_RULES[_F.linear] = _linear


def rule_for(func):
    """The batching rule of ``func``, or None."""
    try:
        return _RULES.get(func)
    except TypeError:  # unhashable callables have no rule
        return None
