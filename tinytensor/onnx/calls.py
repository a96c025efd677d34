"""How a known layer's call is recorded during the trace (``export.py``).

While the model runs, a known layer's ``forward`` is replaced (on the instance) by
``layer_forward``'s: its positional and keyword arguments are bound to the signature, the layer
runs on detached copies of them, and fresh leaves stand for its outputs. ``Call`` keeps what
the layer's converter needs: argument refs, shapes and dtypes, the non-tensor argument values,
and the parameters by ``state_dict`` key.
"""

from __future__ import annotations

import inspect
import traceback

import numpy as np

from tinytensor.core import TensorBase


class Call:
    """One call of a known layer: module, argument refs, shapes, the leaves standing for its
    outputs, and the parameter names."""

    def __init__(self, module, path, refs, in_shapes, trace):
        self.module, self.path, self.refs, self.in_shapes, self.trace = (
            module,
            path,
            refs,
            in_shapes,
            trace,
        )
        self.leaves = []
        self.graph = None
        self.slots, self.values, self.in_dtypes, self.xs = {}, {}, [], []

    def param(self, name):
        """The initializer of parameter or buffer ``name`` (dotted for a submodule's)."""
        key = f"{self.path}.{name}" if self.path else name
        value = self.module
        for part in name.split("."):
            value = getattr(value, part)
        return self.graph.initializer(key, value.detach().numpy())

    def arg(self, name):
        """The ONNX name of the tensor argument ``name`` (None when not given); a list for a
        tuple of tensors."""
        start, n = self.slots.get(name, (0, 0))
        if n == 0:
            return None
        return (
            self.xs[start]
            if n == 1 and not isinstance(self.values[name], (tuple, list))
            else self.xs[start : start + n]
        )

    def is_bool(self, name):
        start, n = self.slots.get(name, (0, 0))
        return n > 0 and self.in_dtypes[start] == np.bool_

    def shape(self, name):
        start, n = self.slots.get(name, (0, 0))
        return self.in_shapes[start] if n else None


def flat(obj):
    if isinstance(obj, TensorBase):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flat(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flat(o)]
    return []


def rebuild(obj, it):
    if isinstance(obj, TensorBase):
        return next(it)
    if isinstance(obj, (tuple, list)):
        return type(obj)(rebuild(o, it) for o in obj)
    return obj


def layer_forward(tracer, path, module):
    """The forward that stands in for a known layer's during the trace: the layer runs on
    detached copies of its (positional and keyword) arguments, and fresh leaves stand for
    its outputs. A layer inside a known layer just runs: the outer one is written whole."""
    forward = type(module).forward.__get__(module)
    sig = inspect.signature(forward)

    def run(*args, **kwargs):
        tracer.depth += 1
        try:
            if tracer.depth > 1:
                return forward(*args, **kwargs)
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            where = "".join(traceback.format_list(traceback.extract_stack()[-7:-1]))
            tensors, slots = [], {}
            for name, value in bound.arguments.items():
                ts = flat(value)
                slots[name] = (len(tensors), len(ts))
                tensors += ts
            call = Call(
                module,
                path,
                [tracer._ref(t) for t in tensors],
                [tuple(t.shape) for t in tensors],
                where,
            )
            call.slots, call.values = slots, dict(bound.arguments)
            call.in_dtypes = [t._data.dtype for t in tensors]
            copies = iter([t.detach().clone() for t in tensors])
            for name, value in bound.arguments.items():
                bound.arguments[name] = rebuild(value, copies)
            out = forward(*bound.args, **bound.kwargs)
        finally:
            tracer.depth -= 1
        leaves = []
        for t in flat(out):
            leaf = t.detach()
            if leaf.dtype.is_floating_point:
                leaf.requires_grad_(True)
            tracer._know(leaf, ("layer", call))
            call.leaves.append(leaf)
            # A clone, so the user may change the layer's output in place.
            leaves.append(leaf.clone() if leaf.requires_grad else leaf)
        return rebuild(out, iter(leaves))

    return run
