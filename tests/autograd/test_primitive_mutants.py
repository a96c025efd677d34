"""The op protocol of ``tinytensor/autograd/primitive.py``, rule by rule, so that a one-line
bug in it fails a test without PyTorch: the declaration (flags, ``wants_needs``, the closure
check), ``__call__`` (the bare kernel), ``compute`` and ``apply`` (keywords, the ``fast``
fallback, the scalar flag a tracer gets, multi-output wrapping, which inputs make a node);
``record`` and ``note`` are in test_primitive_record_mutants.py. NumPy-only: the protocol has
no PyTorch counterpart."""

from __future__ import annotations

import numpy as np
import pytest
from call_counting import Counting

import tinytensor as tt
from tinytensor.autograd.primitive import Primitive, set_tracer


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


def _plain_backward(g):
    return (g * 3.0, g * 3.0)


class _CallableBackward:
    """A backward that is an object, not a function (no ``__code__``)."""

    def __call__(self, g):
        return (g * 5.0,)


# -- the declaration --------------------------------------------------------------------------


def test_flags_default_to_false_and_keep_what_is_passed():
    p = Primitive("Plain", _scale)
    assert (p.multi, p.random, p.data_dependent, p.mutates) == (False, False, False, False)
    assert p.fast is None and p.backward is None and p.wants_needs is False
    assert p._run is _scale and p.kernel is _scale and p.name == "Plain"
    q = Primitive(
        "Flags", _scale, _scale_backward, multi=True, random=True, data_dependent=True,
        mutates=True, fast=np.multiply,
    )  # fmt: skip
    assert (q.multi, q.random, q.data_dependent, q.mutates) == (True, True, True, True)
    assert q.fast is np.multiply and q._run is np.multiply and q.kernel is _scale
    assert q.backward is _scale_backward
    assert repr(q) == "<primitive Flags>"


def test_wants_needs_is_decided_by_a_keyword_only_parameter():
    assert Primitive("N", _scale, _needs_backward).wants_needs is True
    assert Primitive("P", _scale, _plain_backward).wants_needs is False
    assert Primitive("S", _scale, _scale_backward).wants_needs is False
    # A callable object has no ``__code__``: no needs, and no error at declaration.
    assert Primitive("C", _scale, _CallableBackward()).wants_needs is False
    assert Primitive("K", _scale).wants_needs is False


def test_the_engine_hands_needs_only_to_a_backward_that_asks():
    def add_kernel(a, b):
        return a + b

    needs_add = Primitive("NeedsAdd", add_kernel, _needs_backward)
    plain_add = Primitive("PlainAdd", add_kernel, _plain_backward)
    for prim in (needs_add, plain_add):
        x = tt.tensor([1.0, 2.0], requires_grad=True)
        y = tt.tensor([3.0, 4.0])
        out = prim.apply((x, y), (x._data, y._data))
        assert out.grad_fn.wants_needs is prim.wants_needs
        out.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
        assert y.grad is None


def test_callable_object_backward_runs_without_needs():
    prim = Primitive("Five", _scale, _CallableBackward())
    x = tt.tensor([1.0, -1.0], requires_grad=True)
    prim.apply((x,), (x._data,)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_a_backward_closing_over_an_array_is_refused_at_declaration():
    arr = np.ones(2)

    def leaky(g):
        return (g * arr,)

    with pytest.raises(RuntimeError, match=r"record\(Leaky\): backward closes over"):
        Primitive("Leaky", _scale, leaky)


# -- __call__: the bare kernel ------------------------------------------------------------------


def test_call_is_the_declared_kernel_with_keywords_untraced(tracer):
    kernel, fast = Counting(_scale), Counting(_scale)
    prim = Primitive("Scale", kernel, _scale_backward, fast=fast)
    x = np.array([1.0, 2.0])
    out = prim(x, factor=4.0)
    np.testing.assert_array_equal(out, [4.0, 8.0])
    assert kernel.calls == [((x,), {"factor": 4.0})] and fast.calls == []
    assert tracer.of(prim) == []


# -- compute ------------------------------------------------------------------------------------


def test_compute_passes_attrs_as_keywords_and_reports_them(tracer):
    kernel = Counting(_scale)
    prim = Primitive("Scale", kernel, _scale_backward)
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    out = prim.compute((x,), (x._data,), {"factor": 3.0})
    assert out.__class__ is np.ndarray
    np.testing.assert_array_equal(out, [3.0, 6.0])
    assert kernel.calls == [((x._data,), {"factor": 3.0})]
    ((p, inputs, args, attrs, traced, scalar),) = tracer.of(prim)
    assert p is prim and inputs == (x,) and args == (x._data,) and attrs == {"factor": 3.0}
    assert traced is out and scalar is False
    # Empty or absent attrs: the kernel is called without keywords.
    out = prim.compute((x,), (x._data,), {})
    np.testing.assert_array_equal(out, [1.0, 2.0])
    assert kernel.calls[-1] == ((x._data,), {})


@pytest.mark.parametrize("signal", [FloatingPointError, RuntimeWarning])
@pytest.mark.parametrize("how", ["compute", "apply"])
def test_fast_falls_back_to_the_kernel_with_its_keywords(signal, how):
    def fast(x, *, factor):
        raise signal("overflow encountered in multiply")

    kernel = Counting(_scale)
    prim = Primitive("Scale", kernel, _scale_backward, fast=fast)
    x = tt.tensor([1.0, 2.0])
    if how == "compute":
        out = prim.compute((x,), (x._data,), {"factor": 2.0})
    else:
        out = prim.apply((x,), (x._data,), (2.0,), {"factor": 2.0})._data
    np.testing.assert_array_equal(out, [2.0, 4.0])
    assert kernel.calls == [((x._data,), {"factor": 2.0})]


@pytest.mark.parametrize("how", ["compute", "apply"])
def test_fast_falls_back_without_keywords(how):
    def fast(x):
        raise FloatingPointError("invalid value")

    kernel = Counting(lambda x: x - 1.0)
    prim = Primitive("Dec", kernel, None, fast=fast)
    x = tt.tensor([1.0, 2.0])
    out = prim.compute((x,), (x._data,)) if how == "compute" else prim.apply((x,), (x._data,))
    np.testing.assert_array_equal(np.asarray(getattr(out, "_data", out)), [0.0, 1.0])
    assert kernel.calls == [((x._data,), {})]


def test_fast_runs_with_keywords_when_it_does_not_signal():
    kernel, fast = Counting(_scale), Counting(_scale)
    prim = Primitive("Scale", kernel, _scale_backward, fast=fast)
    x = tt.tensor([1.0, 2.0])
    prim.compute((x,), (x._data,), {"factor": 2.0})
    prim.apply((x,), (x._data,), (2.0,), {"factor": 2.0})
    assert fast.calls == [((x._data,), {"factor": 2.0})] * 2 and kernel.calls == []


def test_an_error_that_is_no_floating_point_signal_is_not_retried():
    def fast(x):
        raise ValueError("bad shape")

    kernel = Counting(lambda x: x)
    prim = Primitive("Id", kernel, None, fast=fast)
    x = tt.tensor([1.0])
    with pytest.raises(ValueError, match="bad shape"):
        prim.compute((x,), (x._data,))
    with pytest.raises(ValueError, match="bad shape"):
        prim.apply((x,), (x._data,))
    assert kernel.calls == []


def test_compute_of_a_zero_d_result_is_a_zero_d_array_flagged_scalar(tracer):
    prim = Primitive("Add", lambda a, b: a + b)
    a, b = tt.tensor(2.0), tt.tensor(3.0)
    out = prim.compute((a, b), (a._data, b._data))
    assert out.__class__ is np.ndarray and out.shape == () and out == 5.0
    (step,) = tracer.of(prim)
    assert step[4] is out and step[5] is True


def test_compute_multi_converts_each_output_and_flags_a_scalar(tracer):
    prim = Primitive("Pair", _pair_kernel, _pair_backward, multi=True)
    a, b = tt.tensor([1.0, 2.0]), tt.tensor([3.0, 4.0])
    out = prim.compute((a, b), (a._data, b._data))
    assert out.__class__ is tuple and len(out) == 2
    assert all(o.__class__ is np.ndarray for o in out)
    np.testing.assert_array_equal(out[0], [3.0, 8.0])
    np.testing.assert_array_equal(out[1], [4.0, 6.0])
    assert tracer.of(prim)[-1][4] is out and tracer.of(prim)[-1][5] is False
    c, d = tt.tensor(2.0), tt.tensor(5.0)
    out = prim.compute((c, d), (c._data, d._data))
    assert all(o.__class__ is np.ndarray and o.shape == () for o in out)
    assert (out[0].item(), out[1].item()) == (10.0, 7.0)
    assert tracer.of(prim)[-1][5] is True


def test_compute_multi_flags_a_scalar_when_only_one_output_is_one(tracer):
    prim = Primitive("Mixed", lambda x: (x * 2.0, x.sum()), multi=True)
    x = tt.tensor([1.0, 2.0])
    out = prim.compute((x,), (x._data,))
    assert out[1].__class__ is np.ndarray and out[1].item() == 3.0
    assert tracer.of(prim)[-1][5] is True
    outs = prim.apply((x,), (x._data,))
    assert outs[1]._data.__class__ is np.ndarray and outs[1].item() == 3.0
    assert tracer.of(prim)[-1][5] is True


def test_compute_records_nothing():
    prim = Primitive("Scale", _scale, _scale_backward)
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    out = prim.compute((x,), (x._data,), {"factor": 2.0})
    assert isinstance(out, np.ndarray) and not isinstance(out, tt.Tensor)


# -- apply --------------------------------------------------------------------------------------


def test_apply_reports_an_array_result_as_not_scalar(tracer):
    prim = Primitive("Scale", _scale, _scale_backward)
    x = tt.tensor([1.0, 2.0])
    y = prim.apply((x,), (x._data,), (2.0,), {"factor": 2.0})
    ((p, inputs, args, attrs, out, scalar),) = tracer.of(prim)
    assert p is prim and inputs == (x,) and args == (x._data,) and attrs == {"factor": 2.0}
    assert out is y._data and scalar is False


def test_apply_reports_a_numpy_scalar_as_a_zero_d_array(tracer):
    prim = Primitive("Sum", lambda x: x.sum())
    x = tt.tensor([1.0, 2.0])
    y = prim.apply((x,), (x._data,), (), {})
    ((_, inputs, args, attrs, out, scalar),) = tracer.of(prim)
    assert inputs == (x,) and args[0] is x._data and len(args) == 1 and attrs == {}
    assert out.__class__ is np.ndarray and out.shape == () and scalar is True
    assert y._data is out and y.item() == 3.0


def test_apply_wraps_a_numpy_scalar_without_a_tracer():
    prim = Primitive("Sum", lambda x: x.sum())
    x = tt.tensor([1.0, 2.0])
    y = prim.apply((x,), (x._data,))
    assert isinstance(y, tt.Tensor) and y._data.__class__ is np.ndarray and y.shape == ()
    assert y.item() == 3.0


def test_a_later_input_that_needs_grad_makes_the_node():
    prim = Primitive("Add3", lambda a, b, c: a + b + c, lambda g: (g, g * 2.0, g * 3.0))
    a = tt.tensor([1.0])
    c = tt.tensor([2.0], requires_grad=True)
    y = prim.apply((a, None, c), (a._data, 5.0, c._data))
    assert y.requires_grad and repr(y.grad_fn) == "<Add3Backward>"
    assert y.grad_fn.next == (None, None, c)
    y.sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), [3.0])
    assert a.grad is None


def test_apply_records_nothing_without_backward_or_in_no_grad_mode():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = Primitive("NoGrad", _scale).apply((x,), (x._data,), (), {"factor": 2.0})
    assert y.grad_fn is None and not y.requires_grad
    with tt.no_grad():
        y = Primitive("Scale", _scale, _scale_backward).apply((x,), (x._data,), (2.0,))
    assert y.grad_fn is None and not y.requires_grad
    z = tt.tensor([1.0])
    y = Primitive("Scale", _scale, _scale_backward).apply((z,), (z._data,), (2.0,))
    assert y.grad_fn is None and not y.requires_grad


def test_apply_records_saved_and_attrs_on_the_node():
    prim = Primitive("Scale", _scale, _scale_backward)
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = prim.apply((x,), (x._data,), (2.5,), {"factor": 2.5})
    node = y.grad_fn
    assert node.attrs == {"factor": 2.5} and node.next == (x,)
    assert node.shape == (2,) and node.wants_needs is False
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.5, 2.5])


def test_apply_multi_wraps_attaches_and_numbers_the_outputs(tracer):
    prim = Primitive("Pair", _pair_kernel, _pair_backward, multi=True)
    x = tt.tensor([1.0, 2.0])
    y = tt.tensor([3.0, 4.0], requires_grad=True)  # only the second input needs grad
    p, s = prim.apply((x, y), (x._data, y._data), (x, y), {"k": 1}, {"k": "one"})
    assert isinstance(p, tt.Tensor) and isinstance(s, tt.Tensor)
    np.testing.assert_array_equal(p.detach().numpy(), [3.0, 8.0])
    np.testing.assert_array_equal(s.detach().numpy(), [4.0, 6.0])
    assert p.grad_fn is s.grad_fn and p.requires_grad and s.requires_grad
    assert (p._meta, s._meta) == (0, 1)
    assert p.grad_fn.attrs == {"k": "one"} and p.grad_fn.next == (None, y)
    ((_, inputs, args, attrs, out, scalar),) = tracer.of(prim)
    assert inputs == (x, y) and attrs == {"k": 1} and scalar is False
    assert args[0] is x._data and args[1] is y._data and len(args) == 2
    assert repr(p.grad_fn) == "<PairBackward>"
    assert out[0] is p._data and out[1] is s._data
    # d/dy of sum(x*y) + 2*sum(x+y) = x + 2
    (p.sum() + 2.0 * s.sum()).backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 4.0])


def test_apply_multi_keeps_attrs_without_node_attrs_and_flags_scalars(tracer):
    prim = Primitive("Pair", _pair_kernel, _pair_backward, multi=True)
    c = tt.tensor(2.0, requires_grad=True)
    d = tt.tensor(5.0)
    p, s = prim.apply((c, d), (c._data, d._data), (c, d), {"k": 2})
    assert p._data.__class__ is np.ndarray and p.shape == () and p.item() == 10.0
    assert s.item() == 7.0
    assert p.grad_fn.attrs == {"k": 2}
    assert tracer.of(prim)[-1][5] is True
    s.backward()
    assert c.grad.item() == 1.0


def test_apply_multi_records_nothing_in_no_grad_mode_or_without_backward():
    x = tt.tensor([1.0], requires_grad=True)
    with tt.no_grad():
        outs = Primitive("Pair", _pair_kernel, _pair_backward, multi=True).apply(
            (x, x), (x._data, x._data)
        )
    assert all(o.grad_fn is None and not o.requires_grad for o in outs)
    outs = Primitive("Pair", _pair_kernel, None, multi=True).apply((x, x), (x._data, x._data))
    assert all(o.grad_fn is None and not o.requires_grad for o in outs)
    z = tt.tensor([1.0])
    outs = Primitive("Pair", _pair_kernel, _pair_backward, multi=True).apply(
        (None, z), (2.0, z._data)
    )
    assert all(o.grad_fn is None for o in outs)


def test_apply_multi_with_needs_backward():
    def kernel(a, b):
        return a * 2.0, b * 2.0

    def backward(gs, *, needs):
        return tuple(None if not n else (0.0 if g is None else g * 2.0) for g, n in zip(gs, needs))

    prim = Primitive("Both", kernel, backward, multi=True)
    assert prim.wants_needs is True
    a = tt.tensor([1.0], requires_grad=True)
    b = tt.tensor([1.0])
    p, q = prim.apply((a, b), (a._data, b._data))
    assert p.grad_fn.wants_needs is True
    (p + q).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0])
