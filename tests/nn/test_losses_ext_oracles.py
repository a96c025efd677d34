"""NumPy oracles for two of the extra losses (no torch): ``poisson_nll_loss(full=True)`` adds
the Stirling term only where the target exceeds 1 (PyTorch masks ``target <= 1``), and
``multilabel_soft_margin_loss`` averages over the classes (the last dim), not the batch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F


def _reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _stirling(t):
    out = np.zeros_like(t)
    big = t > 1
    tb = t[big]
    out[big] = tb * np.log(tb) - tb + 0.5 * np.log(2 * math.pi * tb)
    return out


X = np.array([[0.3, -1.2, 0.8, 2.0], [1.5, 0.1, -0.4, 0.0]])
T = np.array([[0.0, 1.0, 2.0, 1.0], [3.0, 1.0, 0.0, 5.0]])  # 1.0 exactly: no Stirling term


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_poisson_nll_full_masks_targets_up_to_one(reduction):
    got = F.poisson_nll_loss(tt.tensor(X), tt.tensor(T), full=True, reduction=reduction)
    want = _reduce(np.exp(X) - T * X + _stirling(T), reduction)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    # not log_input: x - t log(x + eps)
    xp = np.abs(X) + 0.5
    got = F.poisson_nll_loss(tt.tensor(xp), tt.tensor(T), log_input=False, full=True,
                             reduction=reduction)  # fmt: skip
    want = _reduce(xp - T * np.log(xp + 1e-8) + _stirling(T), reduction)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_poisson_nll_full_at_target_one_equals_not_full():
    x, t = tt.tensor([0.2, -0.7]), tt.tensor([1.0, 1.0])
    a = F.poisson_nll_loss(x, t, full=True, reduction="none")
    b = F.poisson_nll_loss(x, t, full=False, reduction="none")
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def _log_sigmoid(z):
    return -np.logaddexp(0.0, -z)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_averages_over_classes(reduction, weighted):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5))  # batch 2, 5 classes: dividing by the wrong dim shows
    y = (rng.random((2, 5)) < 0.5).astype(np.float64)
    w = rng.uniform(0.5, 2.0, 5) if weighted else None
    per = -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    if weighted:
        per = per * w
    want = _reduce(per.sum(1) / 5, reduction)
    got = F.multilabel_soft_margin_loss(tt.tensor(x), tt.tensor(y),
                                        weight=None if w is None else tt.tensor(w),
                                        reduction=reduction)  # fmt: skip
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    m = tt.nn.MultiLabelSoftMarginLoss(weight=None if w is None else tt.tensor(w),
                                       reduction=reduction)  # fmt: skip
    np.testing.assert_allclose(m(tt.tensor(x), tt.tensor(y)).numpy(), want, rtol=1e-12)
