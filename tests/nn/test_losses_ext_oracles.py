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


# The rest of the issue #12 family, each against its definition in NumPy (row by row).
RNG = np.random.default_rng(11)
A, B, C = (RNG.standard_normal((4, 5)) for _ in range(3))
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])


def _pdist(a, b, p=2.0, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1.0 / p)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cosine_embedding_loss_oracle(reduction):
    cos = (A * B).sum(1) / np.sqrt(((A * A).sum(1) + 1e-12) * ((B * B).sum(1) + 1e-12))
    per = np.where(SIGNS > 0, 1 - cos, np.maximum(cos - 0.2, 0.0))
    got = F.cosine_embedding_loss(tt.tensor(A), tt.tensor(B), tt.tensor(SIGNS), margin=0.2,
                                  reduction=reduction)  # fmt: skip
    np.testing.assert_allclose(got.numpy(), _reduce(per, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_margin_ranking_loss_oracle(reduction):
    x1, x2 = A[:, 0], B[:, 0]
    per = np.maximum(0.0, -SIGNS * (x1 - x2) + 0.3)
    got = F.margin_ranking_loss(tt.tensor(x1), tt.tensor(x2), tt.tensor(SIGNS), margin=0.3,
                                reduction=reduction)  # fmt: skip
    np.testing.assert_allclose(got.numpy(), _reduce(per, reduction), rtol=1e-12)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_triplet_margin_loss_oracle(swap, p):
    d_ap, d_an = _pdist(A, B, p), _pdist(A, C, p)
    if swap:
        d_an = np.minimum(d_an, _pdist(B, C, p))
    per = np.maximum(d_ap - d_an + 0.7, 0.0)
    got = F.triplet_margin_loss(tt.tensor(A), tt.tensor(B), tt.tensor(C), margin=0.7, p=p,
                                swap=swap, reduction="none")  # fmt: skip
    np.testing.assert_allclose(got.numpy(), per, rtol=1e-10)
    got = F.triplet_margin_loss(
        tt.tensor(A), tt.tensor(B), tt.tensor(C), margin=0.7, p=p, swap=swap
    )
    np.testing.assert_allclose(got.numpy(), per.mean(), rtol=1e-10)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss_oracle(swap):
    def l1(x, y):
        return (x - y).abs().sum(-1)

    d_ap, d_an = np.abs(A - B).sum(1), np.abs(A - C).sum(1)
    if swap:
        d_an = np.minimum(d_an, np.abs(B - C).sum(1))
    per = np.maximum(d_ap - d_an + 0.5, 0.0)
    got = F.triplet_margin_with_distance_loss(tt.tensor(A), tt.tensor(B), tt.tensor(C),
                                              distance_function=l1, margin=0.5, swap=swap,
                                              reduction="sum")  # fmt: skip
    np.testing.assert_allclose(got.numpy(), per.sum(), rtol=1e-12)
    # the default distance is pairwise_distance (p=2, eps=1e-6)
    per = np.maximum(_pdist(A, B) - _pdist(A, C) + 1.0, 0.0)
    got = F.triplet_margin_with_distance_loss(tt.tensor(A), tt.tensor(B), tt.tensor(C),
                                              reduction="none")  # fmt: skip
    np.testing.assert_allclose(got.numpy(), per, rtol=1e-10)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", ["same", "one-less-dim", "last-dim-1", "scalar"])
def test_gaussian_nll_loss_oracle(full, var_shape):
    var = np.abs(C) + 0.1
    var[0, 0] = 1e-9  # clamped to eps=1e-6
    v = {"same": var, "one-less-dim": var[:, 0], "last-dim-1": var[:, :1], "scalar": 0.5}[var_shape]
    vb = np.broadcast_to(np.reshape(v, (4, -1)) if var_shape != "scalar" else v, A.shape)
    vb = np.maximum(vb, 1e-6)
    per = 0.5 * (np.log(vb) + (A - B) ** 2 / vb) + (0.5 * math.log(2 * math.pi) if full else 0.0)
    vt = v if var_shape == "scalar" else tt.tensor(v)
    for reduction in ("none", "mean", "sum"):
        got = F.gaussian_nll_loss(tt.tensor(A), tt.tensor(B), vt, full=full, reduction=reduction)
        np.testing.assert_allclose(got.numpy(), _reduce(per, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_loss_oracle(reduction):
    y = np.sign(B)
    per = np.log1p(np.exp(-y * A))
    got = F.soft_margin_loss(tt.tensor(A), tt.tensor(y), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), _reduce(per, reduction), rtol=1e-12)


def _multilabel_margin(x, labels):
    out = []
    for row, lab in zip(x, labels):
        targets = []
        for j in lab:
            if j < 0:
                break
            targets.append(int(j))
        others = [i for i in range(len(row)) if i not in targets]
        out.append(sum(max(0.0, 1 - (row[j] - row[i])) for j in targets for i in others) / len(row))
    return np.array(out)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss_oracle(reduction):
    # targets end at the first -1; later entries (the 1 and 0 after it) are ignored
    labels = np.array([[3, 0, -1, 1, 1], [0, 1, 2, 3, 4], [-1, 1, 2, 0, 0], [4, 2, 4, -1, 0]])
    per = _multilabel_margin(A, labels)
    got = F.multilabel_margin_loss(tt.tensor(A), tt.tensor(labels), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), _reduce(per, reduction), rtol=1e-12)
    # one unbatched sample gives a 0-d loss
    got = F.multilabel_margin_loss(tt.tensor(A[0]), tt.tensor(labels[0]), reduction="none")
    assert got.shape == () and np.isclose(got.item(), per[0])
