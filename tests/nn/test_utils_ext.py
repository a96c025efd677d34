"""nn.utils: parametrize, parametrizations (weight_norm, spectral_norm, orthogonal), the hook
style weight_norm/spectral_norm, gradient clipping, BatchNorm fusion, functional_call.

PyTorch comparisons run in float64 from the same weights (and, for spectral norm, the same
u and v vectors); the rest are NumPy-only invariants."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.nn.utils import parametrizations as PZ
from tinytensor.nn.utils import parametrize as P


def _np(t):
    return t.detach().numpy()


def _pair(seed=0, shape=(4, 3)):
    """A float64 Linear in each library with the same weights."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)  # the weights: power iteration's convergence depends on them
    tm = torch.nn.Linear(shape[1], shape[0]).double()
    m = nn.Linear(shape[1], shape[0]).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((5, shape[1]))
    return torch, tm, m, x


def _fwd_bwd(torch, tm, m, x):
    tx, xx = torch.tensor(x, requires_grad=True), tt.tensor(x, requires_grad=True)
    g = np.random.default_rng(9).standard_normal((x.shape[0], tm.out_features))
    ty, y = tm(tx), m(xx)
    ty.backward(torch.tensor(g))
    y.backward(tt.tensor(g))
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def _grads_match(tm, m, rtol=1e-9):
    theirs = {k: p.grad.numpy() for k, p in tm.named_parameters()}
    ours = {k: p.grad.numpy() for k, p in m.named_parameters()}
    assert ours.keys() == theirs.keys()
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=rtol, atol=1e-12, err_msg=k)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT


class Scale(nn.Module):
    def forward(self, X):
        return 2.0 * X

    def right_inverse(self, X):
        return X / 2.0


# --- parametrize ------------------------------------------------------------------------------


def test_symmetric_parametrization_numpy_only():
    tt.manual_seed(0)
    m = nn.Linear(3, 3).double()
    w0 = m.weight.detach().numpy().copy()
    P.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and P.is_parametrized(m, "weight")
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    np.testing.assert_array_equal(w, np.triu(w0) + np.triu(w0, 1).T)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    # d/dW of sum(G * sym(W)): upper triangle gets G + G^T off the diagonal, lower gets 0
    g = np.arange(9.0).reshape(3, 3)
    (m.weight * tt.tensor(g)).sum().backward()
    want = np.triu(g + g.T, 1) + np.diag(np.diag(g))
    np.testing.assert_allclose(m.parametrizations.weight.original.grad.numpy(), want)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)


@pytest.mark.torch
def test_symmetric_parametrization_matches_torch():
    torch, tm, m, x = _pair(shape=(3, 3))

    class TSym(torch.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

    torch.nn.utils.parametrize.register_parametrization(tm, "weight", TSym())
    P.register_parametrization(m, "weight", Symmetric())
    assert list(m.state_dict()) == list(tm.state_dict())
    _fwd_bwd(torch, tm, m, x)
    _grads_match(tm, m)


def test_right_inverse_chain_cached_and_leave_parametrized():
    m = nn.Linear(2, 2).double()
    w0 = m.weight.detach().numpy().copy()
    P.register_parametrization(m, "weight", Scale())
    np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(), w0 / 2)
    np.testing.assert_allclose(_np(m.weight), w0)
    m.weight = tt.ones(2, 2, dtype=tt.float64)  # right_inverse
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), 0.5)
    P.register_parametrization(m, "weight", Scale())  # chained: 4 * original
    np.testing.assert_allclose(_np(m.weight), 2.0)
    assert len(m.parametrizations.weight) == 2
    with P.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(_np(m.weight), 0.5)


def test_unsafe_allows_shape_change_and_safe_refuses():
    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    m = nn.Linear(2, 3)
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(m, "weight", Flat())
    assert not P.is_parametrized(m) and type(m) is nn.Linear
    P.register_parametrization(m, "weight", Flat(), unsafe=True)
    assert m.weight.shape == (6,)
    with pytest.raises(ValueError, match="does not have a parameter"):
        P.register_parametrization(m, "nope", Flat())
    assert P.type_before_parametrizations(m) is nn.Linear


# --- parametrizations ---------------------------------------------------------------------------


@pytest.mark.torch
def test_weight_norm_parametrization_matches_torch():
    torch, tm, m, x = _pair()
    torch.nn.utils.parametrizations.weight_norm(tm)
    PZ.weight_norm(m)
    assert list(m.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(_np(m.state_dict()[k]), v.numpy(), rtol=1e-12, err_msg=k)
    _fwd_bwd(torch, tm, m, x)
    _grads_match(tm, m)


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_spectral_norm_parametrization_matches_torch_given_u_v(training):
    torch, tm, m, x = _pair(shape=(4, 6))
    torch.nn.utils.parametrizations.spectral_norm(tm)
    PZ.spectral_norm(m)
    sn = tm.parametrizations.weight[0]
    ours = m.parametrizations.weight[0]
    ours._u._data[...] = sn._u.numpy()  # same starting vectors
    ours._v._data[...] = sn._v.numpy()
    assert sorted(m.state_dict()) == sorted(tm.state_dict())
    tm.train(training)
    m.train(training)
    _fwd_bwd(torch, tm, m, x)
    _grads_match(tm, m)
    np.testing.assert_allclose(ours._u.numpy(), sn._u.numpy(), rtol=1e-10)
    # the singular value is 1 after normalisation (power iteration converged from 15 steps)
    s = np.linalg.svd(_np(m.weight), compute_uv=False)[0]
    assert abs(s - 1) < 1e-3


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)], ids=["square", "tall", "wide"])
def test_orthogonal_gives_orthonormal_weights_numpy_only(orthogonal_map, shape):
    tt.manual_seed(0)
    m = nn.Linear(shape[1], shape[0]).double()
    PZ.orthogonal(m, orthogonal_map=orthogonal_map)
    w = _np(m.weight)
    q = w if shape[0] >= shape[1] else w.T
    np.testing.assert_allclose(q.T @ q, np.eye(min(shape)), atol=1e-10)
    m(tt.randn(2, shape[1], dtype=tt.float64)).sum().backward()
    assert m.parametrizations.weight.original.grad.shape == shape


@pytest.mark.torch
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_matches_torch_from_the_same_original(orthogonal_map):
    torch, tm, m, x = _pair(shape=(4, 4))
    torch.nn.utils.parametrizations.orthogonal(tm, orthogonal_map=orthogonal_map)
    PZ.orthogonal(m, orthogonal_map=orthogonal_map)
    np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), atol=1e-10)
    _fwd_bwd(torch, tm, m, x)
    _grads_match(tm, m, rtol=1e-7)


# --- hook-style weight_norm / spectral_norm ---------------------------------------------------


@pytest.mark.torch
def test_hook_weight_norm_matches_torch_and_removes():
    torch, tm, m, x = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(tm)
        nn.utils.weight_norm(m)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(m.weight_g), tm.weight_g.detach().numpy(), rtol=1e-12)
    _fwd_bwd(torch, tm, m, x)
    _grads_match(tm, m)
    nn.utils.remove_weight_norm(m)
    torch.nn.utils.remove_weight_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_hook_spectral_norm_matches_torch_given_u(training):
    torch, tm, m, x = _pair(shape=(4, 6))
    torch.nn.utils.spectral_norm(tm)
    nn.utils.spectral_norm(m)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})  # same u, v
    tm.train(training)
    m.train(training)
    _fwd_bwd(torch, tm, m, x)
    _grads_match(tm, m)
    np.testing.assert_allclose(m.weight_u.numpy(), tm.weight_u.numpy(), rtol=1e-10)
    nn.utils.remove_spectral_norm(m)
    torch.nn.utils.remove_spectral_norm(tm)
    np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), rtol=1e-10)


def test_hook_norms_refuse_twice_and_missing():
    m = nn.Linear(2, 2)
    nn.utils.spectral_norm(m)
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)


# --- clipping -----------------------------------------------------------------------------------


def _with_grads(*grads):
    ps = []
    for g in grads:
        p = nn.Parameter(tt.zeros(*np.shape(g), dtype=tt.float64))
        p.grad = tt.tensor(np.array(g, dtype=np.float64))
        ps.append(p)
    return ps


@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_norm_numpy_oracle(foreach):
    ps = _with_grads([3.0, 0.0], [[4.0]])
    total = nn.utils.clip_grad_norm_(ps, 1.0, foreach=foreach)
    assert float(total) == 5.0
    np.testing.assert_allclose(ps[0].grad.numpy(), [3 / (5 + 1e-6), 0.0])
    ps = _with_grads([1.0, -2.0])
    assert float(nn.utils.get_total_norm([p.grad for p in ps], norm_type="inf")) == 2.0
    nn.utils.clip_grads_with_norm_(ps, 1.0, tt.tensor(4.0, dtype=tt.float64))
    np.testing.assert_allclose(ps[0].grad.numpy(), np.array([1.0, -2.0]) / (4 + 1e-6))
    nn.utils.clip_grad_value_(ps, 0.1, foreach=foreach)
    assert np.abs(ps[0].grad.numpy()).max() <= 0.1


def test_clip_grad_norm_error_if_nonfinite():
    ps = _with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert ps[0].grad.numpy()[1] == 1.0  # unchanged after the error
    assert np.isinf(float(nn.utils.clip_grad_norm_(ps, 1.0)))


# --- fusion, skip_init, functional_call ----------------------------------------------------------


def _trained_bn(bn, n):
    bn.running_mean._data[...] = np.linspace(-1, 1, n)
    bn.running_var._data[...] = np.linspace(0.5, 2, n)
    bn.weight._data[...] = np.linspace(0.5, 1.5, n)
    bn.bias._data[...] = np.linspace(-0.2, 0.3, n)
    return bn.eval()


def test_fuse_conv_and_linear_bn_eval_equal_the_pair():
    tt.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3).double().eval()
    bn = _trained_bn(nn.BatchNorm2d(3).double(), 3)
    x = tt.randn(2, 2, 5, 5, dtype=tt.float64)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-10, atol=1e-12)
    lin = nn.Linear(4, 3).double().eval()
    bn1 = _trained_bn(nn.BatchNorm1d(3).double(), 3)
    x = tt.randn(5, 4, dtype=tt.float64)
    fused = nn.utils.fuse_linear_bn_eval(lin, bn1)
    np.testing.assert_allclose(_np(fused(x)), _np(bn1(lin(x))), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_skip_init_builds_the_module():
    m = nn.utils.skip_init(nn.Linear, 3, 2)
    assert m.weight.shape == (2, 3)
    assert nn.utils.convert_conv2d_weight_memory_format(m, tt.channels_last) is m
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)


def test_functional_call_uses_given_tensors_and_restores():
    m = nn.Linear(2, 1).double()
    w = tt.tensor([[1.0, 2.0]], dtype=tt.float64, requires_grad=True)
    out = nn.utils.stateless.functional_call(m, {"weight": w}, tt.ones(1, 2, dtype=tt.float64))
    np.testing.assert_allclose(_np(out), 3.0 + _np(m.bias).reshape(1, 1))
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [[1.0, 1.0]])
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.grad is None
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): 'bias'"):
        nn.utils.stateless.functional_call(m, {"weight": w}, (tt.ones(1, 2),), strict=True)


def test_parametrized_module_deepcopies():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    np.testing.assert_array_equal(_np(c.weight), _np(m.weight))
