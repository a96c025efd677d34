"""Each optimizer's parameter group, without PyTorch: the defaults are PyTorch 2.13's (written
down below from ``torch.optim.<Name>([p]).param_groups[0]``, keys in PyTorch's order), and
every constructor argument given lands in the group unchanged (``foreach``, ``maximize`` and
the off values of the unsupported flags included)."""

from __future__ import annotations

import inspect

import pytest

import tinytensor as tt

# torch.optim.<Name>([torch.zeros(1, requires_grad=True)]).param_groups[0], PyTorch 2.13,
# without "params"
TORCH_DEFAULT_GROUPS = {
    "SGD": {"lr": 0.001, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
            "maximize": False, "foreach": None, "differentiable": False, "fused": None},
    "Adam": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
             "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
             "differentiable": False, "fused": None, "decoupled_weight_decay": False},
    "AdamW": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.01,
              "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
              "differentiable": False, "fused": None, "decoupled_weight_decay": True},
    "RMSprop": {"lr": 0.01, "momentum": 0, "alpha": 0.99, "eps": 1e-08, "centered": False,
                "weight_decay": 0, "capturable": False, "foreach": None, "maximize": False,
                "differentiable": False},
    "Adagrad": {"lr": 0.01, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
                "initial_accumulator_value": 0, "foreach": None, "maximize": False,
                "differentiable": False, "fused": None},
    "Adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-06, "weight_decay": 0, "maximize": False,
                 "capturable": False, "foreach": None, "differentiable": False},
    "Adamax": {"lr": 0.002, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
               "foreach": None, "maximize": False, "differentiable": False, "capturable": False},
    "NAdam": {"lr": 0.002, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
              "momentum_decay": 0.004, "decoupled_weight_decay": False, "maximize": False,
              "foreach": None, "capturable": False, "differentiable": False},
    "RAdam": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
              "maximize": False, "foreach": None, "capturable": False,
              "decoupled_weight_decay": False, "differentiable": False},
    "ASGD": {"lr": 0.01, "lambd": 0.0001, "alpha": 0.75, "t0": 1000000.0, "weight_decay": 0,
             "foreach": None, "maximize": False, "differentiable": False, "capturable": False},
    "Rprop": {"lr": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-06, 50), "foreach": None,
              "maximize": False, "differentiable": False, "capturable": False},
    "LBFGS": {"lr": 1, "max_iter": 20, "max_eval": 25, "tolerance_grad": 1e-07,
              "tolerance_change": 1e-09, "history_size": 100, "line_search_fn": None},
}  # fmt: skip

# A value other than the default for every argument (the unsupported flags at their off value).
GIVEN = {
    "SGD": dict(lr=0.2, momentum=0.5, dampening=0.1, weight_decay=0.3, nesterov=False,
                maximize=True, foreach=True, differentiable=False, fused=False),
    "Adam": dict(lr=0.2, betas=(0.8, 0.9), eps=1e-5, weight_decay=0.3, amsgrad=True,
                 foreach=True, maximize=True, capturable=False, differentiable=False,
                 fused=False, decoupled_weight_decay=True),
    "AdamW": dict(lr=0.2, betas=(0.8, 0.9), eps=1e-5, weight_decay=0.3, amsgrad=True,
                  maximize=True, foreach=True, capturable=False, differentiable=False,
                  fused=False),
    "RMSprop": dict(lr=0.2, alpha=0.8, eps=1e-5, weight_decay=0.3, momentum=0.5, centered=True,
                    capturable=False, foreach=True, maximize=True, differentiable=False),
    "Adagrad": dict(lr=0.2, lr_decay=0.1, weight_decay=0.3, initial_accumulator_value=0.4,
                    eps=1e-5, foreach=True, maximize=True, differentiable=False, fused=False),
    "Adadelta": dict(lr=0.2, rho=0.8, eps=1e-5, weight_decay=0.3, foreach=True,
                     capturable=False, maximize=True, differentiable=False),
    "Adamax": dict(lr=0.2, betas=(0.8, 0.9), eps=1e-5, weight_decay=0.3, foreach=True,
                   maximize=True, differentiable=False, capturable=False),
    "NAdam": dict(lr=0.2, betas=(0.8, 0.9), eps=1e-5, weight_decay=0.3, momentum_decay=0.01,
                  decoupled_weight_decay=True, foreach=True, maximize=True, capturable=False,
                  differentiable=False),
    "RAdam": dict(lr=0.2, betas=(0.8, 0.9), eps=1e-5, weight_decay=0.3,
                  decoupled_weight_decay=True, foreach=True, maximize=True, capturable=False,
                  differentiable=False),
    "ASGD": dict(lr=0.2, lambd=0.01, alpha=0.5, t0=10.0, weight_decay=0.3, foreach=True,
                 maximize=True, differentiable=False, capturable=False),
    "Rprop": dict(lr=0.2, etas=(0.4, 1.5), step_sizes=(1e-3, 2.0), capturable=False,
                  foreach=True, maximize=True, differentiable=False),
    "LBFGS": dict(lr=0.5, max_iter=7, max_eval=9, tolerance_grad=1e-3, tolerance_change=1e-4,
                  history_size=4, line_search_fn="strong_wolfe"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TORCH_DEFAULT_GROUPS))
def test_default_group_is_pytorchs(name):
    group = getattr(tt.optim, name)([tt.zeros(1, requires_grad=True)]).param_groups[0]
    options = {k: v for k, v in group.items() if k != "params"}
    want = TORCH_DEFAULT_GROUPS[name]
    assert list(options) == list(want)
    for key, value in want.items():
        assert options[key] == value and type(options[key]) is type(value), key


@pytest.mark.parametrize("name", list(GIVEN))
def test_every_argument_given_lands_in_the_group(name):
    cls = getattr(tt.optim, name)
    given = GIVEN[name]
    assert set(given) == set(inspect.signature(cls).parameters) - {"params"}
    for key, value in given.items():
        default = TORCH_DEFAULT_GROUPS[name][key]
        assert value != default or value is False, key  # each value is telling
    group = cls([tt.zeros(1, requires_grad=True)], **given).param_groups[0]
    for key, value in given.items():
        assert group[key] == value and type(group[key]) is type(value), key


def test_lbfgs_max_eval_defaults_to_five_quarters_of_max_iter():
    group = tt.optim.LBFGS([tt.zeros(1, requires_grad=True)], max_iter=9).param_groups[0]
    assert group["max_eval"] == 11
