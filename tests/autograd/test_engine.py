"""Engine semantics: accumulation, retain_grad, seeds, freeing, grad modes, detach, long chains."""

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt


def f64(*values, requires_grad=True):
    return tt.tensor(list(values), dtype=tt.float64, requires_grad=requires_grad)


# --- accumulation and seeds ------------------------------------------------------------------


def test_scalar_expression_gradient():
    x = tt.tensor(2.0, requires_grad=True)
    y = x * x + 3 * x
    y.backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_leaf_gradients_accumulate_across_backward_calls_until_reset():
    x = f64(1.0, 2.0)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_a_leaf_used_twice_gets_the_sum_of_both_paths():
    x = f64(1.5)
    y = x * x * x + x.exp() * x
    y.backward()
    expected = 3 * 1.5**2 + np.exp(1.5) * (1 + 1.5)
    assert x.grad.item() == pytest.approx(expected)


def test_stored_grad_is_not_a_view_of_the_flowing_gradient():
    # add passes the same gradient object to both inputs; in-place accumulation must not leak.
    a, b = f64(1.0, 2.0), f64(3.0, 4.0)
    (a + b).sum().backward()
    a.grad.mul_(10)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    (a + b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [11.0, 11.0])
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 2.0])


def test_non_leaves_keep_no_grad_unless_retain_grad():
    x = f64(1.0, 2.0)
    h = x * 2
    k = h * 3
    k.retain_grad()
    assert k.retains_grad and not h.retains_grad
    (k * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad.numpy(), 2 * k.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * 6 * 6 * x.detach().numpy())


def test_retain_grad_on_a_leaf_is_a_no_op_and_on_no_grad_tensor_an_error():
    x = f64(1.0)
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.tensor([1.0]).retain_grad()


def test_backward_with_explicit_gradient_weights_the_output():
    x = f64(1.0, 2.0, 3.0)
    y = x * x
    y.backward(gradient=tt.tensor([1.0, 0.5, 0.0], dtype=tt.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 0.0])


def test_backward_gradient_may_be_a_list_or_array():
    x = f64(1.0, 2.0)
    (x * 3).backward(np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 6.0])


def test_non_scalar_root_without_gradient_is_a_clear_error():
    x = f64(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"(?s)scalar outputs.*shape \(2,\).*gradient="):
        (x * 2).backward()
    assert x.grad is None


def test_gradient_of_the_wrong_shape_is_a_clear_error():
    x = f64(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        (x * 2).backward(tt.ones(3, dtype=tt.float64))


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.tensor([1.0]).sum().backward()


def test_backward_of_a_leaf_itself():
    x = f64(4.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_gradients_are_reduced_to_each_inputs_shape_and_dtype():
    a = tt.randn(3, 1, dtype=tt.float64, requires_grad=True)
    b = tt.randn(4, requires_grad=True)  # float32: the product is promoted to float64
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.dtype == tt.float64
    assert b.grad.shape == (4,) and b.grad.dtype == tt.float32
    np.testing.assert_allclose(a.grad.numpy()[:, 0], np.full(3, b.detach().numpy().sum()), 1e-6)


# --- freeing the graph -----------------------------------------------------------------------


def test_second_backward_through_freed_graph_names_op_and_hint():
    x = f64(1.0, 2.0)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"(?s)SumBackward.*retain_graph=True"):
        y.backward()


def test_freed_interior_node_is_named_too():
    x = f64(1.0, 2.0)
    h = x.exp()
    h.sum().backward()  # frees ExpBackward (and SumBackward)
    with pytest.raises(RuntimeError, match=r"(?s)ExpBackward.*retain_graph=True"):
        (h * 2).sum().backward()


def test_retain_graph_allows_a_second_backward_and_frees_saved_tensors_otherwise():
    x = f64(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    mul = y.grad_fn.next_functions[0][0]
    assert mul.fn is None and mul.saved == ()


def test_failed_second_backward_leaves_grads_untouched():
    x = f64(1.0, 2.0)
    y = (x * x).sum()
    y.backward()
    before = x.grad.numpy().copy()
    with pytest.raises(RuntimeError):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), before)


# --- grad modes ------------------------------------------------------------------------------


GRAD_OFF = [
    ("no_grad", lambda: tt.no_grad()),
    ("set_grad_enabled(False)", lambda: tt.set_grad_enabled(False)),
    ("inference_mode", lambda: tt.inference_mode()),
]


@pytest.mark.parametrize("name,mode", GRAD_OFF, ids=[n for n, _ in GRAD_OFF])
def test_grad_off_modes_as_context_managers(name, mode):
    x = f64(1.0)
    with mode():
        assert not tt.is_grad_enabled()
        y = x * 2
    assert tt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize("name,mode", GRAD_OFF, ids=[n for n, _ in GRAD_OFF])
def test_grad_off_modes_as_decorators(name, mode):
    x = f64(1.0)

    @mode()
    def f(t):
        """doc"""
        return t * 2, tt.is_grad_enabled()

    y, enabled = f(x)
    assert not enabled and not y.requires_grad
    assert tt.is_grad_enabled()
    assert f.__doc__ == "doc"


def test_bare_decorators_without_parentheses():
    @tt.no_grad
    def f(t):
        return t * 2

    @tt.inference_mode
    def g(t):
        return t * 2

    x = f64(1.0)
    assert not f(x).requires_grad and not g(x).requires_grad
    assert tt.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_as_decorator():
    x = f64(1.0)

    @tt.enable_grad()
    def f(t):
        return t * 2

    with tt.no_grad():
        with tt.enable_grad():
            assert (x * 2).requires_grad
        assert f(x).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_as_a_function_call_takes_effect_at_once():
    try:
        tt.set_grad_enabled(False)
        assert not tt.is_grad_enabled()
        tt.set_grad_enabled(True)
        assert tt.is_grad_enabled()
    finally:
        tt.set_grad_enabled(True)


def test_modes_restore_the_previous_state_after_an_exception():
    with pytest.raises(ValueError):
        with tt.no_grad():
            raise ValueError
    assert tt.is_grad_enabled()


def test_inference_mode_false_does_nothing():
    with tt.inference_mode(False):
        assert tt.is_grad_enabled()


def test_grad_mode_is_per_thread_two_threads_at_once():
    x = f64(1.0)
    ready = threading.Barrier(2)
    seen = {}

    def worker(name, enabled):
        with tt.set_grad_enabled(enabled):
            ready.wait()  # both threads are inside their mode now
            y = x * 2
            ready.wait()
            seen[name] = (tt.is_grad_enabled(), y.requires_grad)

    threads = [
        threading.Thread(target=worker, args=("on", True)),
        threading.Thread(target=worker, args=("off", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"on": (True, True), "off": (False, False)}
    assert tt.is_grad_enabled()


def test_a_new_thread_starts_with_grad_on_even_if_the_parent_turned_it_off():
    out = []
    with tt.no_grad():
        t = threading.Thread(target=lambda: out.append(tt.is_grad_enabled()))
        t.start()
        t.join()
    assert out == [True]


# --- detach, requires_grad_, clone -----------------------------------------------------------


def test_detach_shares_storage_and_version_but_leaves_the_graph():
    x = f64(1.0, 2.0)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1.0)
    np.testing.assert_allclose(y.detach().numpy(), [3.0, 5.0])
    assert y._version == d._version == 1


def test_detach_in_place():
    x = f64(1.0, 2.0)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_requires_grad_rules():
    x = tt.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        tt.tensor([1, 2]).requires_grad_()
    y = f64(1.0) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_clone_is_differentiable_and_owns_its_storage():
    x = f64(1.0, 2.0)
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_grad_fn_repr_and_parents():
    x = f64(1.0)
    w = f64(2.0)
    y = x * w
    assert repr(y.grad_fn) == "<MulBackward>"
    assert y.grad_fn.parents == (x, w)
    assert y.grad_fn.next_functions == ((x, 0), (w, 0))
    z = y.exp()
    assert z.grad_fn.parents == (y.grad_fn,)


# --- backward(inputs=...) ---------------------------------------------------------------------


def test_backward_inputs_only_fills_the_named_tensors():
    a, b = f64(1.0, 2.0), f64(3.0, 4.0)
    h = a * b
    h.retain_grad()
    m = b * 5  # not on a path to a
    m.retain_grad()
    (h * h + m).sum().backward(inputs=[a])
    np.testing.assert_allclose(a.grad.numpy(), [2 * 1 * 9, 2 * 2 * 16])
    assert b.grad is None
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 16.0])  # on the path: retained
    assert m.grad is None  # off the path: never computed, as in PyTorch


def test_backward_inputs_may_name_a_non_leaf():
    a = f64(1.0, 2.0)
    h = a * 3
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    assert a.grad is None


def test_backward_inputs_validation():
    a = f64(1.0)
    with pytest.raises(RuntimeError, match="must not be empty"):
        (a * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="require grad"):
        (a * 2).sum().backward(inputs=[tt.tensor([1.0])])


def test_tt_autograd_backward_with_several_roots():
    a = f64(1.0, 2.0)
    tt.autograd.backward([(a * 2).sum(), (a * a).sum()])
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 6.0])


# --- long graphs ------------------------------------------------------------------------------


def test_deep_chain_beyond_the_recursion_limit():
    x = f64(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_wide_diamond_graph_accumulates_every_path():
    x = f64(1.0)
    parts = [x * float(i) for i in range(200)]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    total.backward()
    assert x.grad.item() == pytest.approx(sum(range(200)))


@pytest.mark.parametrize("order", ["short-first", "long-first"])
def test_interior_node_reached_by_paths_of_different_length(order):
    # The node h must run only after both of its consumers handed it their gradients.
    x = f64(0.3)
    h = x * 2
    y = h + h.exp() if order == "short-first" else h.exp() + h
    y.backward()
    assert x.grad.item() == pytest.approx(2 + 2 * np.exp(0.6))


_UNARY = [("exp", lambda t: (t * 0.5).exp()), ("tanh", lambda t: t.tanh()), ("sq", lambda t: t * t)]
_BINARY = [("add", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("sub", lambda a, b: a - b)]


@pytest.mark.torch
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 99), st.integers(0, 99)), max_size=12))
def test_random_dags_with_shared_subexpressions_match_pytorch(program):
    torch = pytest.importorskip("torch")

    def run(lib, x0):
        x = lib.tensor(x0, requires_grad=True)
        values = [x]
        for op, i, j in program:
            a, b = values[i % len(values)], values[j % len(values)]
            if op < 3:
                values.append(_UNARY[op][1](a))
            else:
                values.append(_BINARY[op - 3][1](a, b))
        total = values[0]
        for v in values[1:]:
            total = total + v.tanh()
        total.sum().backward()
        return x.grad.detach().numpy() if hasattr(x.grad, "detach") else x.grad.numpy()

    x0 = np.array([0.3, -0.2])
    np.testing.assert_allclose(run(tt, x0), run(torch, x0), rtol=1e-10, atol=1e-12)


# --- exactly once: a shared (diamond) node is visited once, with the summed gradient ----------


def test_hook_on_a_shared_node_runs_once_with_the_summed_gradient():
    """x -> h = x * 2 -> (h * 3, h * h) -> sum: h's hook sees 3 + 2h once, not two partials."""
    x = f64(1.0, -2.0)
    h = x * 2.0
    calls = []
    h.register_hook(lambda g: calls.append(g.numpy().copy()))
    (h * 3.0 + h * h).sum().backward()
    hv = np.array([2.0, -4.0])
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 3.0 + 2 * hv, rtol=0, atol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), 2 * (3.0 + 2 * hv), rtol=0, atol=1e-15)


def test_hook_on_a_node_shared_by_three_paths_of_different_depth_runs_once():
    x = f64(0.5)
    h = x.exp()
    calls = []
    h.register_hook(lambda g: calls.append(g.item()))
    a = h * 2.0  # one step
    b = (h + 1.0) * 5.0  # two steps
    c = ((h * h) + 0.0).tanh()  # three steps
    (a + b + c).backward()
    hv = np.exp(0.5)
    expected = 2.0 + 5.0 + (1 - np.tanh(hv * hv) ** 2) * 2 * hv
    assert calls == [pytest.approx(expected, rel=1e-14)]


class _CountingCube(tt.autograd.Function):
    """f(x) = x**3;  dx = 3 x**2 g. Counts its backward calls."""

    calls: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        _CountingCube.calls.append(g.numpy().copy())
        return 3 * x * x * g


def test_custom_function_backward_on_a_shared_node_runs_once_with_the_summed_gradient():
    _CountingCube.calls = []
    x = f64(1.5, -0.5)
    c = _CountingCube.apply(x)  # the diamond's top: used by two branches
    (c * 2.0 + c.sin()).sum().backward()
    cv = np.array([1.5, -0.5]) ** 3
    assert len(_CountingCube.calls) == 1
    np.testing.assert_allclose(_CountingCube.calls[0], 2.0 + np.cos(cv), rtol=1e-14)
    xv = np.array([1.5, -0.5])
    np.testing.assert_allclose(x.grad.numpy(), 3 * xv**2 * (2.0 + np.cos(cv)), rtol=1e-14)


def test_diamond_of_diamonds_calls_each_shared_backward_once():
    """Two stacked diamonds: each Function node and each hook fires exactly once."""
    _CountingCube.calls = []
    x = f64(0.3)
    a = _CountingCube.apply(x)
    b = a * 2.0 + a * 3.0  # first diamond
    seen = []
    b.register_hook(lambda g: seen.append(g.item()))
    c = _CountingCube.apply(b)
    (c + c * b).backward()  # second diamond: b feeds c and the product
    assert len(_CountingCube.calls) == 2 and len(seen) == 1
    bv = 5 * 0.3**3
    assert seen[0] == pytest.approx(3 * bv**2 * (1 + bv) + bv**3, rel=1e-13)
    assert x.grad.item() == pytest.approx(seen[0] * 5 * 3 * 0.3**2, rel=1e-13)
