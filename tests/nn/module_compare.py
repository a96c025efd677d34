"""One check for the attention, transformer and recurrent tests: a tinytensor module and a
PyTorch module with the same weights (PyTorch's state dict loaded through NumPy arrays) give the
same outputs, input gradients and parameter gradients, in float64."""

from __future__ import annotations

import numpy as np

import tinytensor as tt


def _flat(out):
    """The tensors in a module's output (tensors, tuples/lists of them, None), in order."""
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def same_weights(tt_mod, torch_mod):
    """Load ``torch_mod``'s state dict into ``tt_mod``; the key sets must be equal."""
    sd = torch_mod.state_dict()
    assert list(tt_mod.state_dict()) == list(sd), "state_dict keys differ from PyTorch's"
    tt_mod.load_state_dict({k: tt.tensor(v.detach().numpy().copy()) for k, v in sd.items()})


def compare(tt_mod, torch_mod, inputs, call=None, train=False, grad_inputs=None, tol=1e-9):
    """Run ``call(module, *inputs)`` (default: ``module(*inputs)``) in both libraries on the same
    NumPy ``inputs`` and compare outputs, gradients of the floating inputs (or those named by
    index in ``grad_inputs``) and of every parameter, after backward from fixed random seeds."""
    import torch

    same_weights(tt_mod, torch_mod)
    tt_mod.train(train)
    torch_mod.train(train)
    call = call or (lambda m, *a: m(*a))
    idx = [i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    idx = idx if grad_inputs is None else grad_inputs

    def convert(lib, a, i):
        if not isinstance(a, np.ndarray):
            return a
        return lib.tensor(a.copy(), requires_grad=i in idx)

    ours_in = [convert(tt, a, i) for i, a in enumerate(inputs)]
    theirs_in = [convert(torch, a, i) for i, a in enumerate(inputs)]
    ours = _flat(call(tt_mod, *ours_in))
    theirs = _flat(call(torch_mod, *theirs_in))
    assert len(ours) == len(theirs)
    rng = np.random.default_rng(1)
    roots, seeds = [], []
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
        if t.requires_grad:
            roots.append((o, t))
            seeds.append(rng.standard_normal(tuple(t.shape)))
    if not roots:
        return ours
    tt.autograd.backward([o for o, _ in roots], [tt.tensor(s) for s in seeds])
    torch.autograd.backward([t for _, t in roots], [torch.tensor(s) for s in seeds])
    for i in idx:
        a, b = ours_in[i], theirs_in[i]
        np.testing.assert_allclose(
            a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol, err_msg=f"input {i}"
        )
    theirs_p = dict(torch_mod.named_parameters())
    for name, p in tt_mod.named_parameters():
        q = theirs_p[name]
        assert (p.grad is None) == (q.grad is None), f"{name}: gradient presence differs"
        if q.grad is not None:
            np.testing.assert_allclose(
                p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol, err_msg=name
            )
    return ours
