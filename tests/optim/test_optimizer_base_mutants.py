"""The Optimizer base class and its helpers, rule by rule (no PyTorch needed): argument checks
and their exact messages, the lerp helper's two-sided form, the 0-d state dtype, zero_grad and
step on mixed parameters, a subclass that uses the base's defaults, and load_state_dict's
casting and copying of every kind of state value."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.optim.optimizer import Optimizer, lerp_, required, scalar


def _p(*values, dtype=tt.float64):
    return tt.tensor(np.array(values, dtype=np.float64), dtype=dtype, requires_grad=True)


# --- argument checks -----------------------------------------------------------------------


def test_zero_lr_and_zero_betas_are_valid():
    p = _p(1.0, 2.0)
    tt.optim.SGD([p], lr=0.0)
    tt.optim.Adam([p], lr=0, betas=(0.0, 0.0))
    tt.optim.NAdam([p], betas=(0.0, 0.5))


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: tt.optim.Adam(p, betas=(0.9, 1.0)),
         "Adam: invalid beta parameter at index 1: 1.0; expected 0 <= betas[1] < 1"),
        (lambda p: tt.optim.RAdam(p, betas=(-0.1, 0.9)),
         "RAdam: invalid beta parameter at index 0: -0.1; expected 0 <= betas[0] < 1"),
        (lambda p: tt.optim.Adam(p, lr=-0.5), "Adam: invalid learning rate -0.5; expected lr >= 0"),
        (lambda p: tt.optim.AdamW(p, lr=-1), "AdamW: invalid learning rate -1; expected lr >= 0"),
        (lambda p: tt.optim.Adam(p, eps=-1e-3),
         "Adam: invalid epsilon value -0.001; expected eps >= 0"),
        (lambda p: tt.optim.Adam(p, weight_decay=-2),
         "Adam: invalid weight_decay value -2; expected weight_decay >= 0"),
        (lambda p: tt.optim.Adagrad(p, initial_accumulator_value=-1),
         "Adagrad: invalid initial_accumulator_value -1; expected initial_accumulator_value >= 0"),
        (lambda p: tt.optim.SGD(p, momentum=-0.5),
         "SGD: invalid momentum value -0.5; expected momentum >= 0"),
    ],
    ids=["adam-beta2", "radam-beta1", "adam-lr", "adamw-lr", "adam-eps", "adam-wd",
         "adagrad-init-acc", "sgd-momentum"],
)  # fmt: skip
def test_argument_errors_are_worded_exactly(make, message):
    with pytest.raises(ValueError) as info:
        make([_p(1.0)])
    assert str(info.value) == message


def test_construction_errors_name_the_optimizer_and_the_type():
    with pytest.raises(TypeError) as info:
        tt.optim.Adagrad(_p(1.0))
    assert str(info.value) == (
        "Adagrad: params argument given to the optimizer should be an iterable of Tensors or "
        "dicts, but got Tensor"
    )
    with pytest.raises(ValueError) as info:
        tt.optim.RMSprop([])
    assert str(info.value) == "RMSprop: optimizer got an empty parameter list"
    with pytest.raises(TypeError) as info:
        tt.optim.SGD([_p(1.0)]).add_param_group([_p(2.0)])
    assert str(info.value) == "param_group must be a dict, but got list"
    with pytest.raises(TypeError) as info:
        tt.optim.Adam([_p(1.0), "w"])
    assert str(info.value).endswith("one of the params is str")
    with pytest.raises(ValueError) as info:
        tt.optim.Adam([tt.tensor([1, 2])])
    assert str(info.value) == (
        "Adam: can't optimize a tensor of dtype tinytensor.int64; use a float dtype"
    )


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [0.1, 0.5, 0.7, 0.95])
def test_lerp_is_pytorchs_two_sided_formula_bit_for_bit(weight):
    """weight < 0.5: `t + w*(end - t)`; else `end - (end - t)*(1 - w)`, as PyTorch's lerp
    (the two forms round differently, which the data below makes visible)."""
    r = np.random.default_rng(7)
    t0 = r.standard_normal(400) * 10.0 ** r.integers(-3, 4, 400)
    end = r.standard_normal(400) * 10.0 ** r.integers(-3, 4, 400)
    near = t0 + weight * (end - t0)
    far = end - (end - t0) * (1 - weight)
    assert (near != far).any()  # the data tells the two forms apart
    t = tt.tensor(t0.copy())
    out = lerp_(t, tt.tensor(end), weight)
    assert out is t
    np.testing.assert_array_equal(t.numpy(), near if weight < 0.5 else far)


def test_adam_with_a_small_beta1_averages_the_gradient_on_the_far_side_of_lerp():
    """betas[0] < 0.5 takes lerp's second branch: `m = b1*m + (1 - b1)*g` all the same."""
    g1, g2 = np.array([0.5, -2.0, 3.0]), np.array([1.5, 0.25, -1.0])
    p = _p(0.0, 0.0, 0.0)
    opt = tt.optim.Adam([p], lr=0.1, betas=(0.2, 0.9))
    m = np.zeros(3)
    for g in (g1, g2):
        p.grad = tt.tensor(g)
        opt.step()
        m = 0.2 * m + 0.8 * g
        np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), m, rtol=1e-15, atol=1e-17)


def test_scalar_state_dtype_is_float64_only_under_a_float64_default():
    before = tt.get_default_dtype()
    try:
        for default, want in [(tt.float64, tt.float64), (tt.float32, tt.float32),
                              (tt.float16, tt.float32)]:  # fmt: skip
            tt.set_default_dtype(default)
            s = scalar(3)
            assert s.dtype == want and s.item() == 3.0 and s.dim() == 0
        tt.set_default_dtype(tt.float64)
        p = _p(1.0, 2.0)
        opt = tt.optim.Adam([p])
        p.grad = tt.ones(2, dtype=tt.float64)
        opt.step()
        assert opt.state[p]["step"].dtype == tt.float64
    finally:
        tt.set_default_dtype(before)


# --- groups, repr ----------------------------------------------------------------------------


def test_repr_lists_options_but_not_the_parameters():
    opt = tt.optim.SGD([("w", _p(1.0))], lr=0.5)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.5\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )


def test_a_group_given_one_tensor_and_no_names():
    a, b = _p(1.0), _p(2.0)
    opt = tt.optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["lr"] == 0.2
    assert "param_names" not in opt.param_groups[0]
    assert "param_names" not in opt.param_groups[1]
    assert opt.param_groups[1]["momentum"] == 0  # filled in from the defaults


class _Plain(Optimizer):
    """A subclass relying on the base: a required lr, no ``maximize`` option."""

    def __init__(self, params, lr=required, scale=1.0):
        self.prepared = []
        super().__init__(params, dict(lr=lr, scale=scale))

    def _prepare_group(self, group):
        self.prepared.append(group["scale"])

    def _update(self, p, grad, state, group):
        p.add_(grad, alpha=-group["lr"] * group["scale"])


def test_a_subclass_gets_required_options_groups_hooks_and_no_maximize():
    a, b = _p(1.0, 2.0), _p(3.0)
    with pytest.raises(ValueError) as info:
        _Plain([a])
    assert str(info.value) == (
        "_Plain: parameter group didn't specify a value of required optimization parameter lr"
    )
    opt = _Plain([{"params": [a], "lr": 0.5}, {"params": [b], "lr": 0.25, "scale": 2.0}])
    a.grad, b.grad = tt.tensor([1.0, -2.0], dtype=tt.float64), tt.tensor([4.0], dtype=tt.float64)
    assert opt.step() is None
    np.testing.assert_array_equal(a.detach().numpy(), [0.5, 3.0])
    np.testing.assert_array_equal(b.detach().numpy(), [1.0])
    assert opt.prepared == [1.0, 2.0]
    assert "maximize" not in opt.param_groups[0]
    with pytest.raises(NotImplementedError, match="Optimizer does not implement _update"):
        c = _p(1.0)
        c.grad = tt.ones(1, dtype=tt.float64)
        Optimizer([c], {}).step()


def test_step_and_zero_grad_go_past_a_parameter_without_grad():
    first, second = _p(1.0, 1.0), _p(2.0, 2.0)
    opt = tt.optim.SGD([first, second], lr=0.5)
    second.grad = tt.tensor([1.0, 2.0], dtype=tt.float64)
    assert opt.step() is None
    np.testing.assert_array_equal(first.detach().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(second.detach().numpy(), [1.5, 1.0])
    opt.zero_grad()
    assert first.grad is None and second.grad is None
    second.grad = tt.tensor([1.0, 2.0], dtype=tt.float64)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(second.grad.numpy(), [0.0, 0.0])


def test_zero_grad_keeping_a_grad_that_has_a_graph_detaches_it():
    w = _p(1.0, 2.0)
    (w**3).sum().backward(create_graph=True)
    g = w.grad
    assert g.grad_fn is not None
    tt.optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad is g and g.grad_fn is None and g.requires_grad is False
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    leaf_grad = tt.ones(2, dtype=tt.float64, requires_grad=True)
    w.grad = leaf_grad
    tt.optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad is leaf_grad and leaf_grad.requires_grad is False


# --- state dicts -------------------------------------------------------------------------------


def _adam_state_dict(dtype):
    p = _p(1.0, -2.0, dtype=dtype)
    opt = tt.optim.Adam([p], lr=0.1)
    p.grad = tt.tensor([0.5, 0.25], dtype=dtype)
    opt.step()
    return opt.state_dict()


def test_loaded_state_takes_the_parameter_dtype_except_step():
    sd = _adam_state_dict(tt.float32)
    q = _p(1.0, -2.0)
    opt = tt.optim.Adam([q], lr=0.1)
    opt.load_state_dict(sd)
    state = opt.state[q]
    assert state["exp_avg"].dtype == tt.float64 and state["exp_avg_sq"].dtype == tt.float64
    assert state["step"].dtype == tt.float32 and state["step"].item() == 1.0
    np.testing.assert_allclose(state["exp_avg"].numpy(), [0.05, 0.025], rtol=1e-7)
    assert state["exp_avg"] is not sd["state"][0]["exp_avg"]  # a private copy
    sd["state"][0]["exp_avg"].fill_(9.0)
    assert state["exp_avg"].numpy()[0] != 9.0


def test_load_state_dict_converts_numbers_arrays_and_string_keys():
    q = _p(1.0, -2.0)
    opt = tt.optim.Adam([q], lr=0.1)
    group = dict(opt.state_dict()["param_groups"][0])
    nested = {"history": [1, 2]}
    sd = {
        "state": {"0": {"step": 4, "exp_avg": np.array([0.5, 1.0], dtype=np.float32),
                        "exp_avg_sq": np.array([1.0, 2.0]), "count": 7, "note": nested}},
        "param_groups": [group],
    }  # fmt: skip
    opt.load_state_dict(sd)
    state = opt.state[q]
    assert isinstance(state["step"], tt.Tensor) and state["step"].dim() == 0
    assert state["step"].dtype == tt.float32 and state["step"].item() == 4.0
    assert isinstance(state["exp_avg"], tt.Tensor) and state["exp_avg"].dtype == tt.float64
    np.testing.assert_array_equal(state["exp_avg"].numpy(), [0.5, 1.0])
    assert type(state["count"]) is int and state["count"] == 7
    assert state["note"] == {"history": [1, 2]}
    nested["history"].append(3)  # the loaded copy is deep: the caller's dict is not aliased
    assert state["note"] == {"history": [1, 2]}
    q.grad = tt.tensor([1.0, 1.0], dtype=tt.float64)
    opt.step()
    assert state["step"].item() == 5.0


def test_load_state_dict_casts_state_held_in_lists_and_tuples():
    q = _p(1.0, -2.0)
    opt = tt.optim.SGD([q], lr=0.1)
    hist = [tt.tensor([1.0, 2.0], dtype=tt.float32), np.array([3.0, 4.0], dtype=np.float32)]
    sd = {
        "state": {0: {"dirs": hist, "pair": (tt.tensor([5.0], dtype=tt.float32), 6)}},
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(sd)
    dirs, pair = opt.state[q]["dirs"], opt.state[q]["pair"]
    assert type(dirs) is list and type(pair) is tuple
    assert [d.dtype for d in dirs] == [tt.float64, tt.float64] and pair[0].dtype == tt.float64
    np.testing.assert_array_equal(dirs[0].numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(dirs[1].numpy(), [3.0, 4.0])
    assert dirs[0] is not hist[0] and pair[1] == 6


def test_a_parameter_missing_from_the_loaded_state_starts_fresh():
    a, b = _p(1.0), _p(2.0)
    opt = tt.optim.Adam([a, b], lr=0.1)
    a.grad = tt.ones(1, dtype=tt.float64)
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    other = tt.optim.Adam([_p(1.0), c := _p(2.0)], lr=0.1)
    other.load_state_dict(sd)
    c.grad = tt.ones(1, dtype=tt.float64)
    other.step()
    assert other.state[c]["step"].item() == 1.0


def test_load_state_dict_errors_name_the_optimizer_and_the_index():
    sd = _adam_state_dict(tt.float64)
    opt = tt.optim.Adam([{"params": [_p(1.0, 2.0)]}, {"params": [_p(3.0)]}])
    with pytest.raises(ValueError) as info:
        opt.load_state_dict(sd)
    assert str(info.value) == (
        "Adam: loaded state dict has a different number of parameter groups (1) than the "
        "optimizer (2)"
    )
    for bad in ("x", 5):
        opt = tt.optim.Adam([_p(1.0, 2.0)])
        sd = _adam_state_dict(tt.float64)
        sd["state"] = {bad: sd["state"][0]}
        with pytest.raises(ValueError) as info:
            opt.load_state_dict(sd)
        assert str(info.value) == f"Adam: state_dict refers to unknown parameter index {bad!r}"


def test_loaded_groups_do_not_alias_the_state_dict():
    q = _p(1.0)
    opt = tt.optim.Adam([q], lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["betas"] = [0.5, 0.9]
    opt.load_state_dict(sd)
    sd["param_groups"][0]["betas"][0] = 0.0
    assert opt.param_groups[0]["betas"] == [0.5, 0.9]
    assert opt.param_groups[0]["params"] == [q]


def test_state_dict_numbers_parameters_across_groups_and_loads_them_back_in_place():
    a, b, c = _p(1.0, 2.0), _p(3.0), _p(4.0, 5.0, 6.0)
    opt = tt.optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in (a, b, c):
        p.grad = tt.tensor(np.arange(1.0, p.numel() + 1.0))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [tuple(sd["state"][i]["momentum_buffer"].shape) for i in range(3)] == [(2,), (1,), (3,)]
    x, y, z = _p(1.0, 2.0), _p(3.0), _p(4.0, 5.0, 6.0)
    fresh = tt.optim.SGD([{"params": [x, y]}, {"params": [z]}], lr=9.0, momentum=0.9)
    fresh.load_state_dict(sd)
    assert [g["lr"] for g in fresh.param_groups] == [0.1, 0.5]
    for old, new in ((a, x), (b, y), (c, z)):
        np.testing.assert_array_equal(
            fresh.state[new]["momentum_buffer"].numpy(), opt.state[old]["momentum_buffer"].numpy()
        )
