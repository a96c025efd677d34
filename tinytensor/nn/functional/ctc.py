"""Connectionist temporal classification: ``ctc_loss``.

The standard alpha-beta recursion over the blank-extended label sequence l' (length 2S+1), in
log space and vectorised over the batch; one Python loop over time each way.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.nn.functional._util import check_reduction, float_input
from tinytensor.ops._util import as_tensor


def _lengths(v, n, who):
    # A tensor's lengths reach Python through tolist(): a compiled call breaks there rather
    # than bake them into the kernels' attributes.
    a = np.asarray(v.tolist() if hasattr(v, "tolist") else v, dtype=np.int64).reshape(-1)
    if a.shape != (n,):
        raise RuntimeError(f"ctc_loss: {who} must have {n} entries (one per sample), got {a.size}")
    return a


def _rows(targets, tg_len, batched):
    """Each sample's target labels: rows of the padded (N, S) form or slices of the 1-D one."""
    return _rows_of(targets._data, tg_len, batched)


def _rows_of(td, tg_len, batched):
    td = td.reshape(1, -1) if not batched else td
    if td.ndim == 1:
        offsets = np.concatenate([[0], np.cumsum(tg_len)])
        return [td[offsets[i] : offsets[i + 1]] for i in range(len(tg_len))]
    if np.any(tg_len > td.shape[1]):
        raise RuntimeError("ctc_loss: a target length is longer than the padded targets")
    return list(td)


def _extended(targets, tg_len, blank):
    """(N, 2S+1) labels with blanks between and around, and where a skip s-2 -> s is allowed."""
    n, s = len(tg_len), int(tg_len.max(initial=0))
    ext = np.full((n, 2 * s + 1), blank, np.int64)
    for i, tl in enumerate(tg_len):
        ext[i, 1 : 2 * tl : 2] = targets[i][:tl]
    skip = np.zeros(ext.shape, bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _lse(*xs):
    m = np.maximum.reduce(xs)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(sum(np.exp(x - safe) for x in xs))


def _shift(a, k, fill=-np.inf):
    out = np.full_like(a, fill)
    out[:, k:] = a[:, :-k]
    return out


def _ctc_np(lp, targets, in_len, tg_len, blank, want_grad):
    """-log p(target | lp) per sample, and (want_grad) its gradient w.r.t. lp (T, N, C)."""
    t_max, n, _ = lp.shape
    ext, skip = _extended(targets, tg_len, blank)
    width = ext.shape[1]
    lpe = np.take_along_axis(lp, np.broadcast_to(ext, (t_max,) + ext.shape), axis=2)  # (T, N, L)
    valid = np.arange(width)[None, :] < (2 * tg_len + 1)[:, None]
    alpha = np.full(lpe.shape, -np.inf, lp.dtype)
    alpha[0, :, 0] = lpe[0, :, 0]
    alpha[0, :, 1] = np.where(tg_len > 0, lpe[0, :, 1], -np.inf) if width > 1 else 0
    for t in range(1, t_max):
        a = alpha[t - 1]
        two = np.where(skip, _shift(a, 2), -np.inf) if width > 2 else np.full_like(a, -np.inf)
        one = _shift(a, 1) if width > 1 else np.full_like(a, -np.inf)
        alpha[t] = np.where(valid, _lse(a, one, two) + lpe[t], -np.inf)
    rows = np.arange(n)
    last = alpha[in_len - 1, rows]  # (N, L) at each sample's last frame
    end = last[rows, 2 * tg_len]
    end2 = np.where(tg_len > 0, last[rows, np.maximum(2 * tg_len - 1, 0)], -np.inf)
    nll = -_lse(end, end2)
    if not want_grad:
        return nll, None
    beta = np.full(lpe.shape, -np.inf, lp.dtype)
    for t in range(t_max - 1, -1, -1):
        if t < t_max - 1:
            b = beta[t + 1]
            one = np.full_like(b, -np.inf)
            one[:, :-1] = b[:, 1:]
            two = np.full_like(b, -np.inf)
            two[:, :-2] = np.where(skip[:, 2:], b[:, 2:], -np.inf)
            beta[t] = np.where(valid, _lse(b, one, two) + lpe[t], -np.inf)
        start = in_len - 1 == t
        if start.any():
            init = np.full((n, width), -np.inf, lp.dtype)
            init[rows, 2 * tg_len] = lpe[t, rows, 2 * tg_len]
            has = tg_len > 0
            init[rows[has], 2 * tg_len[has] - 1] = lpe[t, rows[has], 2 * tg_len[has] - 1]
            beta[t, start] = init[start]
        beta[t, in_len - 1 < t] = -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        occ = np.exp(alpha + beta - lpe + nll[None, :, None])  # (T, N, L)
    occ = np.where(np.isfinite(occ), occ, 0.0)
    grad = np.zeros_like(lp)
    tt_, nn_ = np.meshgrid(np.arange(t_max), rows, indexing="ij")
    np.add.at(grad, (tt_[..., None], nn_[..., None], np.broadcast_to(ext, lpe.shape)), -occ)
    grad[np.arange(t_max)[:, None] >= in_len[None, :]] = 0
    return nll, grad


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,
    reduction="mean",
    zero_infinity=False,
):
    """`f(lp, y) = -log sum` over alignments of y of prod_t p_t; 'mean' divides each sample's loss
    by its target length, then averages over the batch.

    ``log_probs`` is (T, N, C) (or (T, C) for one sample), usually ``log_softmax`` output;
    ``targets`` is (N, S) padded or the targets concatenated (1-D). The gradient is the true
    derivative w.r.t. ``log_probs``; PyTorch's adds `exp(log_probs)*g`, which cancels when
    ``log_probs`` comes from ``log_softmax``, so the two agree on the logits' gradient.
    """
    check_reduction(reduction, "ctc_loss")
    lp = float_input(log_probs, "ctc_loss", "log_probs")
    batched = lp.ndim == 3
    if lp.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), got {lp.shape}")
    lpd = lp._data if batched else lp._data[:, None, :]
    t_max, n, c = lpd.shape
    tg = as_tensor(targets, "ctc_loss")
    in_len = _lengths(input_lengths, n, "input_lengths")
    tg_len = _lengths(target_lengths, n, "target_lengths")
    if np.any(in_len > t_max) or np.any(in_len < 1):
        raise RuntimeError(f"ctc_loss: input_lengths must be in [1, {t_max}], got {in_len}")
    rows = _rows(tg, tg_len, batched)
    if any(np.any((r[:tl] < 0) | (r[:tl] >= c) | (r[:tl] == blank)) for r, tl in zip(rows, tg_len)):
        raise RuntimeError(f"ctc_loss: targets must be class indices in [0, {c}) other than blank")
    # The lengths are the kernels' attributes (plain ints), the targets their argument.
    attrs = {"input_lengths": tuple(int(v) for v in in_len),
             "target_lengths": tuple(int(v) for v in tg_len), "blank": blank,
             "zero_infinity": zero_infinity}  # fmt: skip
    per = CTC.apply((lp, tg), (lp._data, tg._data), (lp, tg, attrs), attrs)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    denom = CTC_DENOMINATOR.apply((per,), (per._data,), (), {"target_lengths": tuple(tg_len)})
    return (per / denom).mean()


def _ctc_kernel(lpd, td, *, input_lengths, target_lengths, blank, zero_infinity):
    """-log p(target | lp) per sample ((N,), or () for one unbatched sample)."""
    batched = lpd.ndim == 3
    lp3 = lpd if batched else lpd[:, None, :]
    in_len, tg_len = np.asarray(input_lengths, np.int64), np.asarray(target_lengths, np.int64)
    nll, _ = _ctc_np(lp3, _rows_of(td, tg_len, batched), in_len, tg_len, blank, False)
    if zero_infinity:
        nll = np.where(np.isinf(nll), 0.0, nll)
    nll = nll.astype(lpd.dtype)
    return nll if batched else nll.reshape(())


def _ctc_grad_kernel(lpd, td, *, input_lengths, target_lengths, blank, zero_infinity):
    """d(-log p)/d lp per sample, (T, N, C) (or (T, C))."""
    batched = lpd.ndim == 3
    lp3 = lpd if batched else lpd[:, None, :]
    in_len, tg_len = np.asarray(input_lengths, np.int64), np.asarray(target_lengths, np.int64)
    nll, grad = _ctc_np(lp3, _rows_of(td, tg_len, batched), in_len, tg_len, blank, True)
    if zero_infinity:
        grad[:, np.isinf(nll)] = 0
        grad = np.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
    return grad if batched else grad[:, 0, :]


def _denominator_kernel(per, *, target_lengths):
    """'mean' divides each sample's loss by its target length (at least 1)."""
    return np.maximum(np.asarray(target_lengths), 1).astype(per.dtype).reshape(per.shape)


def _ctc_backward(g, lp, targets, attrs):
    """`dlp[t, n, c] = -g[n] * sum over s with l'_s = c of alpha*beta/(p*lp)` (log space)"""
    grad = CTC_GRAD.apply((lp, targets), (lp._data, targets._data), (), attrs)
    n = len(attrs["input_lengths"])
    return grad * (g.reshape(1, n, 1) if lp.ndim == 3 else g.reshape(1, 1)), None


CTC = Primitive("CtcLoss", _ctc_kernel, _ctc_backward)
CTC_GRAD = Primitive("CtcLossGrad", _ctc_grad_kernel)  # its own gradient is not provided
CTC_DENOMINATOR = Primitive("CtcTargetLengths", _denominator_kernel)
