"""``nn.utils.parametrizations``: ``weight_norm``, ``spectral_norm`` and ``orthogonal`` as
parametrizations (``module.parametrizations.weight.original`` holds the learnable tensor)."""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

from tinytensor.autograd.grad_mode import no_grad
from tinytensor.core import wrap
from tinytensor.nn import functional as F
from tinytensor.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from tinytensor.nn.module import Module
from tinytensor.nn.utils import _norms, parametrize
from tinytensor.ops.creation import eye
from tinytensor.ops.join import cat
from tinytensor.ops.linalg.factorizations import solve
from tinytensor.ops.linalg.functions import matrix_exp
from tinytensor.ops.random import randn
from tinytensor.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _is_orthogonal(q):
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * np.finfo(q._data.dtype).eps
    qd = q._data
    return np.allclose(np.swapaxes(qd, -1, -2) @ qd, np.eye(k, dtype=qd.dtype), rtol=1e-5, atol=eps)


def _make_orthogonal(a):
    """The Q of a's QR decomposition, columns signed so that R's diagonal is positive."""
    q, r = np.linalg.qr(a._data)
    return wrap(q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :])


def _householder_product(a, tau):
    """Q = H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i = (0.., 1, a[i+1:, i]) (differentiable)"""
    n, k = a.shape[-2], a.shape[-1]
    idx = np.arange(n)
    q = eye(n, dtype=a.dtype).expand(*a.shape[:-2], n, n)
    for i in range(k):
        below = wrap((idx > i).astype(a._data.dtype)[:, None])
        unit = wrap((idx == i).astype(a._data.dtype)[:, None])
        v = a[..., :, i : i + 1] * below + unit
        q = q - (q @ v) * tau[..., i : i + 1].unsqueeze(-1) @ v.mT
    return q[..., :k]


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                zeros = wrap(np.zeros(X.shape[:-2] + (n, n - k), X._data.dtype))
                X = cat([X, zeros], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                Id = eye(n, dtype=A.dtype)
                Q = solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            sign = wrap(np.trunc(np.diagonal(X._data, axis1=-2, axis2=-1))[..., None, :])
            Q = Q * sign
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. "
                    f"Got a tensor of shape {Q.shape}."
                )
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map != _OrthMaps.householder:
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential "
                        "or the Cayley parametrizations when use_trivialization=False."
                    )
                A = _geqrf_signed(Q._data)
                return wrap(np.swapaxes(A, -1, -2).copy() if transpose else A)
            if n == k:
                Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
            else:
                N = randn(*(Q.shape[:-2] + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_id = np.zeros(Q_init.shape, Q_init._data.dtype)
            diag = np.arange(min(Q_init.shape[-2:]))
            neg_id[..., diag, diag] = -1.0
            return wrap(neg_id)


def _geqrf_signed(q):
    """LAPACK geqrf's reflectors of ``q`` with R's diagonal replaced by its signs (one matrix
    at a time: NumPy's ``qr(mode='raw')`` is not batched)."""
    if q.ndim > 2:
        return np.stack([_geqrf_signed(m) for m in q])
    h, tau = np.linalg.qr(q, mode="raw")
    a = np.ascontiguousarray(h.T)
    d = np.einsum("ii->i", a)
    d[...] = np.sign(d)
    d[tau == 0.0] *= -1
    return a


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` an orthogonal matrix (or batch): ``matrix_exp`` (default for
    square), ``cayley`` or ``householder`` (default for rectangular) map, real tensors."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _norms.weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norms.norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """`w = g * v/||v||`: ``parametrizations.<name>.original0`` is g, ``original1`` is v."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = _norms.matrix_view(weight, self.dim)
                h, w = weight_mat.shape
                u = randn(h, dtype=weight.dtype)
                v = randn(w, dtype=weight.dtype)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
                self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat, n_power_iterations):
        # PyTorch's order here: u from v first, then v from u.
        with no_grad():
            for _ in range(n_power_iterations):
                _norms.set_in_place(
                    self._u, F.normalize(_norms.mv(weight_mat, self._v), dim=0, eps=self.eps)
                )
                _norms.set_in_place(
                    self._v, F.normalize(_norms.mv(weight_mat.t(), self._u), dim=0, eps=self.eps)
                )

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = _norms.matrix_view(weight, self.dim)
        if self.training:
            self._power_method(weight_mat.detach(), self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / _norms.sigma(weight_mat, u, v)

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """w = W / sigma(W), sigma estimated by power iteration (one step per training forward)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
