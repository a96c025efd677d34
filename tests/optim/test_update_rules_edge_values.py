"""Optimizer update rules at the edge values of their options (no PyTorch needed): a weight
decay or momentum of exactly 1 (a test written with ``!= 0`` must not confuse it with 0),
and state a user wrote by hand in another dtype. Each expected value is the rule written out
in NumPy float64 for a few steps with fixed gradients."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

P0 = np.array([0.5, -1.5, 2.0])
GRADS = [np.array([1.0, 2.0, -0.5]), np.array([-0.25, 0.5, 1.5]), np.array([0.75, -1.0, 0.25])]


def _run(opt, p, grads=GRADS):
    out = []
    for g in grads:
        p.grad = tt.tensor(g)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.1, weight_decay=1.0),
        dict(lr=0.1, momentum=1.0),
        dict(lr=0.1, momentum=1.0, dampening=0.5, weight_decay=1.0),
        dict(lr=0.1, momentum=1.0, nesterov=True),
    ],
    ids=["wd-1", "momentum-1", "momentum-1-dampening-wd-1", "nesterov-momentum-1"],
)
def test_sgd_with_options_equal_to_one(kwargs):
    p = tt.tensor(P0.copy(), requires_grad=True)
    got = _run(tt.optim.SGD([p], **kwargs), p)
    lr, wd = kwargs["lr"], kwargs.get("weight_decay", 0.0)
    mom, damp = kwargs.get("momentum", 0.0), kwargs.get("dampening", 0.0)
    x, buf = P0.copy(), None
    for g, step in zip(GRADS, got):
        d = g + wd * x
        if mom:
            buf = d.copy() if buf is None else mom * buf + (1 - damp) * d
            d = d + mom * buf if kwargs.get("nesterov") else buf
        x = x - lr * d
        np.testing.assert_allclose(step, x, rtol=1e-15, atol=1e-15)


def test_sgd_negative_weight_decay_is_refused():
    with pytest.raises(ValueError) as info:
        tt.optim.SGD([tt.zeros(1, requires_grad=True)], weight_decay=-0.5)
    assert str(info.value) == "SGD: invalid weight_decay value -0.5; expected weight_decay >= 0"


def test_sgd_momentum_buffer_written_by_hand_in_float32():
    """A float32 momentum buffer on a float64 parameter (state written by hand) keeps its
    dtype, and the parameter moves by lr times it all the same."""
    p = tt.tensor(P0.copy(), requires_grad=True)
    opt = tt.optim.SGD([p], lr=0.1, momentum=0.5)
    b0 = np.array([0.25, -0.5, 1.0], dtype=np.float32)
    opt.state[p]["momentum_buffer"] = tt.tensor(b0.copy())
    got = _run(opt, p, GRADS[:2])
    x, buf = P0.copy(), b0.astype(np.float64)
    for g, step in zip(GRADS[:2], got):
        buf = (0.5 * buf + g).astype(np.float32).astype(np.float64)
        x = x - 0.1 * buf
        np.testing.assert_allclose(step, x, rtol=1e-6)
    assert opt.state[p]["momentum_buffer"].dtype == tt.float32
