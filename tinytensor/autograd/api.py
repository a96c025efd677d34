"""``Tensor.backward`` and ``autograd.grad``: argument checking in front of the engine."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.engine import run_backward


def _seed_grads(outputs, grad_outputs, who):
    from tinytensor.tensor import Tensor, _wrap

    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{who}: outputs must be Tensors, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(
                f"{who}: element {i} of tensors does not require grad and does not have a "
                "grad_fn; did you forget requires_grad=True on a leaf, or call it inside no_grad?"
            )
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"{who}: grad can be implicitly created only for scalar outputs; this output "
                    f"has shape {tuple(out.shape)}. Pass gradient= (e.g. torch.ones_like(out)) "
                    "or reduce it first with .sum()"
                )
            g = _wrap(np.ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, Tensor):
                g = _wrap(np.asarray(g, dtype=out._data.dtype))
            if g.shape != out.shape:
                raise RuntimeError(
                    f"{who}: mismatch in shape: grad_output has shape {tuple(g.shape)} but the "
                    f"output has shape {tuple(out.shape)}"
                )
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
        grads.append(g)
    return grads


def _as_list(x):
    from tinytensor.tensor import Tensor

    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Sum the gradients of ``tensors`` into the ``.grad`` of the leaves (see Tensor.backward)."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"backward: got {len(grad_tensors)} gradients for {len(tensors)} tensors"
        )
    if retain_graph is None:
        retain_graph = create_graph
    grads = _seed_grads(tensors, grad_tensors, "backward")
    inputs = _as_list(inputs)
    if inputs is not None:
        if not inputs:
            raise RuntimeError("backward: inputs= must not be empty")
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("backward: every tensor in inputs= must require grad")
    run_backward(tensors, grads, retain_graph, create_graph, inputs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=False,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``.

    ``grad_outputs`` weights each output (needed for non-scalar outputs); ``create_graph=True``
    makes the returned gradients differentiable; ``allow_unused=True`` returns None for inputs
    the outputs do not depend on.
    """
    from tinytensor.tensor import _wrap

    outputs = _as_list(outputs)
    inputs_l = _as_list(inputs)
    for t in inputs_l:
        if not t._requires_grad:
            raise RuntimeError(
                f"grad: one of the differentiated tensors (shape {tuple(t.shape)}) does not "
                "require grad"
            )
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _seed_grads(outputs, grad_outputs, "grad")
    result = run_backward(
        outputs,
        grads,
        retain_graph,
        create_graph,
        inputs_l,
        capture=True,
        allow_unused=allow_unused or materialize_grads,
    )
    if materialize_grads:
        result = tuple(
            _wrap(np.zeros(t.shape, t._data.dtype)) if g is None else g
            for g, t in zip(result, inputs_l)
        )
    return result
