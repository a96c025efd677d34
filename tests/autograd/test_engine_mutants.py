"""``autograd/engine.py`` rule by rule, NumPy only (issue #25: mutmut survivors).

Hand-built graphs (``record`` with hand-written backward functions) pin each step of the
engine: the topological order, the pruning to ``inputs``, ``reduce_to``'s broadcast sums and
its error, the summing of gradients meeting at a node, an output of a multi-output node and a
leaf, the hooks and ``retain_grad`` of non-leaves, leaf hooks run before any ``.grad`` is
written, gradient stealing versus copying, ``autograd.grad``'s capture, freeing the graph,
and anomaly mode's reports. Expected values are written by hand.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd import engine as E
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import Node, record
from tinytensor.core import wrap


def _leaf(*values, dtype=tt.float64):
    return tt.tensor(list(values), dtype=dtype, requires_grad=True)


def _op(name, inputs, backward, out_data, saved=()):
    """A recorded op of the given output ``out_data`` (NumPy) and hand-written backward."""
    return record(wrap(np.asarray(out_data)), name, inputs, backward, saved)


# --- _toposort, _prune -------------------------------------------------------------------------


def test_toposort_puts_each_node_before_the_nodes_it_feeds():
    x = _leaf(1.0)
    a = x * 2.0  # A
    b = a * 3.0  # B, reads A
    c = a + b  # C, reads A and B: A is reached twice, at depths 1 and 2
    order = E._toposort([c.grad_fn])
    assert order[0] is c.grad_fn
    assert order.index(b.grad_fn) < order.index(a.grad_fn)
    assert len(order) == 3 and len(set(order)) == 3


def test_toposort_of_several_roots_and_a_multi_output_edge():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    r1 = p0 * 2.0
    r2 = p1 * p0
    order = E._toposort([r1.grad_fn, r2.grad_fn])
    split = p0.grad_fn
    assert split in order and order.count(split) == 1
    assert order.index(split) > order.index(r1.grad_fn)
    assert order.index(split) > order.index(r2.grad_fn)
    assert len(order) == 3


def test_prune_keeps_only_nodes_above_a_target():
    x, y = _leaf(1.0), _leaf(2.0)
    a = x * 2.0  # leads to x
    b = y * 3.0  # leads to y only
    c = a + b
    order = E._toposort([c.grad_fn])
    assert E._prune(order, {id(x)}) == {a.grad_fn, c.grad_fn}
    assert E._prune(order, {id(y)}) == {b.grad_fn, c.grad_fn}
    assert E._prune(order, {id(a.grad_fn)}) == {c.grad_fn}
    assert E._prune(order, set()) == set()


def test_prune_follows_multi_output_edges():
    x = _leaf(1.0, 2.0)
    p0, p1 = x.split(1)
    z = p1 * 2.0
    order = E._toposort([z.grad_fn])
    assert E._prune(order, {id(x)}) == {z.grad_fn, p1.grad_fn}


# --- reduce_to ---------------------------------------------------------------------------------


@pytest.mark.parametrize("enabled", [False, True])
def test_reduce_to_sums_leading_and_stretched_axes(enabled):
    g = wrap(np.arange(24.0).reshape(2, 3, 4))
    prev = grad_state.enabled
    grad_state.enabled = enabled
    try:
        lead = E.reduce_to(g, (3, 4), np.float64, "w")
        both = E.reduce_to(g, (3, 1), np.float64, "w")
        mid = E.reduce_to(g, (1, 3, 1), np.float64, "w")
        inner = E.reduce_to(g, (2, 1, 4), np.float64, "w")
        same = E.reduce_to(g, (2, 3, 4), np.float64, "w")
        to0d = E.reduce_to(g, (), np.float64, "w")
    finally:
        grad_state.enabled = prev
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(lead._data, a.sum(0))
    assert lead._data.shape == (3, 4)
    np.testing.assert_array_equal(both._data, a.sum(0).sum(1, keepdims=True))
    assert both._data.shape == (3, 1)
    np.testing.assert_array_equal(mid._data, a.sum((0, 2), keepdims=True))
    assert mid._data.shape == (1, 3, 1)
    np.testing.assert_array_equal(inner._data, a.sum(1, keepdims=True))
    assert inner._data.shape == (2, 1, 4)
    assert same is g
    assert to0d._data.shape == () and to0d._data == a.sum()


def test_reduce_to_returns_a_fresh_array_for_leading_axes():
    d = np.ones((2, 3))
    out = E.reduce_to(wrap(d), (3,), np.float64, "w")
    assert not np.shares_memory(out._data, d)


def test_reduce_to_keeps_a_size_one_axis_that_is_one_in_the_gradient_too():
    g = wrap(np.ones((2, 1, 3)))
    out = E.reduce_to(g, (1, 1, 3), np.float64, "w")
    np.testing.assert_array_equal(out._data, np.full((1, 1, 3), 2.0))


def test_reduce_to_casts_the_dtype():
    g = wrap(np.array([1.5, 2.5]))
    out = E.reduce_to(g, (2,), np.float32, "w")
    assert out._data.dtype == np.float32
    np.testing.assert_array_equal(out._data, [1.5, 2.5])
    summed = E.reduce_to(wrap(np.ones((2, 2))), (2,), np.float32, "w")
    assert summed._data.dtype == np.float32 and summed._data.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (5,), (2, 2, 4), (3, 4, 1, 1)])
def test_reduce_to_refuses_a_gradient_that_does_not_broadcast(shape):
    g = wrap(np.zeros((2, 3, 4)))
    with pytest.raises(RuntimeError) as e:
        E.reduce_to(g, shape, np.float64, "<XBackward>")
    assert str(e.value) == (
        f"<XBackward>: the gradient it returned has shape (2, 3, 4), which does not match "
        f"(or broadcast to) the shape {shape} of its input"
    )


def test_a_backward_returning_the_broadcast_shape_is_reduced_per_input():
    x = _leaf(1.0, 2.0, 3.0)  # (3,)
    s = tt.tensor([[5.0]], requires_grad=True)  # (1, 1)
    out = _op("B", (x, s), lambda g: (g * 2.0, g * 3.0), np.zeros((2, 3)))
    out.backward(tt.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(x.grad._data, [10.0, 14.0, 18.0])
    np.testing.assert_array_equal(s.grad._data, [[63.0]])


def test_a_float64_gradient_into_a_float32_leaf_is_cast():
    x = _leaf(1.0, 2.0, dtype=tt.float32)
    out = _op("C", (x,), lambda g: (wrap(g._data.astype(np.float64) * 2.0),), np.zeros(2))
    out.sum().backward()
    assert x.grad.dtype is tt.float32
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])


def test_a_bad_gradient_shape_names_the_node():
    x = _leaf(1.0, 2.0)
    out = _op("Bad", (x,), lambda g: (wrap(np.ones(3)),), np.zeros(2))
    with pytest.raises(RuntimeError, match=r"^<BadBackward>: the gradient it returned has shape"):
        out.sum().backward()
    assert x.grad is None


def test_a_gradient_into_an_interior_node_is_reduced_and_cast():
    x = _leaf(1.0, 2.0, dtype=tt.float32)
    mid = x * 1.0  # float32, shape (2,)
    out = _op("Up", (mid,), lambda g: (wrap(np.ones((3, 2), dtype=np.float64)),), np.zeros(1))
    out.backward(tt.tensor([1.0]))
    assert x.grad.dtype is tt.float32
    np.testing.assert_array_equal(x.grad._data, [3.0, 3.0])


def test_a_gradient_into_an_output_of_a_multi_output_node_is_reduced():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    out = _op("Wide", (p1,), lambda g: (wrap(np.ones((4, 2))),), np.zeros(1))
    out.backward(tt.tensor([1.0]))
    np.testing.assert_array_equal(x.grad._data, [0.0, 0.0, 4.0, 4.0])


# --- summing where gradients meet --------------------------------------------------------------


def test_gradients_meeting_at_a_node_a_leaf_and_an_output_are_summed():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    a = p0 * 2.0
    y = (a * 3.0 + a * 5.0 + p0 * 7.0).sum() + (p1 * 11.0).sum() + (x * 13.0).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad._data, [36.0, 36.0, 24.0, 24.0])


def test_summing_with_create_graph_stays_differentiable():
    x = _leaf(2.0)
    y = x * x + x * x * x  # dy = 2x + 3x^2 = 16; d2y = 2 + 6x = 14
    (g,) = tt.autograd.grad(y, x, create_graph=True)
    assert g.item() == 16.0 and g.requires_grad
    (h,) = tt.autograd.grad(g, x)
    assert h.item() == 14.0


def test_two_roots_on_one_leaf_are_summed():
    x = _leaf(1.0, 2.0)
    tt.autograd.backward([x, x * 3.0], [tt.tensor([1.0, 1.0]), tt.tensor([2.0, 0.5])])
    np.testing.assert_array_equal(x.grad._data, [7.0, 2.5])


def test_two_roots_on_the_outputs_of_one_node():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    tt.autograd.backward([p0, p1, p1], [tt.tensor([1.0, 2.0]), tt.tensor([3.0, 4.0]),
                                        tt.tensor([10.0, 20.0])])  # fmt: skip
    np.testing.assert_array_equal(x.grad._data, [1.0, 2.0, 13.0, 24.0])


# --- inputs=, needs, capture -------------------------------------------------------------------


def test_backward_inputs_fills_only_the_named_leaf_and_skips_other_branches():
    x, y = _leaf(1.0), _leaf(2.0)
    ran = []

    def bx(g):
        ran.append("x")
        return (g * 2.0,)

    def by(g):
        ran.append("y")
        return (g * 3.0,)

    a = _op("X", (x,), bx, [2.0])
    b = _op("Y", (y,), by, [6.0])
    (a + b).backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None
    assert ran == ["x"]


def test_needs_with_inputs_marks_only_the_inputs_on_a_path():
    x, y = _leaf(1.0), _leaf(2.0)
    seen = []

    def bw(g, *, needs):
        seen.append(needs)
        return (g if needs[0] else None, g if needs[1] else None)

    out = _op("Two", (x, y), bw, [0.0])
    out.backward(inputs=[y])
    assert seen == [(False, True)]
    assert y.grad.item() == 1.0 and x.grad is None
    out2 = _op("Two", (x, y), bw, [0.0])
    out2.backward()
    assert seen[-1] == (True, True)


def test_needs_with_a_non_leaf_input():
    x = _leaf(1.0)
    m = x * 2.0
    seen = []

    def bw(g, *, needs):
        seen.append(needs)
        return (g, g)

    out = _op("NL", (m, tt.tensor([1.0])), bw, [0.0])
    (gm,) = tt.autograd.grad(out, m)
    assert seen == [(True, False)] and gm.item() == 1.0


def test_autograd_grad_of_a_non_leaf_captures_without_running_below_it():
    x = _leaf(3.0)
    ran = []

    def bw(g):
        ran.append(1)
        return (g * 2.0,)

    m = _op("M", (x,), bw, [6.0])
    y = m * m
    (gm,) = tt.autograd.grad(y, m)
    assert gm.item() == 12.0 and ran == [] and x.grad is None


def test_autograd_grad_of_a_non_leaf_and_a_leaf_below_it():
    x = _leaf(3.0)
    m = x * 2.0
    y = m * m  # dy/dm = 2m = 12; dy/dx = 24
    gm, gx = tt.autograd.grad(y, [m, x])
    assert gm.item() == 12.0 and gx.item() == 24.0
    assert x.grad is None


def test_autograd_grad_of_one_output_of_a_multi_output_node():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    y = (p0 * 2.0).sum() + (p1 * 3.0).sum()
    g0, g1 = tt.autograd.grad(y, [p0, p1])
    np.testing.assert_array_equal(g0._data, [2.0, 2.0])
    np.testing.assert_array_equal(g1._data, [3.0, 3.0])


def test_backward_inputs_with_a_non_leaf_writes_its_grad():
    x = _leaf(3.0)
    m = x * 2.0
    (m * m).backward(inputs=[m])
    assert m.grad.item() == 12.0 and x.grad is None


def test_unused_input_is_an_error_or_none():
    x, z = _leaf(1.0), _leaf(2.0)
    y = x * 2.0
    with pytest.raises(RuntimeError) as e:
        tt.autograd.grad(y, [x, z], retain_graph=True)
    assert str(e.value) == (
        "autograd.grad: one of the differentiated tensors (shape (1,)) was not used in the "
        "graph; pass allow_unused=True to get None for it"
    )
    gx, gz = tt.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gx.item() == 2.0 and gz is None
    m = z * 1.0
    with pytest.raises(RuntimeError, match="was not used in the graph"):
        tt.autograd.grad(y, [m])


def test_autograd_grad_runs_leaf_hooks_and_touches_no_grad():
    x = _leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 10.0)
    (g,) = tt.autograd.grad((x * 3.0).sum(), x)
    np.testing.assert_array_equal(g._data, [30.0, 30.0])
    assert x.grad is None


# --- hooks, retain_grad, commit ---------------------------------------------------------------


def test_non_leaf_hook_replaces_the_gradient_flowing_on():
    x = _leaf(1.0, 2.0)
    m = x * 2.0
    m.register_hook(lambda g: g * 5.0)
    m.register_hook(lambda g: None)  # returning None keeps it
    m.register_hook(lambda g: g + 1.0)
    m.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [12.0, 12.0])  # ((1*5)+1)*2


def test_hooks_on_outputs_of_a_multi_output_node_touch_only_their_output():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    p1.register_hook(lambda g: g * 10.0)
    (p0.sum() + p1.sum() * 2.0).backward()
    np.testing.assert_array_equal(x.grad._data, [1.0, 1.0, 20.0, 20.0])


def test_a_hook_on_an_output_that_got_no_gradient_is_not_called():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    called = []
    p1.register_hook(lambda g: called.append(g))
    p0.sum().backward()
    assert called == []
    np.testing.assert_array_equal(x.grad._data, [1.0, 1.0, 0.0, 0.0])


def test_retain_grad_keeps_a_copy_and_sums_over_backward_calls():
    x = _leaf(1.0, 2.0)
    m = x * 2.0
    m.retain_grad()
    y = (m * 3.0).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(m.grad._data, [3.0, 3.0])
    first = m.grad
    y.backward()
    np.testing.assert_array_equal(m.grad._data, [6.0, 6.0])
    np.testing.assert_array_equal(first._data, [3.0, 3.0])  # a new tensor, not summed in place


def test_retain_grad_of_one_output_of_a_multi_output_node():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    p1.retain_grad()
    (p1 * 4.0).sum().backward()
    np.testing.assert_array_equal(p1.grad._data, [4.0, 4.0])
    assert p0.grad is None


def test_retained_grad_is_a_copy_not_the_flowing_gradient():
    x = _leaf(1.0, 2.0)
    m = x * 1.0
    flowing = []
    m.register_hook(lambda g: flowing.append(g))
    m.retain_grad()
    m.backward(tt.tensor([1.0, 1.0], dtype=tt.float64))
    assert not np.shares_memory(m.grad._data, x.grad._data)
    assert not np.shares_memory(m.grad._data, flowing[0]._data)
    np.testing.assert_array_equal(m.grad._data, [1.0, 1.0])


def test_retain_grad_with_create_graph_keeps_a_differentiable_gradient():
    x = _leaf(2.0)
    m = x * x
    m.retain_grad()
    (m * m).backward(create_graph=True)  # dm = 2m = 8 (depends on x)
    assert m.grad.item() == 8.0 and m.grad.requires_grad


def test_leaf_hooks_all_run_before_any_grad_is_written():
    x, y = _leaf(1.0), _leaf(2.0)
    seen = []
    x.register_hook(lambda g: seen.append(("x", y.grad)) or g * 2.0)
    y.register_hook(lambda g: seen.append(("y", x.grad)))
    (x * 3.0 + y * 4.0).backward()
    assert seen == [("x", None), ("y", None)] or seen == [("y", None), ("x", None)]
    assert x.grad.item() == 6.0 and y.grad.item() == 4.0


def test_leaf_hooks_chain_in_order():
    x = _leaf(1.0)
    x.register_hook(lambda g: g + 1.0)
    x.register_hook(lambda g: g * 10.0)
    (x * 2.0).backward()
    assert x.grad.item() == 30.0


def test_a_failing_backward_leaves_grads_and_graph_as_they_were():
    x = _leaf(1.0)
    x.grad = tt.tensor([5.0], dtype=tt.float64)

    def boom(g):
        raise ValueError("boom")

    y = _op("Boom", (x,), boom, [1.0])
    z = y + x
    with pytest.raises(ValueError, match="boom"):
        z.backward()
    assert x.grad.item() == 5.0
    assert z.grad_fn.fn is not None  # not freed: a retry sees the same graph
    assert grad_state.enabled is True and gc.isenabled()


# --- accumulate, steal, free ---------------------------------------------------------------------


def test_first_gradient_is_stolen_when_no_one_else_holds_it():
    x = _leaf(1.0, 2.0)
    made = []

    def bw(g):
        arr = np.array([4.0, 5.0])
        made.append(weakref.ref(arr))
        return (wrap(arr),)

    out = _op("Own", (x,), bw, np.zeros(2))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [4.0, 5.0])
    assert x.grad._data is made[0]()  # the very array backward made: no copy


def test_a_gradient_someone_holds_is_copied_not_shared():
    x = _leaf(1.0, 2.0)
    held = wrap(np.array([4.0, 5.0]))
    out = _op("Held", (x,), lambda g, h: (h,), np.zeros(2), (held,))
    out.sum().backward()
    assert x.grad is not held and not np.shares_memory(x.grad._data, held._data)
    held._data[:] = 0.0
    np.testing.assert_array_equal(x.grad._data, [4.0, 5.0])


def test_a_view_gradient_is_copied():
    x = _leaf(1.0, 2.0)
    base = wrap(np.array([[4.0, 5.0], [6.0, 7.0]]))
    out = _op("View", (x,), lambda g, b: (wrap(b._data[0]),), np.zeros(2), (base,))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [4.0, 5.0])
    assert not np.shares_memory(x.grad._data, base._data)


def test_second_backward_adds_into_grad_in_place():
    x = _leaf(1.0, 2.0)
    (x * 2.0).sum().backward()
    g = x.grad
    (x * 3.0).sum().backward()
    assert x.grad is g  # summed in place (no graph)
    np.testing.assert_array_equal(g._data, [5.0, 5.0])


def test_accumulating_into_a_grad_that_requires_grad_makes_a_new_tensor():
    x = _leaf(2.0)
    (x * x).backward(create_graph=True)  # x.grad = 2x, differentiable
    first = x.grad
    assert first.requires_grad and first.item() == 4.0
    (x * 3.0).backward()
    assert x.grad is not first and x.grad.item() == 7.0 and first.item() == 4.0


def test_accumulate_with_create_graph_sums_out_of_place():
    x = _leaf(2.0)
    x.grad = tt.tensor([1.0], dtype=tt.float64)
    kept = x.grad
    (x * x).backward(create_graph=True)
    assert x.grad is not kept and x.grad.item() == 5.0 and kept.item() == 1.0
    assert x.grad.requires_grad


def test_sole_owner():
    assert len(E._FRESH_REFS) == 2 and all(n > 0 for n in E._FRESH_REFS)
    view = wrap(np.ones(4)[1:])
    assert not E._sole_owner(view)
    needing = wrap(np.ones(2))
    needing._requires_grad = True
    assert not E._sole_owner(needing)
    counted = wrap(np.ones(2))
    counted._vc = [0]
    assert not E._sole_owner(counted)
    hooked = wrap(np.ones(2))
    hooked._hooks = {}
    assert not E._sole_owner(hooked)


def test_graph_is_freed_after_backward_unless_retained():
    x = _leaf(1.0)
    w = tt.tensor([2.0])
    y = _op("K", (x,), lambda g, w: (g * w,), [2.0], (w,))
    node = y.grad_fn
    y.backward(retain_graph=True)
    assert node.fn is not None and node.saved == (w,) and node.checked == (w,)
    y.backward()
    assert node.fn is None and node.saved == () and node.checked == () and node.versions == ()
    assert node.outputs is None and node.attrs is None
    assert x.grad.item() == 4.0
    with pytest.raises(RuntimeError) as e:
        y.backward()
    assert str(e.value) == (
        "Trying to backward through the graph a second time: the saved tensors of <KBackward> "
        "were freed by the first backward. Specify retain_graph=True on the first .backward() "
        "or autograd.grad() call if you need to backward through it again."
    )


def test_grad_mode_and_gc_are_restored_after_backward():
    x = _leaf(1.0)
    assert gc.isenabled()
    seen = []

    def bw(g):
        seen.append((grad_state.enabled, gc.isenabled()))
        return (g,)

    _op("G", (x,), bw, [1.0]).backward()
    _op("G", (x,), bw, [1.0]).backward(create_graph=True)
    assert seen == [(False, False), (True, False)]
    assert grad_state.enabled is True and gc.isenabled()
    gc.disable()
    try:
        _op("G", (x,), bw, [1.0]).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_node_that_received_no_gradient_is_not_run():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    ran = []

    def bw(g):
        ran.append(1)
        return (g,)

    p0, p1 = x.split(2)
    _op("Unused", (p1,), bw, [0.0])  # made but not part of the loss
    p0.sum().backward()
    assert ran == []


# --- anomaly mode --------------------------------------------------------------------------------


def test_anomaly_reports_an_error_in_backward_with_its_node():
    x = _leaf(1.0)

    def bad(g):
        raise ValueError("inner failure")

    with tt.autograd.detect_anomaly():
        y = _op("Fails", (x,), bad, [1.0])
        with pytest.raises(RuntimeError) as e:
            y.backward()
    msg = str(e.value)
    assert msg.startswith("Error in FailsBackward during backward: inner failure\n")
    assert "The forward call that created <FailsBackward>:\n" in msg
    assert 'File "' in msg.split("created <FailsBackward>:\n")[1]  # the frames where it was made
    assert isinstance(e.value.__cause__, ValueError)


def test_anomaly_reports_a_nan_gradient_naming_the_input():
    x, z = _leaf(1.0), _leaf(2.0, 3.0)

    def nan_second(g):
        return g, wrap(np.array([1.0, np.nan]))

    with tt.autograd.detect_anomaly():
        y = _op("NaNy", (x, z), nan_second, [0.0])
        with pytest.raises(RuntimeError) as e:
            y.backward()
    assert str(e.value).startswith(
        "Function 'NaNyBackward' returned nan or inf values in its gradient for input 1 "
        "(shape (2,)). The forward call that created <NaNyBackward>:\n"
    )
    assert x.grad is None and z.grad is None


def test_anomaly_reports_inf_too_but_not_when_check_nan_is_off():
    x = _leaf(1.0)
    with tt.autograd.detect_anomaly():
        y = _op("Inf", (x,), lambda g: (wrap(np.array([np.inf])),), [0.0])
        with pytest.raises(RuntimeError, match="for input 0"):
            y.backward()
    with tt.autograd.detect_anomaly(check_nan=False):
        y = _op("Inf", (x,), lambda g: (wrap(np.array([np.inf])),), [0.0])
        y.backward()
    assert x.grad.item() == np.inf


def test_anomaly_mode_passes_needs_and_saved_values():
    x, y = _leaf(1.0), _leaf(2.0)
    w = tt.tensor([3.0])
    seen = []

    def bw(g, w, *, needs):
        seen.append(needs)
        return g * w, (g * w if needs[1] else None)

    with tt.autograd.detect_anomaly():
        out = _op("AN", (x, y), bw, [0.0], (w,))
        out.backward(inputs=[x])
    assert seen == [(True, False)] and x.grad.item() == 3.0 and y.grad is None

    def plain(g, w):
        return (g * w,)

    with tt.autograd.detect_anomaly():
        _op("AP", (x,), plain, [0.0], (w,)).backward()
    assert x.grad.item() == 6.0


def test_anomaly_on_a_node_made_outside_anomaly_mode_says_so():
    x = _leaf(1.0)

    def bad(g):
        raise ValueError("late")

    y = _op("Old", (x,), bad, [1.0])
    with tt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as e:
            y.backward()
    assert str(e.value).endswith(
        "The forward call that created <OldBackward>:\n"
        "  (not recorded: the node was made outside detect_anomaly)\n"
    )


def test_engine_uses_node_class_for_edges():
    assert E.Node is Node


# --- survivors of the first mutmut pass -----------------------------------------------------------


def test_reduce_to_sums_a_stretched_axis_when_the_leading_one_is_size_one():
    g = wrap(np.arange(12.0).reshape(1, 3, 4))
    for enabled in (False, True):
        prev = grad_state.enabled
        grad_state.enabled = enabled
        try:
            out = E.reduce_to(g, (3, 1), np.float64, "w")
        finally:
            grad_state.enabled = prev
        assert out._data.shape == (3, 1)
        np.testing.assert_array_equal(
            out._data, np.arange(12.0).reshape(3, 4).sum(1, keepdims=True)
        )


def test_broadcast_reduction_under_create_graph_stays_differentiable():
    x, z = _leaf(2.0), _leaf(1.0, 2.0, 3.0)  # (1,) against (3,)
    (gx,) = tt.autograd.grad((x * z * z).sum(), x, create_graph=True)  # sum(z^2), reduced
    assert gx.shape == (1,) and gx.item() == 14.0 and gx.requires_grad
    (gz,) = tt.autograd.grad(gx, z)
    assert gz._data.tolist() == [2.0, 4.0, 6.0]
    x = _leaf(2.0)  # (1,) against (3,)
    c = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64)
    y = (x * x * c).sum()
    (g,) = tt.autograd.grad(y, x, create_graph=True)  # sum(2 x c) = 24
    assert g.shape == (1,) and g.item() == 24.0 and g.requires_grad
    (h,) = tt.autograd.grad(g, x)  # sum(2 c) = 12
    assert h.item() == 12.0


def test_two_roots_that_are_one_leaf_or_one_node_are_summed():
    x = _leaf(1.0, 2.0)
    tt.autograd.backward([x, x], [_leaf(1.0, 2.0).detach(), _leaf(10.0, 20.0).detach()])
    np.testing.assert_array_equal(x.grad._data, [11.0, 22.0])
    y = _leaf(1.0, 2.0)
    m = y * 3.0
    tt.autograd.backward([m, m], [_leaf(1.0, 2.0).detach(), _leaf(10.0, 20.0).detach()])
    np.testing.assert_array_equal(y.grad._data, [33.0, 66.0])


def test_the_first_backward_tunes_the_allocator_once():
    (_leaf(1.0) * 2.0).backward()
    assert E._first_pass is False


def test_run_backward_defaults_free_the_graph_and_make_plain_gradients():
    x = _leaf(2.0)
    y = x * x
    node = y.grad_fn
    E.run_backward([y], [wrap(np.ones(1))])
    assert x.grad.item() == 4.0 and not x.grad.requires_grad
    assert node.fn is None  # retain_graph=False
    z = _leaf(1.0)
    w = x * 3.0
    with pytest.raises(RuntimeError, match="was not used in the graph"):
        E.run_backward([w], [wrap(np.ones(1))], inputs=[z], capture=True)  # allow_unused=False


@pytest.mark.parametrize("none_first", [False, True])
def test_a_node_that_gets_no_gradient_is_skipped_and_the_rest_still_run(none_first):
    x0 = _leaf(1.0)
    x = x0 * 3.0  # gets a gradient
    m = x0 * 2.0  # reachable, but backward gives it None

    if none_first:
        out = _op("Half", (m, x), lambda g: (None, g), [0.0])
    else:
        out = _op("Half", (x, m), lambda g: (g, None), [0.0])
    out.backward()
    assert x0.grad.item() == 3.0


@pytest.mark.parametrize("ask_y", [False, True])
def test_backward_inputs_skips_a_branch_whichever_comes_first(ask_y):
    x, y = _leaf(1.0), _leaf(2.0)
    a = x * 2.0
    b = y * 3.0
    (a + b).backward(inputs=[y] if ask_y else [x])
    if ask_y:
        assert y.grad.item() == 3.0 and x.grad is None
    else:
        assert x.grad.item() == 2.0 and y.grad is None


@pytest.mark.parametrize("swap", [False, True])
def test_grad_of_a_non_leaf_and_a_leaf_on_another_branch(swap):
    x1, x2 = _leaf(3.0), _leaf(5.0)
    m1 = x1 * 2.0  # 6
    m2 = x2 * 3.0  # 15
    y = m2 * m1 if swap else m1 * m2
    gm1, gx2 = tt.autograd.grad(y, [m1, x2])
    assert gm1.item() == 15.0 and gx2.item() == 18.0  # m1 * 3


def test_a_gradient_of_the_wrong_dtype_only_or_shape_only_into_an_interior_node():
    x = _leaf(1.0, 2.0, dtype=tt.float32)
    mid = x * 1.0
    seen = []
    mid.register_hook(lambda g: seen.append(g.dtype))
    out = _op("Dt", (mid,), lambda g: (wrap(np.array([2.0, 3.0])),), np.zeros(2))  # float64
    out.sum().backward()
    assert x.grad.dtype is tt.float32 and x.grad._data.tolist() == [2.0, 3.0]
    assert seen == [tt.float32]  # cast on the way into the node, not only at the leaf
    y = _leaf(1.0, 2.0)
    mid = y * 1.0
    out = _op("Sh", (mid,), lambda g: (wrap(np.ones((3, 2))),), np.zeros(1))  # float64
    out.sum().backward()
    assert y.grad._data.tolist() == [3.0, 3.0]


def test_a_bad_gradient_into_an_interior_node_or_an_output_names_the_node():
    x = _leaf(1.0, 2.0)
    mid = x * 1.0
    out = _op("BadMid", (mid,), lambda g: (wrap(np.ones(3)),), np.zeros(1))
    with pytest.raises(RuntimeError, match=r"^<BadMidBackward>: the gradient it returned"):
        out.sum().backward()
    p0, p1 = _leaf(1.0, 2.0, 3.0, 4.0).split(2)
    out = _op("BadOut", (p1,), lambda g: (wrap(np.ones(3)),), np.zeros(1))
    with pytest.raises(RuntimeError, match=r"^<BadOutBackward>: the gradient it returned"):
        out.sum().backward()


def test_a_float64_gradient_into_a_float32_output_of_a_multi_output_node_is_cast():
    x = _leaf(1.0, 2.0, 3.0, 4.0, dtype=tt.float32)
    p0, p1 = x.split(2)
    seen = []
    p1.register_hook(lambda g: seen.append(g.dtype))
    out = _op("Up64", (p1,), lambda g: (wrap(np.array([2.0, 3.0])),), np.zeros(1))
    out.sum().backward()
    assert seen == [tt.float32]
    assert x.grad.dtype is tt.float32 and x.grad._data.tolist() == [0.0, 0.0, 2.0, 3.0]


def test_needs_with_inputs_follows_an_output_of_a_multi_output_node():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    z = _leaf(1.0, 1.0)
    seen = []

    def bw(g, *, needs):
        seen.append(needs)
        return (g if needs[0] else None, g if needs[1] else None)

    out = _op("NeedsOut", (p1, z), bw, np.zeros(2))
    out.sum().backward(inputs=[x])
    assert seen == [(True, False)]
    assert x.grad._data.tolist() == [0.0, 0.0, 1.0, 1.0] and z.grad is None


def test_a_hook_on_an_output_without_gradient_does_not_stop_the_next_hook():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    called = []
    p0.register_hook(lambda g: called.append(g))  # p0 gets no gradient
    p1.register_hook(lambda g: g * 10.0)
    p1.sum().backward()
    assert called == []
    np.testing.assert_array_equal(x.grad._data, [0.0, 0.0, 10.0, 10.0])


def test_retain_grad_of_an_output_without_gradient_stays_none():
    x = _leaf(1.0, 2.0, 3.0, 4.0)
    p0, p1 = x.split(2)
    p0.retain_grad()
    p1.retain_grad()
    (p1 * 2.0).sum().backward()
    assert p0.grad is None and p1.grad._data.tolist() == [2.0, 2.0]


def test_post_accumulate_hook_gets_the_leaf_after_its_grad_is_written():
    x = _leaf(1.0, 2.0)
    seen = []
    ident = id(x)  # (the hook keeps no reference to x)
    x.register_post_accumulate_grad_hook(
        lambda t: seen.append((id(t) == ident, t.grad._data.tolist()))
    )
    (x * 3.0).sum().backward()
    assert seen == [(True, [3.0, 3.0])]
