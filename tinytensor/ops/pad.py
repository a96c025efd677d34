"""Padding: ``pad`` with the constant, reflect, replicate and circular modes of PyTorch
(negative pads crop). Constant padding is one primitive whose gradient is a slice of g;
reflection and replication gather an index map along each padded dim and add the gradient back
there (``index_add``); circular padding is composed of ``index_select``, as PyTorch composes it."""

from __future__ import annotations

import builtins

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.ops._util import as_tensor
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.gather import index_add, index_select
from tinytensor.ops.index import const_array, getitem
from tinytensor.ops.shape import clone

__all__ = [
    "pad",
]


def pad(input, pad, mode="constant", value=None):
    """f(a) = a padded; ``pad`` lists (left, right) pairs from the last dim backwards, as in
    PyTorch. Constant padding's gradient is the slice of g; the other modes gather indices.
    Negative pads crop; reflect and replicate may crop more than a side holds as long as the
    result keeps at least one element (as PyTorch)."""
    a = as_tensor(input, "pad")
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise RuntimeError(
            f"pad: padding length must be even and at most 2*ndim ({2 * a.ndim}), got {len(pad)}"
        )
    if mode != "constant" and value not in (None, 0):
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    value = 0.0 if value is None else value
    n = len(pad) // 2
    widths = [(0, 0)] * (a.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if np_mode is None and mode != "constant":
        raise NotImplementedError(  # PyTorch's class for an unknown mode
            f"pad: unrecognised padding mode {mode!r}; use 'constant', 'reflect', 'replicate' "
            "or 'circular'"
        )
    for axis, ((lo, hi), size) in enumerate(zip(widths, a.shape)):
        if mode in ("reflect", "replicate"):  # the index map crops after padding: any split
            if size + lo + hi < 1:
                raise RuntimeError(
                    f"pad: input (size {size} in dim {axis}) is too small for {mode} padding "
                    f"({lo}, {hi}): calculated output size {size + lo + hi}"
                )
        elif size + builtins.min(lo, 0) + builtins.min(hi, 0) < (0 if mode == "constant" else 1):
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) of dim {axis} crops more than its size {size}; "
                "use smaller negative pads"
            )
    if mode in ("constant", "circular") and any(lo < 0 or hi < 0 for lo, hi in widths):
        # Negative padding crops first, then the rest pads (PyTorch's order for these modes).
        idx = tuple(
            slice(-lo if lo < 0 else 0, (s + hi) if hi < 0 else None)
            for (lo, hi), s in zip(widths, a.shape)
        )
        a = getitem(a, idx)
        widths = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in widths]
    if mode == "constant":
        if not widths:  # a 0-d input with no pads: a new tensor (NumPy has no 0-d pad)
            return clone(a)
        crop = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, a.shape))
        attrs = {"pads": tuple(widths), "value": value}
        return CONSTANT_PAD.apply((a,), (a._data,), (crop,), attrs)
    for axis, (lo, hi) in enumerate(widths):
        if mode == "reflect" and (lo >= a.shape[axis] or hi >= a.shape[axis]):
            raise RuntimeError(
                f"pad: reflect padding ({lo}, {hi}) must be smaller than the input size "
                f"{a.shape[axis]} of dim {axis}"
            )
        if mode == "circular" and (lo > a.shape[axis] or hi > a.shape[axis]):
            raise RuntimeError(
                f"pad: circular padding ({lo}, {hi}) wraps around more than once; it must be at "
                f"most the input size {a.shape[axis]} of dim {axis}"
            )
    # Output position j of an axis reads input position j - lo, reflected, clamped or wrapped
    # into the input; negative widths just drop the first or last positions of that map.
    idx = tuple(
        wrap(const_array(_pad_map(size, lo, hi, np_mode))) if (lo, hi) != (0, 0) else None
        for size, (lo, hi) in zip(a.shape, widths)
    )
    if mode == "circular":
        # PyTorch builds circular padding from other ops and saves no input: so do we.
        out = a
        for axis, i in enumerate(idx):
            if i is not None:
                out = index_select(out, axis, i)
        # Nothing padded (no pads, or crops alone): still a new tensor, never the input or a view
        return clone(out) if all(i is None for i in idx) else out
    # Reflection and replication padding save their input in PyTorch (changing it in place
    # afterwards is an error); the gradient adds g back at the gathered indices.
    prim = REFLECTION_PAD if mode == "reflect" else REPLICATION_PAD
    # attrs: the index map of each axis (None where unpadded), the constants an exporter gathers by
    attrs = {"pads": tuple(widths), "mode": mode, "maps": idx}
    maps = tuple([None if i is None else i._data for i in idx])
    return prim.apply((a,), (a._data, maps), (a, idx), None, attrs)


def _constant_pad_kernel(x, pads, value):
    return np.pad(x, pads, mode="constant", constant_values=value)


def _gather_pad_kernel(x, maps):
    out = x
    for axis, i in enumerate(maps):
        if i is not None:
            out = np.take(out, i, axis=axis)
    return x.copy() if out is x else out


def _pad_map(size, lo, hi, np_mode):
    """Input index read by each output position of one padded (or cropped) axis."""
    src = np.pad(np.arange(size), (builtins.max(lo, 0), builtins.max(hi, 0)), mode=np_mode)
    return src[builtins.max(-lo, 0) : len(src) - builtins.max(-hi, 0)]


def _gather_pad_backward(g, a, idx):
    for axis in reversed(range(len(idx))):
        if idx[axis] is not None:
            shape = g._data.shape[:axis] + (a._data.shape[axis],) + g._data.shape[axis + 1 :]
            g = index_add(zeros_of(shape, g._data.dtype), axis, idx[axis], g)
    return (g,)


def _constant_pad_backward(g, crop):
    return (g[crop],)


CONSTANT_PAD = Primitive("ConstantPad", _constant_pad_kernel, _constant_pad_backward)


REFLECTION_PAD = Primitive("ReflectionPad", _gather_pad_kernel, _gather_pad_backward)


REPLICATION_PAD = Primitive("ReplicationPad", _gather_pad_kernel, _gather_pad_backward)
