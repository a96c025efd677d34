"""The normalisation functions rule by rule against NumPy oracles, NumPy only.

batch/instance norm (statistics axes, biased variance in the output, unbiased in the running
buffers, momentum, eps, either buffer alone, version bumps, evaluation from the buffers, errors),
layer norm (one node forward, one kernel first-order backward, the composite under
create_graph, every weight/bias combination), group norm, rms norm (its eps default),
normalize and local_response_norm (odd and even windows), each with gradients by finite
differences. Their guards (names, saved inputs, out=, compiled calls) are in
test_normalization_guards.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from call_counting import Counting

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.nn.functional import normalization as norm_module
from tinytensor.testing import gradcheck, gradgradcheck

R = np.random.default_rng(77)


def _t(a, grad=False):
    return tt.tensor(np.array(a), requires_grad=grad)


def _np_norm(x, axes, eps):
    mu = x.mean(axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


# --- batch norm ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (2, 3, 2, 3)])
def test_batch_norm_training_numpy_oracle_and_running_update(shape):
    x = R.standard_normal(shape) * 2 + 1
    c = shape[1]
    w, b = R.standard_normal(c), R.standard_normal(c)
    rm0, rv0 = R.standard_normal(c), R.random(c) + 0.5
    rm, rv = _t(rm0), _t(rv0)
    out = F.batch_norm(_t(x), rm, rv, _t(w), _t(b), training=True, momentum=0.3, eps=0.25)
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    want = _np_norm(x, axes, 0.25) * w.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(rm.numpy(), 0.7 * rm0 + 0.3 * x.mean(axes), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.7 * rv0 + 0.3 * x.var(axes, ddof=1), rtol=1e-12)


def test_batch_norm_either_running_buffer_alone_and_float32_buffers():
    x = R.standard_normal((4, 2, 3))
    rm0, rv0 = R.standard_normal(2), R.random(2) + 0.5
    rm = _t(rm0)
    F.batch_norm(_t(x), rm, None, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), 0.5 * rm0 + 0.5 * x.mean((0, 2)), rtol=1e-12)
    rv = _t(rv0)
    F.batch_norm(_t(x), None, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rv.numpy(), 0.5 * rv0 + 0.5 * x.var((0, 2), ddof=1), rtol=1e-12)
    rm32, rv32 = tt.zeros(2), tt.ones(2)
    F.batch_norm(_t(x), rm32, rv32, training=True)  # momentum 0.1 by default
    assert rm32.dtype == tt.float32 and rv32.dtype == tt.float32
    np.testing.assert_allclose(rm32.numpy(), 0.1 * x.mean((0, 2)), rtol=1e-6)
    np.testing.assert_allclose(rv32.numpy(), 0.9 + 0.1 * x.var((0, 2), ddof=1), rtol=1e-6)


def test_batch_norm_training_does_not_bump_the_buffers_versions():
    rm, rv = tt.zeros(2, dtype=tt.float64), tt.ones(2, dtype=tt.float64)
    versions = rm._version, rv._version
    F.batch_norm(_t(R.standard_normal((3, 2))), rm, rv, training=True)
    assert (rm._version, rv._version) == versions
    assert not np.allclose(rm.numpy(), 0.0)


def test_batch_norm_eval_uses_the_running_statistics_and_default_eps():
    x = R.standard_normal((3, 2, 4))
    rm0, rv0 = R.standard_normal(2), np.array([1e-5, 2.0])  # eps matters in channel 0
    w, b = R.standard_normal(2), R.standard_normal(2)
    out = F.batch_norm(_t(x), _t(rm0), _t(rv0), _t(w), _t(b))
    want = (x - rm0[:, None]) / np.sqrt(rv0[:, None] + 1e-5) * w[:, None] + b[:, None]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-13)
    x32 = _t(x).float()
    out32 = F.batch_norm(x32, _t(rm0), _t(rv0), training=False)
    assert out32.dtype == tt.float32
    np.testing.assert_allclose(out32.numpy(), (x - rm0[:, None]) / np.sqrt(rv0[:, None] + 1e-5),
                               rtol=1e-5)  # fmt: skip


def test_batch_norm_weight_only_and_bias_only():
    x = R.standard_normal((4, 3))
    w, b = R.standard_normal(3), R.standard_normal(3)
    base = _np_norm(x, (0,), 1e-5)
    out = F.batch_norm(_t(x), None, None, weight=_t(w), training=True)
    np.testing.assert_allclose(out.numpy(), base * w, rtol=1e-12, atol=1e-13)
    out = F.batch_norm(_t(x), None, None, bias=_t(b), training=True)
    np.testing.assert_allclose(out.numpy(), base + b, rtol=1e-12, atol=1e-13)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"batch_norm: expected at least 2-D input"):
        F.batch_norm(_t(np.ones(3)), None, None, training=True)
    x = _t(R.standard_normal((4, 3)))
    for name in ("running_mean", "running_var", "weight", "bias"):
        with pytest.raises(RuntimeError, match=rf"batch_norm: {name} must have shape \(3,\)"):
            F.batch_norm(x, **{"running_mean": None, "running_var": None, name: tt.ones(4)},
                         training=True)  # fmt: skip
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(_t(np.ones((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(_t(np.ones((1, 3, 1))), None, None, training=True)
    F.batch_norm(_t(R.standard_normal((1, 3, 2))), None, None, training=True)  # 2 values: fine
    for rm, rv in ((None, tt.ones(3)), (tt.zeros(3), None)):
        with pytest.raises(RuntimeError, match="running_mean and running_var are needed"):
            F.batch_norm(x, rm, rv, training=False)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients(training):
    x = _t(R.standard_normal((3, 2, 2)), True)
    w, b = _t(R.standard_normal(2), True), _t(R.standard_normal(2), True)
    rm, rv = R.standard_normal(2), R.random(2) + 0.5

    def fn(x, w, b):
        return F.batch_norm(x, _t(rm), _t(rv), w, b, training=training, eps=0.1)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_count_batch_adds_one_in_place():
    c = tt.tensor(np.array(7, dtype=np.int64))
    data = c._data
    assert norm_module.count_batch(c) is c
    assert int(c.item()) == 8 and c._data is data
    norm_module.count_batch(c)
    assert int(c.item()) == 9


# --- instance norm -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 2, 2, 3)])
def test_instance_norm_numpy_oracle_and_running_update(shape):
    x = R.standard_normal(shape) * 1.5 - 0.5
    n, c = shape[:2]
    w, b = R.standard_normal(c), R.standard_normal(c)
    rm0, rv0 = R.standard_normal(c), R.random(c) + 0.5
    rm, rv = _t(rm0), _t(rv0)
    versions = rm._version, rv._version
    out = F.instance_norm(_t(x), rm, rv, _t(w), _t(b), momentum=0.4, eps=0.2)
    axes = tuple(range(2, len(shape)))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    want = _np_norm(x, axes, 0.2) * w.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(rm.numpy(), 0.6 * rm0 + 0.4 * x.mean(axes).mean(0), rtol=1e-12)
    want_rv = 0.6 * rv0 + 0.4 * x.var(axes, ddof=1).mean(0)
    np.testing.assert_allclose(rv.numpy(), want_rv, rtol=1e-12)
    assert rm._version == versions[0] + 1 and rv._version == versions[1] + 1


def test_instance_norm_one_running_buffer_and_defaults():
    x = R.standard_normal((2, 2, 5))
    rv0 = R.random(2) + 0.5
    rv = _t(rv0)
    out = F.instance_norm(_t(x), None, rv)  # momentum 0.1, eps 1e-5
    np.testing.assert_allclose(out.numpy(), _np_norm(x, (2,), 1e-5), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(rv.numpy(), 0.9 * rv0 + 0.1 * x.var(2, ddof=1).mean(0))
    rm0 = R.random(2)
    rm = _t(rm0)
    F.instance_norm(_t(x), rm, None)
    np.testing.assert_allclose(rm.numpy(), 0.9 * rm0 + 0.1 * x.mean(2).mean(0))


def test_instance_norm_from_running_statistics_and_weight_bias_alone():
    x = R.standard_normal((2, 3, 4))
    rm, rv = R.standard_normal(3), np.array([1e-5, 1.0, 3.0])
    w, b = R.standard_normal(3), R.standard_normal(3)
    base = (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5)
    out = F.instance_norm(_t(x), _t(rm), _t(rv), use_input_stats=False)
    np.testing.assert_allclose(out.numpy(), base, rtol=1e-12, atol=1e-13)
    out = F.instance_norm(_t(x), _t(rm), _t(rv), weight=_t(w), use_input_stats=False)
    np.testing.assert_allclose(out.numpy(), base * w[:, None], rtol=1e-12, atol=1e-13)
    out = F.instance_norm(_t(x), _t(rm), _t(rv), bias=_t(b), use_input_stats=False)
    np.testing.assert_allclose(out.numpy(), base + b[:, None], rtol=1e-12, atol=1e-13)


def test_instance_norm_errors_and_gradients():
    with pytest.raises(ValueError, match="instance_norm: expected input"):
        F.instance_norm(_t(np.ones((2, 3))))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(_t(np.ones((2, 3, 1))))
    F.instance_norm(_t(R.standard_normal((1, 1, 2))))  # two elements: fine
    for rm, rv in ((None, tt.ones(3)), (tt.zeros(3), None)):
        with pytest.raises(RuntimeError, match="use_input_stats=False needs running_mean"):
            F.instance_norm(_t(np.ones((2, 3, 4))), rm, rv, use_input_stats=False)
    x = _t(R.standard_normal((2, 2, 3)), True)
    w, b = _t(R.standard_normal(2), True), _t(R.standard_normal(2), True)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=0.1), (x, w, b))


# --- layer norm ----------------------------------------------------------------------------------

LN_CASES = {
    "weight-and-bias": (True, True),
    "weight-only": (True, False),
    "bias-only": (False, True),
    "neither": (False, False),
}


def _ln_args(has_w, has_b, shape=(2, 3, 4), k=2):
    x = _t(R.standard_normal(shape) * 2 + 0.5, True)
    ns = shape[len(shape) - k :]
    w = _t(R.standard_normal(ns), True) if has_w else None
    b = _t(R.standard_normal(ns), True) if has_b else None
    return x, ns, w, b


@pytest.mark.parametrize("case", list(LN_CASES))
def test_layer_norm_numpy_oracle_one_node(case):
    x, ns, w, b = _ln_args(*LN_CASES[case])
    out = F.layer_norm(x, ns, w, b, eps=0.3)
    assert out.grad_fn.name() == "NativeLayerNormBackward"
    want = _np_norm(x.detach().numpy(), (1, 2), 0.3)
    if w is not None:
        want = want * w.detach().numpy()
    if b is not None:
        want = want + b.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-13)


def test_layer_norm_int_shape_and_default_eps():
    x = np.array([[0.0, 1e-3], [2.0, -2.0]])
    out = F.layer_norm(_t(x), 2).numpy()
    np.testing.assert_allclose(out, _np_norm(x, (1,), 1e-5), rtol=1e-12)
    assert abs(out[0, 1]) < 0.2  # eps dominates the tiny variance


@pytest.mark.parametrize("case", list(LN_CASES))
def test_layer_norm_first_order_gradients_against_the_formula(case):
    x, ns, w, b = _ln_args(*LN_CASES[case])
    g = R.standard_normal(tuple(x.shape))
    out = F.layer_norm(x, ns, w, b, eps=0.3)
    out.backward(tt.tensor(g))
    xd = x.detach().numpy()
    xhat = _np_norm(xd, (1, 2), 0.3)
    rstd = 1 / np.sqrt(xd.var((1, 2), keepdims=True) + 0.3)
    dxhat = g * (1.0 if w is None else w.detach().numpy())
    dx = rstd * (dxhat - dxhat.mean((1, 2), keepdims=True)
                 - xhat * (dxhat * xhat).mean((1, 2), keepdims=True))  # fmt: skip
    np.testing.assert_allclose(x.grad.numpy(), dx, rtol=1e-11, atol=1e-13)
    if w is not None:
        np.testing.assert_allclose(w.grad.numpy(), (g * xhat).sum(0), rtol=1e-11, atol=1e-13)
    if b is not None:
        np.testing.assert_allclose(b.grad.numpy(), g.sum(0), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("case", list(LN_CASES))
def test_layer_norm_gradcheck_and_second_order(case):
    x, ns, w, b = _ln_args(*LN_CASES[case], shape=(2, 3), k=1)
    args = tuple(a for a in (x, w, b) if a is not None)

    def fn(*a):
        it = iter(a)
        xx = next(it)
        ww = next(it) if w is not None else None
        bb = next(it) if b is not None else None
        return F.layer_norm(xx, ns, ww, bb, eps=0.2)

    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_layer_norm_first_order_backward_is_one_kernel(monkeypatch):
    counting = Counting(norm_module.LAYER_NORM_GRAD)
    monkeypatch.setattr(norm_module, "LAYER_NORM_GRAD", counting)
    x, ns, w, b = _ln_args(True, True)
    out = F.layer_norm(x, ns, w, b)
    g = tt.tensor(R.standard_normal(tuple(x.shape)))
    first = tt.autograd.grad([out], [x, w, b], [g])
    assert counting.count == 1
    again = tt.autograd.grad([F.layer_norm(x, ns, w, b)], [x, w, b], [g], create_graph=True)
    assert counting.count == 1  # the composite path: no kernel, a graph
    assert again[0].requires_grad and again[1].requires_grad
    for a, c in zip(first, again):
        np.testing.assert_allclose(a.numpy(), c.detach().numpy(), rtol=1e-11, atol=1e-13)


def test_layer_norm_errors():
    x = _t(np.ones((2, 3)))
    for ns in ((), (2,), (4, 2, 3), (3, 2)):
        with pytest.raises(RuntimeError, match="layer_norm: normalized_shape"):
            F.layer_norm(x, ns)
    F.layer_norm(x, (2, 3))  # every dim: fine


# --- group norm ----------------------------------------------------------------------------------


def test_group_norm_numpy_oracle_and_gradients():
    x = R.standard_normal((2, 4, 3)) * 2
    w, b = R.standard_normal(4), R.standard_normal(4)
    out = F.group_norm(_t(x), 2, _t(w), _t(b), eps=0.3).numpy()
    want = _np_norm(x.reshape(2, 2, 6), (2,), 0.3).reshape(x.shape) * w[:, None] + b[:, None]
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-13)
    x4 = R.standard_normal((1, 6, 2, 2))
    out = F.group_norm(_t(x4), 3).numpy()  # no weight or bias, default eps
    np.testing.assert_allclose(out, _np_norm(x4.reshape(1, 3, 8), (2,), 1e-5).reshape(x4.shape),
                               rtol=1e-12, atol=1e-13)  # fmt: skip
    out = F.group_norm(_t(x), 4, weight=_t(w)).numpy()
    np.testing.assert_allclose(out, _np_norm(x, (2,), 1e-5) * w[:, None], rtol=1e-12, atol=1e-13)
    out = F.group_norm(_t(x), 1, bias=_t(b)).numpy()
    np.testing.assert_allclose(out, _np_norm(x, (1, 2), 1e-5) + b[:, None], rtol=1e-12,
                               atol=1e-13)  # fmt: skip
    args = (_t(x[:1], True), _t(w, True), _t(b, True))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b, eps=0.1), args)


def test_group_norm_errors():
    x = _t(np.ones((2, 4, 3)))
    with pytest.raises(RuntimeError, match="4 channels are not divisible into 3 groups"):
        F.group_norm(x, 3)
    for name in ("weight", "bias"):
        with pytest.raises(RuntimeError, match=rf"has 4 channels but {name} has shape \(3,\)"):
            F.group_norm(x, 2, **{name: tt.ones(3)})


# --- rms norm, normalize, local response norm ---------------------------------------------------


def test_rms_norm_numpy_oracle_and_eps_default():
    x = R.standard_normal((2, 3, 4))
    w = R.standard_normal((3, 4))
    out = F.rms_norm(_t(x), (3, 4), _t(w), eps=0.5).numpy()
    want = x / np.sqrt((x * x).mean((1, 2), keepdims=True) + 0.5) * w
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-13)
    out = F.rms_norm(_t(x), 4).numpy()
    want = x / np.sqrt((x * x).mean(-1, keepdims=True) + np.finfo(np.float64).eps)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-13)
    tiny = np.full((1, 2), 1e-8)  # mean(x^2) = 1e-16: eps (2.2e-16 in float64) is visible
    want = 1e-8 / np.sqrt(1e-16 + np.finfo(np.float64).eps)
    np.testing.assert_allclose(F.rms_norm(_t(tiny), [2]).numpy(), want, rtol=1e-12)
    tiny32 = _t(np.full((1, 2), 1e-3)).float()  # float32: eps 1.19e-7 against mean(x^2) = 1e-6
    want32 = 1e-3 / np.sqrt(1e-6 + np.finfo(np.float32).eps)
    np.testing.assert_allclose(F.rms_norm(tiny32, 2).numpy(), want32, rtol=1e-5)
    args = (_t(x[0], True), _t(w[0], True))
    assert gradcheck(lambda x, w: F.rms_norm(x, (4,), w, eps=0.1), args)


def test_rms_norm_errors():
    x = _t(np.ones((2, 3)))
    for ns in ((), (2,), (1, 2, 3)):
        with pytest.raises(RuntimeError, match="rms_norm: normalized_shape"):
            F.rms_norm(x, ns)


def test_normalize_p_dim_and_eps():
    x = R.standard_normal((3, 4))
    out = F.normalize(_t(x)).numpy()  # p=2 over dim 1
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-12)
    out = F.normalize(_t(x), p=1.0, dim=0).numpy()
    np.testing.assert_allclose(out, x / np.abs(x).sum(0, keepdims=True), rtol=1e-12)
    small = np.array([[3e-13, 4e-13], [3.0, 4.0]])
    out = F.normalize(_t(small)).numpy()  # row 0's norm 5e-13 < eps 1e-12: divided by eps
    np.testing.assert_allclose(out, [[0.3, 0.4], [0.6, 0.8]], rtol=1e-12)
    out = F.normalize(_t(small), eps=1e-14).numpy()
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.6, 0.8]], rtol=1e-12)
    assert gradcheck(lambda x: F.normalize(x, p=3.0, dim=0), (_t(x, True),))


def _np_lrn(x, size, alpha, beta, k):
    c = x.shape[1]
    sq = x * x
    out = np.empty_like(x)
    for i in range(c):
        lo, hi = max(0, i - size // 2), min(c, i + (size - 1) // 2 + 1)
        out[:, i] = x[:, i] / (k + alpha / size * sq[:, lo:hi].sum(1)) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_numpy_oracle(size):
    x = R.standard_normal((2, 5, 3)) * 3
    out = F.local_response_norm(_t(x), size, alpha=0.5, beta=0.6, k=2.0).numpy()
    np.testing.assert_allclose(out, _np_lrn(x, size, 0.5, 0.6, 2.0), rtol=1e-12, atol=1e-13)
    x4 = R.standard_normal((1, 4, 2, 2)) * 10
    out = F.local_response_norm(_t(x4), size).numpy()  # defaults 1e-4, 0.75, 1.0
    np.testing.assert_allclose(out, _np_lrn(x4, size, 1e-4, 0.75, 1.0), rtol=1e-12, atol=1e-13)


def test_local_response_norm_errors_empty_and_gradients():
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input \(got 2"):
        F.local_response_norm(_t(np.ones((2, 3))), 2)
    empty = _t(np.ones((0, 3, 2)))
    assert tuple(F.local_response_norm(empty, 2).shape) == (0, 3, 2)
    x = _t(R.standard_normal((1, 4, 2)), True)
    assert gradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.6, k=1.5), (x,))
