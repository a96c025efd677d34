"""Each optimizer's update rule against a hand-written NumPy reference (no PyTorch needed):
a few steps on a small non-quadratic loss whose gradient is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from optim import numpy_rules as R

STEPS = 6
A = np.array([[1.0, 3.0, 0.5], [2.0, 0.2, 1.5]])
C = np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, 0.1]])
P0 = np.array([[1.2, 0.3, -0.7], [0.4, -1.1, 0.9]])


def loss_fn(p):
    return (A * (p - C) ** 2).sum() / 2 + 0.05 * (p**4).sum()


def grad_np(p):
    return A * (p - C) + 0.2 * p**3


# (id, optimizer, NumPy rule, kwargs)
CASES = [
    ("sgd-plain", "SGD", R.sgd, {"lr": 0.1}),
    ("sgd-momentum", "SGD", R.sgd, {"lr": 0.05, "momentum": 0.9}),
    (
        "sgd-dampening-wd",
        "SGD",
        R.sgd,
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1},
    ),
    ("sgd-nesterov", "SGD", R.sgd, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("sgd-maximize", "SGD", R.sgd, {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("adam-default", "Adam", R.adam, {"lr": 0.05}),
    (
        "adam-l2-decay",
        "Adam",
        R.adam,
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.3},
    ),
    ("adam-amsgrad", "Adam", R.adam, {"lr": 0.05, "betas": (0.9, 0.6), "amsgrad": True}),
    (
        "adam-decoupled-maximize",
        "Adam",
        R.adam,
        {"lr": 0.05, "weight_decay": 0.3, "decoupled_weight_decay": True, "maximize": True},
    ),
    ("adamw-decoupled-decay", "AdamW", R.adamw, {"lr": 0.05, "weight_decay": 0.5}),
    ("adamw-amsgrad", "AdamW", R.adamw, {"lr": 0.05, "betas": (0.9, 0.6), "amsgrad": True}),
    ("rmsprop-plain", "RMSprop", R.rmsprop, {"lr": 0.01}),
    (
        "rmsprop-momentum-wd",
        "RMSprop",
        R.rmsprop,
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.1},
    ),
    ("rmsprop-centered", "RMSprop", R.rmsprop, {"lr": 0.01, "centered": True}),
    (
        "rmsprop-centered-momentum-maximize",
        "RMSprop",
        R.rmsprop,
        {"lr": 0.01, "centered": True, "momentum": 0.9, "maximize": True},
    ),
    ("adagrad-plain", "Adagrad", R.adagrad, {"lr": 0.1}),
    ("adagrad-decay-wd", "Adagrad", R.adagrad, {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1}),
    (
        "adagrad-init-maximize",
        "Adagrad",
        R.adagrad,
        {"lr": 0.1, "initial_accumulator_value": 0.5, "maximize": True},
    ),
    ("adadelta-plain", "Adadelta", R.adadelta, {}),
    (
        "adadelta-wd",
        "Adadelta",
        R.adadelta,
        {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.2},
    ),
    ("adamax-plain", "Adamax", R.adamax, {"lr": 0.05}),
    (
        "adamax-wd-maximize",
        "Adamax",
        R.adamax,
        {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.2, "maximize": True},
    ),
    ("nadam-plain", "NAdam", R.nadam, {"lr": 0.05}),
    (
        "nadam-l2-momentum-decay",
        "NAdam",
        R.nadam,
        {"lr": 0.05, "weight_decay": 0.2, "momentum_decay": 0.05},
    ),
    (
        "nadam-decoupled",
        "NAdam",
        R.nadam,
        {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True},
    ),
    ("radam-plain", "RAdam", R.radam, {"lr": 0.05}),
    ("radam-rectified-early", "RAdam", R.radam, {"lr": 0.05, "betas": (0.9, 0.5)}),
    (
        "radam-decoupled",
        "RAdam",
        R.radam,
        {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True},
    ),
    ("asgd-plain", "ASGD", R.asgd, {"lr": 0.05}),
    (
        "asgd-averaging-wd",
        "ASGD",
        R.asgd,
        {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 2, "weight_decay": 0.1},
    ),
    ("rprop-plain", "Rprop", R.rprop, {"lr": 0.05}),
    (
        "rprop-etas-clamped-maximize",
        "Rprop",
        R.rprop,
        {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.07), "maximize": True},
    ),
]


@pytest.mark.parametrize("cid,name,rule,kwargs", CASES, ids=[c[0] for c in CASES])
def test_update_rule_matches_numpy_reference(cid, name, rule, kwargs):
    p = tt.tensor(P0.copy(), requires_grad=True)
    opt = getattr(tt.optim, name)([p], **kwargs)
    ref, state = P0.copy(), {}
    for step in range(STEPS):
        opt.zero_grad()
        loss_fn(p).backward()
        opt.step()
        ref = rule(ref, grad_np(ref), state, **kwargs)
        # float32 rounding of ASGD's eta/mu and NAdam's mu product (PyTorch's 0-d state
        # dtype) stays far below this; a wrong rule moves the result by ~lr.
        np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-6, atol=1e-9, err_msg=f"{step}")
    if name == "ASGD":
        np.testing.assert_allclose(opt.state[p]["ax"].numpy(), state["ax"], rtol=1e-6)


def test_rules_really_differ():
    """The reference cases are not degenerate: each variant moves the parameters differently
    from its optimizer's plain form (so a dropped option would be caught)."""
    finals = {}
    for cid, _, rule, kwargs in CASES:
        ref, state = P0.copy(), {}
        for _ in range(STEPS):
            ref = rule(ref, grad_np(ref), state, **kwargs)
        finals[cid] = ref
    values = list(finals.values())
    for i in range(len(values)):
        for j in range(i):
            assert not np.allclose(values[i], values[j], rtol=1e-4), (
                list(finals)[i],
                list(finals)[j],
            )


LBFGS_CASES = [
    ("lbfgs-defaults", {"max_iter": 4}),
    ("lbfgs-lr-short-history", {"lr": 0.4, "max_iter": 5, "history_size": 2}),
]


@pytest.mark.parametrize("cid,kwargs", LBFGS_CASES, ids=[c[0] for c in LBFGS_CASES])
def test_lbfgs_matches_numpy_two_loop_reference(cid, kwargs):
    p = tt.tensor(P0.copy(), requires_grad=True)
    opt = tt.optim.LBFGS([p], tolerance_grad=0, tolerance_change=0, **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn(p)
        loss.backward()
        return loss

    ref, state = P0.copy().ravel(), {}
    for step in range(3):
        opt.step(closure)
        ref = R.lbfgs_fixed_step(
            ref, lambda x: grad_np(x.reshape(P0.shape)).ravel(), state, **kwargs
        )
        np.testing.assert_allclose(p.detach().numpy().ravel(), ref, rtol=1e-9, err_msg=f"{step}")


def test_lbfgs_strong_wolfe_finds_the_minimum_of_a_quadratic():
    """With the strong-Wolfe line search L-BFGS minimises a convex quadratic in one call,
    evaluating the closure as counted in its state."""
    H = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    b = np.array([1.0, -2.0, 0.5])
    x = tt.zeros(3, dtype=tt.float64, requires_grad=True)
    Ht, bt = tt.tensor(H), tt.tensor(b)
    calls = []
    opt = tt.optim.LBFGS([x], max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = 0.5 * (x @ (Ht @ x)) - bt @ x
        loss.backward()
        return loss

    first = opt.step(closure)
    assert first.item() == 0.0
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(H, b), rtol=1e-6)
    assert opt.state[x]["func_evals"] == len(calls)
    assert opt.state[x]["n_iter"] < 10
