"""Tensor.register_hook on leaves and non-leaves: observe, replace, remove."""

import numpy as np
import pytest

import tinytensor as tt


def f64(*values):
    return tt.tensor(list(values), dtype=tt.float64, requires_grad=True)


def test_leaf_hook_sees_the_summed_gradient_once():
    x = f64(1.0, 2.0)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 3 + x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 7.0])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_leaf_hook_can_replace_the_gradient():
    x = f64(1.0, 2.0)
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


def test_non_leaf_hook_changes_what_flows_upstream():
    x = f64(1.0, 2.0)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * h.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 0.5 * 2 * h.detach().numpy() * 2)


def test_hooks_run_in_registration_order_and_chain():
    x = f64(1.0)
    order = []

    def first(g):
        order.append("first")
        return g + 1

    def second(g):
        order.append(("second", g.item()))
        return g * 2

    x.register_hook(first)
    x.register_hook(second)
    (x * 3).sum().backward()
    assert order == ["first", ("second", 4.0)]
    assert x.grad.item() == 8.0


def test_remove_handle_unregisters_and_works_as_a_context_manager():
    x = f64(1.0)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    handle.remove()
    (x * 2).sum().backward()
    assert calls == [1]
    handle.remove()  # removing twice is harmless
    with x.register_hook(lambda g: g * 0):
        (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert x.grad.item() == 2 + 2 + 0 + 2


def test_non_leaf_hook_remove():
    x = f64(1.0)
    h = x * 1
    handle = h.register_hook(lambda g: g * 100)
    handle.remove()
    (h * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_retained_grad_of_a_non_leaf_reflects_its_hooks():
    x = f64(1.0, 2.0)
    h = x * 1
    h.retain_grad()
    h.register_hook(lambda g: g * 3)
    (h * 2).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 6.0])


def test_hooks_apply_to_autograd_grad_results():
    x = f64(1.0)
    x.register_hook(lambda g: g * 7)
    (g,) = tt.autograd.grad((x * 2).sum(), x)
    assert g.item() == 14.0 and x.grad is None


def test_hook_on_an_output_of_a_multi_output_function():
    class Two(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + 2 * g2

    x = f64(1.0)
    a, b = Two.apply(x)
    b.register_hook(lambda g: g * 10)
    (a + b).sum().backward()
    assert x.grad.item() == 1 + 2 * 10


def test_hook_under_create_graph_sees_a_differentiable_gradient():
    x = f64(1.5)
    seen = []
    y = x * x
    y.register_hook(lambda g: seen.append(g.requires_grad))
    (g,) = tt.autograd.grad((y * y).sum(), x, create_graph=True)
    assert seen == [True] and g.requires_grad


def test_hook_that_raises_leaves_every_grad_untouched():
    a, b = f64(1.0), f64(2.0)
    a.grad = tt.tensor([5.0], dtype=tt.float64)

    def boom(g):
        raise ValueError("boom")

    b.register_hook(boom)
    with pytest.raises(ValueError, match="boom"):
        (a * b).sum().backward()
    assert a.grad.item() == 5.0 and b.grad is None


def test_register_hook_on_a_tensor_that_does_not_require_grad_is_an_error():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tt.tensor([1.0]).register_hook(lambda g: g)
