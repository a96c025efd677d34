"""The namespace door of ``tinytensor/_namespace/conventions.py``, rule by rule, so that a one-line
bug in it fails a test without PyTorch: each NumPy keyword alias, which exported ops take
``out=`` (per namespace, ``NO_OUT``'s first and last names included), where ``out`` goes in the
signature, what ``export`` leaves alone, ``out=``'s casting rule, resizing, version bump and
errors, and ``check_tensor``. PyTorch's own signatures are compared in tests/test_conventions.py.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor._namespace import conventions as C


def _params(fn):
    return inspect.signature(fn).parameters


def _op(fn, name):
    """``fn`` dressed as an op of ``tinytensor.ops`` named ``name``."""
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "tinytensor.ops.fake"
    return fn


# -- the aliases --------------------------------------------------------------------------------


def test_each_numpy_alias_reaches_its_pytorch_parameter():
    m = tt.tensor([[1.0, 2.0], [3.0, 5.0]])
    assert tt.sum(m, axis=0).tolist() == [4.0, 7.0]
    assert tt.sum(m, dim=1, keepdims=True).tolist() == [[3.0], [8.0]]
    assert tt.sum(x=m).item() == 11.0
    assert tt.abs(a=tt.tensor([-2.0])).tolist() == [2.0]
    assert tt.add(x1=tt.tensor([1.0]), x2=tt.tensor([4.0])).tolist() == [5.0]
    assert tt.sub(tt.tensor([1.0]), x2=tt.tensor([4.0])).tolist() == [-3.0]


def test_an_alias_and_its_name_together_are_refused_naming_the_op():
    m = tt.tensor([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"^sum\(\) got both 'keepdim' and its alias 'keepdims'$"):
        tt.sum(m, 1, keepdim=True, keepdims=True)
    with pytest.raises(TypeError, match=r"^add\(\) got both 'input' and its alias 'x1'"):
        tt.add(input=m, x1=m, other=m)


def test_tensor_methods_take_the_aliases_but_no_out():
    m = tt.tensor([[1.0, 2.0], [3.0, 5.0]])
    assert m.sum(axis=1, keepdims=True).tolist() == [[3.0], [8.0]]
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        m.sum(dim=0, axis=0)
    with pytest.raises(TypeError):
        m.sum(0, out=tt.empty(2))


def test_numpy_aliases_wraps_a_function_and_renames_keywords():
    def total(input, dim=None, keepdim=False):  # noqa: A002 - PyTorch's name
        return (input, dim, keepdim)

    door = C.numpy_aliases(total)
    assert door._tt_door is True and door.__wrapped__ is total and door.__name__ == "total"
    assert door(1, axis=2, keepdims=True) == (1, 2, True)
    assert door(x=1) == (1, None, False)
    assert door(1, 0) == (1, 0, False)
    assert "out" not in _params(door)


# -- export: which ops get out= and aliases -----------------------------------------------------


def test_export_adds_out_and_aliases_to_an_op():
    def total(input, dim=None):  # noqa: A002
        return tt.tensor([float(dim or 0)]) + input

    total = _op(total, "total")
    door = C.export(total)
    assert door is not total and door._tt_door is True and inspect.unwrap(door) is total
    assert list(_params(door)) == ["input", "dim", "out"]
    assert _params(door)["out"].kind is inspect.Parameter.KEYWORD_ONLY
    assert _params(door)["out"].default is None
    out = tt.empty(1)
    assert door(tt.tensor([1.0]), axis=2, out=out) is out and out.tolist() == [3.0]
    assert door(tt.tensor([1.0]), axis=2).tolist() == [3.0]
    assert C.export(total) is door  # one object per op


def test_out_goes_before_a_var_keyword_parameter():
    def fwd(input, *args, **kwargs):  # noqa: A002
        return input

    door = C.export(_op(fwd, "fwd"))
    assert list(_params(door)) == ["input", "args", "out", "kwargs"]
    assert [p.kind for p in _params(door).values()][2] is inspect.Parameter.KEYWORD_ONLY
    assert list(_params(tt.fft.rfft))[-2:] == ["out", "kwargs"]


def test_export_leaves_an_op_without_any_convention_alone():
    def fill_(self, value):
        return self

    fill_ = _op(fill_, "fill_")
    assert C.export(fill_) is fill_  # an in-place form: no out, no aliased parameter


def test_in_place_forms_get_aliases_but_never_out():
    def scale_(input, dim):  # noqa: A002
        return (input, dim)

    door = C.export(_op(scale_, "scale_"))
    assert door is not scale_ and "out" not in _params(door)
    assert door(a=1, axis=2) == (1, 2)
    with pytest.raises(TypeError):
        door(1, 2, out=None)


def test_an_op_with_its_own_out_keeps_it_and_gets_only_aliases():
    def own(input, out=None):  # noqa: A002
        return ("own", input, out)

    door = C.export(_op(own, "own"))
    assert door is not own and list(_params(door)) == ["input", "out"]
    assert door(x=1, out=5) == ("own", 1, 5)  # the op's own out, not the door's


def test_an_alias_the_op_already_has_is_not_renamed():
    def both(input, dim=None, axis=None):  # noqa: A002
        return (dim, axis)

    door = C.export(_op(both, "both_"))  # no out (in-place name): aliases only for input
    assert door(1, axis=3) == (None, 3)
    assert door(x=1, dim=2) == (2, None)


def test_no_out_is_per_namespace():
    def softmax(input, dim=None):  # noqa: A002
        return input

    softmax = _op(softmax, "softmax")
    assert "out" not in _params(C.export(softmax, "special"))
    assert "out" in _params(C.export(softmax, ""))
    assert "out" in _params(C.export(softmax, "linalg"))


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("", "adjoint"),
        ("", "zeros_like"),
        ("", "reshape"),
        ("", "isclose"),
        ("linalg", "diagonal"),
        ("linalg", "vander"),
        ("special", "log_softmax"),
        ("special", "softmax"),
        ("fft", "fftshift"),
        ("fft", "ifftshift"),
    ],
)
def test_ops_pytorch_gives_no_out_have_none(namespace, name):
    fn = getattr(getattr(tt, namespace) if namespace else tt, name)
    assert "out" not in _params(fn), f"{namespace}.{name}"
    assert name in C.NO_OUT[namespace]


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("", "sinh"),
        ("", "matmul"),
        ("", "max"),
        ("linalg", "norm"),
        ("linalg", "inv"),
        ("special", "expit"),
        ("special", "erfc"),
        ("fft", "fft"),
        ("fft", "rfftfreq"),
    ],
)
def test_the_other_ops_take_out(namespace, name):
    fn = getattr(getattr(tt, namespace) if namespace else tt, name)
    assert "out" in _params(fn), f"{namespace}.{name}"


def test_export_namespace_wraps_public_op_functions_only():
    def public(input):  # noqa: A002
        return input

    def _private(input):  # noqa: A002
        return input

    def foreign(input):  # noqa: A002
        return input

    class Klass:
        pass

    def late(input):  # noqa: A002
        return input

    public, _private, late = _op(public, "public"), _op(_private, "_private"), _op(late, "late")
    foreign.__module__ = "tinytensor.core.random"
    ns = {"public": public, "_private": _private, "foreign": foreign, "Klass": Klass, "n": 3}
    ns["late"] = late  # after every kind of name that is skipped: the loop goes on past them
    C.export_namespace(ns, "")
    assert ns["public"] is not public and inspect.unwrap(ns["public"]) is public
    assert ns["late"] is not late and inspect.unwrap(ns["late"]) is late
    assert "out" in _params(ns["public"]) and "out" in _params(ns["late"])
    assert ns["_private"] is _private and ns["foreign"] is foreign
    assert ns["Klass"] is Klass and ns["n"] == 3
    assert tt.manual_seed.__module__ == "tinytensor.core.random"
    assert "out" not in _params(tt.manual_seed)


@pytest.mark.parametrize("module", ["tinytensor.fft", "tinytensor.linalg", "tinytensor.special"])
def test_export_namespace_covers_each_op_module(module):
    def op(input):  # noqa: A002
        return input

    op.__module__ = module
    ns = {"op": op}
    C.export_namespace(ns, "")
    assert ns["op"] is not op and "out" in _params(ns["op"])


# -- out= ---------------------------------------------------------------------------------------


def test_out_writes_into_the_same_storage_when_the_shape_matches():
    base = tt.zeros(4)
    out = base[1:3]
    v = out._version
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tt.add(tt.tensor([1.0, 2.0]), tt.tensor([10.0, 20.0]), out=out)
    assert got is out and out.tolist() == [11.0, 22.0]
    assert base.tolist() == [0.0, 11.0, 22.0, 0.0]  # written through the view
    assert out._version == v + 1


def test_an_empty_out_is_resized_silently():
    out = tt.empty(0)
    v = out._version
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tt.mul(tt.tensor([[1.0, 2.0]]), tt.tensor([3.0]), out=out)
    assert out.shape == (1, 2) and out.tolist() == [[3.0, 6.0]] and out.dtype == tt.float32
    assert out._version == v + 1


def test_a_non_empty_out_of_another_shape_warns_from_the_callers_line():
    out = tt.zeros(3)
    with pytest.warns(UserWarning, match=r"^add\(\): an output with one or more elements") as rec:
        tt.add(tt.tensor([1.0, 2.0]), 1.0, out=out)
    (w,) = rec.list
    assert "had shape [3]" in str(w.message) and "required output shape [2]" in str(w.message)
    # The caller's line (stacklevel 3), not conventions.py's; mutmut's trampoline, when the
    # suite runs under mutation testing, adds frames of its own.
    assert w.filename == __file__ or w.filename.endswith("trampoline.py")
    assert out.tolist() == [2.0, 3.0]


def test_out_casts_to_its_dtype_as_pytorch_allows():
    out = tt.empty(2, dtype=tt.float64)
    tt.add(tt.tensor([1, 2]), tt.tensor([3, 4]), out=out)  # int64 into float64
    assert out.dtype == tt.float64 and out.tolist() == [4.0, 6.0]
    out = tt.empty(2, dtype=tt.int32)
    tt.add(tt.tensor([1, 2]), tt.tensor([3, 4]), out=out)  # integral to integral
    assert out.dtype == tt.int32 and out.tolist() == [4, 6]
    out = tt.empty(2, dtype=tt.int64)
    tt.logical_not(tt.tensor([True, False]), out=out)  # bool into int64
    assert out.tolist() == [0, 1]
    out = tt.empty(2, dtype=tt.uint8)
    tt.add(tt.tensor([1, 2]), 3, out=out)  # signed into unsigned: same kind in PyTorch
    assert out.dtype == tt.uint8 and out.tolist() == [4, 5]
    out = tt.empty(2, dtype=tt.float16)
    tt.add(tt.tensor([1.0, 2.0], dtype=tt.float64), 0.5, out=out)  # narrowing float is allowed
    assert out.dtype == tt.float16 and out.tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("src", "dst", "ok"),
    [
        ("bool", "bool", True),
        ("bool", "uint8", True),
        ("bool", "int64", True),
        ("bool", "float32", True),
        ("uint8", "int8", True),
        ("int64", "uint8", True),
        ("int8", "float16", True),
        ("float64", "float16", True),
        ("int64", "bool", False),
        ("uint8", "bool", False),
        ("float32", "bool", False),
        ("float32", "int64", False),
        ("float16", "uint8", False),
    ],
)
def test_can_cast_is_pytorchs_kind_order(src, dst, ok):
    assert C._can_cast(np.dtype(src), np.dtype(dst)) is ok


def test_a_refused_cast_names_the_op_and_both_types_and_leaves_out_alone():
    out = tt.tensor([7, 8])
    v = out._version
    msg = (
        r"^sinh\(\): result type tinytensor\.float32 can't be cast to the desired output type "
        r"tinytensor\.int64$"
    )
    with pytest.raises(RuntimeError, match=msg):
        tt.sinh(tt.tensor([0.0, 1.0]), out=out)
    assert out.tolist() == [7, 8] and out._version == v
    with pytest.raises(
        RuntimeError, match=r"result type tinytensor\.int64 can't be cast .* tinytensor\.bool$"
    ):
        tt.add(tt.tensor([1]), 1, out=tt.tensor([True]))


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match=r"^neg\(\): argument 'out' must be a Tensor, not ndarray$"):
        tt.neg(tt.tensor([1.0]), out=np.zeros(1))


def test_tuple_results_take_a_tuple_or_list_of_the_same_length():
    m = tt.tensor([[1.0, 5.0], [4.0, 2.0]])
    vals, idx = tt.empty(2), tt.empty(2, dtype=tt.int64)
    got = tt.max(m, 1, out=(vals, idx))
    assert got[0] is vals and got[1] is idx
    assert vals.tolist() == [5.0, 4.0] and idx.tolist() == [1, 0]
    pair = [tt.empty(2), tt.empty(2, dtype=tt.int64)]
    assert tt.min(m, 0, out=pair) is pair and pair[0].tolist() == [1.0, 2.0]
    assert pair[1].tolist() == [0, 1]
    with pytest.raises(TypeError, match=r"^max\(\): out= must be a tuple of 2 tensors$"):
        tt.max(m, 1, out=(tt.empty(2),))
    with pytest.raises(TypeError, match=r"out= must be a tuple of 2 tensors"):
        tt.max(m, 1, out=tt.empty(2))
    with pytest.raises(TypeError, match=r"out= must be a tuple of 2 tensors"):
        tt.max(m, 1, out=(tt.empty(2), tt.empty(2), tt.empty(2)))


def test_write_out_takes_an_array_result():
    out = tt.empty(2)
    assert C.write_out(np.array([1.5, 2.5]), out, "op") is out
    assert out.tolist() == [1.5, 2.5]


# -- out= and autograd ----------------------------------------------------------------------------


def test_out_is_refused_when_an_input_requires_grad_by_position_or_keyword():
    w = tt.tensor([1.0], requires_grad=True)
    one = tt.tensor([1.0])
    msg = r"^add\(\): functions with out=\.\.\. arguments don't support automatic differentiation"
    with pytest.raises(RuntimeError, match=msg):
        tt.add(one, w, out=tt.empty(1))
    with pytest.raises(RuntimeError, match=msg):
        tt.add(one, other=w, out=tt.empty(1))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tt.cat((one, w), out=tt.empty(2))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tt.cat([one, w], out=tt.empty(2))


def test_out_is_allowed_without_grad_or_under_no_grad():
    one = tt.tensor([1.0])
    out = tt.empty(1)
    assert tt.add(one, 2.0, out=out).tolist() == [3.0]
    assert tt.cat((one, one), out=tt.empty(2)).tolist() == [1.0, 1.0]
    w = tt.tensor([1.0], requires_grad=True)
    with tt.no_grad():
        assert tt.add(one, other=w, out=out).tolist() == [2.0]
        assert tt.cat([one, w], out=tt.empty(2)).tolist() == [1.0, 1.0]
    assert not out.requires_grad and out.grad_fn is None


# -- check_tensor -------------------------------------------------------------------------------


def test_check_tensor_returns_a_tensor_and_refuses_anything_else():
    x = tt.tensor([1.0])
    assert C.check_tensor(x, "abs_") is x
    with pytest.raises(TypeError, match=r"^abs_\(\): argument 'input' must be Tensor, not list$"):
        C.check_tensor([1.0], "abs_")


def test_an_out_that_requires_grad_is_refused_and_left_alone():
    w = tt.tensor([5.0, 6.0], requires_grad=True)
    y = w * 2.0  # a non-leaf out is refused as well
    msg = r"^add\(\): functions with out=\.\.\. arguments don't support automatic differentiation"
    for out in (w, y):
        v = out._version
        with pytest.raises(RuntimeError, match=msg):
            tt.add(tt.ones(2), 1.0, out=out)
        assert out._version == v
    assert w.tolist() == [5.0, 6.0] and y.tolist() == [10.0, 12.0]
    idx = tt.empty(2, dtype=tt.int64)
    with pytest.raises(RuntimeError, match=r"^max\(\): functions with out="):
        tt.max(tt.ones(2, 2), 1, out=(y, idx))
    with tt.no_grad():
        tt.add(tt.ones(2), 1.0, out=w)
    assert w.tolist() == [2.0, 2.0] and w.grad_fn is None


@pytest.mark.torch
def test_an_out_that_requires_grad_is_refused_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        w = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.add(lib.ones(2), 1, out=w)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.add(lib.ones(2), 1, out=w * 2)


def test_a_door_built_now_refuses_grad_renames_and_writes():
    """The same rules on a door made at test time (the namespaces' doors are made at import)."""

    def twice(input, dim=None):  # noqa: A002
        return input * 2.0

    door = C.export(_op(twice, "twice"))
    w = tt.tensor([1.0, 2.0], requires_grad=True)
    msg = r"^twice\(\): functions with out=\.\.\. arguments don't support automatic"
    with pytest.raises(RuntimeError, match=msg):
        door(w, out=tt.empty(2))
    with pytest.raises(RuntimeError, match=msg):
        door(x=w, out=tt.empty(2))
    with pytest.raises(RuntimeError, match=msg):
        door(tt.ones(2), out=w)
    with pytest.raises(TypeError, match=r"^twice\(\) got both 'dim' and its alias 'axis'$"):
        door(tt.ones(2), dim=0, axis=0)
    y = door(w)  # no out: the op itself, recording its graph
    assert y.requires_grad and y.tolist() == [2.0, 4.0]
    out = tt.zeros(2)
    v = out._version
    with tt.no_grad():
        assert door(x=w, axis=0, out=out) is out
    assert out.tolist() == [2.0, 4.0] and out._version == v + 1 and not out.requires_grad
    with pytest.warns(UserWarning, match="was resized"):
        door(tt.ones(3), out=out)
    assert out.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="can't be cast"):
        door(tt.ones(1), out=tt.tensor([1]))


def test_check_no_grad_reads_positional_keyword_and_listed_tensors():
    w = tt.tensor([1.0], requires_grad=True)
    one = tt.tensor([1.0])
    C._check_no_grad("f", (one, 2.0, None), {"k": one, "l": [one, 3]})  # nothing needs grad
    for args, kwargs in [((w,), {}), ((one,), {"k": w}), (([one, w],), {}), ((), {"t": (one, w)})]:
        with pytest.raises(RuntimeError, match=r"^f\(\): functions with out="):
            C._check_no_grad("f", args, kwargs)
    with tt.no_grad():
        C._check_no_grad("f", (w,), {"k": [w]})


def test_export_namespace_defaults_to_the_top_level_and_passes_its_prefix_on():
    def softmax(input, dim=None):  # noqa: A002
        return input

    softmax = _op(softmax, "softmax")
    top, special = {"softmax": softmax}, {"softmax": softmax}
    C.export_namespace(top)  # the default prefix is tinytensor's own: softmax takes out=
    C.export_namespace(special, "special")
    assert "out" in _params(top["softmax"])
    assert "out" not in _params(special["softmax"]) and special["softmax"] is not softmax


def test_the_grad_error_says_the_fix():
    w = tt.tensor([1.0], requires_grad=True)
    msg = (
        r"^add\(\): functions with out=\.\.\. arguments don't support automatic differentiation, "
        r"but one of the arguments requires grad\. Call it without out= \(or under "
        r"tinytensor\.no_grad\(\)\)\.$"
    )
    with pytest.raises(RuntimeError, match=msg):
        tt.add(w, 1.0, out=tt.empty(1))


def test_an_error_writing_one_of_a_tuple_out_names_the_op():
    m = tt.tensor([[1.0, 5.0], [4.0, 2.0]])
    vals, idx = tt.empty(2, dtype=tt.int64), tt.empty(2, dtype=tt.int64)
    with pytest.raises(RuntimeError, match=r"^max\(\): result type tinytensor\.float32 can't"):
        tt.max(m, 1, out=(vals, idx))
    with pytest.raises(TypeError, match=r"^max\(\): argument 'out' must be a Tensor, not list$"):
        tt.max(m, 1, out=(tt.empty(2), [0, 0]))
