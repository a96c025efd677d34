"""NumPy-only oracles for rules a PyTorch comparison used to be the only guard of: BatchNorm's
running statistics, cross-entropy label smoothing, and ``c ** x`` in float64. Each test states
the rule in NumPy, so it fails without torch installed when the rule is broken (a biased
running variance, smoothing over C - 1 classes, ``log(c)`` taken in float32, ...)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn

RNG = np.random.default_rng(1234)


# --- BatchNorm: unbiased variance in running_var, biased in the normalisation, momentum rule --


def _bn_reference(x, axes, rm, rv, momentum, eps, w, b):
    """One training step: output, new running mean, new running var (NumPy, float64)."""
    n = math.prod(x.shape[a] for a in axes)
    mean = x.mean(axis=axes)
    var_biased = x.var(axis=axes)
    var_unbiased = var_biased * n / (n - 1)
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    y = (x - mean.reshape(shape)) / np.sqrt(var_biased.reshape(shape) + eps)
    y = y * w.reshape(shape) + b.reshape(shape)
    return y, (1 - momentum) * rm + momentum * mean, (1 - momentum) * rv + momentum * var_unbiased


@pytest.mark.parametrize(
    ("layer", "shape", "axes"),
    [
        (nn.BatchNorm1d, (6, 3), (0,)),
        (nn.BatchNorm1d, (4, 3, 5), (0, 2)),
        (nn.BatchNorm2d, (3, 2, 4, 5), (0, 2, 3)),
    ],
    ids=["bn1d-2d_input", "bn1d-3d_input", "bn2d"],
)
def test_batch_norm_running_stats_follow_the_momentum_rule_with_unbiased_variance(
    layer, shape, axes
):
    momentum, eps = 0.3, 1e-5
    bn = layer(shape[1], momentum=momentum, eps=eps).double()
    w = RNG.uniform(0.5, 1.5, shape[1])
    b = RNG.standard_normal(shape[1])
    with tt.no_grad():
        bn.weight.copy_(tt.tensor(w))
        bn.bias.copy_(tt.tensor(b))
    rm, rv = np.zeros(shape[1]), np.ones(shape[1])
    for step in range(3):  # several steps: the rule compounds
        x = RNG.standard_normal(shape) * (step + 1.5) + step
        y = bn(tt.tensor(x)).detach().numpy()
        y_ref, rm, rv = _bn_reference(x, axes, rm, rv, momentum, eps, w, b)
        np.testing.assert_allclose(y, y_ref, rtol=1e-10, atol=1e-12, err_msg="normalisation")
        np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12, err_msg="running_mean")
        np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12, err_msg="running_var")
    assert int(bn.num_batches_tracked.item()) == 3

    bn.eval()
    x = RNG.standard_normal(shape)
    shp = [1] * len(shape)
    shp[1] = shape[1]
    expected = (x - rm.reshape(shp)) / np.sqrt(rv.reshape(shp) + eps) * w.reshape(shp)
    expected += b.reshape(shp)
    np.testing.assert_allclose(bn(tt.tensor(x)).detach().numpy(), expected, rtol=1e-10)


def test_functional_batch_norm_updates_given_buffers_with_the_same_rule():
    x = RNG.standard_normal((5, 4))
    rm, rv = tt.tensor(np.full(4, 0.5)), tt.tensor(np.full(4, 2.0))
    F.batch_norm(tt.tensor(x), rm, rv, training=True, momentum=0.25)
    np.testing.assert_allclose(rm.numpy(), 0.75 * 0.5 + 0.25 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 * 2.0 + 0.25 * x.var(0, ddof=1), rtol=1e-12)


# --- cross-entropy with label smoothing ---------------------------------------------------------


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _smoothed_ce(z, y, eps, weight=None, ignore_index=-100, reduction="mean"):
    """PyTorch's rule: per sample (1 - eps) * w[y] * -logp[y] + eps / C * sum_c w[c] * -logp[c];
    ignored samples count 0; 'mean' divides by the sum of w[y] over the kept samples."""
    n, c = z.shape
    w = np.ones(c) if weight is None else weight
    logp = _log_softmax(z)
    keep = y != ignore_index
    ys = np.where(keep, y, 0)
    nll = -logp[np.arange(n), ys] * w[ys]
    smooth = -(logp * w).sum(axis=1)
    per = np.where(keep, (1 - eps) * nll + eps / c * smooth, 0.0)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / (w[ys] * keep).sum()


CE_CASES = {
    "plain": {},
    "weight": {"weight": np.array([0.5, 2.0, 1.0, 0.25])},
    "ignore_index": {"ignore_index": 1},
    "weight_ignore_index": {"weight": np.array([0.5, 2.0, 1.0, 0.25]), "ignore_index": 2},
    "sum": {"reduction": "sum"},
    "none": {"reduction": "none"},
}


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.7])
@pytest.mark.parametrize("name", list(CE_CASES))
def test_cross_entropy_label_smoothing_matches_the_numpy_formula(name, eps):
    kw = CE_CASES[name]
    z = RNG.standard_normal((6, 4)) * 2
    y = np.array([0, 1, 2, 3, 1, 2])
    ref = _smoothed_ce(z, y, eps, **kw)
    t_kw = {k: tt.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    x = tt.tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, tt.tensor(y), label_smoothing=eps, **t_kw)
    np.testing.assert_allclose(loss.detach().numpy(), ref, rtol=1e-12, atol=1e-14)
    module = nn.CrossEntropyLoss(label_smoothing=eps, **t_kw)
    np.testing.assert_allclose(module(x, tt.tensor(y)).detach().numpy(), ref, rtol=1e-12)


def test_cross_entropy_label_smoothing_gradient_is_softmax_minus_smoothed_target():
    """d/dz mean_i CE = (softmax(z) - q) / N with q = (1 - eps) one_hot(y) + eps / C."""
    eps, (n, c) = 0.2, (5, 3)
    z = RNG.standard_normal((n, c))
    y = np.array([0, 2, 1, 1, 0])
    x = tt.tensor(z, requires_grad=True)
    F.cross_entropy(x, tt.tensor(y), label_smoothing=eps).backward()
    q = (1 - eps) * np.eye(c)[y] + eps / c
    np.testing.assert_allclose(x.grad.numpy(), (np.exp(_log_softmax(z)) - q) / n, rtol=1e-12)


def test_cross_entropy_with_probability_targets_and_smoothing():
    """Probability targets are smoothed the same way: q = (1 - eps) p + eps / C."""
    eps = 0.3
    z = RNG.standard_normal((4, 5))
    p = RNG.dirichlet(np.ones(5), size=4)
    loss = F.cross_entropy(tt.tensor(z), tt.tensor(p), label_smoothing=eps)
    q = (1 - eps) * p + eps / 5
    assert loss.item() == pytest.approx(-(q * _log_softmax(z)).sum(1).mean(), rel=1e-12)


# --- c ** x in float64 ---------------------------------------------------------------------------


@pytest.mark.parametrize("c", [2.0, 0.5, 10.0, 3, math.e, 1e-3, 123.456], ids=str)
def test_python_number_to_a_float64_tensor_power_is_exact_in_float64(c):
    """y = c ** x, dy/dx = c ** x * log(c): both to 1e-12 relative, computed in float64 (a log(c)
    or a result rounded through float32 is off by ~1e-8)."""
    xv = np.array([-2.5, -0.3, 0.0, 0.7, 1.9, 4.1])
    x = tt.tensor(xv, dtype=tt.float64, requires_grad=True)
    y = c**x
    assert y.dtype == tt.float64
    expected = np.float64(c) ** xv
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12, atol=0)
    y.backward(tt.ones_like(y))
    np.testing.assert_allclose(
        x.grad.numpy(), expected * np.log(np.float64(c)), rtol=1e-12, atol=1e-300
    )
