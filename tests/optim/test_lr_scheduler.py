"""Learning-rate schedulers against PyTorch, epoch by epoch, with several parameter groups."""

from __future__ import annotations

import warnings

import pytest

import tinytensor as tt

SCHEDULERS = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 2, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 5}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
    ("LambdaLR", {"lr_lambda": lambda e: 1 / (e + 1)}),
]


def _optimizers(torch):
    groups = lambda lib: [  # noqa: E731
        {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1},
        {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.02},
    ]
    return tt.optim.SGD(groups(tt), lr=1.0), torch.optim.SGD(groups(torch), lr=1.0)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS)
def test_scheduler_matches_torch_for_many_epochs(name, kwargs):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _optimizers(torch)
    ours = getattr(tt.optim.lr_scheduler, name)(ours_opt, **kwargs)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs)
    assert ours.get_last_lr() == pytest.approx(ref.get_last_lr())
    for epoch in range(14):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), epoch
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx(
            [g["lr"] for g in ref_opt.param_groups], rel=1e-12
        )
    assert ours.last_epoch == ref.last_epoch == 14


@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:5])
def test_explicit_epoch_uses_the_closed_form_like_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _optimizers(torch)
    ours = getattr(tt.optim.lr_scheduler, name)(ours_opt, **kwargs)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates the epoch argument
        for epoch in (4, 7, 2):
            ours.step(epoch)
            ref.step(epoch)
            assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "max", "factor": 0.5, "patience": 1},
        {"patience": 0, "cooldown": 2, "min_lr": [0.01, 0.015]},
        {"threshold_mode": "abs", "threshold": 0.1, "patience": 1},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _optimizers(torch)
    ours = tt.optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.89, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8, 0.9] * 2
    for m in metrics:
        ours.step(m)
        ref.step(m)
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)
        assert ours.num_bad_epochs == ref.num_bad_epochs


def test_scheduler_state_dict_round_trip(tmp_path):
    opt = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    sched = tt.optim.lr_scheduler.MultiStepLR(opt, [2, 4], 0.5)
    for _ in range(3):
        sched.step()
    tt.save(sched.state_dict(), tmp_path / "s.tt")
    opt2 = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    sched2 = tt.optim.lr_scheduler.MultiStepLR(opt2, [7], 0.1)
    sched2.load_state_dict(tt.load(tmp_path / "s.tt"))
    assert sched2.last_epoch == 3 and sched2.base_lrs == [0.1]
    # The optimizer's own state (its current lr) travels in the optimizer's state dict.
    opt2.load_state_dict(opt.state_dict())
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.025]


def test_lambda_lr_state_dict_leaves_out_functions_and_errors():
    opt = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    sched = tt.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5**e)
    assert "lr_lambdas" not in sched.state_dict()
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas"):
        tt.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1, lambda e: 2])
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        tt.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(TypeError, match="not an Optimizer"):
        tt.optim.lr_scheduler.StepLR(object(), 2)
    fresh = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        tt.optim.lr_scheduler.StepLR(fresh, 2, last_epoch=3)
