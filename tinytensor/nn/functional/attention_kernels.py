"""Attention's NumPy kernels: the safe softmax, scaled dot-product attention's forward and its
first-order backward (the primitives that run them are declared in attention.py).

The fast forward makes the scores transposed, (..., S, L) (keys, queries), so that the
softmax's reductions over the keys run over whole contiguous rows rather than looping per
query; the probabilities it returns are the (..., L, S) view of that array, and the backward
kernel works in the same layout. float16 and empty sizes take the general kernel, in the
scores' own layout. Every kernel keeps IEEE's NaN and inf quiet, and writes only into arrays
it made or was given: each kernel is its ``into`` (the one body, writing into a compiled
replay's buffers where it is given them) given no buffers.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.nn.functional._util import copied_into


def safe_probs(s):
    """softmax over the last axis of the NumPy scores ``s``; rows that are all -inf give 0.

    Such a row's max is -inf: raised to the dtype's lowest finite value, the row's exps are
    all 0 and its sum 0, raised to 1 (every other row's sum is at least 1, from its max's
    exp(0), or NaN): probabilities 0, not NaN, with no test or branch per row."""
    m = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        np.maximum(m, np.finfo(s.dtype).min, out=m)
        e = s - m
        np.exp(e, out=e)
        den = e.sum(-1, keepdims=True)
        np.maximum(den, 1.0, out=den)
        e /= den
    return e


def max_over_keys(s):
    """``s.max(-2, keepdims=True)`` as a halving tree of pairwise maxima: each step one
    vectorised pass over contiguous blocks (a reduction over a short axis loops per row);
    NaN propagates as in ``max``. ``s.shape[-2]`` must be at least 1; a fresh array."""
    n = s.shape[-2]
    if n == 1:
        return s.copy()
    while n > 1:
        c = (n + 1) // 2  # the two halves overlap by a row when n is odd
        s = np.maximum(s[..., :c, :], s[..., n - c : n, :])
        n = c
    return s


_EXP_RANGE = {}  # dtype -> (log of the largest finite value, log of the smallest normal one)


def _exp_range(dtype):
    r = _EXP_RANGE.get(dtype)
    if r is None:
        fi = np.finfo(dtype)
        r = _EXP_RANGE[dtype] = (math.log(float(fi.max)), math.log(float(fi.tiny)))
    return r


def softmax_over_keys(st):
    """Softmax over axis -2 of the scores laid out (..., S, L), in place in ``st`` (an array
    the caller made); a query whose keys are all -inf gets probabilities 0. The key sums by
    BLAS (``ones @ e``), the normalisation by the reciprocal, as PyTorch's CPU softmax.

    Subtracting each query's max only keeps exp from overflowing (and a row's largest term
    from underflowing): where every score lies within the dtype's exp range with room for a
    sum of S terms (two whole-array reductions tell), exp(s) is taken as is, which is the
    same softmax without the subtraction's rounding; otherwise (large scores, -inf masks,
    NaN) each query's max is subtracted."""
    n = st.shape[-2]
    top, bottom = _exp_range(st.dtype)
    shift = not (st.max() <= top - math.log(n) - 1.0 and st.min() >= bottom + 1.0)
    if shift:
        m = max_over_keys(st)
        np.maximum(m, np.finfo(st.dtype).min, out=m)  # all -inf: 0s, as in safe_probs
        st -= m
    np.exp(st, out=st)
    den = np.matmul(np.ones(n, st.dtype), st)[..., None, :]
    if shift:  # (unshifted, every term is a normal number: no sum is 0)
        np.maximum(den, 1.0, out=den)
    np.divide(1.0, den, out=den)
    st *= den
    return st


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def sdpa_kernel(qd, kd, vd, bias, *, scale, is_causal):
    """``sdpa_into`` making both results (no buffers)."""
    return sdpa_into((None, None), qd, kd, vd, bias, scale=scale, is_causal=is_causal)


def sdpa_into(outs, qd, kd, vd, bias, *, scale, is_causal):
    """(output, probabilities), written into ``outs`` (a compiled replay's buffers, laid out
    as the kernel's results) or, where one is None (the kernel: both), made by its step. The
    scores are made transposed, (..., S, L), so that the softmax's reductions run over whole
    contiguous rows: straight into the probabilities' array, whose (..., L, S) view is
    returned; backward works in the same layout."""
    out, probs = outs
    if qd.dtype not in _BLAS_FLOATS or 0 in qd.shape or 0 in kd.shape or 0 in vd.shape:
        return copied_into(sdpa_general(qd, kd, vd, bias, scale=scale, is_causal=is_causal), outs)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # k (q*scale)^T: the scale on q, not on the scores (one pass fewer; the same bits where
        # the scale is a power of two, as the default 1/sqrt(E) for E = 4**n), written
        # transposed, (..., E, L), which BLAS reads faster than a transposed view
        qst = np.empty(qd.shape[:-2] + (qd.shape[-1], qd.shape[-2]), qd.dtype)
        np.multiply(np.swapaxes(qd, -1, -2), qd.dtype.type(scale), out=qst)
        # (a buffer for a mask with more batch dims than the scores has that mask's batch
        # dims: matmul broadcasts the product over them, the values of ``st + bt`` below)
        st = np.matmul(kd, qst, out=None if probs is None else np.swapaxes(probs, -1, -2))
        if bias is not None:
            bt = np.swapaxes(bias.reshape((1,) * (2 - bias.ndim) + bias.shape), -1, -2)
            if np.broadcast_shapes(st.shape, bt.shape) == st.shape:
                st += bt
            else:  # a mask with more batch dims than the scores
                st = st + bt
        if is_causal:
            S, L = st.shape[-2:]
            st += np.where(np.tri(S, L, -1, dtype=bool), -np.inf, 0.0).astype(st.dtype)
        p = np.swapaxes(softmax_over_keys(st), -1, -2)
        return np.matmul(p, vd, out=out), p


def sdpa_general(qd, kd, vd, bias, *, scale, is_causal):
    """The forward in the scores' own (..., L, S) layout: other float types and empty sizes."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s = np.matmul(qd, np.swapaxes(kd, -1, -2)) * qd.dtype.type(scale)
        if bias is not None:
            s = s + bias
        if is_causal:
            L, S = s.shape[-2:]
            s = s + np.where(np.tri(L, S, dtype=bool), 0.0, -np.inf).astype(s.dtype)
        p = safe_probs(s)
        return np.matmul(p, vd), p


def sdpa_grad_kernel(g, q, k, v, out, p, *, scale):
    """``sdpa_grad_into`` making every result (no buffers)."""
    return sdpa_grad_into((None, None, None), g, q, k, v, out, p, scale=scale)


def sdpa_grad_into(outs, g, q, k, v, out, p, *, scale):
    """(dq, dk, dv) of attention from the saved probabilities ``p`` (..., L, S), with the
    scale folded into g once: `dS^T = P^T*(v (g*scale)^T - rowsum(g*scale*out))` is made
    (..., S, L), in place, the layout of the forward's scores. Each gradient is written into
    its array of ``outs`` (a compiled replay's buffers) or, where that is None (the kernel:
    all three), made by its product."""
    oq, ok, ov = outs
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g = np.ascontiguousarray(g)  # (a view of a permuted gradient: BLAS reads it slowly)
        gs = g * g.dtype.type(scale)
        pt = np.swapaxes(p, -1, -2)
        dv = np.matmul(pt, g, out=ov)
        dst = np.matmul(v, np.swapaxes(gs, -1, -2))  # (g v^T)^T, scaled
        go = gs * out
        if go.dtype in _BLAS_FLOATS:
            r = np.matmul(go, np.ones(go.shape[-1], go.dtype))
        else:
            r = go.sum(-1)
        dst -= r[..., None, :]
        dst *= pt
        return np.matmul(np.swapaxes(dst, -1, -2), k, out=oq), np.matmul(dst, q, out=ok), dv
