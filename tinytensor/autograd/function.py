"""Custom differentiable operations: subclass ``Function``, write ``forward`` and ``backward``.

``Function.apply`` goes through the same door as every built-in op (``node.record``): it runs
``forward`` without recording, then attaches one node whose closure calls ``backward``.
"""

from __future__ import annotations

import weakref

import numpy as np

from tinytensor.autograd.grad_mode import grad_state, no_grad
from tinytensor.autograd.node import modified_error, record
from tinytensor.core import TensorBase, set_version_counter, share_version, version_counter, wrap


class FunctionCtx:
    """The ``ctx`` handed to ``forward`` and ``backward``: what forward leaves for backward.

    Any attribute may be set on it (``ctx.dim = dim``); tensors needed by backward should be
    stored with ``save_for_backward`` so in-place changes to them are detected.
    """

    def __init__(self):
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._to_save = ()
        self._saved = None
        self._non_diff = ()
        self._node = None
        self._out_data = ()
        self._name = "Function"

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (inputs, outputs or intermediates, or None) for ``backward``."""
        for t in tensors:
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(
                    f"save_for_backward: can only save tensors or None, got {type(t).__name__}; "
                    "store other values as attributes of ctx (ctx.value = ...)"
                )
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (their gradient in backward is zeros)."""
        self._non_diff = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool):
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError(
            "mark_dirty: in-place custom Functions are not supported; return a new tensor"
        )

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, checked for in-place changes."""
        if self._saved is None:
            return self._to_save  # inside forward, or a Function applied without recording
        node = self._node()
        if node is None or node.fn is None:
            raise RuntimeError(
                f"the saved tensors of {self._name}Backward were freed by an earlier backward; "
                "specify retain_graph=True on the first backward if you need to run it again"
            )
        out = []
        for item in self._saved:
            if item is None:
                out.append(None)
                continue
            t, vc, version = item
            output = t.__class__ is int  # an output of the node, kept as its index
            if vc[0] != version:
                if not output:
                    shape, dtype = t.shape, t.dtype
                elif node.out_meta is None:
                    shape, dtype = node.shape, node.dtype
                else:
                    shape, dtype = node.out_meta[t]
                raise modified_error(node, "a tensor", shape, dtype, vc[0], version)
            if output:
                t = self._rebuild(node, t, vc)
            out.append(t)
        return tuple(out)

    def _rebuild(self, node, index, vc):
        out = wrap(self._out_data[index])
        out._requires_grad = True
        out._grad_fn = node
        out._meta = None if node.out_meta is None else index
        set_version_counter(out, vc)
        return out


class Function:
    """Base class for custom differentiable operations.

    >>> class Exp(tinytensor.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * y
    >>> x = tinytensor.tensor([0.0, 1.0], requires_grad=True)
    >>> Exp.apply(x).sum().backward()
    >>> x.grad
    tensor([1.0000, 2.7183])

    ``forward(ctx, *args)`` runs without recording and returns a tensor or a tuple of them;
    arguments may be tensors or any other values. ``backward(ctx, *grads)`` gets one gradient
    per output and returns one gradient (or None) per argument of ``forward``; gradients may
    have the broadcast shape, the engine sums them back to each input's shape. Written in
    tinytensor ops, ``backward`` is itself differentiable under ``create_graph=True``.
    ``ctx.needs_input_grad`` says which arguments need a gradient.

    PyTorch's newer style also works: ``forward(*args)`` without ``ctx`` plus a static
    ``setup_context(ctx, inputs, output)``.
    """

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            f"{type(self).__name__}: custom Functions are not instantiated; call "
            f"{type(self).__name__}.apply(...) instead"
        )

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must implement a static forward()")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must implement a static backward()")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record one node whose backward is ``cls.backward``."""
        if cls.forward is Function.forward:
            raise NotImplementedError(f"{cls.__name__} must implement a static forward()")
        ctx = FunctionCtx()
        ctx._name = cls.__name__
        recording = grad_state.enabled and any(
            isinstance(a, TensorBase) and a._requires_grad for a in args
        )
        ctx.needs_input_grad = tuple(
            recording and isinstance(a, TensorBase) and a._requires_grad for a in args
        )
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if not recording:
            return output
        return _attach(cls, ctx, args, output)


def _attach(cls, ctx, args, output):
    """Wire ``output`` into the graph through ``record``; return what ``apply`` returns."""
    single = not isinstance(output, tuple)
    outs = [output] if single else list(output)
    taken = {id(a) for a in args if isinstance(a, TensorBase)}
    wired = []
    for i, o in enumerate(outs):
        if not isinstance(o, TensorBase):
            wired.append(None)
            continue
        differentiable = o._data.dtype.kind == "f" and id(o) not in ctx._non_diff
        if id(o) in taken or o._requires_grad or o._grad_fn is not None:
            # An input, an output listed twice, or a tensor with a history of its own is
            # never rewired: the node gets a fresh alias sharing its storage and version.
            alias = wrap(o._data)
            share_version(alias, o)
            outs[i] = o = alias
        taken.add(id(o))
        wired.append(o if differentiable else None)
    if all(w is None for w in wired):
        return output

    metas = tuple(
        (o._data.shape, o._data.dtype) if isinstance(o, TensorBase) else None for o in outs
    )
    record(
        wired[0] if single else tuple(wired),
        cls.__name__,
        args,
        _function_backward,
        (cls, ctx, single, metas, len(args)),
    )
    node = next(w._grad_fn for w in wired if w is not None)
    ctx._node = weakref.ref(node)
    # Saved outputs are kept as their index and rebuilt on unpack: no cycle holds the graph.
    out_index = {id(o): i for i, o in enumerate(outs) if isinstance(o, TensorBase)}
    ctx._out_data = [o._data if isinstance(o, TensorBase) else None for o in outs]
    ctx._saved = tuple(_saved_entry(t, out_index) for t in ctx._to_save)
    ctx._to_save = ()
    return outs[0] if single else tuple(outs)


def _function_backward(grads, cls, ctx, single, metas, n_args):
    """Backward of a custom Function: ``cls.backward(ctx, *grads)``, checked.

    The tensors it reads are ``ctx.saved_tensors``, version-checked when unpacked there."""
    grads = (grads,) if single else grads
    if ctx.materialize_grads:
        grads = [
            wrap(np.zeros(*metas[i])) if g is None and metas[i] is not None else g
            for i, g in enumerate(grads)
        ]
    result = cls.backward(ctx, *grads)
    return _check_grads(cls, result, n_args, ctx.needs_input_grad)


def _saved_entry(t, out_index):
    if t is None:
        return None
    vc = version_counter(t)
    return (out_index.get(id(t), t), vc, vc[0])


def _check_grads(cls, result, n_args, needs):
    """Validate what ``backward`` returned: one Tensor or None per ``forward`` argument."""
    grads = result if isinstance(result, tuple) else (result,)
    if len(grads) != n_args:
        if len(grads) > n_args and all(g is None for g in grads[n_args:]):
            grads = grads[:n_args]
        else:
            raise RuntimeError(
                f"{cls.__name__}.backward returned {len(grads)} gradient(s) but forward took "
                f"{n_args} argument(s); return one gradient (or None) per forward argument"
            )
    out = []
    for i, g in enumerate(grads):
        if g is None or not needs[i]:
            out.append(None)
            continue
        if not isinstance(g, TensorBase):
            raise TypeError(
                f"{cls.__name__}.backward returned a {type(g).__name__} as the gradient of "
                f"argument {i}; expected a Tensor or None"
            )
        out.append(g)
    return tuple(out)
