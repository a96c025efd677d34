"""NumPy-only tests pinning the classification and probability losses of
``nn/functional/loss.py`` (nll_loss, cross_entropy with indices, probabilities, weights,
ignore_index and label smoothing, binary cross-entropy with and without logits,
multi_margin_loss, hinge_embedding_loss, kl_div) tightly enough that a one-line bug fails.

Expected values come from NumPy oracles written out here; gradients are checked against
central differences in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)


def _t(a, grad=False):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _nll(logp, t, w=None, ignore=-100, reduction="mean"):
    """NumPy oracle: class dim 1 (or 0 for a (C,) input)."""
    if logp.ndim == 1:
        logp, t = logp[None], np.asarray(t).reshape(1)
    c = logp.shape[1]
    w = np.ones(c) if w is None else np.asarray(w, float)
    keep = t != ignore
    safe = np.where(keep, t, 0)
    picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    wt = np.where(keep, w[safe], 0.0)
    loss = -picked * wt
    if reduction == "none":
        return loss if logp.shape[0] > 1 or loss.ndim > 1 else loss.reshape(())
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / wt.sum()


X2 = RNG.standard_normal((6, 4))
T2 = np.array([0, 3, 1, 2, 3, 1])
X4 = RNG.standard_normal((2, 3, 2, 2))
T4 = np.array([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])
WC = np.array([0.5, 2.0, 1.5, 0.7])
WC3 = np.array([0.3, 1.7, 1.1])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_nll_loss_oracle_2d_and_nd(reduction):
    got = F.nll_loss(_t(X2), tt.tensor(T2), reduction=reduction).numpy()
    np.testing.assert_allclose(got, _nll(X2, T2, reduction=reduction), rtol=1e-12)
    got = F.nll_loss(_t(X2), tt.tensor(T2), weight=_t(WC), reduction=reduction).numpy()
    np.testing.assert_allclose(got, _nll(X2, T2, WC, reduction=reduction), rtol=1e-12)
    t = T2.copy()
    t[[1, 4]] = 2  # ignore class 2 below
    got = F.nll_loss(_t(X2), tt.tensor(t), weight=_t(WC), ignore_index=2, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), _nll(X2, t, WC, 2, reduction), rtol=1e-12)
    # (N, C, d1, d2): the class dim is 1
    x_flat = np.moveaxis(X4, 1, -1).reshape(-1, 3)
    want = _nll(x_flat, T4.reshape(-1), WC3, reduction=reduction)
    got = F.nll_loss(_t(X4), tt.tensor(T4), weight=_t(WC3), reduction=reduction).numpy()
    np.testing.assert_allclose(got, want.reshape(T4.shape) if reduction == "none" else want)


def test_nll_loss_1d_input_and_ignore_default():
    x = np.array([-1.0, -2.0, -0.5])
    assert F.nll_loss(_t(x), tt.tensor(2)).item() == pytest.approx(0.5)
    assert F.nll_loss(_t(x), tt.tensor(1), weight=_t([1.0, 3.0, 1.0]), reduction="sum").item() == (
        pytest.approx(6.0)
    )
    # the default ignore_index is -100: those targets drop out of the sum and the count
    t = np.array([0, -100, 1, 2, -100, 3])
    got = F.nll_loss(_t(X2), tt.tensor(t)).item()
    assert got == pytest.approx(-(X2[0, 0] + X2[2, 1] + X2[3, 2] + X2[5, 3]) / 4)
    # every target ignored: 'mean' is 0/0 = nan, 'sum' is 0
    allign = tt.tensor(np.full(6, -100))
    assert np.isnan(F.nll_loss(_t(X2), allign).item())
    assert F.nll_loss(_t(X2), allign, reduction="sum").item() == 0.0


def test_nll_loss_gradient_and_double_backward():
    x = _t(X2, grad=True)
    t = T2.copy()
    t[2] = 1
    t[5] = -1  # ignore_index=-1
    w = _t(WC)
    for red in ("mean", "sum", "none"):
        assert gradcheck(
            lambda a, r=red: F.nll_loss(a, tt.tensor(t), weight=w, ignore_index=-1, reduction=r),
            (x,),
        )
    assert gradgradcheck(
        lambda a: F.nll_loss(a * a, tt.tensor(t), weight=w, ignore_index=-1), (x,)
    )
    F.nll_loss(x, tt.tensor(t), weight=w, ignore_index=-1, reduction="sum").backward()
    want = np.zeros_like(X2)
    for i, ti in enumerate(t):
        if ti != -1:
            want[i, ti] = -WC[ti]
    np.testing.assert_array_equal(x.grad.numpy(), want)
    x1 = _t([0.1, 0.2, 0.3], grad=True)
    F.nll_loss(x1, tt.tensor(1)).backward()
    np.testing.assert_array_equal(x1.grad.numpy(), [0.0, -1.0, 0.0])


def test_nll_loss_target_errors():
    x = _t(X2)
    with pytest.raises(IndexError, match=r"nll_loss: target 4 is out of bounds for 4 classes"):
        F.nll_loss(x, tt.tensor([0, 1, 4, 0, 0, 0]))
    with pytest.raises(IndexError, match=r"nll_loss: target -1 is out of bounds"):
        F.nll_loss(x, tt.tensor([0, 1, -1, 0, 0, 0]))
    with pytest.raises(IndexError, match=r"target -3 .*ignore_index=-1\)"):
        F.nll_loss(x, tt.tensor([0, -1, -3, 0, 0, 0]), ignore_index=-1)
    F.nll_loss(x, tt.tensor([0, 1, 3, 0, 0, 0]))  # 3 is the last valid class
    with pytest.raises(ValueError, match=r"nll_loss: expected input batch_size \(6\) to match"):
        F.nll_loss(x, tt.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"nll_loss: 0D or 1D target tensor expected"):
        F.nll_loss(x, tt.tensor(np.zeros((6, 1), np.int64)))
    with pytest.raises(RuntimeError, match=r"nll_loss: expected target size \[2, 2, 2\]"):
        F.nll_loss(_t(X4), tt.tensor(np.zeros((2, 2, 3), np.int64)))
    with pytest.raises(RuntimeError, match=r"nll_loss: class-index targets must be int64"):
        F.nll_loss(x, _t(T2))
    with pytest.raises(RuntimeError, match=r"nll_loss: class-index targets must be int64"):
        F.nll_loss(x, tt.tensor(T2, dtype=tt.int32))  # PyTorch: Long or Byte only
    with pytest.raises(ValueError, match=r"nll_loss: weight must have shape \(4,\)"):
        F.nll_loss(x, tt.tensor(T2), weight=_t([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"nll_loss: input must have at least 1 dimension"):
        F.nll_loss(_t(1.0), tt.tensor(0))


def _smoothed_ce(x, t, w, eps, ignore, reduction):
    """PyTorch's label-smoothed cross-entropy with index targets, class dim 1."""
    c = x.shape[1]
    logp = _log_softmax(x, 1)
    nll = _nll(logp, t, w, ignore, reduction)
    w = np.ones(c) if w is None else w
    keep = t != ignore
    smooth = -(logp * w).sum(1) * keep
    if reduction == "mean":
        smooth = smooth.sum() / np.where(keep, w[np.where(keep, t, 0)], 0).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - eps) * nll + eps / c * smooth


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_cross_entropy_index_targets_oracle(reduction, weighted, eps):
    t = T2.copy()
    t[3] = -100
    w = WC if weighted else None
    got = F.cross_entropy(
        _t(X2), tt.tensor(t), weight=None if w is None else _t(w), reduction=reduction,
        label_smoothing=eps,
    ).numpy()  # fmt: skip
    np.testing.assert_allclose(got, _smoothed_ce(X2, t, w, eps, -100, reduction), rtol=1e-10)


def test_cross_entropy_fast_path_and_1d():
    want = _nll(_log_softmax(X2, 1), T2)
    assert F.cross_entropy(_t(X2), tt.tensor(T2)).item() == pytest.approx(want)
    x = _t(X2, grad=True)
    assert gradcheck(lambda a: F.cross_entropy(a, tt.tensor(T2)), (x,))
    assert gradcheck(lambda a: F.cross_entropy(a, tt.tensor(T2), label_smoothing=0.3), (x,))
    v = X2[0]
    assert F.cross_entropy(_t(v), tt.tensor(2)).item() == pytest.approx(-_log_softmax(v, 0)[2])
    got = F.cross_entropy(_t(v), tt.tensor(2), label_smoothing=0.4).item()
    lp = _log_softmax(v, 0)
    assert got == pytest.approx(-(0.6 * lp[2] + 0.1 * lp.sum()))
    # (N, C, d1, d2) with smoothing: class dim 1
    flat = np.moveaxis(X4, 1, -1).reshape(-1, 3)
    got = F.cross_entropy(_t(X4), tt.tensor(T4), weight=_t(WC3), label_smoothing=0.1).item()
    assert got == pytest.approx(_smoothed_ce(flat, T4.reshape(-1), WC3, 0.1, -100, "mean"))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_probability_targets(reduction):
    p = RNG.uniform(0.0, 1.0, X2.shape)
    p /= p.sum(1, keepdims=True)
    logp = _log_softmax(X2, 1)
    for eps, w in [(0.0, None), (0.25, None), (0.0, WC), (0.3, WC)]:
        q = p * (1 - eps) + eps / 4
        loss = -(logp * (np.ones(4) if w is None else w) * q).sum(1)
        want = loss.sum() / 6 if reduction == "mean" else _red(loss, reduction)
        got = F.cross_entropy(_t(X2), _t(p), weight=None if w is None else _t(w),
                              reduction=reduction, label_smoothing=eps)  # fmt: skip
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    # (N, C, d): 'mean' divides by N*d, not N*C*d
    x3 = RNG.standard_normal((2, 3, 5))
    p3 = RNG.uniform(0, 1, x3.shape)
    loss = -(_log_softmax(x3, 1) * p3).sum(1)
    want = loss.mean() if reduction == "mean" else _red(loss, reduction)
    np.testing.assert_allclose(F.cross_entropy(_t(x3), _t(p3), reduction=reduction).numpy(), want)


def _red(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(_t(X2), tt.tensor(T2), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing"):
        F.cross_entropy(_t(X2), tt.tensor(T2), label_smoothing=-0.1)
    F.cross_entropy(_t(X2), tt.tensor(T2), label_smoothing=1.0)  # the bound is allowed
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected floating point type"):
        F.cross_entropy(_t(X2), tt.tensor(np.zeros((6, 4), np.int64)))
    with pytest.raises(IndexError, match=r"cross_entropy: target 9 is out of bounds"):
        F.cross_entropy(_t(X2), tt.tensor([0, 1, 9, 0, 0, 0]), label_smoothing=0.1)
    with pytest.raises(IndexError, match=r"cross_entropy: target 9"):
        F.cross_entropy(_t(X2), tt.tensor([0, 1, 9, 0, 0, 0]))
    with pytest.raises(ValueError, match=r"cross_entropy: input must be"):
        F.cross_entropy(_t(1.0), tt.tensor(0))


# --- binary cross-entropy ---------------------------------------------------------------------

P = RNG.uniform(0.05, 0.95, (3, 4))
Y = RNG.uniform(0.0, 1.0, (3, 4))
WB = RNG.uniform(0.5, 2.0, (3, 4))


def _bce(p, y):
    with np.errstate(divide="ignore"):
        return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_oracle(reduction):
    got = F.binary_cross_entropy(_t(P), _t(Y), reduction=reduction).numpy()
    np.testing.assert_allclose(got, _red(_bce(P, Y), reduction), rtol=1e-12)
    got = F.binary_cross_entropy(_t(P), _t(Y), weight=_t(WB), reduction=reduction).numpy()
    np.testing.assert_allclose(got, _red(WB * _bce(P, Y), reduction), rtol=1e-12)


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.25])
    got = F.binary_cross_entropy(_t(p), _t(y), reduction="none").numpy()
    np.testing.assert_allclose(got, [100.0, 100.0, 0.0, 0.0, np.log(2.0)], rtol=1e-12)
    assert F.binary_cross_entropy(_t(p), _t(y), reduction="sum").item() == pytest.approx(
        200.0 + np.log(2.0)
    )
    got32 = F.binary_cross_entropy(tt.tensor([0.25]), tt.tensor([1.0]), reduction="none")
    assert got32.dtype == tt.float32


def test_binary_cross_entropy_gradients():
    x = _t(P, grad=True)
    y = _t(Y, grad=True)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (x, y))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=_t(WB)), (x, y))
    F.binary_cross_entropy(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), (P - Y) / (P * (1 - P)), rtol=1e-10)
    np.testing.assert_allclose(y.grad.numpy(), np.log1p(-P) - np.log(P), rtol=1e-10)
    # at p = 0 the denominator is clamped at 1e-12 and the target's logs at -100
    x0 = _t([0.0, 1.0], grad=True)
    y0 = _t([0.5, 0.5], grad=True)
    F.binary_cross_entropy(x0, y0, reduction="sum").backward()
    np.testing.assert_allclose(x0.grad.numpy(), [-0.5e12, 0.5e12], rtol=1e-9)
    np.testing.assert_allclose(y0.grad.numpy(), [100.0, -100.0])


def test_binary_cross_entropy_input_range_error():
    for bad in ([0.5, 1.5], [-0.1, 0.5], [np.nan, 0.5]):
        with pytest.raises(RuntimeError, match=r"binary_cross_entropy: all elements of input"):
            F.binary_cross_entropy(_t(bad), _t([0.0, 1.0]))
    empty = _t(np.zeros((0,)))
    assert F.binary_cross_entropy(empty, empty, reduction="sum").item() == 0


def _logsig(x):
    return -np.logaddexp(0.0, -x)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_oracle(reduction):
    x = RNG.standard_normal((3, 4)) * 3
    pw = np.array([0.5, 2.0, 1.0, 3.0])
    cases = [
        ({}, -(Y * _logsig(x) + (1 - Y) * _logsig(-x))),
        ({"weight": _t(WB)}, -WB * (Y * _logsig(x) + (1 - Y) * _logsig(-x))),
        ({"pos_weight": _t(pw)}, -(pw * Y * _logsig(x) + (1 - Y) * _logsig(-x))),
        (
            {"pos_weight": _t(pw), "weight": _t(WB)},
            -WB * (pw * Y * _logsig(x) + (1 - Y) * _logsig(-x)),
        ),
    ]
    for kw, want in cases:
        got = F.binary_cross_entropy_with_logits(_t(x), _t(Y), reduction=reduction, **kw)
        np.testing.assert_allclose(got.numpy(), _red(want, reduction), rtol=1e-10)
    big = F.binary_cross_entropy_with_logits(_t([800.0, -800.0]), _t([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(big.numpy(), [800.0, 800.0])


def test_bce_with_logits_gradient():
    x = _t(RNG.standard_normal((3, 4)), grad=True)
    y = _t(Y, grad=True)
    pw = _t([0.5, 2.0, 1.0, 3.0])
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b), (x, y))
    assert gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=_t(WB), pos_weight=pw),
        (x, y),
    )


# --- margin losses ----------------------------------------------------------------------------


def _multi_margin(x, t, p=1, margin=1.0, w=None):
    n, c = x.shape
    xy = x[np.arange(n), t][:, None]
    z = np.maximum(0.0, margin - xy + x) ** p
    z[np.arange(n), t] = 0.0
    if w is not None:
        z = z * w[t][:, None]
    return z.sum(1) / c


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multi_margin_loss_oracle(reduction):
    x = RNG.standard_normal((5, 4))
    t = np.array([0, 3, 2, 2, 1])
    for kw in [{}, {"p": 2}, {"margin": 0.3}, {"p": 2, "margin": 1.7, "w": WC}, {"w": WC}]:
        want = _multi_margin(x, t, **kw)
        kw = dict(kw)
        w = kw.pop("w", None)
        got = F.multi_margin_loss(_t(x), tt.tensor(t), weight=None if w is None else _t(w),
                                  reduction=reduction, **kw)  # fmt: skip
        np.testing.assert_allclose(got.numpy(), _red(want, reduction), rtol=1e-12)
    xv = _t(x, grad=True)
    assert gradcheck(
        lambda a: F.multi_margin_loss(a, tt.tensor(t), p=2, margin=0.5, weight=_t(WC)), (xv,)
    )


def test_multi_margin_loss_1d_and_errors():
    v = np.array([0.2, 0.9, -0.4])
    got = F.multi_margin_loss(_t(v), tt.tensor(1))
    assert got.shape == ()
    assert got.item() == pytest.approx((max(0, 1 - 0.9 + 0.2) + max(0, 1 - 0.9 - 0.4)) / 3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(_t(v), tt.tensor(1), p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: expected \(C,\) or \(N, C\)"):
        F.multi_margin_loss(_t(np.zeros((2, 3, 4))), tt.tensor([0, 1]))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target 3 is out of bounds"):
        F.multi_margin_loss(_t(v), tt.tensor(3))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must have shape \(3,\)"):
        F.multi_margin_loss(_t(v), tt.tensor(1), weight=_t([1.0, 2.0]))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_hinge_embedding_loss_oracle(reduction):
    x = np.array([[0.3, -0.5, 1.4], [2.0, 0.7, -1.0]])
    y = np.array([[1, -1, -1], [1, -1, 1]])
    for margin in (1.0, 0.5):
        want = np.where(y == 1, x, np.maximum(0.0, margin - x))
        got = F.hinge_embedding_loss(_t(x), tt.tensor(y), margin=margin, reduction=reduction)
        np.testing.assert_allclose(got.numpy(), _red(want, reduction), rtol=1e-12)
    assert F.hinge_embedding_loss(_t(x), tt.tensor(y)).item() == pytest.approx(
        np.where(y == 1, x, np.maximum(0.0, 1.0 - x)).mean()
    )
    with pytest.raises(ValueError, match=r"hinge_embedding_loss: input \(2, 3\) and target"):
        F.hinge_embedding_loss(_t(x), tt.tensor([1, -1, 1]))


# --- kl_div -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
def test_kl_div_oracle(reduction):
    logq = _log_softmax(RNG.standard_normal((4, 3)), 1)
    p = np.array([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0], [0.1, 0.6, 0.3]])
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.where(p > 0, p * (np.log(p) - logq), 0.0)
    want = pointwise.sum() / 4 if reduction == "batchmean" else _red(pointwise, reduction)
    got = F.kl_div(_t(logq), _t(p), reduction=reduction).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    lp = np.log(np.clip(p, 1e-3, 1))
    pw = np.exp(lp) * (lp - logq)
    want = pw.sum() / 4 if reduction == "batchmean" else _red(pw, reduction)
    got = F.kl_div(_t(logq), _t(lp), reduction=reduction, log_target=True).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_kl_div_defaults_gradient_and_errors():
    logq = _t(np.log([[0.3, 0.7], [0.6, 0.4]]), grad=True)
    p = _t([[0.0, 1.0], [0.5, 0.5]])
    got = F.kl_div(logq, p)  # default 'mean': over all 4 elements
    want = (np.log(1 / 0.7) + 0.5 * np.log(0.5 / 0.6) + 0.5 * np.log(0.5 / 0.4)) / 4
    assert got.item() == pytest.approx(want)
    got.backward()
    np.testing.assert_allclose(logq.grad.numpy(), -p.numpy() / 4)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True),
                     (_t([[0.1, -0.3]], grad=True), _t([[-1.0, -0.5]], grad=True)))  # fmt: skip
    assert F.kl_div(_t(0.5), _t(0.25), reduction="batchmean").item() == pytest.approx(
        0.25 * (np.log(0.25) - 0.5)
    )
    assert F.kl_div(logq, p, size_average=False).item() == pytest.approx(want * 4)
    np.testing.assert_allclose(  # broadcasting target (2,) against input (2, 2)
        F.kl_div(logq, _t([0.5, 0.5]), reduction="none").detach().numpy(),
        0.5 * (np.log(0.5) - logq.detach().numpy()),
    )
    with pytest.raises(RuntimeError, match=r"kl_div: input of shape \(2, 2\) and target"):
        F.kl_div(logq, _t([0.1, 0.2, 0.7]))
    with pytest.raises(ValueError, match=r"kl_div: reduction must be"):
        F.kl_div(logq, p, reduction="avg")
