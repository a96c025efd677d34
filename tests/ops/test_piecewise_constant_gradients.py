"""The gradient of the piecewise-constant ops (floor, ceil, round, trunc, sign) is PyTorch's
zeros_like(g): +0.0 everywhere, also under an infinite, NaN or negative upstream gradient
(g * 0 gave NaN and -0.0) (tinytensor/ops/unary.py). NumPy oracle first, PyTorch behind the
marker."""

import numpy as np
import pytest

import tinytensor as tt

X = np.array([-1.5, -0.5, 0.0, 0.5, 2.5, np.nan, np.inf, -np.inf] * 4, np.float32)
G = np.repeat(np.array([np.inf, -np.inf, np.nan, -2.0], np.float32), 8)
NAMES = ["floor", "ceil", "round", "trunc", "sign"]


@pytest.mark.parametrize("name", NAMES)
def test_gradient_is_positive_zero_numpy(name):
    x = tt.tensor(X, requires_grad=True)
    getattr(tt, name)(x * 1.0).backward(tt.tensor(G))
    got = x.grad.numpy()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.zeros_like(X))
    assert not np.signbit(got).any()
    y = tt.tensor(X, requires_grad=True)
    (g,) = tt.autograd.grad(getattr(tt, name)(y).sum(), y, create_graph=True)
    assert not np.signbit(g.detach().numpy()).any() and (g.detach().numpy() == 0).all()


@pytest.mark.torch
@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_torch(name):
    torch = pytest.importorskip("torch")
    tx = torch.tensor(X, requires_grad=True)
    getattr(torch, name)(tx * 1.0).backward(torch.tensor(G))
    x = tt.tensor(X, requires_grad=True)
    getattr(tt, name)(x * 1.0).backward(tt.tensor(G))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(np.signbit(x.grad.numpy()), np.signbit(tx.grad.numpy()))
