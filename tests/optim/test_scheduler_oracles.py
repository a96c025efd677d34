"""Learning-rate schedulers without torch, where test_lr_scheduler.py leans on PyTorch: a Python
oracle of ReduceLROnPlateau, the formulas of CyclicLR exp_range and three-phase linear OneCycleLR
(lr and the momentum/beta1 they cycle), per-group linear SWALR, step(epoch)'s closed form,
warm restarts at fractional epochs, and every scheduler resumed from its state_dict continuing
as the uninterrupted run."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import tinytensor as tt
from optim.test_lr_scheduler import (
    BASES,
    EPOCHS,
    FORMULAS,
    IDS,
    ROWS,
    _cyclic,
    _lrs,
    _sgd,
    _swa,
    _warm,
)

LRS = tt.optim.lr_scheduler


def _plateau_oracle(metrics, lrs, mode="min", factor=0.1, patience=10, threshold=1e-4,
                    threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):  # fmt: skip
    """ReduceLROnPlateau as documented: (lrs, bad epochs) after each metric."""
    min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(lrs)
    best = math.inf if mode == "min" else -math.inf
    bad = cool = 0
    lrs, out = list(lrs), []

    def better(a):
        if mode == "min":
            return a < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
        return a > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)

    for m in metrics:
        if better(m):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            for i, lr in enumerate(lrs):
                new = max(lr * factor, min_lrs[i])
                if lr - new > eps:
                    lrs[i] = new
            cool, bad = cooldown, 0
        out.append((list(lrs), bad))
    return out


PLATEAU = {
    "defaults": {},
    "max-mode": {"mode": "max", "factor": 0.5, "patience": 1},
    "cooldown-min-lrs": {"patience": 0, "cooldown": 2, "min_lr": [0.01, 0.015]},
    "abs-threshold": {"threshold_mode": "abs", "threshold": 0.1, "patience": 1},
    "eps-stops-tiny-cuts": {"patience": 0, "factor": 0.5, "eps": 0.02},
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau_oracle(name):
    kwargs = PLATEAU[name]
    opt = _sgd(tt)
    sched = LRS.ReduceLROnPlateau(opt, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.89, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8, 0.9] * 2
    want = _plateau_oracle(metrics, BASES, **kwargs)
    for m, (lrs, bad) in zip(metrics, want):
        sched.step(m)
        assert sched.get_last_lr() == pytest.approx(lrs, rel=1e-12)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(lrs, rel=1e-12)
        assert sched.num_bad_epochs == bad


def _onecycle_three_phase(e, top, total, lo_m=0.85, hi_m=0.95, pct=0.3, div=25.0, final=1e4):
    """Linear three-phase OneCycle: lr up, down to the start, then to the minimum; beta1
    the other way round (down, up, then flat)."""
    start, end = top / div, top / div / final
    ends = [pct * total - 1, 2 * pct * total - 2, total - 1]
    phases = [(start, top, hi_m, lo_m), (top, start, lo_m, hi_m), (start, end, hi_m, hi_m)]
    begin = 0.0
    for i, (stop, (l0, l1, m0, m1)) in enumerate(zip(ends, phases)):
        if e <= stop or i == 2:
            t = (e - begin) / (stop - begin)
            return l0 + (l1 - l0) * t, m0 + (m1 - m0) * t
        begin = stop


def _adam_rows(make_sched, epochs=EPOCHS):
    opt = tt.optim.Adam([tt.zeros(2, requires_grad=True)], lr=0.1)
    sched = make_sched(opt)
    rows = [(sched.get_last_lr()[0], opt.param_groups[0]["betas"][0])]
    for _ in range(epochs):
        opt.step()
        sched.step()
        rows.append((sched.get_last_lr()[0], opt.param_groups[0]["betas"][0]))
    return np.array(rows)


def test_onecycle_linear_three_phase_lr_and_beta1_formula():
    def make(o):
        return LRS.OneCycleLR(o, 0.3, epochs=3, steps_per_epoch=7, anneal_strategy="linear",
                              three_phase=True)  # fmt: skip

    got = _adam_rows(make)
    want = np.array([_onecycle_three_phase(e, 0.3, 21) for e in range(EPOCHS + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_cyclic_exp_range_lr_and_beta1_formula():
    """exp_range scales the cycle's amplitude by gamma**iteration, for the lr and (inverted,
    between base_momentum 0.8 and max_momentum 0.9) for Adam's beta1."""
    got = _adam_rows(lambda o: LRS.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.9))
    lr = [_cyclic(e, 0.01, 0.1, 3, 3, lambda c, e: 0.9**e) for e in range(EPOCHS + 1)]
    frac = [(v - 0.01) / 0.09 for v in lr]
    np.testing.assert_allclose(got[:, 0], lr, rtol=1e-10)
    np.testing.assert_allclose(got[:, 1], [0.9 - 0.1 * f for f in frac], rtol=1e-10)


def test_swalr_linear_per_group_formula():
    got = _lrs(_sgd, lambda lib, o: tt.optim.swa_utils.SWALR(o, [0.5, 0.001], anneal_epochs=3,
                                                             anneal_strategy="linear"))  # fmt: skip
    swa = {0.1: 0.5, 0.02: 0.001}
    want = [[_swa(e, b, swa[b], 3, lambda t: t) for b in BASES] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-10)


CLOSED_FORM = ["step", "multistep", "exponential", "cosine", "constant", "linear", "polynomial"]


@pytest.mark.parametrize("rid", CLOSED_FORM)
def test_step_with_an_epoch_uses_the_closed_form(rid):
    _, make_opt, make_sched = ROWS[IDS.index(rid)]
    opt = make_opt(tt)
    sched = make_sched(tt, opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument is deprecated, as in PyTorch
        for epoch in (4, 7, 2, 12, 3):
            sched.step(epoch)
            want = [FORMULAS[rid](epoch, b) for b in BASES]
            assert sched.get_last_lr() == pytest.approx(want, rel=1e-10), epoch


def test_warm_restarts_at_fractional_epochs():
    opt = _sgd(tt)
    sched = LRS.CosineAnnealingWarmRestarts(opt, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in np.arange(0, 15, 0.35):
            sched.step(float(epoch))
            want = [_warm(float(epoch), b, 2, 3, 0.0) for b in BASES]
            assert sched.get_last_lr() == pytest.approx(want, rel=1e-9, abs=1e-15), epoch
            t_i, restart = 2, 2  # cycles of 2, 6, 18 epochs: restarts at 2, 8, 26
            while epoch >= restart:
                t_i *= 3
                restart += t_i
            assert sched.T_i == t_i


@pytest.mark.parametrize("rid,make_opt,make_sched", ROWS, ids=IDS)
def test_state_dict_restored_mid_run_continues_the_same(rid, make_opt, make_sched):
    straight = _lrs(make_opt, make_sched, epochs=15)[8:]
    opt = make_opt(tt)
    sched = make_sched(tt, opt)
    for _ in range(7):
        opt.step()
        sched.step()
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    opt2 = make_opt(tt)
    sched2 = make_sched(tt, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    resumed = []
    for _ in range(8):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    np.testing.assert_allclose(np.array(resumed), straight, rtol=1e-12)
