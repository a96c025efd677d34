"""``tinytensor.fft``: the parts of ``torch.fft`` whose input and output are both real.

tinytensor has no complex dtypes, so a transform whose result is complex cannot return a
tensor. The design, chosen for honesty over convenience:

- **Real in, real out, with gradients (twice differentiable):** ``irfft``, ``irfft2``,
  ``irfftn``, ``hfft``, ``hfft2``, ``hfftn`` on a real spectrum (PyTorch treats a real input as
  complex with zero imaginary part, and so do these: the one-sided spectrum of a signal that is
  even, such as a real cosine series), ``fftshift`` and ``ifftshift``. Each is a real linear
  map: ``irfftn`` is ``(1/N) C^T diag(c)`` with the cosine kernel ``C`` and weights ``c`` (2 for
  the bins that stand for two, 1 for the zero and Nyquist bins), so its backward is the real
  part of an ``rfftn`` and the other way round.
- **Frequencies:** ``fftfreq`` and ``rfftfreq``.
- **Complex results** (``fft``, ``ifft``, ``rfft``, ``ihfft`` and their 2-D / n-D forms) raise
  a ``TypeError`` that says so and names the ways out: ``numpy.fft`` on ``tensor.numpy()`` for
  values, or a real formulation (e.g. ``x @ cos_matrix``) when gradients are needed. They are
  listed in ``NOT_PLANNED`` with the reason, for the coverage test.

``n``/``s``, ``dim`` and ``norm`` ("backward", "ortho", "forward") behave as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor._namespace.conventions import export_namespace as _export_namespace
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import pad as PD
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, norm_dim, one_dim
from tinytensor.ops.cast import cast

_COMPLEX = "the result is complex and tinytensor has no complex dtypes"

#: ``torch.fft`` names tinytensor does not provide (they raise TypeError), and why.
NOT_PLANNED = {
    name: _COMPLEX
    for name in (
        "fft",
        "ifft",
        "rfft",
        "ihfft",
        "fft2",
        "ifft2",
        "rfft2",
        "ihfft2",
        "fftn",
        "ifftn",
        "rfftn",
        "ihfftn",
    )
}

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _complex_result(name):
    def transform(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        raise TypeError(
            f"fft.{name}: {_COMPLEX}. For values, use numpy.fft.{name}(tensor.numpy()); for "
            "gradients, write the transform as a real product (e.g. x @ cos_matrix and "
            "x @ sin_matrix), or use the real-valued paths tt.fft.irfft/irfftn/hfft on a real "
            "spectrum"
        )

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"Not supported: {_COMPLEX} (raises TypeError)."
    return transform


fft, ifft, rfft, ihfft = (_complex_result(n) for n in ("fft", "ifft", "rfft", "ihfft"))
fft2, ifft2, rfft2, ihfft2 = (_complex_result(n) for n in ("fft2", "ifft2", "rfft2", "ihfft2"))
fftn, ifftn, rfftn, ihfftn = (_complex_result(n) for n in ("fftn", "ifftn", "rfftn", "ihfftn"))


def _norm(norm, name):
    norm = "backward" if norm is None else norm
    if norm not in _DUAL:
        raise ValueError(f"fft.{name}: norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    return norm


def _real_input(x, name):
    x = as_tensor(x, f"fft.{name}")
    if x._data.dtype.kind != "f":
        x = cast(x, D.get_default_dtype())
    return x


def _weights(n, dtype):
    """c_k for the one-sided bins of a length-n real signal: 1 at 0 (and n/2), else 2."""
    return FFT_WEIGHTS.apply((), (), (), {"n": n, "dtype": dtype})


def _weights_kernel(*, n, dtype):
    c = np.full(n // 2 + 1, 2.0, dtype=dtype)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    return c


FFT_WEIGHTS = Primitive("FftWeights", _weights_kernel)  # a constant: no inputs, no gradient


def _fit(x, sizes, axes):
    """Trim or zero-pad ``x`` along ``axes`` to ``sizes`` (differentiably)."""
    for ax, n in zip(axes, sizes):
        have = x.shape[ax]
        if have > n:
            x = S.narrow(x, ax, 0, n)
        elif have < n:
            pads = [0, 0] * (x.ndim - 1 - ax) + [0, n - have]
            x = PD.pad(x, pads)
    return x


def _irfftn(X, s, axes, norm):
    """f(X) = irfftn(X, s) for real X: (1/N) C^T diag(c) fit(X);  dX = fit^T(c Re rfftn(g))"""
    attrs = {"s": s, "axes": axes, "norm": norm}
    return IRFFTN.apply((X,), (X._data,), (X.shape, s, axes, norm), attrs)


def _irfftn_kernel(X, *, s, axes, norm):
    return np.fft.irfftn(X, s, axes, norm).astype(X.dtype, copy=False)


def _irfftn_backward(g, shape, s, axes, norm):
    Y = _rfftn_re(g, s, axes, _DUAL[norm])
    last = axes[-1] - g.ndim
    c = S.reshape(_weights(s[-1], g._data.dtype), (-1,) + (1,) * (-1 - last))
    return (_fit(Y * c, [shape[a] for a in axes], axes),)


IRFFTN = Primitive("FftC2R", _irfftn_kernel, _irfftn_backward)


def _rfftn_re(x, s, axes, norm):
    """f(x) = Re rfftn(x) = C x;  dx = C^T g = irfftn(g / c, s) (with the dual norm)"""
    return RFFTN_RE.apply((x,), (x._data,), (s, axes, norm), {"s": s, "axes": axes, "norm": norm})


def _rfftn_re_kernel(x, *, s, axes, norm):
    return np.fft.rfftn(x, s, axes, norm).real.astype(x.dtype)


def _rfftn_re_backward(g, s, axes, norm):
    last = axes[-1] - g.ndim
    c = S.reshape(_weights(s[-1], g._data.dtype), (-1,) + (1,) * (-1 - last))
    return (_irfftn(g / c, s, axes, _DUAL[norm]),)


RFFTN_RE = Primitive("FftR2CReal", _rfftn_re_kernel, _rfftn_re_backward)


def _c2r(x, s, dim, norm, name, default_all):
    """Shared argument handling of `irfft*/hfft*`: returns the transform's output."""
    x = _real_input(x, name)
    if dim is None:
        axes = tuple(range(x.ndim - len(s), x.ndim)) if s is not None else None
        if axes is None:
            axes = tuple(range(x.ndim)) if default_all else (x.ndim - 1,)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(one_dim(d, x.ndim, f"fft.{name}") for d in dims)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"fft.{name}: dim {dim!r} names the same dimension twice")
    if not axes:
        raise RuntimeError(f"fft.{name}: expected at least one dim to transform")
    if s is None:
        s = [x.shape[a] for a in axes[:-1]] + [2 * (x.shape[axes[-1]] - 1)]
    s = [int(n) for n in s]
    if len(s) != len(axes):
        raise RuntimeError(f"fft.{name}: s={s} and dim={axes} must have the same length")
    if any(n < 1 for n in s):
        raise RuntimeError(
            f"fft.{name}: invalid number of data points ({min(s)}) for input of shape "
            f"{tuple(x.shape)}; pass n/s >= 1"
        )
    return _irfftn(x, tuple(s), axes, norm)


def irfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    """The real signal of a one-sided spectrum (real here), length `n = 2*(m-1)` by default."""
    return _c2r(input, None if n is None else [n], [dim], _norm(norm, "irfft"), "irfft", False)


def irfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """irfftn over two dims."""
    return _c2r(input, s, dim, _norm(norm, "irfft2"), "irfft2", True)


def irfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """The inverse of rfftn for a real one-sided spectrum (all dims, or the last len(s))."""
    return _c2r(input, s, dim, _norm(norm, "irfftn"), "irfftn", True)


def hfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    """The real FFT of a Hermitian signal given by its (real here) first half."""
    nm = _DUAL[_norm(norm, "hfft")]
    return _c2r(input, None if n is None else [n], [dim], nm, "hfft", False)


def hfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """hfftn over two dims."""
    return _c2r(input, s, dim, _DUAL[_norm(norm, "hfft2")], "hfft2", True)


def hfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """The n-dimensional hfft (all dims, or the last len(s))."""
    return _c2r(input, s, dim, _DUAL[_norm(norm, "hfftn")], "hfftn", True)


# --- frequencies and shifts ---------------------------------------------------------------------


def fftfreq(n, d=1.0, *, dtype=None, requires_grad=False, device=None, layout=None):
    """Sample frequencies [0, 1, ..., n/2-1, -n/2, ..., -1] / (d n)."""
    attrs = {"n": int(n), "d": d, "dtype": (dtype or D.get_default_dtype()).np}
    return _leaf(FFTFREQ.apply((), (), (), attrs), requires_grad)


def _fftfreq_kernel(*, n, d, dtype):
    return np.fft.fftfreq(n, d).astype(dtype)


FFTFREQ = Primitive("FftFreq", _fftfreq_kernel)


def rfftfreq(n, d=1.0, *, dtype=None, requires_grad=False, device=None, layout=None):
    """Sample frequencies [0, 1, ..., n/2] / (d n) of rfft."""
    attrs = {"n": int(n), "d": d, "dtype": (dtype or D.get_default_dtype()).np}
    return _leaf(RFFTFREQ.apply((), (), (), attrs), requires_grad)


def _rfftfreq_kernel(*, n, d, dtype):
    return np.fft.rfftfreq(n, d).astype(dtype)


RFFTFREQ = Primitive("RfftFreq", _rfftfreq_kernel)


def _leaf(t, requires_grad):
    t.requires_grad_(requires_grad)
    return t


def fftshift(input, dim=None):  # noqa: A002
    """f(x) = x rolled by n//2 along dim (all dims if None);  dx = ifftshift(g)"""
    x = as_tensor(input, "fft.fftshift")
    axes = norm_dim(dim, x.ndim, "fft.fftshift")
    return FFTSHIFT.apply((x,), (x._data,), (axes,), {"axes": axes})


def _fftshift_kernel(x, *, axes):
    return np.fft.fftshift(x, axes)


def _fftshift_backward(g, axes):
    return (ifftshift(g, axes),)


FFTSHIFT = Primitive("FftShift", _fftshift_kernel, _fftshift_backward)


def ifftshift(input, dim=None):  # noqa: A002
    """f(x) = x rolled by -(n//2) along dim (all dims if None);  dx = fftshift(g)"""
    x = as_tensor(input, "fft.ifftshift")
    axes = norm_dim(dim, x.ndim, "fft.ifftshift")
    return IFFTSHIFT.apply((x,), (x._data,), (axes,), {"axes": axes})


def _ifftshift_kernel(x, *, axes):
    return np.fft.ifftshift(x, axes)


def _ifftshift_backward(g, axes):
    return (fftshift(g, axes),)


IFFTSHIFT = Primitive("IfftShift", _ifftshift_kernel, _ifftshift_backward)


__all__ = sorted(
    [
        "NOT_PLANNED",
        "fftfreq",
        "fftshift",
        "hfft",
        "hfft2",
        "hfftn",
        "ifftshift",
        "irfft",
        "irfft2",
        "irfftn",
        "rfftfreq",
    ]
    + list(NOT_PLANNED)
)

# The namespace door: out= and the NumPy-style keyword aliases, as PyTorch's torch.fft.
_export_namespace(globals(), "fft")
