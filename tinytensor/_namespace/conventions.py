"""PyTorch's calling conventions for the top-level functions: ``out=`` and NumPy-style aliases.

PyTorch's argument parser accepts NumPy's names beside its own on every function: ``axis`` for
``dim``, ``keepdims`` for ``keepdim``, ``x``/``a``/``x1`` for ``input`` and ``x2`` for
``other`` (``torch.sum(x, axis=0, keepdims=True)``). And most functions take a keyword-only
``out=`` tensor to write the result into. ``export`` gives an op both, so the op itself is
written with PyTorch's parameter names and nothing else.

``out=``: the result is computed as usual, then written into ``out``, cast to ``out``'s dtype
when PyTorch's casting rule allows it (RuntimeError otherwise). An ``out`` of another shape is
resized: silently when it is empty, with PyTorch's UserWarning when it has elements. As in
PyTorch, ``out=`` does not record a graph: it is an error in grad mode when an input (or ``out``
itself) requires grad. A tuple result (``max(x, dim)``) takes a tuple ``out``.

The conventions are applied at the namespace door, once for every public op: ``tinytensor``,
``tinytensor.linalg``, ``tinytensor.special`` and ``tinytensor.fft`` call ``export_namespace``
on their globals after importing the ops, and every function an op module defines gets the
keyword aliases its parameters call for, plus ``out=`` unless PyTorch's function of that name
takes none (``NO_OUT``, checked against PyTorch's signatures by ``tests/test_conventions.py``).
The ops themselves, which ``Tensor``'s methods and dunders call, carry no wrapper.
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


# The functions PyTorch gives no ``out=`` (views, constructors from data, predicates, ops whose
# result has no fixed shape...), per namespace; every other exported op takes one. In-place
# forms (``abs_``) never do.
NO_OUT = {
    "": frozenset(
        """adjoint allclose argwhere as_strided as_strided_scatter as_tensor asarray atleast_1d
        atleast_2d atleast_3d bartlett_window bincount binomial blackman_window block_diag
        broadcast_tensors broadcast_to cartesian_prod cdist chunk clone combinations conj corrcoef
        count_nonzero cov cumulative_trapezoid det detach diag_embed diagflat diagonal
        diagonal_scatter dist dsplit einsum empty_like empty_permuted empty_strided equal expand
        fill flatten flip fliplr flipud from_dlpack from_numpy frombuffer full_like get_device
        gradient hamming_window hann_window histogramdd hsplit index_fill index_put is_complex
        is_conj is_inference is_neg is_same_size is_signed isclose isfinite isinf isnan isreal
        kaiser_window logdet masked_fill masked_scatter matrix_exp meshgrid moveaxis movedim narrow
        ones_like pad permute pinverse poisson positive put rand_like randint_like randn_like ravel
        real relu repeat repeat_interleave reshape resolve_conj resolve_neg roll rot90 rsub
        scalar_tensor select select_scatter split split_with_sizes squeeze std_mean swapaxes
        swapdims t tensor tensor_split tile to_dlpack trace transpose trapezoid trapz tril_indices
        triu_indices unbind unflatten unique unique_consecutive unravel_index unsafe_chunk
        unsafe_split unsafe_split_with_sizes unsqueeze vander var_mean view vsplit
        zeros_like""".split()
    ),
    "linalg": frozenset("diagonal lstsq matrix_exp vander".split()),
    "special": frozenset("log_softmax softmax".split()),
    "fft": frozenset("fftshift ifftshift".split()),
}
# Modules whose functions are ops (the namespaces also export switches, dtypes and classes).
_OP_MODULES = ("tinytensor.ops.", "tinytensor.fft", "tinytensor.linalg", "tinytensor.special")
_DOORS: dict = {}  # (op, with_out, aliases) -> the exported function: one object per op


def export_namespace(namespace: dict, prefix: str = "") -> None:
    """Put every op in ``namespace`` (a public module's globals) behind the namespace door.

    ``prefix`` names the namespace (``""`` for ``tinytensor``, ``"linalg"``...), which decides
    ``out=`` through ``NO_OUT``. Aliases bound to one op (``clip = clamp``) stay one object."""
    for name, fn in list(namespace.items()):
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        if not fn.__module__.startswith(_OP_MODULES):
            continue
        namespace[name] = export(fn, prefix)


def export(fn, prefix: str = ""):
    """The public form of op ``fn`` in namespace ``prefix``: ``fn`` itself when no convention
    applies, else ``fn`` with ``out=`` and/or the keyword aliases."""
    name = fn.__name__
    params = inspect.signature(fn).parameters
    with_out = "out" not in params and not name.endswith("_") and name not in NO_OUT[prefix]
    aliases = tuple((old, new) for old, new in _ALIASES if new in params and old not in params)
    if not with_out and not aliases:
        return fn
    key = (fn, with_out, aliases)
    door = _DOORS.get(key)
    if door is None:
        door = _DOORS[key] = _decorate(fn, with_out)
    return door


def check_tensor(input, name):  # noqa: A002 - PyTorch's argument name
    """``input`` itself, or PyTorch's TypeError when it is not a tensor."""
    if not isinstance(input, TensorBase):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


def numpy_aliases(fn):
    """Decorate a ``Tensor`` method so it accepts the keyword aliases (``x.sum(axis=0)``)."""
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

        aliased._tt_door = True
        return aliased

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        if kwargs and aliases:
            _rename(kwargs, aliases, name)
        if out is None:
            return fn(*args, **kwargs)
        _check_no_grad(name, (*args, out), kwargs)  # ``out`` too, as in PyTorch
        return write_out(fn(*args, **kwargs), out, name)

    # ``export`` gives out= only to an op without a parameter of that name: add it to the
    # signature, keyword-only, before a ``**kwargs``.
    extra = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    ps = list(params.values())
    at = next((i for i, p in enumerate(ps) if p.kind is p.VAR_KEYWORD), len(ps))
    op.__signature__ = inspect.signature(fn).replace(parameters=ps[:at] + [extra] + ps[at:])
    op._tt_door = True
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
