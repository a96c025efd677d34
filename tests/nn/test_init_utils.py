"""nn.init (distributions, fans, gains, seeding) and nn.utils (clipping, vector round trips)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt

init = tt.nn.init
utils = tt.nn.utils


@pytest.mark.torch
@pytest.mark.parametrize(
    "nonlinearity,param",
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)],
)  # fmt: skip
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param)
    )


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize(
    "fn,kwargs,expected_std",
    [
        (init.xavier_uniform_, {}, math.sqrt(2 / (60 + 40))),
        (init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / (60 + 40))),
        (init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(2 / 60)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 40)),
        (init.normal_, {"std": 0.3}, 0.3),
        (init.uniform_, {"a": -2.0, "b": 2.0}, 4 / math.sqrt(12)),
        (init.trunc_normal_, {"std": 1.0, "a": -0.5, "b": 0.5}, None),
    ],
)
def test_random_initialisers_have_the_right_spread_and_are_seeded(fn, kwargs, expected_std):
    w = tt.empty(40, 60, requires_grad=True)  # fan_in 60, fan_out 40
    tt.manual_seed(5)
    assert fn(w, **kwargs) is w
    first = w.numpy(force=True).copy()
    if expected_std is not None:
        assert first.std() == pytest.approx(expected_std, rel=0.05)
    else:
        assert first.min() >= -0.5 and first.max() <= 0.5
    tt.manual_seed(5)
    fn(w, **kwargs)
    np.testing.assert_array_equal(w.numpy(force=True), first)
    assert w.grad_fn is None and w.requires_grad  # filled in place, outside the graph


def test_kaiming_uniform_bound_and_fans_for_conv_weights():
    w = tt.empty(8, 4, 3, 3)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.numpy()).max() <= 1 / math.sqrt(36)
    assert init._calculate_fan_in_and_fan_out(w) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tt.empty(5))
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_deterministic_initialisers():
    w = tt.empty(3, 4)
    assert (init.constant_(w, 0.5).numpy() == 0.5).all()
    assert (init.zeros_(w).numpy() == 0).all()
    assert (init.ones_(w).numpy() == 1).all()
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(tt.empty(2, 2, 2))
    q = init.orthogonal_(tt.empty(4, 6)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)


def test_initialiser_bumps_the_version_so_saved_tensors_are_protected():
    w = tt.randn(3, requires_grad=True)
    y = (w * w).sum()
    init.zeros_(w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def _params_with_grads(seed=0):
    r = np.random.default_rng(seed)
    ps = [
        tt.nn.Parameter(tt.tensor(r.standard_normal(s).astype(np.float32))) for s in [(3, 4), (5,)]
    ]
    for p in ps:
        p.grad = tt.tensor(r.standard_normal(p.shape).astype(np.float32) * 3)
    return ps


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ours = _params_with_grads()
    ref = [torch.nn.Parameter(torch.tensor(p.numpy(force=True))) for p in ours]
    for p, q in zip(ours, ref):
        q.grad = torch.tensor(p.grad.numpy())
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-5)
    for p, q in zip(ours, ref):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5)


def test_clip_grad_norm_nonfinite_and_value_clipping():
    ps = _params_with_grads()
    ps[0].grad._data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    ps = _params_with_grads()
    utils.clip_grad_value_(ps, 0.5)
    assert all(np.abs(p.grad.numpy()).max() <= 0.5 for p in ps)
    assert utils.clip_grad_norm_([tt.nn.Parameter(tt.ones(2))], 1.0).item() == 0.0


def test_parameters_to_vector_and_back():
    m = tt.nn.Linear(3, 2)
    v = utils.parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    np.testing.assert_array_equal(v.numpy(force=True)[:6], m.weight.numpy(force=True).ravel())
    utils.vector_to_parameters(tt.arange(8, dtype=tt.float32), m.parameters())
    np.testing.assert_array_equal(m.bias.numpy(force=True), [6, 7])
    v = utils.parameters_to_vector(m.parameters())
    (v * v).sum().backward()  # differentiable
    np.testing.assert_allclose(m.bias.grad.numpy(), [12, 14])
    with pytest.raises(ValueError, match="8 elements"):
        utils.vector_to_parameters(tt.zeros(5), m.parameters())
