"""Schedulers on an optimizer whose lr is a 0-d Tensor (no PyTorch needed): the group keeps
its Tensor and the scheduler writes into it in place; lrs the scheduler keeps or returns
(base_lrs, max_lrs, get_last_lr) are copies, never the group's Tensor; a list of values per
group must match the number of groups."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

LRS = tt.optim.lr_scheduler


def _opt(lr):
    return tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)


def test_step_lr_writes_into_the_groups_tensor_and_returns_copies():
    lr = tt.tensor(0.8)
    opt = _opt(lr)
    sched = LRS.StepLR(opt, 2, gamma=0.5)
    assert isinstance(sched.base_lrs[0], tt.Tensor) and sched.base_lrs[0] is not lr
    seen = []
    for _ in range(5):
        opt.step()
        sched.step()
        last = sched.get_last_lr()[0]
        assert opt.param_groups[0]["lr"] is lr and last is not lr
        seen.append(last)
    np.testing.assert_allclose([float(v) for v in seen], [0.8, 0.4, 0.4, 0.2, 0.2], rtol=1e-7)
    assert float(sched.base_lrs[0]) == pytest.approx(0.8)


def test_cyclic_lr_given_the_groups_own_tensor_as_base_lr():
    """base_lr is the very Tensor the group holds: the scheduler keeps a copy, so filling the
    group's lr does not move the base of the cycle."""
    opt = _opt(tt.tensor(0.1))
    group_lr = opt.param_groups[0]["lr"]
    top = tt.tensor(0.5)
    sched = LRS.CyclicLR(opt, base_lr=group_lr, max_lr=top, step_size_up=2)
    assert sched.base_lrs[0] is not group_lr and sched.max_lrs[0] is not top
    got = []
    for _ in range(6):
        opt.step()
        sched.step()
        got.append(float(sched.get_last_lr()[0]))
    np.testing.assert_allclose(got, [0.3, 0.5, 0.3, 0.1, 0.3, 0.5], rtol=1e-6)
    assert opt.param_groups[0]["lr"] is group_lr
    top.fill_(9.0)  # the caller's tensor is not the scheduler's
    opt.step()
    sched.step()
    assert float(sched.get_last_lr()[0]) == pytest.approx(0.3, rel=1e-6)


def test_per_group_values_must_match_the_groups():
    opt = tt.optim.SGD(
        [
            {"params": [tt.zeros(1, requires_grad=True)]},
            {"params": [tt.zeros(1, requires_grad=True)]},
        ],
        lr=0.1,
        momentum=0.9,
    )
    with pytest.raises(ValueError) as info:
        LRS.CyclicLR(opt, 0.01, [0.1, 0.2, 0.3])
    assert str(info.value) == (
        "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
        "param_groups has 2."
    )
    with pytest.raises(ValueError) as info:
        LRS.OneCycleLR(opt, [1.0], total_steps=10)
    assert str(info.value).startswith("max_lr must have the same length")


def test_initial_lr_is_a_copy_of_a_tensor_lr_and_base_lr_lists_are_copied():
    opt = _opt(tt.tensor(0.8))
    sched = LRS.StepLR(opt, 1, gamma=0.5)
    group = opt.param_groups[0]
    assert group["initial_lr"] is not group["lr"]
    for _ in range(2):
        opt.step()
        sched.step()
    assert float(group["lr"]) == pytest.approx(0.2)
    assert float(group["initial_lr"]) == pytest.approx(0.8)

    opt = _opt(tt.tensor(0.1))
    group_lr = opt.param_groups[0]["lr"]
    sched = LRS.CyclicLR(opt, base_lr=[group_lr], max_lr=[tt.tensor(0.5)], step_size_up=2)
    assert sched.base_lrs[0] is not group_lr
    got = []
    for _ in range(4):
        opt.step()
        sched.step()
        got.append(float(sched.get_last_lr()[0]))
    np.testing.assert_allclose(got, [0.3, 0.5, 0.3, 0.1], rtol=1e-6)
