"""Every optimizer's update rule against its NumPy reference in float64 throughout, to 1e-12
(no PyTorch needed). With float64 as the default dtype the 0-d state (``step``, NAdam's
``mu_product``, ASGD's ``eta``/``mu``) is float64 too, as in PyTorch, so nothing but rounding
separates the two: a misplaced ``eps``, a bias correction off by one power or a constant
changed in its 7th digit shows up. Extra cases use a large ``eps`` (where it sits in the
formula matters) and betas/alpha that send lerp down its second branch."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from optim import numpy_rules as R
from optim.test_optim_numpy import CASES, P0, grad_np, loss_fn

STEPS = 8

EXTRA = [
    ("adam-large-eps", "Adam", R.adam, {"lr": 0.05, "eps": 0.3}),
    ("adam-large-eps-amsgrad-small-beta1", "Adam", R.adam,
     {"lr": 0.05, "eps": 0.2, "betas": (0.3, 0.6), "amsgrad": True}),
    ("adamw-large-eps", "AdamW", R.adamw, {"lr": 0.05, "eps": 0.3, "weight_decay": 0.2}),
    ("rmsprop-large-eps", "RMSprop", R.rmsprop, {"lr": 0.02, "eps": 0.2}),
    ("rmsprop-centered-large-eps-small-alpha", "RMSprop", R.rmsprop,
     {"lr": 0.02, "eps": 0.2, "alpha": 0.4, "centered": True, "momentum": 0.3}),
    ("adagrad-large-eps", "Adagrad", R.adagrad, {"lr": 0.1, "eps": 0.25}),
    ("adadelta-large-eps", "Adadelta", R.adadelta, {"lr": 0.5, "eps": 0.05, "rho": 0.3}),
    ("adamax-large-eps-small-beta1", "Adamax", R.adamax,
     {"lr": 0.05, "eps": 0.4, "betas": (0.25, 0.8)}),
    ("nadam-large-eps-small-beta1", "NAdam", R.nadam,
     {"lr": 0.05, "eps": 0.3, "betas": (0.2, 0.7)}),
    ("radam-large-eps-rectified", "RAdam", R.radam,
     {"lr": 0.05, "eps": 0.3, "betas": (0.9, 0.9)}),
    ("radam-small-beta1-decoupled", "RAdam", R.radam,
     {"lr": 0.05, "betas": (0.3, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True}),
]  # fmt: skip


@pytest.fixture
def float64_default():
    before = tt.get_default_dtype()
    tt.set_default_dtype(tt.float64)
    try:
        yield
    finally:
        tt.set_default_dtype(before)


def _reference(rule, kwargs, steps=STEPS):
    ref, state, out = P0.copy(), {}, []
    for _ in range(steps):
        ref = rule(ref, grad_np(ref), state, **kwargs)
        out.append(ref)
    return out


ALL = CASES + EXTRA


@pytest.mark.parametrize("cid,name,rule,kwargs", ALL, ids=[c[0] for c in ALL])
def test_update_rule_in_float64_to_1e_12(float64_default, cid, name, rule, kwargs):
    p = tt.tensor(P0.copy(), requires_grad=True)
    opt = getattr(tt.optim, name)([p], **kwargs)
    for step, ref in enumerate(_reference(rule, kwargs)):
        opt.zero_grad()
        loss_fn(p).backward()
        opt.step()
        np.testing.assert_allclose(
            p.detach().numpy(), ref, rtol=1e-12, atol=1e-15, err_msg=f"step {step}"
        )
    for value in opt.state[p].values():
        if isinstance(value, tt.Tensor) and value.is_floating_point():
            assert value.dtype == tt.float64


LARGE_EPS = [c for c in EXTRA if "eps" in c[3]]


@pytest.mark.parametrize("cid,name,rule,kwargs", LARGE_EPS, ids=[c[0] for c in LARGE_EPS])
def test_the_large_eps_cases_are_telling(cid, name, rule, kwargs):
    """Each extra case moves the parameters measurably differently from the same case with
    the default eps (so where eps sits is visible)."""
    plain = {k: v for k, v in kwargs.items() if k != "eps"}
    a, b = _reference(rule, kwargs)[-1], _reference(rule, plain)[-1]
    assert np.abs(a - b).max() > 1e-4
