"""``Primitive.record``, ``note`` and the tracer switches of ``tinytensor/autograd/primitive.py``,
and ``needs`` for a decorated backward (the declaration, ``compute`` and ``apply`` are in
test_primitive_mutants.py): rule by rule, so that a one-line bug fails a test without PyTorch.
NumPy-only: the protocol has no PyTorch counterpart."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd import primitive as P
from tinytensor.autograd.primitive import Primitive, note, set_tracer


class _Tracer:
    """Records every ``step`` a primitive (or ``note``) reports."""

    def __init__(self):
        self.steps = []

    def step(self, prim, inputs, args, attrs, out, scalar=False):
        self.steps.append((prim, inputs, args, attrs, out, scalar))

    def of(self, prim):
        """The steps ``prim`` reported (making a tensor reports steps of its own)."""
        return [s for s in self.steps if s[0] is prim]


@pytest.fixture
def tracer():
    tr = _Tracer()
    prev = set_tracer(tr)
    try:
        yield tr
    finally:
        set_tracer(prev)


def _scale(x, *, factor=1.0):
    return x * factor


def _scale_backward(g, factor):
    return (g * factor,)


def _pair_kernel(x, y, *, k=0):
    return x * y, x + y  # ndarrays, or NumPy scalars for 0-d inputs


def _pair_backward(gs, x, y):
    ga, gb = gs
    ga = 0.0 if ga is None else ga
    gb = 0.0 if gb is None else gb
    return (ga * y + gb, ga * x + gb)


def _needs_backward(g, *, needs):
    # Only the inputs that need a gradient get one (as PyTorch's needs_input_grad).
    return tuple(g * 3.0 if n else None for n in needs)


# -- record -------------------------------------------------------------------------------------


def test_record_attaches_the_node_to_a_view_result():
    prim = Primitive("Twice", lambda x: x * 2.0, lambda g: (g * 2.0,))
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    out = tt.tensor(prim.compute((x,), (x._data,)))
    assert prim.record(out, (x,), (), {"a": 1}) is out
    assert out.requires_grad and repr(out.grad_fn) == "<TwiceBackward>"
    assert out.grad_fn.attrs == {"a": 1} and out.grad_fn.next == (x,)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_record_looks_past_inputs_that_need_no_grad():
    prim = Primitive("Add", lambda a, b: a + b, lambda g: (g, g * 4.0))
    a, b = tt.tensor([1.0]), tt.tensor([1.0], requires_grad=True)
    out = prim.record(tt.tensor([2.0]), (a, b))
    assert out.grad_fn is not None and out.grad_fn.next == (None, b)
    out.backward(tt.tensor([1.0]))
    np.testing.assert_array_equal(b.grad.numpy(), [4.0])


def test_record_a_tuple_skips_outputs_without_gradient():
    prim = Primitive("Split", _pair_kernel, _pair_backward, multi=True)
    x = tt.tensor([2.0], requires_grad=True)
    y = tt.tensor([3.0])
    a, b = tt.tensor([6.0]), tt.tensor([5.0])
    outs = prim.record((a, None, b), (x, y), (x, y))
    assert outs[0] is a and outs[1] is None and outs[2] is b
    assert a.grad_fn is b.grad_fn and a.grad_fn is not None
    assert (a._meta, b._meta) == (0, 2) and a.requires_grad and b.requires_grad
    assert a.grad_fn.out_meta[1] is None


def test_record_records_nothing_in_no_grad_mode_or_without_backward_or_grad():
    x = tt.tensor([1.0], requires_grad=True)
    with tt.no_grad():
        out = Primitive("A", _scale, _scale_backward).record(tt.tensor([1.0]), (x,))
    assert out.grad_fn is None and not out.requires_grad
    out = Primitive("B", _scale).record(tt.tensor([1.0]), (x,))
    assert out.grad_fn is None and not out.requires_grad
    out = Primitive("C", _scale, _scale_backward).record(tt.tensor([1.0]), (tt.tensor([1.0]),))
    assert out.grad_fn is None and not out.requires_grad


def test_record_passes_wants_needs_to_the_node():
    prim = Primitive("N", _scale, _needs_backward)
    x = tt.tensor([1.0], requires_grad=True)
    out = prim.record(tt.tensor([1.0]), (x, None))
    assert out.grad_fn.wants_needs is True
    out.backward(tt.tensor([1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0])


# -- note, the tracer switches ------------------------------------------------------------------


def test_note_reports_a_step_named_by_the_kernel_or_the_given_name(tracer):
    x = tt.tensor([1.0, 2.0])
    out = x._data.astype(np.float32)
    assert note(np.ndarray.astype, (x,), (x._data, np.float32), out) is out
    assert note(np.ndarray.astype, (x,), (x._data,), out, {"dtype": "f4"}, name="Cast") is out
    (s1, in1, args1, attrs1, out1, sc1), (s2, _, _, attrs2, _, _) = [
        s for s in tracer.steps if s[0].name in ("astype", "Cast")
    ]
    assert s1.name == "astype" and s2.name == "Cast"
    assert s1.kernel is np.ndarray.astype and in1 == (x,) and args1 == (x._data, np.float32)
    assert attrs1 is None and attrs2 == {"dtype": "f4"} and out1 is out and sc1 is False
    assert s1.backward is None
    assert (s1.wants_needs, s1.multi, s1.random, s1.data_dependent, s1.mutates) == (False,) * 5


def test_note_without_a_tracer_returns_out():
    out = np.zeros(2)
    assert note(np.zeros, (), (2,), out) is out


def test_set_tracer_returns_the_previous_one_and_tracing_follows():
    a, b = _Tracer(), _Tracer()
    prev = set_tracer(a)
    try:
        assert P.active_tracer() is a and P.tracing() is True
        assert set_tracer(b) is a
        assert P.active_tracer() is b
        assert set_tracer(None) is b
        assert P.active_tracer() is None and P.tracing() is False
    finally:
        set_tracer(prev)


def test_none_and_python_numbers_among_the_inputs_never_make_a_node():
    add3 = Primitive("Add3", lambda a, b, c: a + b + c, lambda g: (g, g, g))
    z = tt.tensor([1.0])
    y = add3.apply((None, 2.0, z), (0.0, 2.0, z._data))
    assert y.grad_fn is None and not y.requires_grad and y.tolist() == [3.0]
    out = add3.record(tt.tensor([3.0]), (None, 2.0, z))
    assert out.grad_fn is None and not out.requires_grad
    pair = Primitive("Pair", _pair_kernel, _pair_backward, multi=True)
    outs = pair.apply((2.0, None), (np.array([2.0]), np.array([3.0])))
    assert all(o.grad_fn is None and not o.requires_grad for o in outs)


def _decorated(fn):
    """``fn`` behind a ``functools.wraps`` wrapper (as a decorator or mutmut's trampoline)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def test_a_decorated_backward_is_read_unwrapped_for_needs():
    back = _decorated(_needs_backward)
    assert back.__code__.co_kwonlyargcount == 0  # the wrapper alone would hide ``needs``
    prim = Primitive("Wrapped", lambda a, b: a + b, back)
    assert prim.wants_needs is True
    x, y = tt.tensor([1.0], requires_grad=True), tt.tensor([1.0])
    out = prim.apply((x, y), (x._data, y._data))
    assert out.grad_fn.wants_needs is True
    out.sum().backward()
    assert x.grad.tolist() == [3.0] and y.grad is None
    x.grad = None
    rec = prim.record(tt.tensor([2.0]), (y, x))
    assert rec.grad_fn.wants_needs is True
    rec.sum().backward()
    assert x.grad.tolist() == [3.0]
    assert Primitive("Plain", _scale, _decorated(_scale_backward)).wants_needs is False


def test_a_decorated_multi_output_backward_gets_needs():
    def backward(gs, *, needs):
        g = sum(0.0 if gi is None else gi for gi in gs)
        return tuple(g * 2.0 if n else None for n in needs)

    prim = Primitive("Twins", lambda a, b: (a * 2.0, b * 2.0), _decorated(backward), multi=True)
    a, b = tt.tensor([1.0], requires_grad=True), tt.tensor([1.0])
    p, q = prim.apply((a, b), (a._data, b._data))
    assert p.grad_fn.wants_needs is True and repr(p.grad_fn) == "<TwinsBackward>"
    (p + q).sum().backward()
    assert a.grad.tolist() == [4.0]
