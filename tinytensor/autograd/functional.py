"""Derivatives of whole functions: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.

Same signatures and results as ``torch.autograd.functional``. ``func`` takes the tensors of
``inputs`` (one tensor or a tuple) and returns a tensor or a tuple of tensors; results come
back as tensors when ``inputs``/outputs were single tensors and as tuples otherwise. They are
detached unless ``create_graph=True``. ``strict=True`` raises where a result would be all
zeros because an output does not depend on an input, instead of returning the zeros.
Everything is reverse mode: ``jvp`` and ``hvp`` use the double-backward trick, and
``vectorize`` is accepted for compatibility and ignored.
"""

from __future__ import annotations

from tinytensor.autograd.api import grad as _grad
from tinytensor.autograd.grad_mode import enable_grad
from tinytensor.core import TensorBase
from tinytensor.ops.creation import zeros, zeros_like
from tinytensor.ops.join import stack

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(x, what, fn):
    """``(was_a_tuple, tuple_of_tensors)``, with PyTorch's TypeError for anything else."""
    was_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if was_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, TensorBase):
            where = f"the value at index {i}" if was_tuple else f"the given {what}"
            raise TypeError(
                f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but "
                f"{where} has type {type(t).__name__}."
            )
    return was_tuple, items


def _unpack(res, was_tuple):
    return res if was_tuple else res[0]


def _prepare(inputs, create_graph):
    """Fresh differentiable stand-ins for ``inputs`` (kept on their graph with create_graph)."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
        for t in inputs
    )


def _finish(ts, create_graph):
    """Detach results (nested tuples too) unless ``create_graph``."""
    if create_graph:
        return ts
    return tuple(t.detach() if not isinstance(t, tuple) else _finish(t, False) for t in ts)


def _grads(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad; None for unreachable inputs."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad(
        [o for o, _ in pairs],
        inputs,
        [g for _, g in pairs],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


def _zeros_where_none(grads, refs, strict, create_graph, message):
    """Replace None by zeros; in strict mode a None (or, with create_graph, a gradient that
    cannot be differentiated further) is an error built from ``message.format(i)``."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(message.format(i) + " This is not allowed in strict mode.")
            g = zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                message.format(i) + " This is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _check_outputs_require_grad(outputs, strict):
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. The "
                    "outputs must be computed in a differentiable manner from the input when "
                    "running in strict mode."
                )


def _check_v(v, refs, refs_tuple, fn, what):
    """``v`` as a tuple matching ``refs`` in number and shapes (None only for one scalar)."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(
                f"{fn}: the vector v can only be None if the {what} is a single Tensor with a "
                "single element."
            )
        return (None,)
    _, v = _as_tuple(v, "v", fn)
    if len(v) != len(refs):
        if refs_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(refs)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, refs)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if refs_tuple else ""
            raise RuntimeError(
                f"{where}v has invalid size: should be {tuple(b.shape)} but got {tuple(a.shape)}."
            )
    return v


def _scalar_output(out, fn):
    if not isinstance(out, TensorBase):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single "
            f"element; it has shape {tuple(out.shape)}"
        )
    return out


_INDEPENDENT = "The output of the user-provided function is independent of input {}."


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "vjp"
        )
        _check_outputs_require_grad(outputs, strict)
        v = _check_v(v, outputs, out_tuple, "vjp", "user-provided function's output")
        grads = _grads(outputs, inputs, v, create_graph)
        grads = _zeros_where_none(grads, inputs, strict, create_graph, _INDEPENDENT)
    return (
        _unpack(_finish(outputs, create_graph), out_tuple),
        _unpack(_finish(grads, create_graph), in_tuple),
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph)
        v = _check_v(v, inputs, in_tuple, "jvp", "input")
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jvp"
        )
        _check_outputs_require_grad(outputs, strict)
        # J^T u is linear in u, so differentiating it with respect to u (at any u) gives J v.
        us = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        jt_u = _grads(outputs, inputs, us, create_graph=True)
        jt_u = _zeros_where_none(jt_u, inputs, strict, create_graph, _INDEPENDENT)
        jv = _grads(jt_u, us, v, create_graph)
        jv = _zeros_where_none(
            jv,
            outputs,
            strict,
            create_graph,
            "The gradient with respect to the input is independent of entry {} in the "
            "grad_outputs when using the double backward trick to compute forward mode "
            "gradients.",
        )
    return (
        _unpack(_finish(outputs, create_graph), out_tuple),
        _unpack(_finish(jv, create_graph), out_tuple),
    )


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """The Jacobian of ``func`` at ``inputs``: for one output and one input a tensor of shape
    ``output.shape + input.shape``; ``jac[i][j]`` for tuples of outputs ``i`` and inputs ``j``.
    Built row by row with one backward pass per output element."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f'jacobian: strategy must be "reverse-mode" or "forward-mode", got {strategy!r}'
        )
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
        _check_outputs_require_grad(outputs, strict)
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                gs = _grads((flat[k],), inputs, (None,), create_graph, retain_graph=True)
                for j, g in enumerate(gs):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = zeros_like(inputs[j])
                    rows[j].append(g)
            jac.append(
                tuple(
                    stack(rows[j]).reshape(out.shape + x.shape)
                    if rows[j]
                    else zeros(out.shape + x.shape, dtype=x.dtype)
                    for j, x in enumerate(inputs)
                )
            )
    jac = [_finish(row, create_graph) for row in jac]
    if not in_tuple:
        jac = [row[0] for row in jac]
    return _unpack(tuple(jac), out_tuple)


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of scalar ``func`` at ``inputs``: shape ``input.shape * 2`` for one input,
    ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape`` for a tuple."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*xs):
        return _scalar_output(func(*xs), "hessian").reshape(())

    def gradient(*xs):
        jac = jacobian(scalar_func, xs, create_graph=True, strict=strict)
        if strict:
            for i, g in enumerate(jac):
                if not g.requires_grad:
                    raise RuntimeError(
                        "While computing the hessian, found that the jacobian of the "
                        f"user-provided function with respect to input {i} is independent of "
                        "the input. This is not allowed in strict mode."
                    )
        return jac

    res = jacobian(
        gradient, inputs, create_graph=create_graph, strict=strict, strategy=outer_jacobian_strategy
    )
    if not in_tuple:
        return res[0][0]
    return res


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for scalar ``func``."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph)
        v = _check_v(v, inputs, in_tuple, "vhp", "input")
        out = _scalar_output(func(*inputs), "vhp")
        _check_outputs_require_grad((out,), strict)
        jac = _grads((out,), inputs, (None,), create_graph=True)
        jac = _zeros_where_none(jac, inputs, strict, create_graph, _INDEPENDENT)
        res = _grads(jac, inputs, v, create_graph)
        res = _zeros_where_none(
            res,
            inputs,
            strict,
            create_graph,
            "The jacobian of the user-provided function is independent of input {}.",
        )
    return _finish((out,), create_graph)[0], _unpack(_finish(res, create_graph), in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for scalar ``func``, by the double-backward trick."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph)
        v = _check_v(v, inputs, in_tuple, "hvp", "input")
        out = _scalar_output(func(*inputs), "hvp")
        _check_outputs_require_grad((out,), strict)
        jac = _grads((out,), inputs, (None,), create_graph=True)
        jac = _zeros_where_none(jac, inputs, strict, create_graph, _INDEPENDENT)
        # u -> H^T u is linear in u; its gradient with respect to u, weighted by v, is H v.
        us = tuple(zeros_like(x).requires_grad_(True) for x in inputs)
        ht_u = _grads(jac, inputs, us, create_graph=True)
        res = _grads(ht_u, us, v, create_graph)
        res = _zeros_where_none(
            res,
            inputs,
            strict,
            create_graph,
            "The hessian of the user-provided function is independent of entry {} in the "
            "grad_jacobian.",
        )
    return _finish((out,), create_graph)[0], _unpack(_finish(res, create_graph), in_tuple)
