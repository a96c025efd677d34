"""Numerical gradient checks: central differences in float64 against the analytic gradient."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.api import grad as _grad
from tinytensor.autograd.grad_mode import enable_grad, no_grad


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` with a report of the worst mismatching element."""


def _inputs_tuple(inputs):
    from tinytensor.tensor import Tensor

    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _outputs_tuple(out):
    from tinytensor.tensor import Tensor

    if isinstance(out, Tensor):
        return (out,)
    return tuple(o for o in out if isinstance(o, Tensor))


def _check_inputs(inputs, who):
    from tinytensor.tensor import Tensor

    diff = []
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            if t._data.dtype != np.float64:
                raise ValueError(
                    f"{who}: input {i} has dtype {t.dtype}; finite differences need float64 "
                    "inputs (use .double())"
                )
            diff.append(i)
    if not diff:
        raise ValueError(f"{who}: no input requires grad, so there is nothing to check")
    return diff


def _numerical_jacobian(fn, inputs, i, eps):
    """J[k][out_idx, in_idx] for each output k, by central differences on input i."""
    x = inputs[i]._data
    flat = x.reshape(-1)
    with no_grad():
        base = [o._data.astype(np.float64) for o in _outputs_tuple(fn(*inputs))]
    jac = [np.zeros((b.size, flat.size)) for b in base]
    for j in range(flat.size):
        orig = flat[j]
        flat[j] = orig + eps
        with no_grad():
            plus = [o._data.astype(np.float64).reshape(-1) for o in _outputs_tuple(fn(*inputs))]
        flat[j] = orig - eps
        with no_grad():
            minus = [o._data.astype(np.float64).reshape(-1) for o in _outputs_tuple(fn(*inputs))]
        flat[j] = orig
        for k in range(len(base)):
            jac[k][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytic_jacobian(fn, inputs, diff, create_graph=False):
    """J[k][i][out_idx, in_idx] row by row with autograd.grad."""
    from tinytensor.tensor import _wrap

    with enable_grad():
        outs = _outputs_tuple(fn(*inputs))
    result = []
    for o in outs:
        per_input = [np.zeros((o._data.size, inputs[i]._data.size)) for i in diff]
        if o.requires_grad:
            for r in range(o._data.size):
                seed = np.zeros(o._data.size, o._data.dtype)
                seed[r] = 1
                gs = _grad(
                    o,
                    [inputs[i] for i in diff],
                    _wrap(seed.reshape(o.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for c, g in enumerate(gs):
                    if g is not None:
                        if g.shape != inputs[diff[c]].shape:
                            raise GradcheckError(
                                f"gradient for input {diff[c]} has shape {tuple(g.shape)} but the "
                                f"input has shape {tuple(inputs[diff[c]].shape)}"
                            )
                        per_input[c][r] = g._data.reshape(-1)
        result.append(per_input)
    return result


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s analytic gradients against central differences.

    ``inputs``: a tensor or tuple of tensors; those with ``requires_grad=True`` (which must be
    float64) are checked. Every output of ``fn`` is checked against every such input.
    Returns True, or raises ``GradcheckError`` naming the input, the output, the worst element
    and the analytic and numerical values (or returns False if ``raise_exception=False``).
    """
    inputs = _inputs_tuple(inputs)
    diff = _check_inputs(inputs, "gradcheck")
    analytic = _analytic_jacobian(fn, inputs, diff)
    for c, i in enumerate(diff):
        numeric = _numerical_jacobian(fn, inputs, i, eps)
        for k, (num, ana_all) in enumerate(zip(numeric, analytic)):
            ana = ana_all[c]
            err = np.abs(ana - num) - (atol + rtol * np.abs(num))
            bad = ~(err <= 0)
            if np.any(bad):
                flat = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
                r, col = np.unravel_index(flat, ana.shape)
                in_idx = np.unravel_index(col, inputs[i].shape) if inputs[i].ndim else ()
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {i} "
                    f"(shape {tuple(inputs[i].shape)}):\n"
                    f"  worst element: output index {r}, "
                    f"input index {tuple(int(v) for v in in_idx)}\n"
                    f"  analytic: {ana[r, col]!r}\n  numerical: {num[r, col]!r}\n"
                    f"  {int(bad.sum())} of {bad.size} entries outside atol={atol}, rtol={rtol}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(
    fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True
):
    """Check second derivatives: gradcheck of the function that maps the inputs (and a fixed
    random output weighting) to the first-order gradients, built with ``create_graph=True``."""
    from tinytensor.tensor import _wrap

    inputs = _inputs_tuple(inputs)
    diff = _check_inputs(inputs, "gradgradcheck")
    with enable_grad():
        outs = _outputs_tuple(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_wrap(rng.standard_normal(o.shape)) for o in outs]
    else:
        grad_outputs = list(_inputs_tuple(grad_outputs))

    def first_order(*xs):
        outs = [o for o in _outputs_tuple(fn(*xs)) if o.requires_grad]
        gos = [g for o, g in zip(_outputs_tuple(fn(*xs)), grad_outputs) if o.requires_grad]
        gs = _grad(outs, [xs[i] for i in diff], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None and g.requires_grad)

    return gradcheck(
        first_order, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )
