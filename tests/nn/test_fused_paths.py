"""The speed-pass fast paths give the same numbers and derivatives as the general paths."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck


def _logits_and_targets(n, c, seed):
    rng = np.random.default_rng(seed)
    x = tt.tensor(rng.standard_normal((n, c)), requires_grad=True)
    t = tt.tensor(rng.integers(0, c, n))
    return x, t


@given(st.integers(1, 6), st.integers(2, 5), st.integers(0, 10_000))
def test_fused_cross_entropy_equals_the_general_path(n, c, seed):
    x, t = _logits_and_targets(n, c, seed)
    fused = F.cross_entropy(x, t)
    # weight=ones takes the general log_softmax + nll path with the same value.
    general = F.cross_entropy(x, t, weight=tt.ones(c, dtype=tt.float64))
    assert repr(fused.grad_fn) == "<CrossEntropyBackward>"
    assert repr(general.grad_fn) != "<CrossEntropyBackward>"
    np.testing.assert_allclose(fused.item(), general.item(), rtol=1e-12)
    (g1,) = tt.autograd.grad(fused, x)
    (g2,) = tt.autograd.grad(general, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-10, atol=1e-12)


def test_fused_cross_entropy_first_and_second_derivatives():
    x, t = _logits_and_targets(4, 3, 0)
    assert gradcheck(lambda v: F.cross_entropy(v, t), (x,))
    assert gradgradcheck(lambda v: F.cross_entropy(v, t), (x,))


@pytest.mark.torch
def test_fused_cross_entropy_hessian_vector_product_matches_pytorch():
    torch = pytest.importorskip("torch")
    x, t = _logits_and_targets(5, 4, 1)
    v = np.random.default_rng(2).standard_normal((5, 4))
    (g,) = tt.autograd.grad(F.cross_entropy(x, t), x, create_graph=True)
    (hv,) = tt.autograd.grad((g * tt.tensor(v)).sum(), x)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    (gt,) = torch.autograd.grad(
        torch.nn.functional.cross_entropy(xt, torch.tensor(t.numpy())), xt, create_graph=True
    )
    (hvt,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(hv.numpy(), hvt.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_relu_blocks_nonfinite_gradients_of_inactive_units_like_pytorch(bad):
    x = tt.tensor([-1.0, 2.0], requires_grad=True)
    y = x.relu()
    y.backward(tt.tensor([bad, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
def test_fused_activation_backward_is_differentiable_again(name):
    x = tt.tensor(np.random.default_rng(3).uniform(0.1, 2.0, (3,)), requires_grad=True)
    fn = getattr(tt, name)
    assert gradgradcheck(fn, (x,))


def test_fused_cross_entropy_skips_ignored_targets_like_the_general_path():
    x, t = _logits_and_targets(5, 4, 3)
    t = tt.tensor(np.array([1, -100, 2, -100, 0]))
    fused = F.cross_entropy(x, t)
    general = F.cross_entropy(x, t, weight=tt.ones(4, dtype=tt.float64))
    assert repr(fused.grad_fn) == "<CrossEntropyBackward>"
    np.testing.assert_allclose(fused.item(), general.item(), rtol=1e-12)
    (g1,) = tt.autograd.grad(fused, x)
    (g2,) = tt.autograd.grad(general, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(g1.numpy()[[1, 3]], 0.0)
    assert gradgradcheck(lambda v: F.cross_entropy(v, t), (x,))


def test_fused_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient():
    x, _ = _logits_and_targets(3, 4, 4)
    loss = F.cross_entropy(x, tt.tensor(np.array([-100, -100, -100])))
    assert np.isnan(loss.item())  # 0/0, as PyTorch's mean over no targets
    (g,) = tt.autograd.grad(loss, x)
    np.testing.assert_array_equal(g.numpy(), np.zeros((3, 4)))


@pytest.mark.torch
def test_fused_cross_entropy_with_ignored_targets_matches_pytorch():
    torch = pytest.importorskip("torch")
    for targets in ([1, -100, 2], [-100, -100, -100]):
        x, _ = _logits_and_targets(3, 4, 5)
        loss = F.cross_entropy(x, tt.tensor(np.array(targets)))
        loss.backward()
        xt = torch.tensor(x.detach().numpy(), requires_grad=True)
        lt = torch.nn.functional.cross_entropy(xt, torch.tensor(targets))
        lt.backward()
        np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-15)
