"""Op-table rows for tt.fft's real-valued paths (tinytensor/fft.py): irfft/hfft in 1, 2 and n
dims on a real spectrum, with n/s, dim and norm, and fftshift/ifftshift. NumPy has no hfft2/
hfftn: their reference is irfftn with the dual norm (the same real linear map for real input)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, shapes, tensor

NORMS = st.sampled_from([None, "backward", "ortho", "forward"])
_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


@st.composite
def _c2r_inputs(draw, ndims):
    """A real spectrum with 1-3 dims; ``s`` or ``n`` for the last ``ndims`` dims (or None)."""
    shape = draw(shapes(min_dims=max(ndims, 1), max_dims=3, min_side=2, max_side=4))
    x = draw(tensor(shape))
    kw = {"norm": draw(NORMS)}
    if ndims == 1:
        kw["dim"] = draw(st.integers(-len(shape), len(shape) - 1))
        kw["n"] = draw(st.one_of(st.none(), st.integers(1, 7)))
    else:
        k = ndims or draw(st.integers(1, len(shape)))
        kw["s"] = draw(st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=k, max_size=k)))
        if ndims == 0 and kw["s"] is None:
            kw["s"] = None
    return Sample((x,), kw)


def _np_c2r(ndims, hermitian):
    def ref(x, norm=None, n=None, s=None, dim=None):
        norm = _DUAL[norm] if hermitian else (norm or "backward")
        if ndims == 1:
            return np.fft.irfft(x, n, dim, norm)
        axes = (-2, -1) if ndims == 2 else (None if s is None else tuple(range(-len(s), 0)))
        return np.fft.irfftn(x, s, axes, norm)

    return ref


def _torch_fft(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch.fft, name)(*args, **kwargs)

    return call


def _shift_inputs():
    @st.composite
    def draw_sample(draw):
        x = draw(tensor(shapes(min_dims=1)))
        dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
        return Sample((x,), {"dim": dim})

    return draw_sample()


CASES = [
    OpCase("fft_irfft", tt.fft.irfft, _np_c2r(1, False), _torch_fft("irfft"), _c2r_inputs(1)),
    OpCase("fft_hfft", tt.fft.hfft, _np_c2r(1, True), _torch_fft("hfft"), _c2r_inputs(1)),
    OpCase("fft_irfft2", tt.fft.irfft2, _np_c2r(2, False), _torch_fft("irfft2"), _c2r_inputs(2)),
    OpCase("fft_hfft2", tt.fft.hfft2, _np_c2r(2, True), _torch_fft("hfft2"), _c2r_inputs(2)),
    OpCase("fft_irfftn", tt.fft.irfftn, _np_c2r(0, False), _torch_fft("irfftn"), _c2r_inputs(0)),
    OpCase("fft_hfftn", tt.fft.hfftn, _np_c2r(0, True), _torch_fft("hfftn"), _c2r_inputs(0)),
    OpCase(
        "fft_fftshift", tt.fft.fftshift, lambda x, dim: np.fft.fftshift(x, dim),
        _torch_fft("fftshift"), _shift_inputs(),
    ),
    OpCase(
        "fft_ifftshift", tt.fft.ifftshift, lambda x, dim: np.fft.ifftshift(x, dim),
        _torch_fft("ifftshift"), _shift_inputs(),
    ),
]  # fmt: skip
