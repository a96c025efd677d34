"""NumPy-only tests that pin each rule of the loss functions and their argument helpers
(``nn/functional/_util.py``, ``nn/functional/loss.py``) tightly enough that a one-line bug
(a flipped comparison, a dropped branch, a wrong default, a swapped argument) fails a test.

Every expected value comes from a NumPy oracle written out here, or from a hand-derived
constant; gradients are checked against central differences in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.nn.functional._util import (
    check_reduction,
    float_input,
    legacy_reduction,
    loss_weight,
    pair,
    reduce_loss,
    same_dtype,
    weighted_loss,
)
from tinytensor.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(2026)


def _red(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _t(a, grad=False):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# --- _util helpers ---------------------------------------------------------------------------


def test_pair_accepts_int_pair_and_singleton():
    assert pair(3, "k", "op") == (3, 3)
    assert pair(np.int64(4), "k", "op") == (4, 4)
    assert pair((2, 5), "k", "op") == (2, 5)
    assert pair([np.int32(1), 6], "k", "op") == (1, 6)
    assert pair((7,), "k", "op") == (7, 7)
    assert pair([8], "k", "op") == (8, 8)
    assert all(type(v) is int for v in pair((np.int64(2), np.int64(3)), "k", "op"))


@pytest.mark.parametrize("bad", [True, (True, 2), (2, False), 2.0, (2.0, 3), "3", None])
def test_pair_rejects_bools_and_non_ints_with_type_error(bad):
    with pytest.raises(TypeError, match=r"myop: kernel_size must be an int or a pair"):
        pair(bad, "kernel_size", "myop")


@pytest.mark.parametrize("bad", [(1, 2, 3), [], (4, 5, 6, 7)])
def test_pair_wrong_count_of_ints_is_runtime_error(bad):
    with pytest.raises(RuntimeError, match=r"myop: stride must either be a single int"):
        pair(bad, "stride", "myop")


def test_float_input_converts_and_names_op():
    x = float_input([1.5, 2.0], "myop")
    assert isinstance(x, tt.Tensor) and x.dtype == tt.float32
    y = tt.tensor([1.0, 2.0], dtype=tt.float64)
    assert float_input(y, "myop") is y
    with pytest.raises(TypeError, match=r"myop: expected a floating point target, got dtype"):
        float_input(tt.tensor([1, 2]), "myop", "target")
    with pytest.raises(TypeError, match=r"myop: expected a floating point input"):
        float_input(tt.tensor([True, False]), "myop")


def test_same_dtype():
    a = tt.tensor([1.0], dtype=tt.float32)
    b = tt.tensor([1.0], dtype=tt.float64)
    same_dtype("op", x=a, y=tt.tensor([2.0]), z=None)  # all float32: fine
    with pytest.raises(TypeError, match=r"op: x has dtype .* but y has dtype"):
        same_dtype("op", x=a, y=b)
    with pytest.raises(TypeError, match=r"but z has dtype"):
        same_dtype("op", w=None, x=a, y=a, z=b)


@pytest.mark.parametrize(
    "size_average, reduce, expect",
    [
        (None, None, "REDUCTION"),
        (True, None, "mean"),
        (False, None, "sum"),
        (None, True, "mean"),
        (None, False, "none"),
        (True, True, "mean"),
        (False, True, "sum"),
        (True, False, "none"),
        (False, False, "none"),
    ],
)
def test_legacy_reduction_table(size_average, reduce, expect):
    assert legacy_reduction(size_average, reduce, "REDUCTION") == expect


def test_check_reduction():
    for r in ("mean", "sum", "none"):
        check_reduction(r, "op")
    for r in ("Mean", "batchmean", None, "avg"):
        with pytest.raises(ValueError, match=r"op: reduction must be 'mean', 'sum' or 'none'"):
            check_reduction(r, "op")


def test_reduce_loss_and_weighted_loss():
    v = np.array([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]])
    w = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, 3.0]])
    assert reduce_loss(_t(v), "mean").item() == pytest.approx(4.0)
    assert reduce_loss(_t(v), "sum").item() == pytest.approx(24.0)
    np.testing.assert_array_equal(reduce_loss(_t(v), "none").numpy(), v)
    got = weighted_loss(_t(v), _t(w), "mean").item()
    assert got == pytest.approx((v * w).sum() / w.sum())
    assert weighted_loss(_t(v), _t(w), "sum").item() == pytest.approx((v * w).sum())
    np.testing.assert_allclose(weighted_loss(_t(v), _t(w), "none").numpy(), v * w)


def test_loss_weight_shape_check():
    x = _t(np.zeros((2, 3)))
    w = loss_weight(np.ones((2, 3)), x, "op")
    assert tuple(w.shape) == (2, 3)
    for shape in [(3,), (3, 2), (1, 3), (2, 3, 1)]:
        with pytest.raises(ValueError, match=r"op: Weights and input must have the same size"):
            loss_weight(np.ones(shape), x, "op")


@pytest.mark.parametrize("name", ["mse_loss", "huber_loss", "smooth_l1_loss"])
def test_saves_makes_inplace_change_of_target_an_error(name):
    x = _t(RNG.standard_normal((3, 4)), grad=True)
    t = _t(RNG.standard_normal((3, 4)))
    out = getattr(F, name)(x, t)
    t.add_(1.0)
    with pytest.raises(RuntimeError):
        out.backward()
    # unchanged, backward runs
    out = getattr(F, name)(x, t)
    out.backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad.numpy()))


def test_saves_passes_through_when_no_grad():
    x, t = _t([1.0, 2.0]), _t([0.0, 0.0])
    out = F.mse_loss(x, t)
    assert out.grad_fn is None
    assert out.item() == pytest.approx(2.5)


# --- pointwise losses ------------------------------------------------------------------------

X = RNG.standard_normal((3, 5))
T = RNG.standard_normal((3, 5))
W = RNG.uniform(0.2, 2.0, (3, 5))


def _huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _smooth_l1(d, beta):
    a = np.abs(d)
    return a if beta == 0 else np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_pointwise_losses_numpy_oracles(reduction):
    d = X - T
    cases = [
        (F.mse_loss(_t(X), _t(T), reduction=reduction), d * d),
        (F.l1_loss(_t(X), _t(T), reduction=reduction), np.abs(d)),
        (F.huber_loss(_t(X), _t(T), reduction=reduction, delta=0.7), _huber(d, 0.7)),
        (F.huber_loss(_t(X), _t(T), reduction=reduction), _huber(d, 1.0)),
        (F.smooth_l1_loss(_t(X), _t(T), reduction=reduction, beta=0.6), _smooth_l1(d, 0.6)),
        (F.smooth_l1_loss(_t(X), _t(T), reduction=reduction), _smooth_l1(d, 1.0)),
        (F.smooth_l1_loss(_t(X), _t(T), reduction=reduction, beta=0.0), np.abs(d)),
    ]
    for got, elements in cases:
        np.testing.assert_allclose(got.numpy(), _red(elements, reduction), rtol=1e-12)


def test_pointwise_default_reduction_is_mean_and_legacy_flags_apply():
    d = X - T
    assert F.mse_loss(_t(X), _t(T)).item() == pytest.approx((d * d).mean())
    assert F.l1_loss(_t(X), _t(T)).item() == pytest.approx(np.abs(d).mean())
    assert F.mse_loss(_t(X), _t(T), size_average=False).item() == pytest.approx((d * d).sum())
    assert F.l1_loss(_t(X), _t(T), size_average=False).item() == pytest.approx(np.abs(d).sum())
    np.testing.assert_allclose(F.mse_loss(_t(X), _t(T), reduce=False).numpy(), d * d)
    got = F.smooth_l1_loss(_t(X), _t(T), size_average=False).item()
    assert got == pytest.approx(_smooth_l1(d, 1.0).sum())


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_weighted_pointwise_losses(reduction):
    d = X - T
    for name, e in [("mse_loss", d * d), ("l1_loss", np.abs(d))]:
        got = getattr(F, name)(_t(X), _t(T), reduction=reduction, weight=_t(W)).numpy()
        want = (e * W).sum() / W.sum() if reduction == "mean" else _red(e * W, reduction)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    got = F.huber_loss(_t(X), _t(T), reduction=reduction, delta=0.5, weight=_t(W)).numpy()
    np.testing.assert_allclose(got, _red(_huber(d, 0.5) * W, reduction), rtol=1e-12)


def test_huber_and_smooth_l1_boundary_uses_the_quadratic_below_only():
    # |d| == delta exactly: both branches agree in value; just above/below they differ in
    # slope, which the gradient shows: d/dx = d/delta (quadratic) vs sign(d) (linear).
    x = _t([0.5, 1.5, -0.25, 3.0], grad=True)
    t = _t([0.0, 0.0, 0.0, 0.0])
    F.huber_loss(x, t, reduction="sum", delta=1.0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1.0, -0.25, 1.0])
    x.grad = None
    F.smooth_l1_loss(x, t, reduction="sum", beta=2.0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.25, 0.75, -0.125, 1.0])
    x.grad = None
    F.huber_loss(x, t, reduction="sum", delta=2.0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1.5, -0.25, 2.0])


def test_pointwise_gradients_float64():
    x = _t(X, grad=True)
    t = _t(T, grad=True)
    w = _t(W)
    for fn in [
        lambda a, b: F.mse_loss(a, b),
        lambda a, b: F.l1_loss(a, b, reduction="sum"),
        lambda a, b: F.mse_loss(a, b, weight=w),
        lambda a, b: F.l1_loss(a, b, weight=w),
        lambda a, b: F.huber_loss(a, b, delta=0.8, weight=w),
        lambda a, b: F.smooth_l1_loss(a, b, beta=0.9),
        lambda a, b: F.smooth_l1_loss(a, b, beta=0.0, reduction="sum"),
    ]:
        assert gradcheck(fn, (x, t))
    assert gradgradcheck(lambda a, b: F.mse_loss(a, b, weight=w), (x, t))


def test_pointwise_argument_errors():
    with pytest.raises(RuntimeError, match=r"mse_loss: shapes \(3, 5\) and \(3, 4\) cannot be"):
        F.mse_loss(_t(X), _t(T[:, :4]))  # another shape broadcasts, as PyTorch: these do not
    with pytest.raises(ValueError, match=r"l1_loss: reduction must be"):
        F.l1_loss(_t(X), _t(T), reduction="avg")
    with pytest.raises(TypeError, match=r"mse_loss: expected a floating point target"):
        F.mse_loss(_t(X), tt.tensor(np.zeros((3, 5), np.int64)))
    for delta in (0.0, -1.0):
        with pytest.raises(RuntimeError, match=r"huber_loss: delta must be positive"):
            F.huber_loss(_t(X), _t(T), delta=delta)
    with pytest.raises(RuntimeError, match=r"smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(_t(X), _t(T), beta=-0.1)
    with pytest.raises(ValueError, match=r"huber_loss: Weights and input"):
        F.huber_loss(_t(X), _t(T), weight=_t(W[0]))
    with pytest.raises(ValueError, match=r"l1_loss: Weights and input"):
        F.l1_loss(_t(X), _t(T), weight=_t(W[:, :2]))


def test_float_input_names_op_for_unconvertible_values_and_suggests_float():
    with pytest.raises(TypeError, match=r"^mse_loss: expected a Tensor or a number, got object"):
        F.mse_loss(object(), _t([1.0]))
    with pytest.raises(TypeError, match=r"convert it with \.float\(\)$"):
        float_input(tt.tensor([1, 2]), "myop")
    # plain Python values are converted, not rejected
    assert F.mse_loss([1.0, 2.0], [0.0, 1.0]).item() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name, node",
    [("mse_loss", "MseLoss"), ("huber_loss", "HuberLoss"), ("smooth_l1_loss", "SmoothL1Loss")],
)
def test_saves_node_is_named_and_reused(name, node):
    x = _t([1.0, -2.0, 0.5], grad=True)
    t = _t([0.0, 0.0, 0.0])
    out = getattr(F, name)(x, t, reduction="sum")
    assert out.grad_fn.name() == f"{node}Backward"
    out2 = getattr(F, name)(x, t, reduction="sum")  # the cached primitive: same node name
    assert out2.grad_fn.name() == f"{node}Backward"
    out.backward()
    g = x.grad.numpy().copy()
    x.grad = None
    out2.backward()
    np.testing.assert_array_equal(x.grad.numpy(), g)
    assert out.item() == out2.item() == pytest.approx({"MseLoss": 5.25, "HuberLoss": 2.125,
                                                       "SmoothL1Loss": 2.125}[node])  # fmt: skip


def test_pair_singleton_error_keeps_names():
    with pytest.raises(TypeError, match=r"^myop: padding must be an int or a pair of ints"):
        pair([2.5], "padding", "myop")
    with pytest.raises(RuntimeError, match=r"^myop: padding must either be a single int"):
        pair([[1, 2, 3]], "padding", "myop")


def test_saves_records_a_fresh_node_with_the_value_and_identity_gradient():
    from tinytensor.nn.functional._util import saves

    x = _t([1.0, -2.0, 3.0], grad=True)
    keep = _t([5.0, 6.0, 7.0])
    y = x * 2.0
    out = saves(y, "MutantProbeNode", x, keep)
    assert out is not y and out.grad_fn.name() == "MutantProbeNodeBackward"
    np.testing.assert_array_equal(out.detach().numpy(), [2.0, -4.0, 6.0])
    (out * _t([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0, 200.0])
    out = saves(x * 2.0, "MutantProbeNode", x, keep)  # the cached node: same behaviour
    assert out.grad_fn.name() == "MutantProbeNodeBackward"
    keep.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
        out.sum().backward()
    plain = _t([1.0])
    assert saves(plain, "MutantProbeNode", x) is plain
