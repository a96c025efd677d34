"""Tensor.register_post_accumulate_grad_hook: called on a leaf after its .grad has accumulated
(the optimizer-in-backward pattern), refused on non-leaves and tensors without gradient."""

import numpy as np
import pytest

import tinytensor as tt


def test_post_accumulate_grad_hook_sees_accumulated_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(seen[1], [5.0, 7.0])  # 3 + 2x: called after accumulating
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_grad_hook_can_step_and_clear():
    """The optimizer-in-backward pattern: update the leaf and drop its grad in the hook."""
    x = tt.tensor([1.0, 2.0], requires_grad=True)

    def step(t):
        with tt.no_grad():
            t.sub_(0.5 * t.grad)
        t.grad = None

    x.register_post_accumulate_grad_hook(step)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.detach().numpy(), [0.0, 0.0])
    assert x.grad is None


def test_post_accumulate_grad_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tt.ones(2).register_post_accumulate_grad_hook(print)
    y = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.register_post_accumulate_grad_hook(print)


@pytest.mark.torch
def test_post_accumulate_grad_hook_matches_torch():
    torch = pytest.importorskip("torch")
    calls = {}
    for lib in (tt, torch):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        log = calls.setdefault(lib.__name__, [])
        x.register_post_accumulate_grad_hook(lambda t, log=log: log.append(t.grad.tolist()))
        y = (x * x).sum()
        lib.autograd.backward([y, (x * 2).sum()])
        (x.exp()).sum().backward()
    assert np.allclose(calls["tinytensor"], calls["torch"])
