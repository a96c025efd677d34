"""threshold, hardtanh and relu6 (and their in-place forms) on edge values, bit for bit as
PyTorch 2.13: threshold keeps a NaN (only ``x <= threshold`` takes ``value``); their gradients
are selects: 0 where ``x <= threshold`` (threshold: a NaN input passes g on) or where not
``min_val < x < max_val`` (hardtanh, relu6: a NaN input gives 0, as PyTorch's vectorized CPU
loop does; its scalar tail, the last few elements, passes g), g elsewhere; so an infinite or NaN
g at a clipped unit gives 0, and that 0 is +0.0 whatever g's sign; hardtanh_ uses hardtanh's
rule (not clamp's, which passes g at the bounds). NumPy oracles first, PyTorch behind the
marker (on grids of a multiple of 128 elements, all in PyTorch's vectorized loop)."""

import numpy as np
import pytest
from same_bits import assert_same_bits

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck

NAN, INF = np.nan, np.inf


def _grid(dtype):
    """Every edge input beside every edge gradient (bounds -1, 0, 1 and 6 included)."""
    xs = np.array([-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, NAN, -INF, INF], dtype)
    gs = np.array([1.5, -2.5, 0.0, -0.0, INF, -INF, NAN], dtype)
    x, g = np.meshgrid(xs, gs, indexing="ij")
    return np.ascontiguousarray(x), np.ascontiguousarray(g)


def _zero_or_g(cut, g):
    return np.where(cut, np.zeros((), g.dtype), g)


# (name, call on a tensor, in-place, forward oracle, "cut" oracle for the gradient)
CASES = [
    ("threshold", lambda t: F.threshold(t, 0.5, -3.0), False,
     lambda x: np.where(x <= 0.5, x.dtype.type(-3.0), x), lambda x: x <= 0.5),
    ("threshold_", lambda t: F.threshold_(t, 0.5, -3.0), True,
     lambda x: np.where(x <= 0.5, x.dtype.type(-3.0), x), lambda x: x <= 0.5),
    ("threshold_value_above", lambda t: F.threshold(t, 0.0, 5.0, inplace=True), True,
     lambda x: np.where(x <= 0, x.dtype.type(5.0), x), lambda x: x <= 0),
    ("hardtanh", lambda t: F.hardtanh(t), False,
     lambda x: np.clip(x, -1, 1), lambda x: ~((x > -1) & (x < 1))),
    ("hardtanh_", lambda t: F.hardtanh_(t), True,
     lambda x: np.clip(x, -1, 1), lambda x: ~((x > -1) & (x < 1))),
    ("hardtanh_0_1", lambda t: F.hardtanh(t, 0.0, 1.0, inplace=True), True,
     lambda x: np.clip(x, 0, 1), lambda x: ~((x > 0) & (x < 1))),
    ("relu6", lambda t: F.relu6(t), False,
     lambda x: np.clip(x, 0, 6), lambda x: ~((x > 0) & (x < 6))),
    ("ReLU6_inplace", lambda t: tt.nn.ReLU6(inplace=True)(t), True,
     lambda x: np.clip(x, 0, 6), lambda x: ~((x > 0) & (x < 6))),
    ("Hardtanh_module", lambda t: tt.nn.Hardtanh(-0.5, 2.0)(t), False,
     lambda x: np.clip(x, -0.5, 2), lambda x: ~((x > -0.5) & (x < 2))),
]  # fmt: skip


def _run(lib, call, inplace, x, g):
    xt = lib.tensor(x, requires_grad=True)
    y = call(xt * 1 if inplace else xt)
    y.backward(lib.tensor(g))
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_of_edge_values_bit_for_bit(case, dtype):
    _, call, inplace, forward, cut = case
    x, g = _grid(dtype)
    y, gx = _run(tt, call, inplace, x, g)
    with np.errstate(invalid="ignore"):
        assert_same_bits(y, forward(x))
        assert_same_bits(gx, _zero_or_g(cut(x), g))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_first_and_second_derivatives_away_from_the_kinks(case):
    _, call, inplace, _, _ = case
    x = np.random.default_rng(4).uniform(-8, 8, (3, 7))
    x = np.where(np.min(np.abs(x[..., None] - [-1, -0.5, 0, 0.5, 1, 2, 6]), -1) < 0.05, 3.5, x)
    fn = (lambda t: call(t * 1)) if inplace else call
    assert gradcheck(fn, (tt.tensor(x, requires_grad=True),))
    assert gradgradcheck(lambda t: fn(t) * t, (tt.tensor(x, requires_grad=True),))


def test_in_place_forms_change_the_tensor_and_a_leaf_is_refused():
    x = tt.tensor([-2.0, 0.25, 9.0])
    assert F.hardtanh_(x) is x and x.tolist() == [-1.0, 0.25, 1.0]
    assert F.threshold_(x, 0.5, 7.0) is x and x.tolist() == [7.0, 7.0, 1.0]
    leaf = tt.tensor([1.0], requires_grad=True)
    for fn in (F.hardtanh_, lambda t: F.threshold_(t, 0.0, 0.0)):
        with pytest.raises(RuntimeError, match="leaf"):
            fn(leaf)
        assert leaf.tolist() == [1.0] and leaf._version == 0


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", range(len(CASES)), ids=[c[0] for c in CASES])
def test_matches_torch_bit_for_bit(k, dtype):
    torch = pytest.importorskip("torch")
    name, call, inplace, _, _ = CASES[k]
    theirs = {
        "threshold": lambda t: torch.nn.functional.threshold(t, 0.5, -3.0),
        "threshold_": lambda t: torch.nn.functional.threshold_(t, 0.5, -3.0),
        "threshold_value_above": lambda t: torch.nn.functional.threshold(t, 0.0, 5.0, True),
        "hardtanh": lambda t: torch.nn.functional.hardtanh(t),
        "hardtanh_": lambda t: torch.nn.functional.hardtanh_(t),
        "hardtanh_0_1": lambda t: torch.nn.functional.hardtanh(t, 0.0, 1.0, inplace=True),
        "relu6": lambda t: torch.nn.functional.relu6(t),
        "ReLU6_inplace": lambda t: torch.nn.ReLU6(inplace=True)(t),
        "Hardtanh_module": lambda t: torch.nn.Hardtanh(-0.5, 2.0)(t),
    }[name]
    x, g = (np.tile(a, (32, 1)) for a in _grid(dtype))  # 2688 = 21 * 128 elements
    y, gx = _run(tt, call, inplace, x, g)
    ty, tgx = _run(torch, theirs, inplace, x, g)
    assert_same_bits(y, ty)
    assert_same_bits(gx, tgx)
