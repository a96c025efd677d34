"""``out=`` at the namespace door (tinytensor/_namespace/conventions.py): refused in grad mode
when any input requires grad, tensors inside a list argument included (``cat``, ``stack``); and
a write into ``out`` is an in-place change (its version counter moves, so a graph that saved it
refuses to go backward). NumPy-only checks, and PyTorch's behaviour where installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


def list_ops(m, x):
    """Ops whose tensors come in a list, each called with ``out=``; ``m`` is tt or torch."""
    one = m.ones(2, dtype=x.dtype)
    return {
        "cat": lambda: m.cat([one, x], out=m.empty(4, dtype=x.dtype)),
        "stack": lambda: m.stack([x, one], out=m.empty(2, 2, dtype=x.dtype)),
        "hstack": lambda: m.hstack([one, x], out=m.empty(4, dtype=x.dtype)),
        "vstack": lambda: m.vstack([x, one], out=m.empty(2, 2, dtype=x.dtype)),
    }


@pytest.mark.parametrize("name", ["cat", "stack", "hstack", "vstack"])
def test_out_is_refused_when_a_tensor_in_a_list_requires_grad(name):
    x = tt.tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}\\(\\): functions with out=.*requires grad"):
        list_ops(tt, x)[name]()
    with tt.no_grad():  # allowed without grad mode, and written
        out = list_ops(tt, x)[name]()
    assert out.numpy().reshape(-1).tolist() in ([1, 1, 0.5, 2], [0.5, 2, 1, 1])


@pytest.mark.torch
@pytest.mark.parametrize("name", ["cat", "stack", "hstack", "vstack"])
def test_out_with_a_list_needing_grad_matches_torch(name):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        list_ops(torch, torch.tensor([0.5, 2.0], requires_grad=True))[name]()
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        list_ops(tt, tt.tensor([0.5, 2.0], requires_grad=True))[name]()


def test_writing_out_moves_its_version_and_breaks_a_graph_that_saved_it():
    a = tt.ones(3, requires_grad=True)
    b = tt.zeros(3)
    c = a * b  # saves b for a's gradient
    v = b._version
    tt.add(tt.ones(3), 1, out=b)
    assert b._version == v + 1
    np.testing.assert_array_equal(b.numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
    # a tuple out: each tensor moves once
    vals, idx = tt.empty(0), tt.empty(0, dtype=tt.int64)
    vv, vi = vals._version, idx._version
    tt.max(tt.tensor([[1.0, 3.0], [4.0, 2.0]]), 1, out=(vals, idx))
    assert (vals._version, idx._version) == (vv + 1, vi + 1)


@pytest.mark.torch
def test_writing_out_breaks_a_saved_graph_as_in_torch():
    torch = pytest.importorskip("torch")
    a = torch.ones(3, requires_grad=True)
    b = torch.zeros(3)
    c = a * b
    v = b._version
    torch.add(torch.ones(3), 1, out=b)
    assert b._version == v + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
