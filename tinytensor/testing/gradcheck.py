"""Numerical gradient checks: central differences in float64 against the analytic gradient."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.api import grad as _grad
from tinytensor.autograd.grad_mode import enable_grad, no_grad
from tinytensor.core import wrap
from tinytensor.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` with a report of the worst mismatching element."""


def _as_tuple(inputs):
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _float_outputs(out):
    """The floating-point tensor outputs of ``fn`` (integer outputs have no gradient)."""
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    return tuple(o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f")


def _differentiable(inputs, who):
    """Indices of the inputs that require grad; they must be float64."""
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
    """``J[k]`` of shape (output k size, input i size), by central differences on input i."""
    x = inputs[i]._data

    def evaluate():
        with no_grad():
            return [o._data.astype(np.float64).ravel() for o in _float_outputs(fn(*inputs))]

    base = evaluate()
    jac = [np.zeros((b.size, x.size)) for b in base]
    for col, idx in enumerate(np.ndindex(x.shape)):  # works for any memory layout
        orig = x[idx]
        x[idx] = orig + eps
        plus = evaluate()
        x[idx] = orig - eps
        minus = evaluate()
        x[idx] = orig
        for k in range(len(base)):
            jac[k][:, col] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytic_jacobian(fn, inputs, diff):
    """``J[k][c]`` for output k and differentiable input ``diff[c]``, one backward per row."""
    with enable_grad():
        outs = _float_outputs(fn(*inputs))
    wrt = [inputs[i] for i in diff]
    result = []
    for o in outs:
        per_input = [np.zeros((o._data.size, t._data.size)) for t in wrt]
        if o.requires_grad:
            for r in range(o._data.size):
                seed = np.zeros(o._data.size, o._data.dtype)
                seed[r] = 1
                gs = _grad(
                    o, wrt, wrap(seed.reshape(o.shape)), retain_graph=True, allow_unused=True
                )
                for c, g in enumerate(gs):
                    if g is None:
                        continue
                    if g.shape != wrt[c].shape:
                        raise GradcheckError(
                            f"gradient for input {diff[c]} has shape {tuple(g.shape)} but the "
                            f"input has shape {tuple(wrt[c].shape)}"
                        )
                    per_input[c][r] = g._data.ravel()
        result.append(per_input)
    return result


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s analytic gradients against central differences.

    ``inputs``: a tensor or tuple of tensors (other values are passed through); those with
    ``requires_grad=True`` must be float64 and are checked against every floating-point
    output of ``fn``. An analytic entry ``a`` passes when ``|a - n| <= atol + rtol*|n|`` for
    the numerical value ``n``. Returns True, or raises ``GradcheckError`` naming the input,
    the output, the worst element and both values (returns False if
    ``raise_exception=False``).

    >>> x = tinytensor.randn(3, dtype=tinytensor.float64, requires_grad=True)
    >>> tinytensor.testing.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    diff = _differentiable(inputs, "gradcheck")
    analytic = _analytic_jacobian(fn, inputs, diff)
    for c, i in enumerate(diff):
        numeric = _numerical_jacobian(fn, inputs, i, eps)
        for k, (num, ana_all) in enumerate(zip(numeric, analytic)):
            msg = _compare(ana_all[c], num, atol, rtol, inputs[i].shape)
            if msg:
                msg = f"Jacobian mismatch for output {k} with respect to input {i} {msg}"
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _compare(ana, num, atol, rtol, in_shape):
    """A report of the worst entry outside the tolerance, or "" when all agree."""
    err = np.abs(ana - num) - (atol + rtol * np.abs(num))
    bad = ~(err <= 0)  # NaN counts as bad
    if not np.any(bad):
        return ""
    flat = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
    r, col = np.unravel_index(flat, ana.shape)
    in_idx = tuple(int(v) for v in np.unravel_index(col, in_shape)) if in_shape else ()
    return (
        f"(shape {tuple(in_shape)}):\n"
        f"  worst element: output index {int(r)}, input index {in_idx}\n"
        f"  analytic:  {ana[r, col]!r}\n  numerical: {num[r, col]!r}\n"
        f"  {int(bad.sum())} of {bad.size} entries outside atol={atol}, rtol={rtol}"
    )


def gradgradcheck(
    fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True
):
    """Check second derivatives of ``fn``.

    Runs ``gradcheck`` on the map ``(inputs, grad_outputs) -> d(sum(outputs * grad_outputs))/
    d(inputs)``, whose gradients come from differentiating ``fn``'s backward pass
    (``create_graph=True``). ``grad_outputs`` (random float64 by default, seeded) are checked
    as inputs too, as PyTorch does. A backward formula that is not itself differentiable (say,
    one computed in raw NumPy) fails here even when ``gradcheck`` passes.
    """
    inputs = _as_tuple(inputs)
    diff = _differentiable(inputs, "gradgradcheck")
    with enable_grad():
        outs = _float_outputs(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [wrap(rng.standard_normal(o.shape)) for o in outs]
    else:
        grad_outputs = [wrap(np.asarray(g._data, np.float64)) for g in _as_tuple(grad_outputs)]
    if len(grad_outputs) != len(outs):
        raise ValueError(
            f"gradgradcheck: got {len(grad_outputs)} grad_outputs for {len(outs)} outputs"
        )
    for g in grad_outputs:
        g.requires_grad_(True)
    n = len(inputs)

    def first_order(*args):
        xs, gos = args[:n], args[n:]
        with enable_grad():
            pairs = [(o, g) for o, g in zip(_float_outputs(fn(*xs)), gos) if o.requires_grad]
            if not pairs:
                return tuple(wrap(np.zeros(xs[i].shape)) for i in diff)
            gs = _grad(
                [o for o, _ in pairs],
                [xs[i] for i in diff],
                [g for _, g in pairs],
                create_graph=True,
                allow_unused=True,
            )
        return tuple(wrap(np.zeros(xs[i].shape)) if g is None else g for i, g in zip(diff, gs))

    return gradcheck(
        first_order,
        tuple(inputs) + tuple(grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
