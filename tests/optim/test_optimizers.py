"""Optimizers against PyTorch step for step (every option), param groups, state dicts, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True, "weight_decay": 0.05}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
]
STEPS = 6


def _problem(lib, seed=0):
    """Two parameters and a loss whose gradients change every step (nonlinear), float32."""
    r = np.random.default_rng(seed)
    w = lib.tensor(r.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    b = lib.tensor(r.standard_normal(3).astype(np.float32), requires_grad=True)
    x = lib.tensor(r.standard_normal((8, 4)).astype(np.float32))
    y = lib.tensor(r.standard_normal((8, 3)).astype(np.float32))

    def loss():
        return (((x @ w + b).tanh() - y) ** 2).mean()

    return [w, b], loss


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_optimizer_matches_torch_step_for_step(name, kwargs):
    torch = pytest.importorskip("torch")
    ours_p, ours_loss = _problem(tt)
    ref_p, ref_loss = _problem(torch)
    ours = getattr(tt.optim, name)(ours_p, **kwargs)
    ref = getattr(torch.optim, name)(ref_p, **kwargs)
    for step in range(STEPS):
        for opt, loss in ((ours, ours_loss), (ref, ref_loss)):
            opt.zero_grad()
            loss().backward()
            opt.step()
        for p, q in zip(ours_p, ref_p):
            np.testing.assert_allclose(
                p.detach().numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6,
                err_msg=f"{name} {kwargs} step {step}",
            )  # fmt: skip
        assert ours_p[0].dtype == tt.float32


def test_per_group_options_and_add_param_group_match_torch():
    torch = pytest.importorskip("torch")
    ours_p, ours_loss = _problem(tt, 1)
    ref_p, ref_loss = _problem(torch, 1)
    ours = tt.optim.SGD([{"params": [ours_p[0]], "lr": 0.5}], lr=0.01, momentum=0.9)
    ref = torch.optim.SGD([{"params": [ref_p[0]], "lr": 0.5}], lr=0.01, momentum=0.9)
    ours.add_param_group({"params": ours_p[1], "momentum": 0.0})
    ref.add_param_group({"params": ref_p[1], "momentum": 0.0})
    assert [g["lr"] for g in ours.param_groups] == [0.5, 0.01]
    assert [g["momentum"] for g in ours.param_groups] == [0.9, 0.0]
    for _ in range(4):
        for opt, loss in ((ours, ours_loss), (ref, ref_loss)):
            opt.zero_grad()
            loss().backward()
            opt.step()
    for p, q in zip(ours_p, ref_p):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


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
    assert (unused.numpy(force=True) == 1).all() and unused not in opt.state
    assert (w.numpy(force=True) < 1).all()


def test_zero_grad_set_to_none_and_zeros():
    w = tt.ones(2, requires_grad=True)
    opt = tt.optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and (w.grad.numpy() == 0).all()
    opt.zero_grad()
    assert w.grad is None


def test_step_updates_in_place_and_bumps_the_version():
    w = tt.ones(2, requires_grad=True)
    storage = w._data
    y = (w * w).sum()
    y.backward(retain_graph=True)
    tt.optim.SGD([w], lr=0.1).step()
    assert w._data is storage and w.is_leaf and w.grad_fn is None
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("name,kwargs", [c for c in CONFIGS if c[1]][:8])
def test_state_dict_round_trip_continues_identically(name, kwargs, tmp_path):
    params, loss = _problem(tt, 2)
    opt = getattr(tt.optim, name)(params, **kwargs)
    for _ in range(3):
        opt.zero_grad()
        loss().backward()
        opt.step()
    tt.save({"opt": opt.state_dict(), "params": [p.detach() for p in params]}, tmp_path / "c.tt")
    for _ in range(2):
        opt.zero_grad()
        loss().backward()
        opt.step()
    expected = [p.detach().numpy().copy() for p in params]

    ck = tt.load(tmp_path / "c.tt")
    params2, loss2 = _problem(tt, 2)
    for p, saved in zip(params2, ck["params"]):
        p.data = saved.numpy().copy()
    opt2 = getattr(tt.optim, name)(params2, lr=123.0)  # options come from the state dict
    opt2.load_state_dict(ck["opt"])
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for _ in range(2):
        opt2.zero_grad()
        loss2().backward()
        opt2.step()
    for p, e in zip(params2, expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-6)


def test_state_dict_layout_is_torchs():
    params, loss = _problem(tt)
    opt = tt.optim.Adam(params, lr=0.01)
    loss().backward()
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][1]["exp_avg"].shape == (3,)


def test_load_state_dict_validates_before_changing_anything():
    params, _ = _problem(tt)
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


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: tt.optim.SGD(p, lr=-1), "Invalid learning rate"),
        (lambda p: tt.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
        (lambda p: tt.optim.Adam(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
        (lambda p: tt.optim.Adam(p, eps=-1), "epsilon"),
        (lambda p: tt.optim.RMSprop(p, alpha=-0.1), "alpha"),
        (lambda p: tt.optim.Adagrad(p, lr_decay=-1), "lr_decay"),
        (lambda p: tt.optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: tt.optim.SGD([p[0], p[0]], lr=0.1), "same parameter twice"),
        (lambda p: tt.optim.SGD([p[0] * 2], lr=0.1), "non-leaf"),
        (lambda p: tt.optim.SGD([{"params": p[:1]}, {"params": p[:1]}], lr=1), "more than one"),
    ],
)
def test_constructor_errors(make, match):
    params, _ = _problem(tt)
    with pytest.raises(ValueError, match=match):
        make(params)


def test_params_must_be_an_iterable_of_tensors():
    with pytest.raises(TypeError, match="iterable"):
        tt.optim.SGD(tt.ones(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        tt.optim.SGD([3.0], lr=0.1)


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
