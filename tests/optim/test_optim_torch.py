"""Every optimizer against PyTorch 2.13, float64, 20 steps from the same start: parameter
groups, maximize, weight decay, state_dict save/restore mid-run, L-BFGS with and without the
strong-Wolfe line search, constructor signatures and param_group keys."""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest

import tinytensor as tt
from optim.problems import numpy_of, problem, run

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

STEPS = 20

# (id, optimizer name, kwargs)
CONFIGS = [
    ("sgd-plain", "SGD", {"lr": 0.1}),
    ("sgd-momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    (
        "sgd-dampening-wd",
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
    ),
    ("sgd-nesterov", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("sgd-maximize", "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("adam-default", "Adam", {}),
    ("adam-wd", "Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    (
        "adam-amsgrad-maximize",
        "Adam",
        {"lr": 0.01, "amsgrad": True, "maximize": True, "weight_decay": 0.05},
    ),
    ("adam-decoupled", "Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw-default", "AdamW", {}),
    ("adamw-amsgrad", "AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("rmsprop-default", "RMSprop", {}),
    ("rmsprop-momentum", "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}),
    ("rmsprop-centered-wd", "RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1}),
    (
        "rmsprop-centered-momentum-maximize",
        "RMSprop",
        {"lr": 0.01, "centered": True, "momentum": 0.9, "maximize": True},
    ),
    ("adagrad-default", "Adagrad", {}),
    ("adagrad-decay-wd", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    (
        "adagrad-init-maximize",
        "Adagrad",
        {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True},
    ),
    ("adadelta-default", "Adadelta", {}),
    (
        "adadelta-wd-maximize",
        "Adadelta",
        {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1, "maximize": True},
    ),
    ("adamax-default", "Adamax", {}),
    (
        "adamax-wd-maximize",
        "Adamax",
        {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1, "maximize": True},
    ),
    ("nadam-default", "NAdam", {}),
    ("nadam-wd-momentum-decay", "NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    (
        "nadam-decoupled-maximize",
        "NAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ),
    ("radam-default", "RAdam", {}),
    ("radam-wd", "RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    (
        "radam-decoupled-maximize",
        "RAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ),
    ("asgd-default", "ASGD", {}),
    (
        "asgd-averaging-wd",
        "ASGD",
        {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1},
    ),
    ("asgd-maximize", "ASGD", {"lr": 0.05, "t0": 3, "maximize": True}),
    ("rprop-default", "Rprop", {}),
    (
        "rprop-etas-sizes-maximize",
        "Rprop",
        {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True},
    ),
]

LBFGS_CONFIGS = [
    ("lbfgs-fixed-step", {"lr": 0.5, "max_iter": 5, "history_size": 3}),
    ("lbfgs-defaults", {}),
    ("lbfgs-strong-wolfe", {"max_iter": 5, "line_search_fn": "strong_wolfe"}),
    (
        "lbfgs-strong-wolfe-short-history",
        {"lr": 0.8, "max_iter": 4, "history_size": 2, "line_search_fn": "strong_wolfe"},
    ),
]


def _ids(rows):
    return [r[0] for r in rows]


def _assert_close(ours, ref, what):
    for p, q in zip(ours, ref):
        np.testing.assert_allclose(
            p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what
        )


@pytest.mark.parametrize("cid,name,kwargs", CONFIGS, ids=_ids(CONFIGS))
def test_optimizer_matches_torch_for_20_steps(cid, name, kwargs):
    ours_p, ours_loss = problem(tt)
    ref_p, ref_loss = problem(torch)
    ours = getattr(tt.optim, name)(ours_p, **kwargs)
    ref = getattr(torch.optim, name)(ref_p, **kwargs)
    for step in range(STEPS):
        run(ours, ours_loss, 1)
        run(ref, ref_loss, 1)
        _assert_close(ours_p, ref_p, f"{cid} step {step}")
    assert ours_p[0].dtype == tt.float64
    assert set(ours.state[ours_p[0]]) == set(ref.state[ref_p[0]])


@pytest.mark.parametrize("cid,name,kwargs", CONFIGS, ids=_ids(CONFIGS))
def test_state_dict_restored_mid_run_continues_like_torch(cid, name, kwargs):
    """Both libraries save after 7 steps, restore into fresh optimizers built with other
    options, and run on; a restore casts float state to the parameters' dtype in both."""
    finals = []
    for lib in (tt, torch):
        params, loss = problem(lib, 3)
        opt = getattr(lib.optim, name)(params, **kwargs)
        run(opt, loss, 7)
        saved_state, saved_params = copy.deepcopy(opt.state_dict()), numpy_of(params)
        run(opt, loss, 3)  # the saved copy must not move with the live optimizer
        fresh, fresh_loss = problem(lib, 3)
        with lib.no_grad():
            for p, a in zip(fresh, saved_params):
                p.copy_(lib.tensor(a))
        other = {"lr": 123.0, "momentum": 0.1} if name == "SGD" else {"lr": 123.0}
        restored = getattr(lib.optim, name)(fresh, **{**kwargs, **other})
        restored.load_state_dict(saved_state)
        assert restored.param_groups[0]["lr"] == kwargs.get("lr", opt.defaults["lr"])
        run(restored, fresh_loss, STEPS - 7)
        finals.append(fresh)
    _assert_close(*finals, f"{cid} after restore")


@pytest.mark.parametrize("cid,name,kwargs", CONFIGS[::3], ids=_ids(CONFIGS[::3]))
def test_param_groups_with_their_own_options_match_torch(cid, name, kwargs):
    ours_p, ours_loss = problem(tt, 1)
    ref_p, ref_loss = problem(torch, 1)

    def groups(ps):
        return [{"params": [ps[0]], "lr": 0.02}, {"params": [ps[1]], "weight_decay": 0.2}]

    ours = getattr(tt.optim, name)(groups(ours_p), **kwargs)
    ref = getattr(torch.optim, name)(groups(ref_p), **kwargs)
    for step in range(STEPS):
        run(ours, ours_loss, 1)
        run(ref, ref_loss, 1)
        _assert_close(ours_p, ref_p, f"{cid} step {step}")


def test_add_param_group_midway_matches_torch():
    ours_p, ours_loss = problem(tt, 4)
    ref_p, ref_loss = problem(torch, 4)
    ours = tt.optim.Adam([ours_p[0]], lr=0.05)
    ref = torch.optim.Adam([ref_p[0]], lr=0.05)
    run(ours, ours_loss, 5)
    run(ref, ref_loss, 5)
    ours.add_param_group({"params": ours_p[1], "lr": 0.01, "betas": (0.5, 0.9)})
    ref.add_param_group({"params": ref_p[1], "lr": 0.01, "betas": (0.5, 0.9)})
    run(ours, ours_loss, 15)
    run(ref, ref_loss, 15)
    _assert_close(ours_p, ref_p, "after add_param_group")


@pytest.mark.parametrize("cid,kwargs", LBFGS_CONFIGS, ids=_ids(LBFGS_CONFIGS))
def test_lbfgs_matches_torch_through_a_closure(cid, kwargs):
    ours_p, ours_loss = problem(tt, convex=True)
    ref_p, ref_loss = problem(torch, convex=True)
    ours = tt.optim.LBFGS(ours_p, **kwargs)
    ref = torch.optim.LBFGS(ref_p, **kwargs)
    for step in range(STEPS):
        a = run(ours, ours_loss, 1)
        b = run(ref, ref_loss, 1)
        assert a == pytest.approx(b, rel=1e-10), step
        _assert_close(ours_p, ref_p, f"{cid} step {step}")
    s, r = ours.state[ours_p[0]], ref.state[ref_p[0]]
    assert (s["func_evals"], s["n_iter"]) == (r["func_evals"], r["n_iter"])


def test_lbfgs_state_dict_restore_continues_like_torch():
    ours_p, ours_loss = problem(tt, 5, convex=True)
    ref_p, ref_loss = problem(torch, 5, convex=True)
    kwargs = {"lr": 0.5, "max_iter": 3, "history_size": 4}
    ours = tt.optim.LBFGS(ours_p, **kwargs)
    ref = torch.optim.LBFGS(ref_p, **kwargs)
    run(ours, ours_loss, 2)
    run(ref, ref_loss, 2)
    again = tt.optim.LBFGS(ours_p, lr=1.0)
    again.load_state_dict(copy.deepcopy(ours.state_dict()))
    ref_again = torch.optim.LBFGS(ref_p, lr=1.0)
    ref_again.load_state_dict(copy.deepcopy(ref.state_dict()))
    run(again, ours_loss, 3)
    run(ref_again, ref_loss, 3)
    _assert_close(ours_p, ref_p, "lbfgs after restore")


NAMES = sorted({c[1] for c in CONFIGS} | {"LBFGS"})


@pytest.mark.parametrize("name", NAMES)
def test_constructor_takes_torchs_arguments_and_defaults(name):
    ours = inspect.signature(getattr(tt.optim, name))
    ref = inspect.signature(getattr(torch.optim, name))
    assert list(ours.parameters) == list(ref.parameters)
    for arg, p in ref.parameters.items():
        q = ours.parameters[arg]
        assert q.kind == p.kind, arg
        assert q.default == p.default, arg


@pytest.mark.parametrize("name", NAMES)
def test_param_group_keys_are_torchs(name):
    ours = getattr(tt.optim, name)([tt.zeros(2, requires_grad=True)])
    ref = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert set(ours.param_groups[0]) == set(ref.param_groups[0])
    for key, value in ref.param_groups[0].items():
        if key != "params":
            assert ours.param_groups[0][key] == value, key
