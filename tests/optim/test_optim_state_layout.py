"""Each optimizer's per-parameter state after one step, without PyTorch: the keys (in order),
dtypes and shapes PyTorch 2.13 keeps (written down below from ``torch.optim``, float64
parameter, float32 default dtype), so a buffer made when its option is off (or not made when
on) or a 0-d counter of the wrong dtype shows; then the optimizers' own argument checks at
their inclusive bounds, with exact messages."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

F32, F64 = "float32", "float64"
# (optimizer, options) -> [(key, dtype, shape)] from torch.optim, one step on a float64 (2,)
STATE = [
    ("SGD", {}, []),
    ("SGD", {"momentum": 0.9}, [("momentum_buffer", F64, (2,))]),
    ("Adam", {}, [("step", F32, ()), ("exp_avg", F64, (2,)), ("exp_avg_sq", F64, (2,))]),
    ("Adam", {"amsgrad": True}, [("step", F32, ()), ("exp_avg", F64, (2,)),
                                 ("exp_avg_sq", F64, (2,)), ("max_exp_avg_sq", F64, (2,))]),
    ("AdamW", {}, [("step", F32, ()), ("exp_avg", F64, (2,)), ("exp_avg_sq", F64, (2,))]),
    ("RMSprop", {}, [("step", F32, ()), ("square_avg", F64, (2,))]),
    ("RMSprop", {"centered": True}, [("step", F32, ()), ("square_avg", F64, (2,)),
                                     ("grad_avg", F64, (2,))]),
    ("RMSprop", {"momentum": 0.5, "centered": True},
     [("step", F32, ()), ("square_avg", F64, (2,)), ("momentum_buffer", F64, (2,)),
      ("grad_avg", F64, (2,))]),
    ("Adagrad", {}, [("step", F32, ()), ("sum", F64, (2,))]),
    ("Adadelta", {}, [("step", F32, ()), ("square_avg", F64, (2,)), ("acc_delta", F64, (2,))]),
    ("Adamax", {}, [("step", F32, ()), ("exp_avg", F64, (2,)), ("exp_inf", F64, (2,))]),
    ("NAdam", {}, [("step", F32, ()), ("mu_product", F32, ()), ("exp_avg", F64, (2,)),
                   ("exp_avg_sq", F64, (2,))]),
    ("RAdam", {}, [("step", F32, ()), ("exp_avg", F64, (2,)), ("exp_avg_sq", F64, (2,))]),
    ("ASGD", {}, [("step", F32, ()), ("eta", F32, ()), ("mu", F32, ()), ("ax", F64, (2,))]),
    ("Rprop", {}, [("step", F32, ()), ("prev", F64, (2,)), ("step_size", F64, (2,))]),
]  # fmt: skip


@pytest.mark.parametrize("name,kwargs,layout", STATE, ids=[f"{n}-{sorted(k)}" for n, k, _ in STATE])
def test_state_after_one_step_is_laid_out_as_pytorchs(name, kwargs, layout):
    p = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    opt = getattr(tt.optim, name)([p], **kwargs)
    (p * p).sum().backward()
    opt.step()
    state = opt.state[p]
    got = [(k, str(v.dtype).split(".")[-1], tuple(v.shape)) for k, v in state.items()]
    assert got == layout
    if "step" in state:
        assert state["step"].item() == 1.0


def test_adagrad_state_exists_from_construction_and_for_groups_added_later():
    a = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    b = tt.tensor([3.0], dtype=tt.float64, requires_grad=True)
    opt = tt.optim.Adagrad([a], lr=0.5, initial_accumulator_value=0.25)
    assert opt.state[a]["step"].item() == 0.0
    np.testing.assert_array_equal(opt.state[a]["sum"].numpy(), [0.25, 0.25])
    opt.add_param_group({"params": [b], "initial_accumulator_value": 0.75})
    b.grad = tt.tensor([2.0], dtype=tt.float64)
    opt.step()
    assert opt.state[b]["step"].item() == 1.0
    np.testing.assert_allclose(opt.state[b]["sum"].numpy(), [4.75], rtol=1e-15)
    np.testing.assert_allclose(b.detach().numpy(), [3.0 - 0.5 * 2.0 / (4.75**0.5 + 1e-10)])
    assert opt.state[a]["step"].item() == 0.0  # no gradient: untouched


def test_rprop_step_sizes_start_at_lr():
    p = tt.tensor([1.0, -2.0, 3.0], dtype=tt.float64, requires_grad=True)
    opt = tt.optim.Rprop([p], lr=0.3)
    p.grad = tt.tensor([0.5, -0.5, 0.0], dtype=tt.float64)
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["step_size"].numpy(), [0.3, 0.3, 0.3])
    np.testing.assert_array_equal(p.detach().numpy(), [0.7, -1.7, 3.0])


def _p():
    return [tt.zeros(2, requires_grad=True)]


def test_inclusive_bounds_are_accepted():
    tt.optim.Adadelta(_p(), rho=0.0)
    tt.optim.Adadelta(_p(), rho=1.0, eps=0.0, weight_decay=0.0)
    tt.optim.RMSprop(_p(), alpha=0.0, eps=0.0, momentum=0.0, weight_decay=0.0)
    tt.optim.Adagrad(_p(), lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=0)
    tt.optim.NAdam(_p(), momentum_decay=0.0)
    tt.optim.ASGD(_p(), weight_decay=0.0)
    tt.optim.Rprop(_p(), etas=(0.01, 1.01))


@pytest.mark.parametrize(
    "make,message",
    [
        (
            lambda: tt.optim.Adadelta(_p(), rho=-0.1),
            "Adadelta: invalid rho value -0.1; expected 0 <= rho <= 1",
        ),
        (
            lambda: tt.optim.Adadelta(_p(), eps=-1),
            "Adadelta: invalid epsilon value -1; expected eps >= 0",
        ),
        (
            lambda: tt.optim.Adadelta(_p(), weight_decay=-1),
            "Adadelta: invalid weight_decay value -1; expected weight_decay >= 0",
        ),
        (
            lambda: tt.optim.Adadelta(_p(), lr=-1),
            "Adadelta: invalid learning rate -1; expected lr >= 0",
        ),
        (
            lambda: tt.optim.RMSprop(_p(), eps=-1),
            "RMSprop: invalid epsilon value -1; expected eps >= 0",
        ),
        (
            lambda: tt.optim.RMSprop(_p(), momentum=-1),
            "RMSprop: invalid momentum value -1; expected momentum >= 0",
        ),
        (
            lambda: tt.optim.RMSprop(_p(), weight_decay=-1),
            "RMSprop: invalid weight_decay value -1; expected weight_decay >= 0",
        ),
        (
            lambda: tt.optim.RMSprop(_p(), lr=-1),
            "RMSprop: invalid learning rate -1; expected lr >= 0",
        ),
        (
            lambda: tt.optim.Adagrad(_p(), weight_decay=-1),
            "Adagrad: invalid weight_decay value -1; expected weight_decay >= 0",
        ),
        (
            lambda: tt.optim.Adagrad(_p(), eps=-1),
            "Adagrad: invalid epsilon value -1; expected eps >= 0",
        ),
        (
            lambda: tt.optim.Adagrad(_p(), lr=-1),
            "Adagrad: invalid learning rate -1; expected lr >= 0",
        ),
        (
            lambda: tt.optim.Adamax(_p(), lr=-1),
            "Adamax: invalid learning rate -1; expected lr >= 0",
        ),
        (
            lambda: tt.optim.Adamax(_p(), eps=-1),
            "Adamax: invalid epsilon value -1; expected eps >= 0",
        ),
        (
            lambda: tt.optim.Adamax(_p(), weight_decay=-1),
            "Adamax: invalid weight_decay value -1; expected weight_decay >= 0",
        ),
        (
            lambda: tt.optim.NAdam(_p(), momentum_decay=-1),
            "NAdam: invalid momentum_decay value -1; expected momentum_decay >= 0",
        ),
        (lambda: tt.optim.NAdam(_p(), lr=-1), "NAdam: invalid learning rate -1; expected lr >= 0"),
        (
            lambda: tt.optim.RAdam(_p(), betas=(0.9, 1.5)),
            "RAdam: invalid beta parameter at index 1: 1.5; expected 0 <= betas[1] < 1",
        ),
        (
            lambda: tt.optim.ASGD(_p(), weight_decay=-1),
            "ASGD: invalid weight_decay value -1; expected weight_decay >= 0",
        ),
        (lambda: tt.optim.Rprop(_p(), lr=-1), "Rprop: invalid learning rate -1; expected lr >= 0"),
        (
            lambda: tt.optim.Rprop(_p(), etas=(0.0, 1.2)),
            "Rprop: invalid eta values 0.0, 1.2; expected 0 < etaminus < 1 < etaplus",
        ),
        (
            lambda: tt.optim.Rprop(_p(), etas=(0.5, 1.0)),
            "Rprop: invalid eta values 0.5, 1.0; expected 0 < etaminus < 1 < etaplus",
        ),
        (
            lambda: tt.optim.Rprop(_p(), etas=(1.0, 1.5)),
            "Rprop: invalid eta values 1.0, 1.5; expected 0 < etaminus < 1 < etaplus",
        ),
    ],
)
def test_argument_errors_name_the_optimizer_exactly(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message
