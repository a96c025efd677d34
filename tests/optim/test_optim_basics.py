"""The Optimizer base: groups, zero_grad, closures, versions, state dicts and errors, for
every optimizer (no PyTorch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from optim.problems import problem, run

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
       "ASGD", "Rprop", "LBFGS"]  # fmt: skip
FLAGS = {
    "SGD": ["differentiable", "fused"],
    "Adam": ["capturable", "differentiable", "fused"],
    "AdamW": ["capturable", "differentiable", "fused"],
    "RMSprop": ["capturable", "differentiable"],
    "Adagrad": ["differentiable", "fused"],
    "Adadelta": ["capturable", "differentiable"],
    "Adamax": ["capturable", "differentiable"],
    "NAdam": ["capturable", "differentiable"],
    "RAdam": ["capturable", "differentiable"],
    "ASGD": ["capturable", "differentiable"],
    "Rprop": ["capturable", "differentiable"],
}
FLAG_ROWS = [(n, f) for n, flags in FLAGS.items() for f in flags]


@pytest.mark.parametrize("name", ALL)
def test_every_optimizer_lowers_the_loss_and_keeps_dtype(name):
    params, loss = problem(tt, convex=True)
    opt = getattr(tt.optim, name)(params)
    before = loss().item()
    run(opt, loss, 5)
    assert loss().item() < before
    assert all(p.dtype == tt.float64 and p.is_leaf and p.grad_fn is None for p in params)


@pytest.mark.parametrize("name,flag", FLAG_ROWS, ids=[f"{n}-{f}" for n, f in FLAG_ROWS])
def test_unsupported_implementation_flags_raise_unless_off(name, flag):
    params, _ = problem(tt)
    getattr(tt.optim, name)(params, **{flag: False}, foreach=True)  # off: accepted
    with pytest.raises(NotImplementedError, match=f"{name}: {flag}=True is not supported"):
        getattr(tt.optim, name)(params, **{flag: True})
    opt = getattr(tt.optim, name)([params[0]])
    with pytest.raises(NotImplementedError, match=flag):
        opt.add_param_group({"params": [params[1]], flag: True})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: tt.optim.SGD(p, lr=-1), r"SGD: invalid learning rate -1; expected lr >= 0"),
        (lambda p: tt.optim.SGD(p, lr=0.1, nesterov=True), "SGD: Nesterov momentum requires"),
        (lambda p: tt.optim.Adam(p, betas=(1.0, 0.9)), "Adam: invalid beta parameter at index 0"),
        (lambda p: tt.optim.AdamW(p, eps=-1), "AdamW: invalid epsilon value -1"),
        (lambda p: tt.optim.RMSprop(p, alpha=-0.1), "RMSprop: invalid alpha value -0.1"),
        (lambda p: tt.optim.Adagrad(p, lr_decay=-1), "Adagrad: invalid lr_decay value -1"),
        (lambda p: tt.optim.Adadelta(p, rho=1.5),
         r"Adadelta: invalid rho value 1.5; expected 0 <= rho <= 1"),
        (lambda p: tt.optim.Adamax(p, betas=(0.9, 1.0)),
         "Adamax: invalid beta parameter at index 1"),
        (lambda p: tt.optim.NAdam(p, momentum_decay=-1), "NAdam: invalid momentum_decay value"),
        (lambda p: tt.optim.RAdam(p, weight_decay=-1), "RAdam: invalid weight_decay value -1"),
        (lambda p: tt.optim.ASGD(p, lr=-0.5), "ASGD: invalid learning rate -0.5"),
        (lambda p: tt.optim.Rprop(p, etas=(1.5, 1.2)), "Rprop: invalid eta values 1.5, 1.2"),
        (lambda p: tt.optim.LBFGS(p, line_search_fn="armijo"), "LBFGS: invalid line_search_fn"),
        (lambda p: tt.optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]),
         "LBFGS doesn't support per-parameter options"),
        (lambda p: tt.optim.SGD(p, lr=tt.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
        (lambda p: tt.optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: tt.optim.SGD([p[0], p[0]], lr=0.1), "same parameter twice"),
        (lambda p: tt.optim.SGD([p[0] * 2], lr=0.1), "non-leaf"),
        (lambda p: tt.optim.SGD([{"params": p[:1]}, {"params": p[:1]}], lr=1), "more than one"),
    ],
    ids=[
        "sgd-lr", "sgd-nesterov", "adam-beta1", "adamw-eps", "rmsprop-alpha", "adagrad-lr-decay",
        "adadelta-rho", "adamax-beta2", "nadam-momentum-decay", "radam-weight-decay", "asgd-lr",
        "rprop-etas", "lbfgs-line-search", "lbfgs-groups", "tensor-lr", "empty", "duplicate",
        "non-leaf", "two-groups",
    ],
)  # fmt: skip
def test_constructor_errors_name_the_optimizer_and_argument(make, match):
    params, _ = problem(tt)
    with pytest.raises(ValueError, match=match):
        make(params)


def test_params_must_be_an_iterable_of_tensors():
    with pytest.raises(TypeError, match="iterable"):
        tt.optim.SGD(tt.ones(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        tt.optim.SGD([3.0], lr=0.1)


def test_named_parameters_and_tensor_lr_are_accepted():
    model = tt.nn.Linear(3, 2)
    opt = tt.optim.Adam(model.named_parameters(), lr=tt.tensor(0.01))
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    model(tt.ones(1, 3)).sum().backward()
    before = model.weight.detach().numpy().copy()
    opt.step()
    assert not np.allclose(model.weight.detach().numpy(), before)


def test_parameters_without_grad_are_skipped_and_closure_is_called():
    w = tt.ones(3, requires_grad=True)
    unused = tt.ones(2, requires_grad=True)
    opt = tt.optim.Adam([w, unused], lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert calls == [1] and loss.item() == 3.0
    assert (unused.detach().numpy() == 1).all() and unused not in opt.state
    assert (w.detach().numpy() < 1).all()


def test_lbfgs_needs_a_closure():
    params, _ = problem(tt)
    with pytest.raises(RuntimeError, match="closure"):
        tt.optim.LBFGS(params).step()


def test_zero_grad_set_to_none_and_zeros():
    w = tt.ones(2, requires_grad=True)
    opt = tt.optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and (w.grad.numpy() == 0).all()
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("name", ALL[:-1])
def test_step_updates_in_place_and_bumps_the_version(name):
    w = tt.ones(2, requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    getattr(tt.optim, name)([w]).step()
    assert w.is_leaf and w.grad_fn is None and (w.detach().numpy() != 1).any()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_state_dict_layout_is_torchs():
    params, loss = problem(tt)
    opt = tt.optim.Adam(params, lr=0.01)
    run(opt, loss, 1)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"].item() == 1.0 and sd["state"][0]["step"].dtype == tt.float32
    assert tuple(sd["state"][1]["exp_avg"].shape) == (3,)


def test_state_dict_survives_save_and_load(tmp_path):
    params, loss = problem(tt, 2)
    opt = tt.optim.NAdam(params, lr=0.05)
    run(opt, loss, 3)
    tt.save(opt.state_dict(), tmp_path / "o.tt")
    expected_params = [p.detach().numpy().copy() for p in params]
    run(opt, loss, 2)
    expected = [p.detach().numpy().copy() for p in params]

    params2, loss2 = problem(tt, 2)
    with tt.no_grad():
        for p, a in zip(params2, expected_params):
            p.copy_(tt.tensor(a))
    opt2 = tt.optim.NAdam(params2, lr=9.0)
    opt2.load_state_dict(tt.load(tmp_path / "o.tt"))
    assert opt2.param_groups[0]["lr"] == 0.05
    run(opt2, loss2, 2)
    for p, e in zip(params2, expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-6)


def test_load_state_dict_validates_before_changing_anything():
    params, _ = problem(tt)
    opt = tt.optim.SGD(params, lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    other = tt.optim.SGD([params[0]], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        other.load_state_dict(sd)
    assert other.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="number of parameter groups"):
        tt.optim.SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=1).load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_optimizer_trains_a_module_and_repr():
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Linear(2, 16), tt.nn.Tanh(), tt.nn.Linear(16, 1))
    x = tt.randn(64, 2)
    y = (x[:, :1] * x[:, 1:]).detach()
    opt = tt.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = tt.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first
    assert repr(opt).startswith("Adam (\nParameter Group 0\n    amsgrad: False")
