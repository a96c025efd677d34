"""Learning-rate schedulers without torch, beyond the formulas of test_lr_scheduler.py: built
with ``last_epoch=k`` (a resumed run) they carry on the schedule; built with their defaults
they follow the formula with PyTorch 2.13's defaults; their argument bounds are inclusive
where PyTorch's are, with PyTorch's messages; lambda schedulers' state dicts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytensor as tt
from optim.test_lr_scheduler import BASES, _sgd

LRS = tt.optim.lr_scheduler

# (id, factory(opt, **kw)); each is resumed at epoch 7, which no schedule treats specially
RESUMABLE = {
    "step": lambda o, **kw: LRS.StepLR(o, 3, gamma=0.5, **kw),
    "multistep": lambda o, **kw: LRS.MultiStepLR(o, [2, 5, 5, 9], 0.3, **kw),
    "exponential": lambda o, **kw: LRS.ExponentialLR(o, 0.9, **kw),
    "cosine": lambda o, **kw: LRS.CosineAnnealingLR(o, 4, 0.01, **kw),
    "lambda": lambda o, **kw: LRS.LambdaLR(o, lambda e: 1 / (e + 1), **kw),
    "multiplicative": lambda o, **kw: LRS.MultiplicativeLR(o, lambda e: 0.9 + 0.01 * e, **kw),
    "constant": lambda o, **kw: LRS.ConstantLR(o, 0.25, total_iters=9, **kw),
    "linear": lambda o, **kw: LRS.LinearLR(o, 0.2, 0.9, total_iters=10, **kw),
    "polynomial": lambda o, **kw: LRS.PolynomialLR(o, 12, power=2.0, **kw),
}


def _run(sched, opt, steps):
    out = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return np.array(out)


@pytest.mark.parametrize("rid", list(RESUMABLE))
def test_built_with_last_epoch_the_schedule_carries_on(rid):
    opt = _sgd(tt)
    straight = _run(RESUMABLE[rid](opt), opt, 15)
    resumed_opt = _sgd(tt)
    for group, base, lr in zip(resumed_opt.param_groups, BASES, straight[7]):
        group["initial_lr"], group["lr"] = base, float(lr)
    sched = RESUMABLE[rid](resumed_opt, last_epoch=6)
    assert sched.last_epoch == 7 and sched.base_lrs == list(BASES)
    np.testing.assert_allclose(_run(sched, resumed_opt, 8), straight[7:], rtol=1e-12)


def test_cosine_get_lr_called_right_after_construction():
    """PyTorch's first-step branch: a resumed CosineAnnealingLR asked for ``get_lr()`` before
    any ``step`` answers the closed form at its epoch; a fresh one the recursive form."""
    opt = _sgd(tt)
    for group, base in zip(opt.param_groups, BASES):
        group["initial_lr"] = base
    resumed = LRS.CosineAnnealingLR(opt, 4, eta_min=0.01, last_epoch=2)
    want = [0.01 + (b - 0.01) * (1 + math.cos(3 * math.pi / 4)) / 2 for b in BASES]
    assert resumed.get_lr() == pytest.approx(want, rel=1e-12)
    opt = _sgd(tt)
    for group, base in zip(opt.param_groups, BASES):
        group["initial_lr"], group["lr"] = base, base / 2  # the closed form ignores the lr
    at_one = LRS.CosineAnnealingLR(opt, 4, eta_min=0.01, last_epoch=0)
    want = [0.01 + (b - 0.01) * (1 + math.cos(math.pi / 4)) / 2 for b in BASES]
    assert at_one.get_lr() == pytest.approx(want, rel=1e-12)
    fresh = LRS.CosineAnnealingLR(_sgd(tt), 4, eta_min=0.01)
    ratio = 2 / (1 + math.cos(math.pi / 4))
    assert fresh.get_lr() == pytest.approx([ratio * (b - 0.01) + 0.01 for b in BASES], rel=1e-12)


# PyTorch 2.13's defaults: gamma=0.1 (StepLR, MultiStepLR); factor=1/3, total_iters=5
# (ConstantLR); start_factor=1/3, end_factor=1, total_iters=5 (LinearLR); total_iters=5,
# power=1 (PolynomialLR); eta_min=0 (CosineAnnealingLR)
DEFAULTS = {
    "step": (lambda o: LRS.StepLR(o, 2), lambda e, b: b * 0.1 ** (e // 2)),
    "multistep": (lambda o: LRS.MultiStepLR(o, [3, 6]),
                  lambda e, b: b * 0.1 ** ((e >= 3) + (e >= 6))),
    "constant": (lambda o: LRS.ConstantLR(o), lambda e, b: b / 3 if e < 5 else b),
    "linear": (lambda o: LRS.LinearLR(o), lambda e, b: b * (1 / 3 + 2 / 3 * min(e, 5) / 5)),
    "polynomial": (lambda o: LRS.PolynomialLR(o), lambda e, b: b * (1 - min(e, 5) / 5)),
    "cosine": (lambda o: LRS.CosineAnnealingLR(o, 6),
               lambda e, b: b * (1 + math.cos(math.pi * e / 6)) / 2),
}  # fmt: skip


@pytest.mark.parametrize("rid", list(DEFAULTS))
def test_defaults_are_pytorchs(rid):
    make, formula = DEFAULTS[rid]
    opt = _sgd(tt)
    got = _run(make(opt), opt, 10)
    want = np.array([[formula(e, b) for b in BASES] for e in range(11)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)


def test_factor_bounds_are_inclusive_where_pytorchs_are():
    opt = _sgd(tt)
    LRS.ConstantLR(opt, factor=1.0)
    LRS.ConstantLR(_sgd(tt), factor=0.0)
    LRS.LinearLR(_sgd(tt), start_factor=1.0, end_factor=0.0)
    LRS.LinearLR(_sgd(tt), start_factor=1e-9, end_factor=1.0)
    cases = [
        (lambda o: LRS.ConstantLR(o, factor=-0.5),
         "ConstantLR: invalid factor -0.5; constant multiplicative factor expected to be "
         "between 0 and 1."),
        (lambda o: LRS.ConstantLR(o, factor=1.5),
         "ConstantLR: invalid factor 1.5; constant multiplicative factor expected to be "
         "between 0 and 1."),
        (lambda o: LRS.LinearLR(o, start_factor=1.5),
         "LinearLR: invalid start_factor 1.5; starting multiplicative factor expected to be "
         "greater than 0 and less or equal to 1."),
        (lambda o: LRS.LinearLR(o, end_factor=1.5),
         "LinearLR: invalid end_factor 1.5; ending multiplicative factor expected to be between "
         "0 and 1."),
        (lambda o: LRS.LinearLR(o, end_factor=-0.1),
         "LinearLR: invalid end_factor -0.1; ending multiplicative factor expected to be between "
         "0 and 1."),
    ]  # fmt: skip
    for make, message in cases:
        with pytest.raises(ValueError) as info:
            make(_sgd(tt))
        assert str(info.value) == message


def test_multiplicative_needs_callables():
    with pytest.raises(TypeError) as info:
        LRS.MultiplicativeLR(_sgd(tt), [lambda e: 1.0, 0.5])
    assert str(info.value) == "lr_lambda should be a function, but got float"


def test_lambda_state_dict_leaves_out_the_optimizer_and_loads_without_lambdas():
    opt = _sgd(tt)
    sched = LRS.LambdaLR(opt, lambda e: 0.5**e)
    for _ in range(3):
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["lr_lambdas"] == [None, None]
    assert sd["last_epoch"] == 3
    other = LRS.MultiplicativeLR(_sgd(tt), lambda e: 0.5)
    fn = other.lr_lambdas[0]
    plain = {k: v for k, v in sd.items() if k != "lr_lambdas"}
    other.load_state_dict(plain)  # a state dict without lambdas leaves them as they are
    assert other.last_epoch == 3 and other.lr_lambdas[0] is fn
    assert other.optimizer is not opt


def test_step_with_an_epoch_without_a_closed_form_uses_get_lr():
    opt = _sgd(tt)
    sched = LRS.LambdaLR(opt, lambda e: 0.5**e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument is deprecated, as in PyTorch
        sched.step(3)
    assert sched.last_epoch == 3
    assert sched.get_last_lr() == pytest.approx([b * 0.125 for b in BASES], rel=1e-12)


def test_base_scheduler_messages():
    with pytest.raises(TypeError) as info:
        LRS.StepLR(object(), 2)
    assert str(info.value) == "object is not an Optimizer"
    with pytest.raises(KeyError) as info:
        LRS.StepLR(tt.optim.SGD([tt.zeros(1, requires_grad=True)]), 2, last_epoch=3)
    assert info.value.args[0] == (
        "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with "
        "last_epoch >= 0; load the optimizer's state_dict first, or start with last_epoch=-1"
    )
    with pytest.raises(NotImplementedError) as info:
        LRS.LRScheduler(_sgd(tt))
    assert str(info.value) == "LRScheduler does not implement get_lr"
