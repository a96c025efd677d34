"""Shared checks for the nn tests: tinytensor vs PyTorch on the same arrays, forward and grads."""

from __future__ import annotations

import numpy as np

import tinytensor as tt


def arrays(rng, *shapes, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def compare_with_torch(tt_fn, torch_fn, inputs, rtol=1e-4, atol=1e-5, grad=True, seed=0):
    """Run both functions on the same float arrays; assert equal outputs and input gradients.

    The output gradient is a fixed random tensor (not ones), so every element's gradient is
    weighted differently and a permuted gradient cannot pass.
    """
    import torch

    tt_in = [tt.tensor(a, requires_grad=grad) for a in inputs]
    th_in = [torch.tensor(a, requires_grad=grad) for a in inputs]
    out = tt_fn(*tt_in)
    ref = torch_fn(*th_in)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    assert out.shape == tuple(ref.shape)
    assert out.dtype.name == str(ref.dtype).replace("torch.", "")
    if not grad:
        return out
    g = np.random.default_rng(seed).standard_normal(ref.shape).astype(inputs[0].dtype)
    out.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(tt_in, th_in)):
        assert (a.grad is None) == (b.grad is None), f"input {i}: gradient presence differs"
        if b.grad is not None:
            np.testing.assert_allclose(
                a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
            )
    return out


def load_torch_state(tt_module, torch_module):
    """Copy a PyTorch module's state dict into a tinytensor one with a plain array conversion."""
    tt_module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


def load_tt_state(torch_module, tt_module):
    import torch

    torch_module.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in tt_module.state_dict().items()}
    )
