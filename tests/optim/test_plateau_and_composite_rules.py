"""ReduceLROnPlateau and the composite schedulers, rule by rule, without PyTorch: metrics that
land exactly on the improvement threshold (it is strict), scales where the relative and the
absolute threshold disagree, the cooldown count and the eps cut-off at their boundaries, its
attributes after each step against a Python oracle; param groups added later; SequentialLR's
milestone at epoch 1; a ChainedScheduler of one; the exact error messages."""

from __future__ import annotations

import math

import pytest

import tinytensor as tt

LRS = tt.optim.lr_scheduler


def _opt(*lrs):
    groups = [{"params": [tt.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return tt.optim.SGD(groups, lr=1.0, momentum=0.9)


def _oracle(metrics, lrs, mode, threshold_mode, threshold, factor, patience, cooldown, min_lr,
            eps):  # fmt: skip
    """The documented rule, one tuple per step: (lrs, best, bad epochs, cooldown counter)."""
    best = math.inf if mode == "min" else -math.inf
    bad = cool = 0
    lrs, out = list(lrs), []
    for m in metrics:
        if mode == "min":
            edge = best * (1 - threshold) if threshold_mode == "rel" else best - threshold
            better = m < edge
        else:
            edge = best * (1 + threshold) if threshold_mode == "rel" else best + threshold
            better = m > edge
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            for i, lr in enumerate(lrs):
                new = max(lr * factor, min_lr)
                if lr - new > eps:
                    lrs[i] = new
            cool, bad = cooldown, 0
        out.append((list(lrs), best, bad, cool))
    return out


# With threshold 0.25 and a best of 8: "rel" needs < 6 (min) or > 10 (max), "abs" < 7.75 or
# > 8.25, exactly (binary fractions). Each sequence hits its own edge exactly and has values
# the other threshold mode judges the other way.
SEQUENCES = {
    ("min", "rel"): [8.0, 6.0, 7.0, 5.0, 3.75, 3.0, 9.0, 2.0, 1.5, 1.5, 1.0, 4.0],
    ("min", "abs"): [8.0, 7.75, 7.5, 7.0, 6.9, 6.75, 9.0, 6.5, 6.3, 6.25, 1.0, 4.0],
    ("max", "rel"): [8.0, 10.0, 9.0, 11.0, 13.75, 14.0, 1.0, 18.0, 22.5, 22.5, 30.0, 4.0],
    ("max", "abs"): [8.0, 8.25, 8.5, 9.0, 9.1, 9.25, 1.0, 9.5, 9.7, 9.75, 30.0, 4.0],
}
SETTINGS = [
    dict(factor=0.5, patience=1, cooldown=0, min_lr=0.0, eps=1e-8),
    dict(factor=0.5, patience=0, cooldown=2, min_lr=0.0, eps=1e-8),
    dict(factor=0.5, patience=0, cooldown=1, min_lr=0.125, eps=1e-8),
    # lrs 1 and 0.5 halve to 0.5 and 0.25: a cut of exactly eps=0.25 is too small
    dict(factor=0.5, patience=0, cooldown=0, min_lr=0.0, eps=0.25),
]
CASES = [(m, t, i) for (m, t) in SEQUENCES for i in range(len(SETTINGS))]


@pytest.mark.parametrize("mode,threshold_mode,setting", CASES)
def test_plateau_follows_the_rule_step_by_step(mode, threshold_mode, setting):
    kw = SETTINGS[setting]
    metrics = SEQUENCES[(mode, threshold_mode)]
    opt = _opt(1.0, 0.5)
    sched = LRS.ReduceLROnPlateau(
        opt, mode=mode, threshold=0.25, threshold_mode=threshold_mode, **kw
    )
    assert sched.last_epoch == 0 and sched.num_bad_epochs == 0
    assert sched.cooldown_counter == 0 and not sched.in_cooldown
    assert sched.get_last_lr() == [1.0, 0.5]
    want = _oracle(metrics, [1.0, 0.5], mode, threshold_mode, 0.25, **kw)
    for epoch, (m, (lrs, best, bad, cool)) in enumerate(zip(metrics, want), start=1):
        sched.step(m)
        assert sched.last_epoch == epoch
        assert sched.get_last_lr() == lrs and [g["lr"] for g in opt.param_groups] == lrs
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == (best, bad, cool)
        assert sched.in_cooldown == (cool > 0)


def test_the_sequences_tell_the_threshold_modes_apart():
    """On each sequence the two threshold modes (and the two modes' edges) give different
    histories, so a swapped or constant-folded mode cannot pass."""
    kw = SETTINGS[0]
    for (mode, tmode), metrics in SEQUENCES.items():
        other = "abs" if tmode == "rel" else "rel"
        a = _oracle(metrics, [1.0, 0.5], mode, tmode, 0.25, **kw)
        b = _oracle(metrics, [1.0, 0.5], mode, other, 0.25, **kw)
        assert [r[1:3] for r in a] != [r[1:3] for r in b], (mode, tmode)


def test_plateau_epoch_argument_and_groups_added_later():
    opt = _opt(1.0)
    sched = LRS.ReduceLROnPlateau(opt, patience=0, min_lr=0.3)
    opt.add_param_group({"params": [tt.zeros(1, requires_grad=True)], "lr": 0.5})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.get_last_lr() == [0.3, 0.3] and sched.min_lrs == [0.3, 0.3]
    sched.step(3.0, epoch=10)
    assert sched.last_epoch == 10
    sched.step(4.0)
    assert sched.last_epoch == 11

    opt = _opt(1.0)
    sched = LRS.ReduceLROnPlateau(opt, patience=0, min_lr=[0.1])
    opt.add_param_group({"params": [tt.zeros(1, requires_grad=True)], "lr": 0.5})
    sched.step(1.0)
    with pytest.raises(RuntimeError) as info:
        sched.step(2.0)
    assert str(info.value) == (
        "The number of param groups in the `optimizer` (2) differs from when "
        "`ReduceLROnPlateau` was initialized (1); set its `min_lrs` to one value per group."
    )


def test_plateau_constructor_messages():
    cases = [
        (lambda: LRS.ReduceLROnPlateau(_opt(1.0), factor=1.0), ValueError,
         "ReduceLROnPlateau: invalid factor 1.0; Factor should be < 1.0."),
        (lambda: LRS.ReduceLROnPlateau(object()), TypeError, "object is not an Optimizer"),
        (lambda: LRS.ReduceLROnPlateau(_opt(1.0, 2.0), min_lr=[1, 2, 3]), ValueError,
         "expected 2 min_lrs, got 3"),
        (lambda: LRS.ReduceLROnPlateau(_opt(1.0), mode="mid"), ValueError,
         "mode mid is unknown!"),
        (lambda: LRS.ReduceLROnPlateau(_opt(1.0), threshold_mode="x"), ValueError,
         "threshold mode x is unknown!"),
    ]  # fmt: skip
    for make, error, message in cases:
        with pytest.raises(error) as info:
            make()
        assert str(info.value) == message


def test_composite_messages_name_the_composite_and_the_child():
    opt = _opt(1.0)

    class NotAScheduler:
        pass

    plateau = LRS.ReduceLROnPlateau(opt)
    other = LRS.StepLR(_opt(1.0), 2)
    cases = [
        (lambda: LRS.SequentialLR(opt, [NotAScheduler()], []), TypeError,
         "SequentialLR at index 0 should have `optimizer` as its attribute."),
        (lambda: LRS.ChainedScheduler([LRS.StepLR(opt, 2), NotAScheduler()]), TypeError,
         "ChainedScheduler at index 1 should have `optimizer` as its attribute."),
        (lambda: LRS.SequentialLR(opt, [plateau], []), ValueError,
         "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional "
         "kwargs to be specified when calling `step`, but got one at index 0 in the given "
         "schedulers sequence."),
        (lambda: LRS.ChainedScheduler([LRS.StepLR(opt, 2), other]), ValueError,
         "ChainedScheduler expects all schedulers to belong to the same optimizer, but got "
         "scheduler StepLR at index 1 with a different optimizer."),
        (lambda: LRS.SequentialLR(opt, [], []), ValueError,
         "SequentialLR expects at least one scheduler, but got no scheduler."),
        (lambda: LRS.ChainedScheduler([]), ValueError,
         "ChainedScheduler expects at least one scheduler to be chained, but got no "
         "scheduler."),
        (lambda: LRS.SequentialLR(opt, [LRS.StepLR(opt, 2)], [3]), ValueError,
         "Sequential Schedulers expects number of schedulers provided to be one more than the "
         "number of milestone points, but got number of schedulers 1 and the number of "
         "milestones to be equal to 1"),
    ]  # fmt: skip
    for make, error, message in cases:
        with pytest.raises(error) as info:
            make()
        assert str(info.value) == message


def test_sequential_with_a_milestone_at_epoch_1():
    """[ConstantLR(0.5) until epoch 1, then ExponentialLR(0.5) from its own epoch 0]."""
    opt = _opt(1.0, 0.25)
    seq = LRS.SequentialLR(
        opt, [LRS.ConstantLR(opt, 0.5, total_iters=10), LRS.ExponentialLR(opt, 0.5)], [1]
    )
    assert seq.optimizer is opt
    got = [seq.get_last_lr()]
    for _ in range(4):
        opt.step()
        seq.step()
        got.append(seq.get_last_lr())
    for base, lrs in zip((1.0, 0.25), zip(*got)):
        assert list(lrs) == [0.5 * base] + [base * 0.5 ** (e - 1) for e in range(1, 5)]
    sd = seq.state_dict()
    assert "optimizer" not in sd and [type(s) for s in sd["_schedulers"]] == [dict, dict]


def test_chained_scheduler_of_one():
    opt = _opt(1.0, 0.5)
    chained = LRS.ChainedScheduler([LRS.ExponentialLR(opt, 0.5)])
    assert chained.optimizer is opt and chained.get_last_lr() == [1.0, 0.5]
    chained.step()
    assert chained.get_last_lr() == [0.5, 0.25]
    sd = chained.state_dict()
    assert "optimizer" not in sd and sd["_schedulers"][0]["last_epoch"] == 1
