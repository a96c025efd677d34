"""``load_state_dict(assign=True)``: parameters and buffers take the checkpoint's dtype (as
PyTorch's), keep their own ``requires_grad``, and a value that cannot require gradients is
refused before anything changes."""

import numpy as np
import pytest

import tinytensor as tt


def test_assign_takes_the_checkpoint_dtype_and_values():
    m = tt.nn.Linear(3, 2)
    sd = {
        "weight": tt.arange(6, dtype=tt.float64).reshape(2, 3),
        "bias": tt.ones(2, dtype=tt.float64),
    }
    m.load_state_dict(sd, assign=True)
    assert m.weight.dtype == tt.float64 and m.bias.dtype == tt.float64
    assert m.weight.requires_grad and isinstance(m.weight, tt.nn.Parameter)
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    out = m(tt.ones(1, 3, dtype=tt.float64))
    assert out.dtype == tt.float64
    out.sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.ones((2, 3)))


def test_without_assign_values_are_cast_into_the_module_dtype():
    m = tt.nn.Linear(3, 2)
    m.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    assert m.weight.dtype == tt.float32


def test_assign_from_numpy_copies():
    m = tt.nn.Linear(2, 2)
    w = np.ones((2, 2))
    m.load_state_dict({"weight": w, "bias": np.zeros(2)}, assign=True)
    w[0, 0] = 5.0
    assert m.weight.dtype == tt.float64 and m.weight[0, 0].item() == 1.0


def test_assign_keeps_a_frozen_parameter_frozen():
    m = tt.nn.Linear(2, 2)
    m.bias.requires_grad_(False)
    m.load_state_dict(
        {"weight": tt.zeros(2, 2), "bias": tt.zeros(2, dtype=tt.float64)}, assign=True
    )
    assert not m.bias.requires_grad and m.bias.dtype == tt.float64


def test_assign_of_an_integer_value_to_a_parameter_is_refused_and_changes_nothing():
    m = tt.nn.Linear(2, 2)
    before = m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()
    sd = {"weight": tt.zeros(2, 2, dtype=tt.int64), "bias": tt.zeros(2)}
    with pytest.raises(RuntimeError, match=r'"weight".*only floating point'):
        m.load_state_dict(sd, assign=True)
    assert m.weight.dtype == tt.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), before[0])
    np.testing.assert_array_equal(m.bias.detach().numpy(), before[1])


def test_assign_of_an_integer_buffer_is_fine():
    bn = tt.nn.BatchNorm1d(2)
    bn.load_state_dict(
        {"weight": tt.ones(2), "bias": tt.zeros(2), "running_mean": tt.zeros(2),
         "running_var": tt.ones(2), "num_batches_tracked": tt.tensor(7, dtype=tt.int32)},
        assign=True,
    )  # fmt: skip
    assert bn.num_batches_tracked.dtype == tt.int32 and bn.num_batches_tracked.item() == 7


@pytest.mark.torch
def test_assign_dtype_matches_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        m = lib.nn.Linear(2, 2)
        m.load_state_dict(
            {"weight": lib.zeros(2, 2, dtype=lib.float64), "bias": lib.zeros(2, dtype=lib.float64)},
            assign=True,
        )
        assert str(m.weight.dtype).split(".")[-1] == "float64"
        assert m.weight.requires_grad
