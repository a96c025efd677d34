"""Learning-rate schedulers: lr sequences against hand-computed formulas (NumPy only) and
against PyTorch 2.13 epoch by epoch with two parameter groups; state dicts and errors."""

from __future__ import annotations

import copy
import inspect
import math
import warnings

import numpy as np
import pytest

import tinytensor as tt

EPOCHS = 20


def _sgd(lib, lr0=0.1, lr1=0.02, momentum=0.9):
    groups = [
        {"params": [lib.zeros(2, requires_grad=True)], "lr": lr0},
        {"params": [lib.zeros(1, requires_grad=True)], "lr": lr1},
    ]
    return lib.optim.SGD(groups, lr=1.0, momentum=momentum)


def _adam(lib):
    return lib.optim.Adam([lib.zeros(2, requires_grad=True)], lr=0.1)


# (id, optimizer factory, scheduler factory(lib, opt))
S = "lr_scheduler"
ROWS = [
    ("step", _sgd, lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 3, gamma=0.5)),
    ("multistep", _sgd, lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [2, 5, 5, 9], 0.3)),
    ("exponential", _sgd, lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    ("cosine", _sgd, lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, 4, 0.01)),
    ("lambda", _sgd, lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))),
    (
        "multiplicative",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9 + 0.01 * e),
    ),
    ("constant", _sgd, lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, 0.25, total_iters=4)),
    ("linear", _sgd, lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, 0.2, 0.9, total_iters=6)),
    ("polynomial", _sgd, lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, 8, power=2.0)),
    (
        "warm-restarts",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3, 2, eta_min=0.001),
    ),
    (
        "cyclic-triangular-momentum",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, [0.1, 0.05], step_size_up=3),
    ),
    (
        "cyclic-triangular2",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
            o, 0.01, 0.1, 2, 4, mode="triangular2", cycle_momentum=False
        ),
    ),
    (
        "cyclic-exp-range-adam",
        _adam,
        lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
            o, 0.01, 0.1, 3, mode="exp_range", gamma=0.9
        ),
    ),
    (
        "onecycle-cos",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, [1.0, 0.5], total_steps=EPOCHS + 1),
    ),
    (
        "onecycle-linear-three-phase-adam",
        _adam,
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, 0.3, epochs=3, steps_per_epoch=7, anneal_strategy="linear", three_phase=True
        ),
    ),
    (
        "sequential",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
            o,
            [
                lib.optim.lr_scheduler.LinearLR(o, 0.1, total_iters=4),
                lib.optim.lr_scheduler.ExponentialLR(o, 0.8),
                lib.optim.lr_scheduler.StepLR(o, 2, 0.5),
            ],
            milestones=[5, 11],
        ),
    ),
    (
        "chained",
        _sgd,
        lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
            [
                lib.optim.lr_scheduler.ConstantLR(o, 0.5, total_iters=3),
                lib.optim.lr_scheduler.ExponentialLR(o, 0.9),
            ]
        ),
    ),
    ("swalr-cos", _sgd, lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.05, anneal_epochs=5)),
    (
        "swalr-linear-per-group",
        _sgd,
        lambda lib, o: lib.optim.swa_utils.SWALR(
            o, [0.5, 0.001], anneal_epochs=3, anneal_strategy="linear"
        ),
    ),
]
IDS = [r[0] for r in ROWS]


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


@pytest.mark.torch
@pytest.mark.parametrize("rid,make_opt,make_sched", ROWS, ids=IDS)
def test_scheduler_matches_torch(rid, make_opt, make_sched):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = make_opt(tt), make_opt(torch)
    ours, ref = make_sched(tt, ours_opt), make_sched(torch, ref_opt)
    assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)
    for epoch in range(EPOCHS):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), epoch
        lrs = [g["lr"] for g in ours_opt.param_groups]
        assert lrs == pytest.approx([g["lr"] for g in ref_opt.param_groups], rel=1e-12)
        assert _momenta(ours_opt) == pytest.approx(_momenta(ref_opt), rel=1e-12), epoch


@pytest.mark.torch
@pytest.mark.parametrize("rid,make_opt,make_sched", ROWS, ids=IDS)
def test_state_dict_restored_mid_run_continues_like_torch(rid, make_opt, make_sched):
    torch = pytest.importorskip("torch")
    seqs = []
    for lib in (tt, torch):
        opt = make_opt(lib)
        sched = make_sched(lib, opt)
        for _ in range(7):
            opt.step()
            sched.step()
        saved_sched = copy.deepcopy(sched.state_dict())
        saved_opt = copy.deepcopy(opt.state_dict())
        opt2 = make_opt(lib)
        sched2 = make_sched(lib, opt2)
        sched2.load_state_dict(saved_sched)
        opt2.load_state_dict(saved_opt)
        seq = []
        for _ in range(8):
            opt2.step()
            sched2.step()
            seq.append(sched2.get_last_lr())
        seqs.append(seq)
    np.testing.assert_allclose(np.array(seqs[0]), np.array(seqs[1]), rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("rid,make_opt,make_sched", ROWS, ids=IDS)
def test_state_dict_keys_are_torchs(rid, make_opt, make_sched):
    torch = pytest.importorskip("torch")
    ours = make_sched(tt, make_opt(tt)).state_dict()
    ref = make_sched(torch, make_opt(torch)).state_dict()
    private_torch_only = {"_get_lr_called_within_step", "_is_initial", "_scale_fn_ref"}
    assert set(ours) - {"_is_initial"} == set(ref) - private_torch_only


CLOSED_FORM = ["step", "multistep", "exponential", "cosine", "constant", "linear", "polynomial"]


@pytest.mark.torch
@pytest.mark.parametrize("rid", CLOSED_FORM)
def test_explicit_epoch_uses_the_closed_form_like_torch(rid):
    torch = pytest.importorskip("torch")
    _, make_opt, make_sched = ROWS[IDS.index(rid)]
    ours_opt, ref_opt = make_opt(tt), make_opt(torch)
    ours, ref = make_sched(tt, ours_opt), make_sched(torch, ref_opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates the epoch argument
        for epoch in (4, 7, 2, 12):
            ours.step(epoch)
            ref.step(epoch)
            assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)


@pytest.mark.torch
def test_warm_restarts_with_fractional_epochs_matches_torch():
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _sgd(tt), _sgd(torch)
    ours = tt.optim.lr_scheduler.CosineAnnealingWarmRestarts(ours_opt, 2, 3)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ref_opt, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in np.arange(0, 15, 0.35):
            ours.step(float(epoch))
            ref.step(float(epoch))
            assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)
            assert ours.T_i == ref.T_i


@pytest.mark.torch
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "max", "factor": 0.5, "patience": 1},
        {"patience": 0, "cooldown": 2, "min_lr": [0.01, 0.015]},
        {"threshold_mode": "abs", "threshold": 0.1, "patience": 1},
    ],
    ids=["defaults", "max-mode", "cooldown-min-lrs", "abs-threshold"],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _sgd(tt), _sgd(torch)
    ours = tt.optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.89, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8, 0.9] * 2
    for m in metrics:
        ours.step(m)
        ref.step(m)
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)
        assert ours.num_bad_epochs == ref.num_bad_epochs


SCHEDULER_NAMES = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
    "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR",
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("name", SCHEDULER_NAMES + ["SWALR"])
def test_constructor_takes_torchs_arguments_and_defaults(name):
    torch = pytest.importorskip("torch")
    mod = "swa_utils" if name == "SWALR" else "lr_scheduler"
    ours = inspect.signature(getattr(getattr(tt.optim, mod), name))
    ref = inspect.signature(getattr(getattr(torch.optim, mod), name))
    assert list(ours.parameters) == list(ref.parameters)
    for arg, p in ref.parameters.items():
        assert ours.parameters[arg].default == p.default, arg


# --- NumPy-only: the documented formulas, computed by hand --------------------------------


def _lrs(make_opt, make_sched, epochs=EPOCHS):
    opt = make_opt(tt)
    sched = make_sched(tt, opt)
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return np.array(out)


def _cyclic(e, base, top, up, down, scale=lambda c, e: 1.0):
    total = up + down
    cycle = math.floor(1 + e / total)
    x = 1.0 + e / total - cycle
    frac = x / (up / total) if x <= up / total else (x - 1) / (up / total - 1)
    return base + (top - base) * frac * scale(cycle, e)


def _onecycle(e, top, total, pct=0.3, div=25.0, final=1e4):
    lo, end = top / div, top / div / final
    up = pct * total - 1
    if e <= up:
        return lo + (top - lo) * (1 - math.cos(math.pi * e / up)) / 2
    t = (e - up) / (total - 1 - up)
    return end + (top - end) * (1 + math.cos(math.pi * t)) / 2


def _warm(e, base, t0, mult, lo):
    t_i, t_cur = t0, e
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= mult
    return lo + (base - lo) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def _swa(e, lr0, swa, n, anneal):
    t = max(0, min(1, e / max(1, n)))
    a = anneal(t)
    return swa * a + lr0 * (1 - a)


BASES = (0.1, 0.02)
FORMULAS = {
    "step": lambda e, b: b * 0.5 ** (e // 3),
    "multistep": lambda e, b: b * 0.3 ** sum(e >= m for m in [2, 5, 5, 9]),
    "exponential": lambda e, b: b * 0.9**e,
    "cosine": lambda e, b: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 4)) / 2,
    "lambda": lambda e, b: b / (e + 1),
    "multiplicative": lambda e, b: b * math.prod(0.9 + 0.01 * k for k in range(1, e + 1)),
    "constant": lambda e, b: b * (0.25 if e < 4 else 1.0),
    "linear": lambda e, b: b * (0.2 + 0.7 * min(e, 6) / 6),
    "polynomial": lambda e, b: b * (1 - min(e, 8) / 8) ** 2,
    "warm-restarts": lambda e, b: _warm(e, b, 3, 2, 0.001),
    "cyclic-triangular-momentum": lambda e, b: _cyclic(e, 0.01, {0.1: 0.1, 0.02: 0.05}[b], 3, 3),
    "cyclic-triangular2": lambda e, b: _cyclic(e, 0.01, 0.1, 2, 4, lambda c, e: 0.5 ** (c - 1)),
    "onecycle-cos": lambda e, b: _onecycle(e, {0.1: 1.0, 0.02: 0.5}[b], EPOCHS + 1),
    "sequential": lambda e, b: (
        b * (0.1 + 0.9 * min(e, 4) / 4) if e < 5
        else b * 0.8 ** (e - 5) if e < 11
        else b * 0.5 ** ((e - 11) // 2)
    ),
    "chained": lambda e, b: b * (0.5 if e < 3 else 1.0) * 0.9**e,
    "swalr-cos": lambda e, b: _swa(e, b, 0.05, 5, lambda t: (1 - math.cos(math.pi * t)) / 2),
}  # fmt: skip


@pytest.mark.parametrize("rid", list(FORMULAS))
def test_lr_sequence_matches_the_formula(rid):
    _, make_opt, make_sched = ROWS[IDS.index(rid)]
    got = _lrs(make_opt, make_sched)
    want = np.array([[FORMULAS[rid](e, b) for b in BASES] for e in range(EPOCHS + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_cyclic_momentum_moves_against_the_lr():
    opt = _sgd(tt)
    sched = tt.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=4)
    for _ in range(1, 12):
        opt.step()
        sched.step()
        lr = opt.param_groups[0]["lr"]
        frac = (lr - 0.01) / 0.09
        assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * frac, rel=1e-12)


def test_onecycle_refuses_to_step_past_total_steps():
    opt = _sgd(tt)
    sched = tt.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(2):
        sched.step()
    sched.step()  # step 3 is the last value PyTorch allows (it warns, not raises, at == total)
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_scheduler_state_dict_round_trip_through_save(tmp_path):
    opt = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    sched = tt.optim.lr_scheduler.MultiStepLR(opt, [2, 4], 0.5)
    for _ in range(3):
        sched.step()
    tt.save(sched.state_dict(), tmp_path / "s.tt")
    opt2 = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    sched2 = tt.optim.lr_scheduler.MultiStepLR(opt2, [7], 0.1)
    sched2.load_state_dict(tt.load(tmp_path / "s.tt"))
    assert sched2.last_epoch == 3 and sched2.base_lrs == [0.1]
    opt2.load_state_dict(opt.state_dict())
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.025]


def test_lambda_state_dict_keeps_callable_objects_state_but_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate**e

    opt = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    sched = tt.optim.lr_scheduler.LambdaLR(opt, [Decay()])
    sched.lr_lambdas[0].rate = 0.25
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.25}]
    plain = tt.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()
    assert plain["lr_lambdas"] == [None]
    other = tt.optim.lr_scheduler.LambdaLR(opt, [Decay()])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].rate == 0.25


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda o: tt.optim.lr_scheduler.LambdaLR(o, [lambda e: 1, lambda e: 2]), ValueError,
         "Expected 1 lr_lambdas"),
        (lambda o: tt.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.5), ValueError,
         "Factor should be < 1.0"),
        (lambda o: tt.optim.lr_scheduler.StepLR(object(), 2), TypeError, "not an Optimizer"),
        (lambda o: tt.optim.lr_scheduler.ConstantLR(o, factor=2), ValueError, "between 0 and 1"),
        (lambda o: tt.optim.lr_scheduler.LinearLR(o, start_factor=0), ValueError, "greater than 0"),
        (lambda o: tt.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 0), ValueError, "T_0"),
        (lambda o: tt.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, 0), ValueError,
         "T_mult"),
        (lambda o: tt.optim.lr_scheduler.CyclicLR(o, 0.1, 1, mode="zigzag"), ValueError,
         "mode 'zigzag' is invalid"),
        (lambda o: tt.optim.lr_scheduler.CyclicLR(tt.optim.Adagrad([tt.zeros(1,
         requires_grad=True)]), 0.1, 1), ValueError, "momentum or beta1"),
        (lambda o: tt.optim.lr_scheduler.OneCycleLR(o, 1.0), ValueError, "total_steps OR"),
        (lambda o: tt.optim.lr_scheduler.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError,
         "pct_start"),
        (lambda o: tt.optim.lr_scheduler.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
         ValueError, "anneal_strategy"),
        (lambda o: tt.optim.lr_scheduler.SequentialLR(o, [], []), ValueError, "at least one"),
        (lambda o: tt.optim.lr_scheduler.SequentialLR(
            o, [tt.optim.lr_scheduler.StepLR(o, 2)], [3]), ValueError, "one more than"),
        (lambda o: tt.optim.lr_scheduler.ChainedScheduler(
            [tt.optim.lr_scheduler.ReduceLROnPlateau(o)]), ValueError, "ReduceLROnPlateau"),
        (lambda o: tt.optim.lr_scheduler.ChainedScheduler(
            [tt.optim.lr_scheduler.StepLR(_sgd(tt), 2)], o), ValueError, "same optimizer"),
        (lambda o: tt.optim.swa_utils.SWALR(o, 0.1, anneal_epochs=-1), ValueError,
         "anneal_epochs"),
        (lambda o: tt.optim.lr_scheduler.StepLR(
            tt.optim.SGD([tt.zeros(1, requires_grad=True)]), 2, last_epoch=3), KeyError,
         "initial_lr"),
    ],
    ids=[
        "lambda-count", "plateau-factor", "not-an-optimizer", "constant-factor",
        "linear-start-factor", "warm-restarts-T0", "warm-restarts-Tmult", "cyclic-mode",
        "cyclic-no-momentum", "onecycle-no-length", "onecycle-pct-start", "onecycle-anneal",
        "sequential-empty", "sequential-milestones", "chained-plateau", "chained-optimizer",
        "swalr-anneal-epochs", "resume-without-initial-lr",
    ],
)  # fmt: skip
def test_constructor_errors(make, error, match):
    opt = tt.optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(error, match=match):
        make(opt)
