"""PyTorch's calling conventions for the top-level functions: ``out=`` and NumPy-style aliases.

PyTorch's argument parser accepts NumPy's names beside its own on every function: ``axis`` for
``dim``, ``keepdims`` for ``keepdim``, ``x``/``a``/``x1`` for ``input`` and ``x2`` for
``other`` (``torch.sum(x, axis=0, keepdims=True)``). And most functions take a keyword-only
``out=`` tensor to write the result into. ``@torch_args`` gives an op both, so the op itself is
written with PyTorch's parameter names and nothing else.

``out=``: the result is computed as usual, then written into ``out``, cast to ``out``'s dtype
when PyTorch's casting rule allows it (RuntimeError otherwise). An ``out`` of another shape is
resized: silently when it is empty, with PyTorch's UserWarning when it has elements. As in
PyTorch, ``out=`` does not record a graph: it is an error in grad mode when an input requires
grad. A tuple result (``max(x, dim)``) takes a tuple ``out``.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.core import TensorBase, bump_version

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"), ("x", "input"), ("a", "input"),
            ("x1", "input"), ("x2", "other"))  # fmt: skip


def torch_args(fn):
    """Decorate an op so it accepts ``out=`` and PyTorch's NumPy-style keyword aliases."""
    return _decorate(fn, with_out=True)


def numpy_aliases(fn):
    """Decorate an op (one PyTorch gives no ``out=``) so it accepts the keyword aliases."""
    return _decorate(fn, with_out=False)


def _decorate(fn, with_out):
    params = inspect.signature(fn).parameters
    aliases = tuple((old, new) for old, new in _ALIASES if new in params and old not in params)
    name = fn.__name__

    if not with_out:

        @functools.wraps(fn)
        def aliased(*args, **kwargs):
            if kwargs and aliases:
                _rename(kwargs, aliases, name)
            return fn(*args, **kwargs)

        return aliased

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        if kwargs and aliases:
            _rename(kwargs, aliases, name)
        if out is None:
            return fn(*args, **kwargs)
        _check_no_grad(name, args, kwargs)
        return write_out(fn(*args, **kwargs), out, name)

    sig = inspect.signature(fn)
    if "out" not in params:
        extra = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
        ps = list(sig.parameters.values())
        at = next((i for i, p in enumerate(ps) if p.kind is p.VAR_KEYWORD), len(ps))
        op.__signature__ = sig.replace(parameters=ps[:at] + [extra] + ps[at:])
    return op


def _rename(kwargs, aliases, name):
    for old, new in aliases:
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"{name}() got both {new!r} and its alias {old!r}")
            kwargs[new] = kwargs.pop(old)


def _check_no_grad(name, args, kwargs):
    if not grad_state.enabled:
        return
    for v in (*args, *kwargs.values()):
        vs = v if isinstance(v, (list, tuple)) else (v,)
        if any(isinstance(t, TensorBase) and t._requires_grad for t in vs):
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad. Call it without out= "
                "(or under tinytensor.no_grad())."
            )


def write_out(result, out, name):
    """Write ``result`` (a tensor, or a tuple of them) into ``out`` and return ``out``."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): out= must be a tuple of {len(result)} tensors")
        for r, o in zip(result, out):
            write_out(r, o, name)
        return out
    if not isinstance(out, TensorBase):
        raise TypeError(f"{name}(): argument 'out' must be a Tensor, not {type(out).__name__}")
    res = result._data if isinstance(result, TensorBase) else np.asarray(result)
    dst = out._data.dtype
    if not _can_cast(res.dtype, dst):
        raise RuntimeError(
            f"{name}(): result type {D.from_numpy_dtype(res.dtype)} can't be cast to the desired "
            f"output type {out.dtype}"
        )
    if out._data.shape != res.shape:
        if out._data.size:
            warnings.warn(
                f"{name}(): an output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(res.shape)}. This behavior is deprecated; pass an empty out tensor.",
                UserWarning,
                stacklevel=3,
            )
        out._data = np.empty(res.shape, dst)
    np.copyto(out._data, res, casting="unsafe")
    bump_version(out)
    return out


def _can_cast(src, dst) -> bool:
    """PyTorch's ``can_cast``: no float to integral, no non-bool to bool (kinds only)."""
    order = "biuf"
    return order.index(src.kind if src.kind != "u" else "i") <= order.index(
        dst.kind if dst.kind != "u" else "i"
    )
