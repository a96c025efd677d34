"""``vmap``: run a function written for one sample over a batch.

Where the function has an exact batching rule (see ``_batch_rules``: elementwise ops,
``matmul``, ``F.linear``, reductions and softmax with ``dim``) it runs once on the whole
batch. Anything else, including every Python function (a lambda, a loss, ``grad(f)``), runs
once per batch entry on that entry's slice and the results are stacked: always correct, slower,
and announced with PyTorch's performance warning. Gradients flow through either path.
"""

from __future__ import annotations

import functools
import warnings

from tinytensor.core import TensorBase
from tinytensor.core.random import get_rng_state, set_rng_state
from tinytensor.func._batch_rules import rule_for
from tinytensor.func._pytree import broadcast_prefix, tree_flatten, tree_str, tree_unflatten
from tinytensor.ops.join import cat, stack
from tinytensor.ops.shape import movedim

__all__ = ["vmap"]

_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness outside of vmap"
)


def _fname(func):
    return getattr(func, "__name__", type(func).__name__)


def _check_in_dims(func, in_dims, args):
    head = f"vmap({_fname(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple, type(None))) or isinstance(in_dims, bool):
        raise ValueError(
            f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
            f"structure of inputs, got: {type(in_dims).__name__}."
        )
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(
            f"{head}: Expected `in_dims` to be compatible with the structure of `inputs`: "
            f"in_dims has length {len(in_dims)} but inputs has length {len(args)}."
        )
    leaves, spec = tree_flatten(args)
    try:
        dims = broadcast_prefix(in_dims, args, "")
    except ValueError:
        raise ValueError(
            f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has "
            f"structure {tree_str(tree_flatten(in_dims)[1])} but inputs has structure "
            f"{tree_str(spec)}."
        ) from None
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(
                f"{head}: Got in_dim={d!r} for an input but in_dim must be either an integer "
                "dimension or None."
            )
        if not isinstance(x, TensorBase):
            raise ValueError(
                f"{head}: Got in_dim={d} for an input but the input is of type "
                f"{type(x)}. We cannot vmap over non-Tensor arguments, please use None as the "
                "respective in_dim"
            )
        n = x.dim()
        if not -n <= d < max(n, 1) or n == 0:
            raise ValueError(
                f"{head}: Got in_dim={d} for some input, but that input is a Tensor of "
                f"dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim < {n}."
            )
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(
            f"{head}: Got in_dims={in_dims}: at least one input must be a Tensor mapped over a "
            "dimension (an in_dim that is not None)."
        )
    if len(set(sizes)) != 1:
        raise ValueError(
            f"{head}: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return leaves, spec, dims, sizes[0]


def _stack_outputs(func, outs, out_dims):
    head = f"vmap({_fname(func)}, ...)"
    specs = [tree_flatten(o)[1] for o in outs]
    first, spec = tree_flatten(outs[0])
    if any(s != spec for s in specs[1:]):
        raise ValueError(f"{head}: `{_fname(func)}` returned outputs of different structure")
    try:
        dims = broadcast_prefix(out_dims, outs[0], "")
    except ValueError:
        raise ValueError(
            f"{head}: out_dims is not compatible with the structure of `outputs`. out_dims has "
            f"structure {tree_str(tree_flatten(out_dims)[1])} but outputs has structure "
            f"{tree_str(spec)}."
        ) from None
    per_leaf = list(zip(*[tree_flatten(o)[0] for o in outs]))
    result = []
    for values, d in zip(per_leaf, dims):
        if d is None:
            v0 = values[0]
            same = all(
                v is v0 or (isinstance(v, TensorBase) and isinstance(v0, TensorBase)
                            and v.shape == v0.shape and bool((v == v0).all()))
                or (not isinstance(v, TensorBase) and v == v0)
                for v in values
            )  # fmt: skip
            if not same:
                raise ValueError(
                    f"{head}: `{_fname(func)}` can not return a BatchedTensor when out_dim is "
                    "None"
                )
            result.append(v0)
            continue
        if not all(isinstance(v, TensorBase) for v in values):
            bad = next(v for v in values if not isinstance(v, TensorBase))
            raise ValueError(
                f"{head}: `{_fname(func)}` must only return Tensors, got type {type(bad)}. Did "
                "you mean to set out_dims= to None for output?"
            )
        n = values[0].dim()
        if not isinstance(d, int) or not -(n + 1) <= d <= n:
            raise IndexError(
                f"{head}: Dimension out of range (expected to be in range of [{-(n + 1)}, {n}], "
                f"but got {d}) for out_dim of an output of dimensionality {n}"
            )
        result.append(stack(list(values), dim=d))
    return tree_unflatten(result, spec)


def _rule_call(func, rule, leaves, spec, dims, kwargs, out_dims, chunk_size, batch):
    moved = [movedim(x, d, 0) if d is not None else x for x, d in zip(leaves, dims)]
    args = tree_unflatten(moved, spec)
    step = batch if chunk_size is None else chunk_size
    parts = []
    for s in range(0, batch, step):
        part = [x[s : s + step] if d is not None else x for x, d in zip(moved, dims)]
        out = rule(list(tree_unflatten(part, spec)), dims, kwargs)
        if out is NotImplemented or not isinstance(out, TensorBase):
            return NotImplemented
        parts.append(out)
    del args
    out = parts[0] if len(parts) == 1 else cat(parts, 0)
    if isinstance(out_dims, tuple):
        if len(out_dims) != 1:
            return NotImplemented
        out_dims = out_dims[0]
    if out_dims is None or not isinstance(out_dims, int):
        return NotImplemented
    n = out.dim() - 1
    if not -(n + 1) <= out_dims <= n:
        raise IndexError(
            f"vmap({_fname(func)}, ...): Dimension out of range (expected to be in range of "
            f"[{-(n + 1)}, {n}], but got {out_dims}) for out_dim of an output of dimensionality {n}"
        )
    return movedim(out, 0, out_dims)


def _performance_warning(func):
    warnings.warn(
        "There is a performance drop because we have not yet implemented the batching rule for "
        f"{_fname(func)}. tinytensor's vmap runs it once per batch entry and stacks the results "
        "(exact, but one call per entry).",
        UserWarning,
        stacklevel=3,
    )


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs: ``vmap(f)(x)`` equals
    ``stack([f(x[i]) for i in range(x.shape[0])])``. ``in_dims`` names the mapped dimension
    of each positional argument (an int for all, or a tuple with one entry per argument, nested
    like the argument; ``None`` passes the argument whole to every call); keyword arguments are
    never mapped. ``out_dims`` says where the batch dimension goes in each output (``None``: the
    output does not depend on the batch and is returned once). ``randomness``: ``'error'``
    (default) refuses a function that draws random numbers, ``'different'`` gives each entry its
    own draw, ``'same'`` gives every entry the same draw. ``chunk_size`` runs the batch in chunks
    of that many entries. Nests (``vmap(vmap(f))``) and composes with ``grad``/``jacrev``."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
    if chunk_size is not None and (
        not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size <= 0
    ):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    if not callable(func):
        raise TypeError(f"vmap: Expected `func` to be a callable, got {type(func).__name__}")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        leaves, spec, dims, batch = _check_in_dims(func, in_dims, args)
        rule = rule_for(func)
        if rule is not None:
            out = _rule_call(func, rule, leaves, spec, dims, kwargs, out_dims, chunk_size, batch)
            if out is not NotImplemented:
                return out
        if batch == 0:
            raise ValueError(
                f"vmap({_fname(func)}, ...): the mapped dimension has size 0 and "
                f"{_fname(func)} has no batching rule, so there is no entry to run it on"
            )
        _performance_warning(func)
        start = get_rng_state()
        outs = []
        for i in range(batch):
            if randomness == "same":
                set_rng_state(start)
            sample = [x.select(d, i) if d is not None else x for x, d in zip(leaves, dims)]
            before = get_rng_state() if randomness == "error" else None
            out = func(*tree_unflatten(sample, spec), **kwargs)
            if before is not None and get_rng_state() != before:
                set_rng_state(start)
                raise RuntimeError(_RANDOM_ERROR)
            outs.append(out)
        return _stack_outputs(func, outs, out_dims)

    return wrapped
