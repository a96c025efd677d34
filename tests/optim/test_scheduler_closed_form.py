"""``scheduler.step(epoch)``: the closed forms, against the formulas PyTorch documents, with
NumPy-free arithmetic only (no torch), at epochs on and between the milestones and the step
boundaries, in any order."""

import math
import warnings

import pytest

import tinytensor as tt
from tinytensor.optim import lr_scheduler as S

BASE = 0.5


def _opt():
    return tt.optim.SGD([tt.zeros(2, requires_grad=True)], lr=BASE)


def _lrs_at(sched, epochs):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument is deprecated, as in PyTorch
        for e in epochs:
            sched.step(e)
            out.append(sched.get_last_lr()[0])
    return out


EPOCHS = (0, 1, 2, 3, 4, 5, 9, 3, 4, 2, 12)


def test_multistep_closed_form_counts_the_milestones_reached():
    # lr = base * gamma ** (number of milestones <= epoch): a milestone epoch already decays
    got = _lrs_at(S.MultiStepLR(_opt(), milestones=[2, 4, 4], gamma=0.1), EPOCHS)
    reached = [sum(m <= e for m in (2, 4, 4)) for e in EPOCHS]
    assert got == pytest.approx([BASE * 0.1**k for k in reached], rel=1e-12)


def test_step_closed_form_decays_every_step_size_epochs():
    got = _lrs_at(S.StepLR(_opt(), step_size=3, gamma=0.5), EPOCHS)
    assert got == pytest.approx([BASE * 0.5 ** (e // 3) for e in EPOCHS], rel=1e-12)


def test_exponential_and_cosine_closed_forms():
    got = _lrs_at(S.ExponentialLR(_opt(), gamma=0.9), EPOCHS)
    assert got == pytest.approx([BASE * 0.9**e for e in EPOCHS], rel=1e-12)
    t_max, eta_min = 10, 0.01
    got = _lrs_at(S.CosineAnnealingLR(_opt(), T_max=t_max, eta_min=eta_min), EPOCHS)
    want = [eta_min + (BASE - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in EPOCHS]
    assert got == pytest.approx(want, rel=1e-12)


def test_constant_and_linear_closed_forms():
    got = _lrs_at(S.ConstantLR(_opt(), factor=0.25, total_iters=4), EPOCHS)
    assert got == pytest.approx([BASE * (0.25 if e < 4 else 1.0) for e in EPOCHS], rel=1e-12)
    got = _lrs_at(S.LinearLR(_opt(), start_factor=0.2, end_factor=1.0, total_iters=4), EPOCHS)
    want = [BASE * (0.2 + 0.8 * min(e, 4) / 4) for e in EPOCHS]
    assert got == pytest.approx(want, rel=1e-12)
