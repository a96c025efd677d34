"""The math under weight norm and spectral norm, in differentiable tinytensor ops."""

from __future__ import annotations

from tinytensor.autograd.grad_mode import no_grad
from tinytensor.core import bump_version
from tinytensor.nn import functional as F
from tinytensor.ops.linalg.products import dot, mv


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim`` (kept as size-1 dimensions);
    ``dim=-1`` is the norm of the whole tensor, as PyTorch's ``norm_except_dim``."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs()


def weight_norm(v, g, dim=0):
    """`w = g * v / ||v||` (the norm over every dimension but ``dim``)"""
    return v * (g / norm_except_dim(v, 2, dim))


def matrix_view(weight, dim):
    """``weight`` with ``dim`` moved first and the rest flattened: (size(dim), -1)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


def set_in_place(buffer, value):
    """``buffer.copy_(value)`` without recording: the power method's in-place updates."""
    buffer._data[...] = value._data
    bump_version(buffer)


def power_iteration(weight_mat, u, v, n, eps):
    """``n`` steps of v <- normalize(W^T u), u <- normalize(W v), written into u and v."""
    with no_grad():
        for _ in range(n):
            set_in_place(v, F.normalize(mv(weight_mat.t(), u), dim=0, eps=eps))
            set_in_place(u, F.normalize(mv(weight_mat, v), dim=0, eps=eps))


def sigma(weight_mat, u, v):
    """The spectral-norm estimate u . (W v), differentiable in W."""
    return dot(u, mv(weight_mat, v))
