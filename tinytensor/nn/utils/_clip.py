"""Gradient clipping and flattening parameters to and from one vector (``nn.utils``)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from tinytensor.core import bump_version, wrap
from tinytensor.ops.join import cat
from tinytensor.tensor import Tensor


def _params(parameters):
    ps = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in ps:
        if not isinstance(p, Tensor):
            raise TypeError(
                f"nn.utils: expected an iterable of Tensors (e.g. model.parameters()), got an "
                f"element of type {type(p).__name__}"
            )
    return ps


def _norm_np(x, p):
    x = np.abs(x.reshape(-1))
    if p == math.inf:
        return x.max(initial=0)
    if p == -math.inf:
        return x.min(initial=np.inf)
    if p == 0:
        return x.dtype.type(np.count_nonzero(x))
    return np.sum(x**p) ** (1.0 / p) if p != 2 else np.sqrt(np.sum(x * x))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type`` norm of the norms of ``tensors`` (a 0-d tensor), as if they were
    concatenated into one vector; ``foreach`` is accepted for PyTorch's API (one code path)."""
    ts = _params(tensors)
    norm_type = float(norm_type)
    if not ts:
        return wrap(np.zeros((), np.float32))
    dt = np.result_type(*[t._data.dtype for t in ts])
    norms = np.array([_norm_np(t._data, norm_type) for t in ts], dtype=dt)
    total = np.asarray(_norm_np(norms, norm_type), dtype=dt)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Multiply every gradient in place by min(1, max_norm/(total_norm + 1e-6))."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dt = total.dtype if total.dtype.kind == "f" else np.dtype(np.float32)
    coef = np.minimum(dt.type(max_norm) / (total.astype(dt) + dt.type(1e-6)), dt.type(1.0))
    with np.errstate(invalid="ignore"):  # inf * 0 = nan, as PyTorch (error_if_nonfinite=False)
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            bump_version(g)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so their joint ``norm_type`` norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor). Gradients are multiplied by
    min(1, max_norm/(total + 1e-6)), exactly as PyTorch does.
    """
    params = _params(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_`` (PyTorch warns the same way)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    v = float(clip_value)
    for p in _params(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -v, v, out=p.grad._data)
            bump_version(p.grad)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in _params(parameters)])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters (in place, no grad).

    Each copy is an in-place write that bumps the parameter's version, as ``copy_`` does: a
    graph that saved a parameter before the call raises in backward. (PyTorch's version assigns
    ``param.data``, which keeps the version, so there such a graph silently computes with the
    new values.)"""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor for vec, but got: {type(vec).__name__}")
    params = _params(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: vec must be 1-D with {total} elements (the parameters' "
            f"total), got shape {tuple(vec.shape)}"
        )
    offset = 0
    for p in params:
        n = p.numel()
        p._data[...] = vec._data[offset : offset + n].reshape(p.shape)
        bump_version(p)
        offset += n
