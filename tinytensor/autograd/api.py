"""``Tensor.backward`` and ``autograd.grad``: argument checking in front of the engine."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.engine import run_backward
from tinytensor.core import TensorBase, wrap
from tinytensor.ops.join import stack


def _as_list(x):
    """None, one tensor (or array, or number), or a sequence of them, as a list."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _seed_grads(outputs, grad_outputs, who):
    """One gradient tensor per output: given ones are checked, missing ones are ones."""
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{who}: got {len(grad_outputs)} gradients for {len(outputs)} output tensors"
        )
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, TensorBase):
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
            g = wrap(np.ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, TensorBase):
                g = wrap(np.asarray(g, dtype=out._data.dtype))
            if g.shape != out.shape:
                raise RuntimeError(
                    f"{who}: mismatch in shape: the gradient for output {i} has shape "
                    f"{tuple(g.shape)} but the output has shape {tuple(out.shape)}"
                )
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Sum the gradients of ``tensors`` into the ``.grad`` of the leaves (see Tensor.backward)."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _seed_grads(tensors, grad_tensors, "backward")
    inputs = _as_list(inputs)
    if inputs is not None:
        if not inputs:
            raise RuntimeError("backward: inputs= must not be empty")
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError(
                    f"backward: every tensor in inputs= must require grad; one of shape "
                    f"{tuple(t.shape)} does not"
                )
    # IEEE results silently in every backward formula (d sqrt(x) at 0 is inf), as PyTorch:
    # one errstate for the pass, not one per op.
    with np.errstate(all="ignore"):
        run_backward(tensors, grads, retain_graph, create_graph, inputs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Return d(outputs)/d(inputs) as a tuple, one entry per input, without touching ``.grad``.

    ``grad_outputs`` weights each output (required for outputs with more than one element);
    ``create_graph=True`` makes the returned gradients differentiable, for higher-order
    derivatives; ``retain_graph`` defaults to ``create_graph``. An input the outputs do not
    depend on is an error unless ``allow_unused=True`` (then its entry is None) or
    ``materialize_grads=True`` (then it is zeros). With ``is_grads_batched=True`` the first
    dimension of every grad_output indexes a batch of vector-Jacobian products.
    ``only_inputs`` is accepted and ignored, as in PyTorch (deprecated there).
    """
    del only_inputs  # deprecated in PyTorch: only the inputs' gradients are ever computed
    outputs = _as_list(outputs)
    inputs_l = _as_list(inputs)
    if not inputs_l:
        raise RuntimeError("grad: inputs must not be empty")
    for t in inputs_l:
        if not t._requires_grad:
            raise RuntimeError(
                f"grad: one of the differentiated tensors (shape {tuple(t.shape)}) does not "
                "require grad"
            )
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(
            outputs, inputs_l, grad_outputs, retain_graph, create_graph, allow_unused
        )
    grads = _seed_grads(outputs, grad_outputs, "grad")
    with np.errstate(all="ignore"):  # as in backward: IEEE results silently
        result = run_backward(
            outputs,
            grads,
            retain_graph,
            create_graph,
            inputs_l,
            capture=True,
            allow_unused=bool(allow_unused) or materialize_grads,
        )
    if materialize_grads:
        result = tuple(
            wrap(np.zeros(t.shape, t._data.dtype)) if g is None else g
            for g, t in zip(result, inputs_l)
        )
    return result


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """``grad`` once per row of the batched grad_outputs, results stacked along dim 0."""
    sizes = {len(g) for g in grad_outputs if g is not None}
    if len(sizes) != 1 or any(g is None for g in grad_outputs):
        raise RuntimeError(
            "grad: with is_grads_batched=True every grad_output must be given and all must have "
            "the same size in dim 0"
        )
    n = sizes.pop()
    rows = []
    for b in range(n):
        rows.append(
            grad(
                outputs,
                inputs,
                [g[b] for g in grad_outputs],
                retain_graph=retain_graph or b < n - 1,
                create_graph=create_graph,
                allow_unused=allow_unused,
            )
        )
    return tuple(
        None if rows[0][i] is None else stack([r[i] for r in rows]) for i in range(len(inputs))
    )
