"""The engine keeps ("steals") a fresh leaf gradient instead of copying it, as PyTorch's
AccumulateGrad does: it saves a copy of every parameter's gradient per step. Whether a gradient
is fresh is read from reference counts calibrated once per interpreter, a trick that fails
silently both ways: counted one too low it copies everything (the W3/W4 slowdown of issue #14),
one too high it hands the user a ``.grad`` that another holder can change. These tests pin both
sides, with exactly one extra holder where sharing must be seen."""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from tinytensor.autograd import engine
from tinytensor.core import wrap


def _fresh(values):
    """A gradient tensor and its array's address; only the returned list holds the tensor."""
    arr = np.array(values, dtype=np.float32)
    return [wrap(arr)], arr.ctypes.data


# --- the accumulation step itself: exactly one extra reference decides ------------------------


def test_a_fresh_gradient_no_one_else_holds_is_kept_without_a_copy():
    leaf = tt.zeros(3, requires_grad=True)
    held, ptr = _fresh([1.0, 2.0, 3.0])
    engine._accumulate(leaf, held.pop(), False)  # handed on as commit hands it: nothing else
    assert leaf.grad.data_ptr() == ptr
    np.testing.assert_array_equal(leaf.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_gradient_whose_tensor_someone_else_holds_is_copied():
    leaf = tt.zeros(3, requires_grad=True)
    held, ptr = _fresh([1.0, 2.0, 3.0])
    other = held[0]  # one more reference to the tensor
    engine._accumulate(leaf, held.pop(), False)
    assert leaf.grad is not other and leaf.grad.data_ptr() != ptr
    other._data[:] = 0  # the other holder writes: .grad does not change
    np.testing.assert_array_equal(leaf.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_gradient_whose_array_someone_else_holds_is_copied():
    leaf = tt.zeros(3, requires_grad=True)
    held, ptr = _fresh([1.0, 2.0, 3.0])
    arr = held[0]._data  # one more reference to the array only
    engine._accumulate(leaf, held.pop(), False)
    assert leaf.grad.data_ptr() != ptr
    arr[:] = 0
    np.testing.assert_array_equal(leaf.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_view_is_copied_whatever_its_reference_count():
    leaf = tt.zeros(3, requires_grad=True)
    base = np.arange(6, dtype=np.float32)
    held = [wrap(base[::2])]
    engine._accumulate(leaf, held.pop(), False)
    assert not np.shares_memory(leaf.grad.numpy(), base)


def test_a_second_gradient_is_added_into_the_first_in_place():
    leaf = tt.zeros(3, requires_grad=True)
    held, ptr = _fresh([1.0, 2.0, 3.0])
    engine._accumulate(leaf, held.pop(), False)
    held, _ = _fresh([1.0, 1.0, 1.0])
    engine._accumulate(leaf, held.pop(), False)
    assert leaf.grad.data_ptr() == ptr
    np.testing.assert_array_equal(leaf.grad.numpy(), [2.0, 3.0, 4.0])


# --- through backward(): the public API -------------------------------------------------------


def _arriving(t):
    """Record the address of each gradient that reaches ``t`` (the hook keeps no reference)."""
    ptrs = []
    t.register_hook(lambda g: ptrs.append(g.data_ptr()))
    return ptrs


def test_backward_keeps_a_parameters_fresh_gradient():
    layer = tt.nn.Linear(4, 3)
    arrived = _arriving(layer.weight)
    layer(tt.ones(2, 4)).sum().backward()
    assert arrived and layer.weight.grad.data_ptr() == arrived[0]


def test_backward_keeps_a_fresh_leaf_gradient():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    arrived = _arriving(x)
    (x * 2).sum().backward()
    assert x.grad.data_ptr() == arrived[0]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_backward_copies_a_gradient_a_tensor_hook_still_holds():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x + 0.0  # add hands y's gradient on to x as it is
    stash = []
    y.register_hook(stash.append)
    arrived = _arriving(x)
    (y * 3).sum().backward()
    assert arrived[0] == stash[0].data_ptr()  # the precondition: x received the stashed array
    assert x.grad.data_ptr() != arrived[0]
    stash[0].mul_(0)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_backward_copies_the_tensor_a_leaf_hook_returns_and_the_user_keeps():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mine = tt.tensor([5.0, 5.0, 5.0])
    x.register_hook(lambda g: mine)
    (x * 2).sum().backward()
    assert x.grad is not mine and not np.shares_memory(x.grad.numpy(), mine.numpy())
    mine.add_(1)
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0, 5.0])


def test_backward_copies_the_gradient_the_caller_passed_in():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seed = tt.tensor([1.0, 10.0, 100.0])
    (x + 0.0).backward(seed)  # add passes the caller's tensor on to x unchanged
    assert not np.shares_memory(x.grad.numpy(), seed.numpy())
    seed.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 10.0, 100.0])


def test_two_leaves_given_the_same_gradient_get_separate_arrays():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    b = tt.tensor([3.0, 4.0], requires_grad=True)
    arrived_a, arrived_b = _arriving(a), _arriving(b)
    (a + b).mul(2).sum().backward()
    assert arrived_a[0] == arrived_b[0]  # add gave both the same gradient
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    # One of them may keep it (the other's copy was made first); never both.
    assert arrived_a[0] in (a.grad.data_ptr(), b.grad.data_ptr())
    a.grad.mul_(10)
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0])


def test_create_graph_keeps_the_recorded_gradient_itself():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad  # the graph of the gradient is kept, not a detached copy
    (x.grad * x.grad).sum().backward()
