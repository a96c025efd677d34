"""CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts rule by rule, without PyTorch: their
defaults (PyTorch 2.13's), the amplitude function and what it is given (cycle or iteration),
the momentum or beta1 they write (and only that), a run resumed with ``last_epoch``, state
dicts holding a callable scale function, restarts reached through ``step(epoch)`` exactly at
a cycle's end, the inclusive bounds of their arguments and their exact messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt

LRS = tt.optim.lr_scheduler


def _sgd(*lrs):
    groups = [{"params": [tt.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs or (0.1,)]
    return tt.optim.SGD(groups, lr=1.0, momentum=0.9)


def _adam():
    return tt.optim.Adam([tt.zeros(1, requires_grad=True)], lr=0.1, betas=(0.9, 0.995))


def _steps(opt, sched, n):
    out = [(sched.get_last_lr(), _momenta(opt))]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append((sched.get_last_lr(), _momenta(opt)))
    return out


def _momenta(opt):
    return [g["betas"] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _tri(e, up, down):
    """The triangular wave in [0, 1]: up over ``up`` steps, down over ``down``."""
    total = up + down
    x = e % total
    return x / up if x <= up else (total - x) / down


# --- CyclicLR -------------------------------------------------------------------------------


def test_cyclic_defaults_are_pytorchs():
    """step_size_up=2000 (down the same), triangular, base/max momentum 0.8/0.9."""
    opt = _sgd()
    sched = LRS.CyclicLR(opt, 0.1, 1.0)
    got = _steps(opt, sched, 3)
    for e, (lrs, mom) in enumerate(got):
        assert lrs == pytest.approx([0.1 + 0.9 * e / 2000], rel=1e-12)
        assert mom == pytest.approx([0.9 - 0.1 * e / 2000], rel=1e-12)
    assert sched.total_size == 4000.0 and sched.step_ratio == 0.5
    assert sched.scale_mode == "cycle" and sched.gamma == 1.0


def test_cyclic_exp_range_with_the_default_gamma_is_triangular():
    a, b = _sgd(), _sgd()
    tri = _steps(a, LRS.CyclicLR(a, 0.1, 1.0, step_size_up=3), 14)
    exp = _steps(b, LRS.CyclicLR(b, 0.1, 1.0, step_size_up=3, mode="exp_range"), 14)
    np.testing.assert_allclose([r[0] for r in exp], [r[0] for r in tri], rtol=1e-12)


def test_cyclic_triangular_ignores_gamma_and_a_given_scale_mode():
    a, b = _sgd(), _sgd()
    plain = _steps(a, LRS.CyclicLR(a, 0.1, 1.0, step_size_up=2), 10)
    sched = LRS.CyclicLR(b, 0.1, 1.0, step_size_up=2, gamma=0.5, scale_mode="iterations")
    assert sched.scale_mode == "cycle"
    assert _steps(b, sched, 10) == plain


@pytest.mark.parametrize(
    "mode,given,used",
    [("triangular2", "iterations", "cycle"), ("exp_range", "cycle", "iterations")],
)
def test_cyclic_builtin_modes_choose_their_own_scale_mode(mode, given, used):
    opt = _sgd()
    sched = LRS.CyclicLR(opt, 0.1, 1.0, step_size_up=2, mode=mode, gamma=0.8, scale_mode=given)
    assert sched.scale_mode == used
    got = [lrs[0] for lrs, _ in _steps(opt, sched, 13)]
    for e, lr in enumerate(got):
        cycle = math.floor(1 + e / 4)
        scale = 0.5 ** (cycle - 1) if mode == "triangular2" else 0.8**e
        assert lr == pytest.approx(0.1 + 0.9 * _tri(e, 2, 2) * scale, rel=1e-12), e


@pytest.mark.parametrize("scale_mode", ["cycle", "iterations"])
def test_cyclic_custom_scale_fn_gets_the_cycle_or_the_iteration(scale_mode):
    seen = []

    def halve(x):
        seen.append(x)
        return 0.5**x

    opt = _sgd()
    sched = LRS.CyclicLR(
        opt, 0.1, 1.0, step_size_up=2, step_size_down=3, scale_fn=halve, scale_mode=scale_mode
    )
    got = [lrs[0] for lrs, _ in _steps(opt, sched, 11)]
    arg = [math.floor(1 + e / 5) if scale_mode == "cycle" else e for e in range(12)]
    assert seen == arg and sched.scale_mode == scale_mode
    want = [0.1 + 0.9 * _tri(e, 2, 3) * 0.5**a for e, a in zip(range(12), arg)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cyclic_default_scale_mode_for_a_custom_fn_is_cycle():
    seen = []
    opt = _sgd()
    LRS.CyclicLR(opt, 0.1, 1.0, step_size_up=1, scale_fn=lambda x: seen.append(x) or 1.0)
    assert seen == [1]


def test_cyclic_writes_beta1_and_keeps_beta2():
    opt = _adam()
    sched = LRS.CyclicLR(opt, 0.1, 1.0, step_size_up=2)
    group = opt.param_groups[0]
    assert "momentum" not in group
    assert (group["base_momentum"], group["max_momentum"]) == (0.8, 0.9)
    for lrs, (betas,) in _steps(opt, sched, 5):
        assert len(betas) == 2 and betas[1] == 0.995
        assert betas[0] == pytest.approx(0.9 - 0.1 * (lrs[0] - 0.1) / 0.9, rel=1e-12)


def test_cyclic_state_dict_keeps_a_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate**x

    opt = _sgd()
    fn = Decay()
    sched = LRS.CyclicLR(opt, 0.1, 1.0, step_size_up=2, scale_fn=fn)
    fn.rate = 0.25
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] == {"rate": 0.25} and "optimizer" not in sd
    other_fn = Decay()
    other = LRS.CyclicLR(_sgd(), 0.1, 1.0, step_size_up=2, scale_fn=other_fn)
    other.load_state_dict(sd)
    assert other._scale_fn_custom is other_fn and other_fn.rate == 0.25
    plain = LRS.CyclicLR(_sgd(), 0.1, 1.0, scale_fn=lambda x: 1.0).state_dict()
    assert plain["_scale_fn_custom"] is None
    assert LRS.CyclicLR(_sgd(), 0.1, 1.0).state_dict()["_scale_fn_custom"] is None
    other.load_state_dict(plain)  # None: the function's state is left as it is
    assert other_fn.rate == 0.25


# --- resumed runs ------------------------------------------------------------------------------

RESUMED = {
    "cyclic": lambda o, **kw: LRS.CyclicLR(o, 0.01, 0.1, step_size_up=3, **kw),
    "onecycle": lambda o, **kw: LRS.OneCycleLR(o, 1.0, total_steps=14, **kw),
    "warm-restarts": lambda o, **kw: LRS.CosineAnnealingWarmRestarts(o, 3, eta_min=0.001, **kw),
}


@pytest.mark.parametrize("rid", list(RESUMED))
def test_built_with_last_epoch_a_cyclic_schedule_carries_on(rid):
    make = RESUMED[rid]
    opt = _sgd(0.1, 0.05)
    straight = _steps(opt, make(opt), 12)
    opt = _sgd(0.1, 0.05)
    first = make(opt)
    for _ in range(6):
        opt.step()
        first.step()
    sched = make(opt, last_epoch=6)
    assert sched.last_epoch == 7
    got = _steps(opt, sched, 5)
    for (lrs, mom), (want_lrs, want_mom) in zip(got, straight[7:]):
        assert lrs == pytest.approx(want_lrs, rel=1e-12)
        assert mom == pytest.approx(want_mom, rel=1e-12)


# --- CosineAnnealingWarmRestarts -------------------------------------------------------------


@pytest.mark.parametrize("t0", [1, 3])
def test_warm_restarts_default_t_mult_is_1(t0):
    opt = _sgd()
    sched = LRS.CosineAnnealingWarmRestarts(opt, t0)
    got = _steps(opt, sched, 8)
    for e, (lrs, _) in enumerate(got):
        assert lrs == pytest.approx([0.05 * (1 + math.cos(math.pi * (e % t0) / t0))], rel=1e-12)
    assert sched.last_epoch == 8 and sched.T_i == t0


@pytest.mark.parametrize("t_mult", [1, 2])
def test_warm_restarts_step_to_an_epoch_at_a_cycle_end(t_mult):
    """step(epoch) exactly at a restart starts the new cycle (lr back to base, T_i grown)."""
    opt = _sgd()
    sched = LRS.CosineAnnealingWarmRestarts(opt, 2, t_mult, eta_min=0.01)
    restarts = [2, 4, 6] if t_mult == 1 else [2, 6, 14]
    for k, epoch in enumerate(restarts):
        sched.step(epoch)
        assert sched.get_last_lr() == pytest.approx([0.1], rel=1e-12), epoch
        assert sched.T_cur == 0 and sched.T_i == 2 * t_mult ** (k + 1)
        assert sched.last_epoch == epoch
        sched.step(epoch + 1)
        t_i = 2 * t_mult ** (k + 1)
        want = 0.01 + 0.09 * (1 + math.cos(math.pi / t_i)) / 2
        assert sched.get_last_lr() == pytest.approx([want], rel=1e-12)
    sched.step(1)
    assert sched.T_i == 2 and sched.T_cur == 1


def test_warm_restarts_arguments():
    LRS.CosineAnnealingWarmRestarts(_sgd(), 1, 1, eta_min=0)
    cases = [
        (lambda: LRS.CosineAnnealingWarmRestarts(_sgd(), 2, eta_min="0.1"),
         "Expected float or int eta_min, but got 0.1 of type <class 'str'>"),
        (lambda: LRS.CosineAnnealingWarmRestarts(_sgd(), 0),
         "Expected positive integer T_0, but got 0"),
        (lambda: LRS.CosineAnnealingWarmRestarts(_sgd(), 2, 0),
         "Expected integer T_mult >= 1, but got 0"),
        (lambda: LRS.CosineAnnealingWarmRestarts(_sgd(), 2).step(-1),
         "Expected non-negative epoch, but got -1"),
    ]  # fmt: skip
    for make, message in cases:
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value) == message


# --- OneCycleLR -------------------------------------------------------------------------------


def test_onecycle_edge_arguments_are_accepted():
    """total_steps=1, pct_start 0.0 and 1.0 are valid; their first lrs (by the formula)."""
    cases = [
        (dict(total_steps=1), 1.0 / 25 / 1e4),
        (dict(total_steps=10, pct_start=0.0),
         4e-6 + (1 - 4e-6) / 2 * (1 + math.cos(math.pi / 10))),
        (dict(total_steps=10, pct_start=1.0), 0.04),
        (dict(epochs=1, steps_per_epoch=1), 1.0 / 25 / 1e4),
    ]  # fmt: skip
    for kwargs, first in cases:
        sched = LRS.OneCycleLR(_sgd(), 1.0, **kwargs)
        assert sched.get_last_lr() == pytest.approx([first], rel=1e-12), kwargs


def test_onecycle_writes_beta1_and_keeps_beta2():
    opt = _adam()
    sched = LRS.OneCycleLR(opt, 1.0, total_steps=10)
    group = opt.param_groups[0]
    assert "momentum" not in group and group["betas"] == (0.95, 0.995)
    assert (group["base_momentum"], group["max_momentum"]) == (0.85, 0.95)
    for _, (betas,) in _steps(opt, sched, 5):
        assert len(betas) == 2 and betas[1] == 0.995


def test_cyclic_and_onecycle_messages():
    adagrad = tt.optim.Adagrad([tt.zeros(1, requires_grad=True)])
    cases = [
        (lambda: LRS.OneCycleLR(object(), 1.0, 10), TypeError, "object is not an Optimizer"),
        (lambda: LRS.CyclicLR(object(), 0.1, 1.0), TypeError, "object is not an Optimizer"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, total_steps=0), ValueError,
         "Expected positive integer total_steps, but got 0"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, total_steps=2.5), ValueError,
         "Expected positive integer total_steps, but got 2.5"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, epochs=0, steps_per_epoch=3), ValueError,
         "Expected positive integer epochs, but got 0"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, epochs=2.0, steps_per_epoch=3), ValueError,
         "Expected positive integer epochs, but got 2.0"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, epochs=2, steps_per_epoch=0), ValueError,
         "Expected positive integer steps_per_epoch, but got 0"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, epochs=2, steps_per_epoch=1.5), ValueError,
         "Expected positive integer steps_per_epoch, but got 1.5"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, epochs=2), ValueError,
         "You must define either total_steps OR (epochs AND steps_per_epoch)"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, steps_per_epoch=2), ValueError,
         "You must define either total_steps OR (epochs AND steps_per_epoch)"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, 10, pct_start=1.5), ValueError,
         "Expected float between 0 and 1 pct_start, but got 1.5"),
        (lambda: LRS.OneCycleLR(_sgd(), 1.0, 10, pct_start=-0.1), ValueError,
         "Expected float between 0 and 1 pct_start, but got -0.1"),
        (lambda: LRS.CyclicLR(_sgd(), 0.1, 1.0, mode="zig"), ValueError,
         "CyclicLR: mode 'zig' is invalid and scale_fn is None; use 'triangular', "
         "'triangular2' or 'exp_range', or pass a scale_fn"),
        (lambda: LRS.CyclicLR(adagrad, 0.1, 1.0), ValueError,
         "CyclicLR: optimizer must support momentum or beta1 with `cycle_momentum` option "
         "enabled; pass cycle_momentum=False"),
        (lambda: LRS.OneCycleLR(adagrad, 0.1, 10), ValueError,
         "OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` option "
         "enabled; pass cycle_momentum=False"),
        (lambda: LRS.CyclicLR(_sgd(), 0.1, 1.0, base_momentum=[0.1, 0.2]), ValueError,
         "base_momentum must have the same length as optimizer.param_groups. base_momentum "
         "has 2 values, param_groups has 1."),
        (lambda: LRS.CyclicLR(_sgd(), 0.1, 1.0, max_momentum=[0.1, 0.2]), ValueError,
         "max_momentum must have the same length as optimizer.param_groups. max_momentum "
         "has 2 values, param_groups has 1."),
        (lambda: LRS.CyclicLR(_sgd(), [0.1, 0.2], 1.0), ValueError,
         "base_lr must have the same length as optimizer.param_groups. base_lr has 2 values, "
         "param_groups has 1."),
        (lambda: LRS.OneCycleLR(_sgd(), [1.0, 2.0], 10), ValueError,
         "max_lr must have the same length as optimizer.param_groups. max_lr has 2 values, "
         "param_groups has 1."),
    ]  # fmt: skip
    for make, error, message in cases:
        with pytest.raises(error) as info:
            make()
        assert str(info.value) == message
