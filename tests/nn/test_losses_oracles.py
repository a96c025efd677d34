"""NumPy oracles (no torch) for losses whose values were checked only against torch:
``multi_margin_loss`` (the target class is left out of the sum; p, margin, class weights)
and ``binary_cross_entropy_with_logits``'s ``pos_weight`` (it scales the positive term only)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

RNG = np.random.default_rng(5)
X = RNG.standard_normal((4, 5))
Y = np.array([2, 0, 4, 2])
W = RNG.uniform(0.5, 2.0, 5)


def _reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _multi_margin(x, y, p, margin, w):
    out = np.zeros(len(x))
    for n, (row, t) in enumerate(zip(x, y)):
        terms = [max(0.0, margin - row[t] + row[i]) ** p for i in range(len(row)) if i != t]
        out[n] = sum(terms) / len(row) * (1.0 if w is None else w[t])
    return out


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multi_margin_loss_oracle(p, margin, weighted, reduction):
    w = W if weighted else None
    want = _reduce(_multi_margin(X, Y, p, margin, w), reduction)
    wt = None if w is None else tt.tensor(w)
    got = F.multi_margin_loss(tt.tensor(X), tt.tensor(Y), p=p, margin=margin, weight=wt,
                              reduction=reduction)  # fmt: skip
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    m = tt.nn.MultiMarginLoss(p=p, margin=margin, weight=None if w is None else tt.tensor(w),
                              reduction=reduction)  # fmt: skip
    np.testing.assert_allclose(m(tt.tensor(X), tt.tensor(Y)).numpy(), want, rtol=1e-12)


def test_multi_margin_loss_unbatched_and_a_clear_winner():
    got = F.multi_margin_loss(tt.tensor(X[1]), tt.tensor(Y[1]), reduction="none")
    np.testing.assert_allclose(got.numpy(), _multi_margin(X[1:2], Y[1:2], 1, 1.0, None)[0])
    # the target's score beats every other by more than the margin: zero loss (the target's
    # own term, max(0, margin) = margin, must not be counted)
    x = tt.tensor([[5.0, 0.0, 1.0]])
    assert F.multi_margin_loss(x, tt.tensor([0])).item() == 0.0


def _log_sigmoid(z):
    return -np.logaddexp(0.0, -z)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_pos_weight_scales_the_positive_term(reduction, weighted):
    t = (RNG.random((4, 5)) < 0.5).astype(np.float64)
    t[0, 0], t[0, 1] = 0.3, 0.8  # soft targets too
    pw = np.array([1.0, 2.0, 0.5, 3.0, 1.5])
    w = RNG.uniform(0.5, 2.0, (4, 1)) if weighted else None
    per = -(pw * t * _log_sigmoid(X) + (1 - t) * _log_sigmoid(-X))
    if weighted:
        per = per * w
    wt = None if w is None else tt.tensor(w)
    pwt = tt.tensor(pw)
    got = F.binary_cross_entropy_with_logits(
        tt.tensor(X), tt.tensor(t), weight=wt, pos_weight=pwt, reduction=reduction
    )
    np.testing.assert_allclose(got.numpy(), _reduce(per, reduction), rtol=1e-12)
    # pos_weight of ones is the plain loss
    plain = F.binary_cross_entropy_with_logits(tt.tensor(X), tt.tensor(t), reduction="none")
    ones = F.binary_cross_entropy_with_logits(tt.tensor(X), tt.tensor(t), reduction="none",
                                              pos_weight=tt.ones(5, dtype=tt.float64))  # fmt: skip
    np.testing.assert_allclose(ones.numpy(), plain.numpy(), rtol=1e-12)
