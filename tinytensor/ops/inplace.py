"""In-place operations on tensors: validation, version counters, and view bookkeeping.

Every in-place method (``add_``, ``__setitem__``, ``copy_``, ...) goes through ``_inplace``:
validate first (so a failed call changes nothing), compute the new values out of place from a
snapshot that carries the old history, write them in, then rewire histories. Views remember
their base (in grad mode) so that changing a view rewrites its base's history, and changing a
base refreshes its views' histories, as PyTorch's CopySlices does.
"""

from __future__ import annotations

import weakref

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import record
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import bump_version, wrap


def _check_leaf_inplace(t, name) -> None:
    if t._requires_grad and t._grad_fn is None and grad_state.enabled:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad (shape {tuple(t.shape)}) is being used in "
            "an in-place operation. Wrap the update in `with tinytensor.no_grad():` or work on "
            "a .clone()."
        )


def register_view(out, base, view_fn, put_fn) -> None:
    """Note that ``out`` shares ``base``'s storage, so that an in-place change of either
    rewrites the other's history as in PyTorch: ``view_fn(base)`` makes the view again and
    ``put_fn(view, old_base)`` makes the base with the view's values written in."""
    out._base = (base, view_fn, put_fn)
    if base._requires_grad:
        views = getattr(base, "_views", None)
        if views is None:
            views = base._views = []
        elif len(views) >= 16 and len(views) & (len(views) - 1) == 0:
            views[:] = [r for r in views if r() is not None]  # drop dead views now and then
        views.append(weakref.ref(out))


# In a view's ``_base`` triple, this put_fn marks an output of a function that returns several
# views (split, chunk, unbind): PyTorch refuses to change those in place in grad mode.
_MULTI_OUTPUT = object()


def mark_multi_output_view(out, base) -> None:
    """Note that ``out`` is one of several views of ``base`` returned by one op."""
    out._base = (base, None, _MULTI_OUTPUT)


def _view_chain(t, name):
    """The bases ``t`` is a view of, nearest first, as (base, view_fn, put_fn) triples."""
    chain = []
    info = getattr(t, "_base", None)
    while info is not None:
        base = info[0]
        if info[2] is _MULTI_OUTPUT and t._requires_grad:
            raise RuntimeError(
                f"{name}: this tensor is one of several views returned by one function (split, "
                "chunk or unbind); such views may not be modified in place while they require "
                "grad. Use an out-of-place operation, or .clone() the piece first."
            )
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError(
                f"{name}: a view of a leaf tensor that requires grad (shape "
                f"{tuple(base.shape)}) is being used in an in-place operation. Wrap the update in "
                "`with tinytensor.no_grad():` or work on a .clone()."
            )
        chain.append(info)
        info = getattr(base, "_base", None)
    return chain


def _check_writable(t, name) -> None:
    if not t._data.flags.writeable:
        raise RuntimeError(
            f"{name}: more than one element of this tensor (shape {tuple(t.shape)}) refers to "
            "the same memory (it is an expanded or broadcast view); .clone() it before "
            "changing it in place"
        )


def _snapshot(t):
    """A copy of ``t``'s values that carries ``t``'s current history."""
    old = wrap(t._data.copy())
    old._requires_grad = t._requires_grad
    old._grad_fn = t._grad_fn
    old._meta = t._meta
    return old


def _rebase(t, chain, old_bases) -> None:
    """After ``t`` (a view) changed in place: give each base the history "old base with the
    view's new values written in" (PyTorch's CopySlices), then refresh the other views."""
    cur = t
    for (base, _, put), old in zip(chain, old_bases):
        new_base = put(cur, old)
        base._requires_grad = True
        base._grad_fn = new_base._grad_fn
        base._meta = None
        cur = base
    _refresh_views(cur, {id(t)} | {id(b) for b, _, _ in chain})


def _refresh_views(root, skip=frozenset()) -> None:
    """Views of ``root`` (recursively) get histories that read ``root``'s new history."""
    stack = [root]
    while stack:
        parent = stack.pop()
        # A copy: remaking a view registers the new one on the parent.
        for ref in list(getattr(parent, "_views", None) or ()):
            view = ref()
            if view is None:
                continue
            if id(view) not in skip:
                fresh = view._base[1](parent)
                view._requires_grad = fresh._requires_grad
                view._grad_fn = fresh._grad_fn
                view._meta = None
            stack.append(view)


def inplace(t, compute, name):
    """Run ``compute`` out of place, then write its result into ``t`` and rewire ``t``'s history
    (and, for a view, its bases' and sibling views' histories).

    Validates first (leaf rule, shape, dtype), so a failed call leaves ``t`` untouched.
    """
    _check_leaf_inplace(t, name)
    _check_writable(t, name)
    chain = _view_chain(t, name) if grad_state.enabled else ()
    if grad_state.enabled:
        # The op may save its input for backward, so it sees a snapshot of the old values
        # (carrying the old history), never the storage about to be overwritten.
        old = wrap(SNAPSHOT.compute((t,), (t._data,)))
        old._requires_grad = t._requires_grad
        old._grad_fn = t._grad_fn
        old._meta = t._meta
        new = compute(old)
    else:
        new = compute(t)
    nd = new._data
    if nd.shape != t._data.shape:
        raise RuntimeError(
            f"{name}: the result has shape {tuple(nd.shape)} but the tensor changed in place has "
            f"shape {tuple(t.shape)}; an in-place op cannot change the shape"
        )
    if nd.dtype != t._data.dtype and not _can_cast(nd.dtype, t._data.dtype):
        raise RuntimeError(
            f"{name}: result type {D.from_numpy_dtype(nd.dtype)} can't be cast to the tensor's "
            f"dtype {t.dtype}"
        )
    if grad_state.enabled and t._grad_fn is not None and not new._requires_grad:
        # The new values don't depend on the old ones (fill_, zero_): as in PyTorch the tensor
        # keeps requiring grad, and its history receives a zero gradient, not the incoming one.
        new = _cut_history(new, old, name)
    rebase = chain and (new._requires_grad or any(b._requires_grad for b, _, _ in chain))
    old_bases = [_snapshot(b) for b, _, _ in chain] if rebase else None
    COPY_INTO.compute((t, new), (t._data, nd))
    if grad_state.enabled and new._requires_grad:
        t._requires_grad = True
        t._grad_fn = new._grad_fn
        t._meta = None
    if rebase:
        _rebase(t, chain, old_bases)
    elif grad_state.enabled and t._requires_grad:
        _refresh_views(t)
    bump_version(t)
    node = new._grad_fn
    if node is not None and node.outputs is not None and t._grad_fn is node:
        # The op saved its out-of-place result; what the user holds is ``t`` (relu_ saves
        # its output): check ``t``'s storage and version from now on, as in PyTorch.
        node.rebind_output(t)
    return t


def _can_cast(src, dst):
    """PyTorch's canCast for an in-place result: anything but floating to integer or bool, or
    non-bool to bool (int64 into uint8 is fine, as NumPy's same_kind rule is not)."""
    if src.kind == "f" and dst.kind in "iub":
        return False
    return not (src.kind != "b" and dst.kind == "b")


def _snapshot_kernel(x):
    return x.copy()


SNAPSHOT = Primitive("Snapshot", _snapshot_kernel)  # the old values of an in-place op's target


def _copy_into_kernel(dst, src):
    """Write ``src`` into ``dst`` (casting as an in-place op does); returns ``dst``."""
    np.copyto(dst, src, casting="unsafe")
    return dst


# The write of every in-place op: a kernel that changes its first argument (a compiled program
# replays it in order, so later kernels read the new values).
COPY_INTO = Primitive("CopyInto", _copy_into_kernel, mutates=True)


def fill_random(t, sample, name):
    """Write ``sample()`` (values that do not depend on ``t``'s: a random draw, ``apply_``'s
    result) into ``t``, cast to its dtype, as an in-place op: the same checks as ``inplace``
    (a view of a leaf that requires grad is refused too), its history cut as ``fill_``'s, and a
    view's bases and sibling views rewired, as PyTorch does."""

    def compute(_):
        values = np.empty_like(t._data)
        values[...] = sample()
        return wrap(values)

    return inplace(t, compute, name)


def _cut_history(new, old, name):
    """``new`` recorded as depending on ``old`` with a zero gradient (values overwritten)."""
    return record(new, name.rstrip("_").capitalize(), (old,), _overwritten_backward)


def _overwritten_backward(g):
    return (g * 0.0,)
