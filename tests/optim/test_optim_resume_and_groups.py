"""Every optimizer without torch, beyond one group and one run: a run resumed from a saved
``state_dict`` (through tt.save/tt.load, into a fresh optimizer) continues exactly as the
uninterrupted run and as the NumPy rule; two parameter groups with their own hyperparameters
each follow their own NumPy rule; a parameter without a gradient is left alone; every default
hyperparameter is PyTorch's."""

from __future__ import annotations

import inspect
import io

import numpy as np
import pytest

import tinytensor as tt
from optim import numpy_rules as R
from optim.test_optim_numpy import CASES, P0, grad_np, loss_fn

STEPS, SPLIT = 6, 3


def _step(opt, params):
    opt.zero_grad()
    sum(loss_fn(p) for p in params).backward()
    opt.step()


@pytest.mark.parametrize("cid,name,rule,kwargs", CASES, ids=[c[0] for c in CASES])
def test_resumed_from_a_saved_state_dict_continues_like_the_numpy_rule(cid, name, rule, kwargs):
    p = tt.tensor(P0.copy(), requires_grad=True)
    opt = getattr(tt.optim, name)([p], **kwargs)
    for _ in range(SPLIT):
        _step(opt, [p])
    buf = io.BytesIO()
    tt.save({"param": p.detach(), "opt": opt.state_dict()}, buf)
    buf.seek(0)
    blob = tt.load(buf)
    q = tt.tensor(blob["param"].numpy().copy(), requires_grad=True)
    fresh = getattr(tt.optim, name)([q], **kwargs)
    fresh.load_state_dict(blob["opt"])
    for _ in range(STEPS - SPLIT):
        _step(fresh, [q])
    ref, state = P0.copy(), {}
    for _ in range(STEPS):
        ref = rule(ref, grad_np(ref), state, **kwargs)
    np.testing.assert_allclose(q.detach().numpy(), ref, rtol=1e-6, atol=1e-9)


def _other(name, kwargs):
    """Different hyperparameters for a second group: half the lr (and twice the weight decay
    where one is used)."""
    out = dict(kwargs)
    default = inspect.signature(getattr(tt.optim, name)).parameters["lr"].default
    out["lr"] = kwargs.get("lr", default) * 0.5
    if "weight_decay" in kwargs:
        out["weight_decay"] = kwargs["weight_decay"] * 2
    return out


@pytest.mark.parametrize("cid,name,rule,kwargs", CASES, ids=[c[0] for c in CASES])
def test_two_groups_follow_their_own_rules(cid, name, rule, kwargs):
    a = tt.tensor(P0.copy(), requires_grad=True)
    b = tt.tensor(P0[::-1].copy(), requires_grad=True)
    frozen = tt.tensor(P0.copy(), requires_grad=True)  # never gets a gradient
    kw_b = _other(name, kwargs)
    opt = getattr(tt.optim, name)([{"params": [a, frozen]}, {"params": [b], **kw_b}], **kwargs)
    ref_a, ref_b, sa, sb = P0.copy(), P0[::-1].copy(), {}, {}
    for _ in range(STEPS):
        _step(opt, [a, b])
        ref_a = rule(ref_a, grad_np(ref_a), sa, **kwargs)
        ref_b = rule(ref_b, grad_np(ref_b), sb, **kw_b)
    np.testing.assert_allclose(a.detach().numpy(), ref_a, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.detach().numpy(), ref_b, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(frozen.detach().numpy(), P0)
    assert float(opt.state.get(frozen, {}).get("step", 0)) == 0  # Adagrad makes it up front


DEFAULT_RULES = {
    "SGD": R.sgd, "Adam": R.adam, "AdamW": R.adamw, "RMSprop": R.rmsprop, "Adagrad": R.adagrad,
    "Adadelta": R.adadelta, "Adamax": R.adamax, "NAdam": R.nadam, "RAdam": R.radam,
    "ASGD": R.asgd, "Rprop": R.rprop,
}  # fmt: skip


@pytest.mark.parametrize("name", list(DEFAULT_RULES))
def test_every_default_hyperparameter_is_pytorchs(name):
    """Built with no options at all, each optimizer moves the parameters exactly as its NumPy
    rule with that rule's defaults (PyTorch 2.13's, written in numpy_rules.py): a changed
    default lr, beta, eps, decay or step-size bound shows up in the displacement."""
    p = tt.tensor(P0.copy(), requires_grad=True)
    opt = getattr(tt.optim, name)([p])
    ref, state = P0.copy(), {}
    for _ in range(20):
        _step(opt, [p])
        ref = DEFAULT_RULES[name](ref, grad_np(ref), state)
    np.testing.assert_allclose(p.detach().numpy() - P0, ref - P0, rtol=1e-7, atol=1e-12)
