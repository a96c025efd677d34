"""The fused cross-entropy node: 2-D logits, class indices, no weight or smoothing, 'mean'.

``F.cross_entropy`` takes this path for its common case (``loss.py``): one CrossEntropy node
on the log_softmax primitive's output instead of log_softmax + nll_loss's gather, scatter and
division, and a backward that is one kernel (CrossEntropyBackward, itself differentiable).
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import explog as EL
from tinytensor.ops import softmax as SM


def cross_entropy_mean(x, target, ignore_index):
    """`f(x, t) = -mean_n log_softmax(x)[n, t_n]` over the targets that are not ignore_index;
    `dx = g*(softmax(x) - onehot(t))/K`, K the number of those (0 rows for ignored ones)

    The common case (2-D logits, class indices, no weight or smoothing, mean) as one node:
    about a third of the forward time of log_softmax + nll_loss, and a backward that is one
    subtraction instead of a scatter and several small ops. Like PyTorch it saves the
    log-softmax (a private tensor whose history leads to x, for double backward) and the
    target, not x: changing x in place after the forward pass is allowed. With every target
    ignored the loss is NaN (0/0) and the gradient 0, as PyTorch's.
    """
    lsm = SM.log_softmax(x, 1)  # the primitive itself: its node, its saved output
    attrs = {"ignore_index": ignore_index}
    saved = (lsm, target, ignore_index)
    return CROSS_ENTROPY.apply((x, target), (lsm._data, target._data), saved, attrs)


def _kept(td, ignore_index):
    """Row indices, targets and count K of the targets that are not ``ignore_index``."""
    n = td.shape[0]
    if ignore_index is None or not (td == ignore_index).any():
        return slice(None), td, n
    keep = np.flatnonzero(td != ignore_index)
    return keep, td[keep], keep.shape[0]


def _cross_entropy_kernel(logp, td, *, ignore_index):
    rows, cols, k = _kept(td, ignore_index)
    if rows.__class__ is slice:
        rows = np.arange(k)
    with np.errstate(all="ignore"):  # -inf log-probabilities sum to inf silently; K = 0: NaN
        loss = -np.sum(logp[rows, cols]) / logp.dtype.type(k)
    return np.asarray(loss, dtype=logp.dtype)


def _cross_entropy_mean_backward(g, lsm, target, ignore_index):
    return _cross_entropy_grad(g, lsm, target, ignore_index), None


def _cross_entropy_grad(g, lsm, target, ignore_index):
    """`f(g, l) = g*(exp(l) - onehot)/K` with `l = log_softmax(x)` (rows of ignored targets
    0);  `dg = sum(gg*f(1, l)),  dl = gg*g*exp(l)*keep/K`

    ``_cross_entropy_mean``'s backward as one op, itself differentiable for double backward
    (log_softmax's backward then turns dl into dx).
    """
    return CROSS_ENTROPY_BACKWARD.apply(
        (g, lsm, target),
        (g._data, lsm._data, target._data),
        (g, lsm, target, ignore_index),
        {"ignore_index": ignore_index},
    )


def _cross_entropy_grad_kernel(gd, logp, td, *, ignore_index):
    rows, cols, k = _kept(td, ignore_index)
    grad = np.exp(logp)
    if rows.__class__ is slice:
        grad[np.arange(k), cols] -= 1
    else:
        grad[rows, cols] -= 1
        dropped = np.ones(logp.shape[0], bool)
        dropped[rows] = False
        grad[dropped] = 0
    grad *= gd / max(k, 1)  # in place: stays in the logits' dtype
    return grad


def _row_weights_kernel(logp, td, *, ignore_index):
    """`(N, 1)`: 1/K in the rows whose target is kept, 0 in the others."""
    rows, _, k = _kept(td, ignore_index)
    w = np.zeros((logp.shape[0], 1), logp.dtype)
    w[rows] = 1.0 / max(k, 1)
    return w


def _cross_entropy_grad_backward(gg, g, lsm, target, ignore_index, *, needs):
    attrs = {"ignore_index": ignore_index}
    dg = None
    if needs[0]:
        unit = CROSS_ENTROPY_BACKWARD.apply(
            (1.0, lsm, target), (1.0, lsm._data, target._data), (), attrs
        )
        dg = (gg * unit).sum()
    dl = None
    if needs[1]:
        w = CE_ROW_WEIGHTS.apply((lsm, target), (lsm._data, target._data), (), attrs)
        dl = gg * g * EL.exp(lsm) * w
    return dg, dl, None


CROSS_ENTROPY = Primitive("CrossEntropy", _cross_entropy_kernel, _cross_entropy_mean_backward)
CROSS_ENTROPY_BACKWARD = Primitive(
    "CrossEntropyBackward", _cross_entropy_grad_kernel, _cross_entropy_grad_backward
)
CE_ROW_WEIGHTS = Primitive("CrossEntropyRowWeights", _row_weights_kernel)
