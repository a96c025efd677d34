"""Issue #21's two nn bugs: a reassigned submodule keeps its slot; BatchNorm runs twice before
one backward (its running statistics change without a version bump, as PyTorch's kernel)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

nn = tt.nn


def Trunk(lib):
    class _Trunk(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(3, 4, 3)
            self.bn1 = lib.nn.BatchNorm2d(4)
            self.relu = lib.nn.ReLU()
            self.fc = lib.nn.Linear(4, 2)

    return _Trunk()


def _reassign(net, lib):
    net.conv1 = lib.nn.Conv2d(1, 4, 3)
    net.fc = lib.nn.Linear(4, 5)
    return net


def test_reassigned_child_keeps_its_slot():
    net = _reassign(Trunk(tt), tt)
    assert [n for n, _ in net.named_children()] == ["conv1", "bn1", "relu", "fc"]
    assert list(net.children())[0] is net.conv1
    assert list(net.children())[:-1][-1] is net.relu  # the idiom that dropped the wrong layer
    assert list(net.state_dict())[:2] == ["conv1.weight", "conv1.bias"]
    assert net.state_dict()["conv1.weight"].shape == (4, 1, 3, 3)
    assert "(conv1): Conv2d(1, 4" in repr(net).split("\n")[1]


def test_reassigned_parameter_keeps_its_slot_and_other_tables_drop_the_name():
    m = nn.Module()
    m.a = nn.Parameter(tt.ones(1))
    m.b = nn.Parameter(tt.ones(2))
    m.a = nn.Parameter(tt.zeros(3))
    assert [n for n, _ in m.named_parameters()] == ["a", "b"]
    assert m.a.shape == (3,)
    # a module over a parameter's name is refused (PyTorch's TypeError); a parameter over a
    # child's name replaces the child
    with pytest.raises(TypeError, match="cannot assign"):
        m.b = nn.Linear(1, 1)
    m.c = nn.Linear(1, 1)
    m.c = nn.Parameter(tt.ones(1))
    assert "c" not in m._modules and [n for n, _ in m.named_parameters()] == ["a", "b", "c"]


def test_reassigning_none_then_module_keeps_slot():
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    m[0] = nn.Linear(2, 2)
    setattr(m, "1", None)
    setattr(m, "1", nn.Tanh())
    assert [type(c).__name__ for c in m.children()] == ["Linear", "Tanh", "Linear"]


@pytest.mark.torch
def test_reassigned_child_order_matches_torch():
    torch = pytest.importorskip("torch")
    a = _reassign(Trunk(tt), tt)
    b = _reassign(Trunk(torch), torch)
    assert [n for n, _ in a.named_children()] == [n for n, _ in b.named_children()]
    assert list(a.state_dict()) == list(b.state_dict())
    assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]


def _twice(lib, x_arr, bn):
    x = lib.tensor(x_arr, requires_grad=True)
    y1 = bn(x)
    y2 = bn(x)
    (y1.sum() + (y2 ** 2).sum()).backward()
    return x.grad, y1, y2


def test_batchnorm_twice_before_backward_runs():
    rng = np.random.default_rng(0)
    x_arr = rng.standard_normal((4, 3)).astype(np.float32)
    bn = nn.BatchNorm1d(3)
    versions = bn.running_mean._version, bn.running_var._version  # 1 each: reset's zero_/fill_
    g, y1, y2 = _twice(tt, x_arr, bn)
    # Both calls saw the same batch: the same output, and d/dx of sum(y) is 0, so the gradient
    # is that of sum(y^2) through batch norm: 2*(y - mean(y) - yhat*mean(y*yhat))/std = 0 + ...
    np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy(), rtol=1e-6)
    mean = x_arr.mean(0)
    var = x_arr.var(0)
    xhat = (x_arr - mean) / np.sqrt(var + 1e-5)
    dxhat = 2 * xhat  # from sum(y^2); sum(y) contributes nothing through the normalisation
    expect = (dxhat - dxhat.mean(0) - xhat * (dxhat * xhat).mean(0)) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(g.numpy(), expect, rtol=1e-4, atol=1e-5)
    # running stats took two momentum steps
    unbiased = x_arr.var(0, ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean * (1 - 0.9 ** 2), rtol=1e-5)
    np.testing.assert_allclose(
        bn.running_var.numpy(), 0.81 + unbiased * (1 - 0.81), rtol=1e-5
    )
    assert int(bn.num_batches_tracked) == 2
    # the forward passes leave the buffers' versions alone
    assert (bn.running_mean._version, bn.running_var._version) == versions


def test_batchnorm_running_stats_changed_by_user_still_caught():
    # the buffers are still saved for backward: an in-place change by the user raises there
    bn = nn.BatchNorm1d(3)
    x = tt.randn(4, 3, requires_grad=True)
    y = bn(x)
    bn.running_mean.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_functional_batchnorm_eval_saved_stats_caught():
    rm, rv = tt.zeros(3), tt.ones(3)
    x = tt.randn(4, 3, requires_grad=True)
    y = nn.functional.batch_norm(x, rm, rv, training=False)
    rm.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.torch
def test_batchnorm_twice_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for shape, cls in (((4, 3), "BatchNorm1d"), ((2, 3, 5), "BatchNorm1d"),
                       ((2, 3, 4, 4), "BatchNorm2d")):  # fmt: skip
        x_arr = rng.standard_normal(shape).astype(np.float32)
        a, b = getattr(nn, cls)(3), getattr(torch.nn, cls)(3)
        ga, *_ = _twice(tt, x_arr, a)
        gb, *_ = _twice(torch, x_arr, b)
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-4, atol=1e-5)
        for k in ("running_mean", "running_var", "num_batches_tracked"):
            np.testing.assert_allclose(
                getattr(a, k).numpy(), getattr(b, k).numpy(), rtol=1e-5, atol=1e-7
            )
        # the forward passes leave the buffers' versions alone, as PyTorch's (1: reset's zero_)
        assert a.running_mean._version == 1 and b.running_mean._version == 1
        assert a.running_var._version == 1 and b.running_var._version == 1
