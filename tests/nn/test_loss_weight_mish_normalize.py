"""PyTorch's per-element ``weight`` of mse/l1/huber loss, ``mish(inplace=True)`` and
``normalize(out=)``: NumPy oracles, plus a comparison with PyTorch.

The weighted 'mean' differs between the losses, as in PyTorch: mse_loss and l1_loss divide
the weighted sum by the sum of the weights; huber_loss takes the plain mean of the weighted
elements.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn
from tinytensor.testing import gradcheck

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
T = RNG.standard_normal((3, 4))
W = RNG.uniform(0.1, 2.0, (3, 4))


def _elements(name):
    d = X - T
    if name == "mse_loss":
        return d * d
    if name == "l1_loss":
        return np.abs(d)
    a = np.abs(d)
    return np.where(a < 1.0, 0.5 * d * d, a - 0.5)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_weighted_loss_numpy_oracle(name, reduction):
    got = getattr(F, name)(tt.tensor(X), tt.tensor(T), reduction=reduction, weight=tt.tensor(W))
    e = _elements(name) * W
    if reduction == "none":
        want = e
    elif reduction == "sum":
        want = e.sum()
    elif name == "huber_loss":
        want = e.mean()
    else:
        want = e.sum() / W.sum()
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_weighted_mean_is_not_the_plain_mean():
    """The two means differ on these numbers, so the test above tells them apart."""
    e = _elements("mse_loss") * W
    assert abs(e.sum() / W.sum() - e.mean()) > 1e-3


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_loss_gradients(name):
    x = tt.tensor(X, requires_grad=True)
    w = tt.tensor(W, requires_grad=True)
    t = tt.tensor(T)
    assert gradcheck(lambda a, b: getattr(F, name)(a, t, weight=b), (x, w))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weight_of_another_shape_is_a_value_error(name):
    with pytest.raises(ValueError, match=rf"{name}.*same size.*\(4,\).*\(3, 4\)"):
        getattr(F, name)(tt.tensor(X), tt.tensor(T), weight=tt.ones(4))
    # one that would broadcast, of the same rank, is refused too (PyTorch compares sizes)
    for shape in [(1, 4), (3, 1), (1, 1)]:
        with pytest.raises(ValueError, match=rf"{name}.*same size"):
            getattr(F, name)(tt.tensor(X), tt.tensor(T), weight=tt.ones(*shape))


def test_mish_inplace_writes_input_and_differentiates():
    base = tt.tensor(X, requires_grad=True)
    y = base * 1.0
    out = F.mish(y, inplace=True)
    assert out is y
    want = X * np.tanh(np.log1p(np.exp(X)))
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    out.sum().backward()
    ref = tt.tensor(X, requires_grad=True)
    F.mish(ref).sum().backward()
    np.testing.assert_allclose(base.grad.numpy(), ref.grad.numpy(), rtol=1e-12)


def test_mish_module_inplace_flag():
    m = nn.Mish(inplace=True)
    assert repr(m) == "Mish(inplace=True)" and repr(nn.Mish()) == "Mish()"
    x = tt.tensor([-1.0, 0.0, 2.0])
    assert m(x) is x
    np.testing.assert_allclose(x.numpy(), F.mish(tt.tensor([-1.0, 0.0, 2.0])).numpy())


def test_mish_inplace_on_a_leaf_that_requires_grad_refuses():
    x = tt.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.mish(x, inplace=True)
    np.testing.assert_array_equal(x.detach().numpy(), X)


def test_normalize_out():
    out = tt.empty(3, 4, dtype=tt.float64)
    got = F.normalize(tt.tensor(X), p=2.0, dim=1, out=out)
    assert got is out
    want = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)


def test_normalize_out_refuses_an_input_that_requires_grad():
    out = tt.zeros(3, 4, dtype=tt.float64)
    with pytest.raises(RuntimeError, match="normalize.*out="):
        F.normalize(tt.tensor(X, requires_grad=True), out=out)
    np.testing.assert_array_equal(out.numpy(), 0.0)
    with tt.no_grad():
        F.normalize(tt.tensor(X, requires_grad=True), out=out)
    assert np.abs(out.numpy()).sum() > 0


@pytest.mark.torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_weighted_loss_matches_torch(name, reduction):
    torch = pytest.importorskip("torch")
    tf = getattr(torch.nn.functional, name)
    xt = torch.tensor(X, requires_grad=True)
    want = tf(xt, torch.tensor(T), reduction=reduction, weight=torch.tensor(W))
    want.sum().backward()
    x = tt.tensor(X, requires_grad=True)
    got = getattr(F, name)(x, tt.tensor(T), reduction=reduction, weight=tt.tensor(W))
    got.sum().backward()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.torch
def test_mish_inplace_and_normalize_out_match_torch():
    torch = pytest.importorskip("torch")
    a = torch.tensor(X)
    torch.nn.functional.mish(a, inplace=True)
    b = tt.tensor(X)
    F.mish(b, inplace=True)
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)
    o = torch.empty(3, 4, dtype=torch.float64)
    torch.nn.functional.normalize(torch.tensor(X), p=3.0, dim=0, out=o)
    got = F.normalize(tt.tensor(X), p=3.0, dim=0, out=tt.empty(3, 4, dtype=tt.float64))
    np.testing.assert_allclose(got.numpy(), o.numpy(), rtol=1e-12)
