"""``autograd/node.py`` rule by rule, NumPy only (issue #25: mutmut survivors).

``record`` and ``Node`` driven directly with hand-written backward functions: the edges to
leaves, nodes and outputs of multi-output nodes; what is saved, version-checked and rebuilt;
the exact in-place error; the closure and default-argument guard; ``needs``; release; and where
anomaly mode says a node was made.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd import node as N
from tinytensor.autograd.node import OUT, Node, output, record
from tinytensor.core import bump_version, version, wrap


def _leaf(*values, dtype=tt.float64):
    return tt.tensor(list(values), dtype=dtype, requires_grad=True)


def _bw1(g):  # one input, no closure
    return (g,)


# --- Output markers ---------------------------------------------------------------------------


def test_output_markers_are_interned_and_named():
    assert OUT.index == 0 and repr(OUT) == "OUT"
    assert output(0) is OUT
    o3 = output(3)
    assert o3.index == 3 and repr(o3) == "output(3)"
    assert output(3) is o3
    assert [output(i).index for i in range(5)] == [0, 1, 2, 3, 4]
    assert repr(output(1)) == "output(1)"
    far = output(40)  # past any the package made at import: made here, numbered in order
    assert far.index == 40 and repr(far) == "output(40)"
    assert [output(i).index for i in range(41)] == list(range(41))
    assert N._OUTPUTS[40] is far


# --- Node.__init__ -----------------------------------------------------------------------------


def test_wants_needs_is_read_from_the_backward_signature():
    x = _leaf(1.0)

    def with_needs(g, *, needs):
        return (g,)

    class Callable:
        def __call__(self, g):
            return (g,)

    assert Node("A", _bw1, (x,), wrap(np.zeros(1))).wants_needs is False
    assert Node("A", with_needs, (x,), wrap(np.zeros(1))).wants_needs is True
    assert Node("A", Callable(), (x,), wrap(np.zeros(1))).wants_needs is False
    # Given explicitly, it is taken as is (a Primitive decides it once).
    assert Node("A", _bw1, (x,), wrap(np.zeros(1)), wants_needs=True).wants_needs is True
    assert Node("A", with_needs, (x,), wrap(np.zeros(1)), wants_needs=False).wants_needs is False


def test_edges_to_leaves_nodes_outputs_and_nothing():
    leaf = _leaf(1.0, 2.0)
    plain = tt.tensor([1.0, 2.0])
    mid = leaf * 2.0
    vals, _ = tt.tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True).max(1)
    assert vals._meta is None or vals._meta == 0
    second = tt.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True).split(2)[1]
    assert second._meta == 1
    node = Node("E", _bw1, (leaf, plain, mid, second, None, 2.5), wrap(np.zeros(2)))
    assert node.next[0] is leaf
    assert node.next[1] is None
    assert node.next[2] is mid.grad_fn
    assert node.next[3] == (second.grad_fn, 1)
    assert node.next[4] is None and node.next[5] is None
    assert node.next_functions == (
        (leaf, 0),
        (None, 0),
        (mid.grad_fn, 0),
        (second.grad_fn, 1),
        (None, 0),
        (None, 0),
    )
    assert node.parents == (leaf, mid.grad_fn, second.grad_fn)


def test_single_and_multi_output_metadata():
    x = _leaf(1.0)
    one = Node("S", _bw1, (x,), wrap(np.zeros((2, 3), dtype=np.float32)))
    assert one.shape == (2, 3) and one.dtype == np.float32 and one.out_meta is None
    outs = (wrap(np.zeros(4)), None, wrap(np.zeros((1, 2), dtype=np.float32)))
    multi = Node("M", _bw1, (x,), outs)
    assert multi.shape is None and multi.dtype is None
    assert multi.out_meta == (((4,), np.float64), None, ((1, 2), np.float32))


def test_nothing_saved():
    node = Node("Z", _bw1, (_leaf(1.0),), wrap(np.zeros(1)))
    assert node.saved == () and node.checked == () and node.versions == ()
    assert node.outputs is None
    assert node.unpack() == ()
    assert node.hooks is None and node.retained is None and node.trace is None


def test_only_the_output_saved_is_interned_and_rebuilt():
    x = _leaf(1.0, 2.0)
    out = wrap(np.array([3.0, 4.0]))
    bump_version(out)
    node = Node("Exp", _bw1, (x,), out, (OUT,))
    assert node.saved is N._JUST_OUT
    assert node.checked == () and node.versions == ()
    data, vc, v = node.outputs[0]
    assert data is out._data and vc is out._vc and v == 1
    (back,) = node.unpack()
    assert back._data is out._data and back.grad_fn is node and back.requires_grad
    assert back._meta is None and back._vc is out._vc
    default = node.saved_output()  # index 0 by default
    assert default._data is out._data and default._meta is None


def test_saved_tensors_are_checked_at_their_version_when_saved():
    x = _leaf(1.0, 2.0)
    a = tt.tensor([5.0])
    bump_version(a)
    bump_version(a)
    b = tt.tensor([6.0])  # no counter yet: version 0
    c = tt.tensor([7.0])
    bump_version(c)
    node = Node("S", _bw1, (x,), wrap(np.zeros(2)), (a, None, 3, (b, 1), [c], "s"))
    assert node.checked == (a, b, c)
    assert node.versions == (2, 0, 1)
    assert node.saved == (a, None, 3, (b, 1), [c], "s")
    assert node.unpack() is node.saved  # no output among them
    node.check_saved()  # nothing changed


def test_output_among_other_saved_entries_is_rebuilt_in_place_of_its_marker():
    x = _leaf(1.0, 2.0)
    w = tt.tensor([2.0])
    out = wrap(np.array([9.0, 8.0]))
    node = Node("Mix", _bw1, (x,), out, (w, OUT, 7))
    assert node.checked == (w,) and node.versions == (0,)
    got = node.unpack()
    assert got[0] is w and got[2] == 7
    assert got[1]._data is out._data and got[1].grad_fn is node


def test_multi_output_saved_outputs_keep_their_index():
    x = _leaf(1.0)
    o0, o2 = wrap(np.array([1.0])), wrap(np.array([2.0, 3.0]))
    node = Node("Multi", _bw1, (x,), (o0, None, o2), (output(2), OUT))
    assert node.outputs[1] is None
    got = node.unpack()
    assert got[0]._data is o2._data and got[0]._meta == 2
    assert got[1]._data is o0._data and got[1]._meta == 0
    assert node.saved_output(2)._meta == 2


def test_a_numpy_array_in_saved_is_refused_naming_the_op():
    x = _leaf(1.0)
    msg = (
        r"^record\(Bad\): a NumPy array in saved would escape the in-place check; save the "
        r"tensor it came from \(or wrap it with core\.wrap\) instead$"
    )
    with pytest.raises(TypeError, match=msg):
        Node("Bad", _bw1, (x,), wrap(np.zeros(1)), (np.zeros(1),))
    with pytest.raises(TypeError, match=msg):
        Node("Bad", _bw1, (x,), wrap(np.zeros(1)), ((1, np.zeros(1)),))
    with pytest.raises(TypeError, match=msg):
        Node("Bad", _bw1, (x,), wrap(np.zeros(1)), ([np.zeros(1)],))


# --- names, check_saved, saved_output, rebind -------------------------------------------------


def test_repr_and_name():
    node = Node("Frob", _bw1, (_leaf(1.0),), wrap(np.zeros(1)))
    assert repr(node) == "<FrobBackward>" and node.name() == "FrobBackward"


def test_check_saved_names_shape_dtype_and_versions():
    x = _leaf(1.0)
    a = tt.tensor(np.zeros((2, 3), dtype=np.float32))
    bump_version(a)
    node = Node("Keep", _bw1, (x,), wrap(np.zeros(1)), (a,))
    bump_version(a)
    bump_version(a)
    expected = (
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation: a tensor of shape (2, 3) and dtype float32 saved by "
        "<KeepBackward> is at version 3; expected version 1. Hint: use an out-of-place "
        "operation, or .clone() the tensor before changing it in place."
    )
    with pytest.raises(RuntimeError) as e:
        node.check_saved()
    assert str(e.value) == expected
    with pytest.raises(RuntimeError, match="is at version 3; expected version 1"):
        node.unpack()


def test_check_saved_checks_every_saved_tensor_not_only_the_first():
    x = _leaf(1.0)
    a, b = tt.tensor([1.0]), tt.tensor([2.0])
    node = Node("Two", _bw1, (x,), wrap(np.zeros(1)), (a, (b,)))
    bump_version(b)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        node.check_saved()


def test_saved_output_changed_in_place_names_its_output():
    x = _leaf(1.0)
    out = wrap(np.zeros((2, 2), dtype=np.float32))
    node = Node("Tanh", _bw1, (x,), out, (OUT,))
    bump_version(out)
    with pytest.raises(RuntimeError) as e:
        node.unpack()
    assert (
        "inplace operation: its output of shape (2, 2) and dtype float32 saved by "
        "<TanhBackward> is at version 1; expected version 0." in str(e.value)
    )


def test_saved_output_of_a_multi_output_node_names_that_outputs_shape():
    x = _leaf(1.0)
    o0, o1 = wrap(np.zeros(3)), wrap(np.zeros((4, 1), dtype=np.float32))
    node = Node("Two", _bw1, (x,), (o0, o1), (output(1),))
    bump_version(o1)
    with pytest.raises(RuntimeError, match=r"its output of shape \(4, 1\) and dtype float32"):
        node.unpack()
    node.saved_output(0)  # the other output is untouched


def test_rebind_output_makes_backward_read_the_new_tensor():
    x = _leaf(1.0, 2.0)
    out = wrap(np.array([1.0, 1.0]))
    node = Node("R", _bw1, (x,), out, (OUT,))
    t = wrap(np.array([5.0, 6.0]))
    bump_version(t)
    node.rebind_output(t)
    data, vc, v = node.outputs[0]
    assert data is t._data and vc is t._vc and v == 1
    np.testing.assert_array_equal(node.unpack()[0]._data, [5.0, 6.0])
    bump_version(t)
    with pytest.raises(RuntimeError, match="its output"):
        node.unpack()


def test_rebind_output_keeps_the_other_outputs_and_ignores_unsaved_ones():
    x = _leaf(1.0)
    o0, o1 = wrap(np.array([1.0])), wrap(np.array([2.0]))
    node = Node("R2", _bw1, (x,), (o0, o1), (OUT, output(1)))
    t = wrap(np.array([7.0]))
    node.rebind_output(t, 1)
    assert node.outputs[0][0] is o0._data and node.outputs[1][0] is t._data
    plain = Node("R3", _bw1, (x,), wrap(np.zeros(1)))
    plain.rebind_output(t)  # nothing saved: nothing to rebind
    assert plain.outputs is None
    holey = Node("R4", _bw1, (x,), (o0, None), (OUT,))
    holey.rebind_output(t, 1)  # output 1 is not kept
    assert holey.outputs[1] is None and holey.outputs[0][0] is o0._data


# --- run, release ------------------------------------------------------------------------------


def test_run_passes_needs_one_bool_per_input():
    x, y = _leaf(1.0), _leaf(2.0)
    seen = {}

    def bw(g, k, *, needs):
        seen["needs"], seen["k"], seen["g"] = needs, k, g
        return g, g, g

    node = Node("N", bw, (x, tt.tensor([0.0]), y), wrap(np.zeros(1)), (5,))
    g = wrap(np.ones(1))
    node.run(g)
    assert seen == {"needs": (True, False, True), "k": 5, "g": g}

    def plain(g, k):
        seen["plain"] = (g, k)
        return (g,)

    Node("P", plain, (x,), wrap(np.zeros(1)), (6,)).run(g)
    assert seen["plain"][0] is g and seen["plain"][1] == 6


def test_release_frees_everything_saved():
    x = _leaf(1.0)
    a = tt.tensor([1.0])
    node = Node("F", _bw1, (x,), wrap(np.zeros(1)), (a, OUT), attrs={"k": 1})
    assert node.attrs == {"k": 1} and node.outputs is not None
    node.release()
    assert node.fn is None and node.attrs is None
    assert node.saved == () and node.checked == () and node.versions == ()
    assert node.outputs is None


# --- anomaly: where a node was made ------------------------------------------------------------


def test_created_at_is_empty_outside_anomaly_mode():
    node = Node("C", _bw1, (_leaf(1.0),), wrap(np.zeros(1)))
    assert node.trace is None and node.created_at() == ""


def _made_here():
    return Node("Here", _bw1, (_leaf(1.0),), wrap(np.zeros(1)))


def test_created_at_shows_the_users_frames_not_the_packages():
    with tt.autograd.detect_anomaly():
        node = _made_here()
        y = _leaf(2.0).exp()
    where = node.created_at()
    assert "_made_here" in where and __file__ in where
    assert where.count('File "') == 3  # the last three user frames
    # a node made inside the package: its frames there are left out
    inner = y.grad_fn.created_at()
    assert __file__ in inner and N._PACKAGE_DIR not in inner


def test_created_at_falls_back_to_the_last_frame():
    node = Node("C", _bw1, (_leaf(1.0),), wrap(np.zeros(1)))
    import traceback

    node.trace = traceback.StackSummary.from_list([(N._PACKAGE_DIR + "x.py", 3, "f", "line")])
    assert "x.py" in node.created_at() and "line 3" in node.created_at()
    inner = [(N._PACKAGE_DIR + f"m{i}.py", i, "f", "line") for i in range(1, 4)]
    node.trace = traceback.StackSummary.from_list(inner)
    where = node.created_at()  # only package frames: the last one alone
    assert "m3.py" in where and "m2.py" not in where and where.count('File "') == 1
    user = [(f"/elsewhere/u{i}.py", i, "f", "line") for i in range(1, 6)]
    node.trace = traceback.StackSummary.from_list(inner[:1] + user + inner[1:])
    assert node.created_at() == "".join(traceback.format_list(user[-3:]))


def test_package_dir_is_the_packages_folder():
    assert N._PACKAGE_DIR == os.path.dirname(os.path.abspath(tt.__file__)) + os.sep


# --- check_backward ----------------------------------------------------------------------------


def test_closures_over_tensors_or_arrays_are_refused_naming_the_op():
    t = tt.tensor([1.0])
    arr = np.zeros(1)
    pair = (1, t)
    msg = r"^record\(Cl\): backward closes over a tensor or array \(Tensor\); pass it through"
    with pytest.raises(RuntimeError, match=msg):
        N.check_backward(lambda g: (g * t,), "Cl")
    with pytest.raises(RuntimeError, match=r"closes over a tensor or array \(ndarray\)"):
        N.check_backward(lambda g: (g * arr,), "Cl")
    with pytest.raises(RuntimeError, match=r"closes over a tensor or array \(tuple\)"):
        N.check_backward(lambda g: (g * pair[1],), "Cl")
    lst = [t]
    with pytest.raises(RuntimeError, match=r"\(list\)"):
        N.check_backward(lambda g: (g * lst[0],), "Cl")


def test_closures_over_plain_values_and_empty_cells_pass():
    k = 2.0
    names = ("a", "b")
    N.check_backward(lambda g: (g * k, names), "Ok")
    N.check_backward(_bw1, "Ok")

    def outer():
        def bw(g):
            return (g * later,)

        N.check_backward(bw, "Ok")  # ``later`` is still an empty cell here
        later = 1.0
        return bw

    outer()


def test_an_empty_cell_does_not_stop_the_closure_check():
    zzz_t = tt.tensor([1.0])

    def outer():
        def bw(g):
            return (g * aaa_later * zzz_t,)

        assert bw.__code__.co_freevars == ("aaa_later", "zzz_t")
        with pytest.raises(RuntimeError, match=r"closes over a tensor or array \(Tensor\)"):
            N.check_backward(bw, "Cells")  # the empty cell comes first
        aaa_later = 1.0
        return bw

    outer()


def test_a_tensor_default_argument_is_refused():
    t = tt.tensor([1.0])

    def bw(g, t=t):
        return (g,)

    with pytest.raises(RuntimeError) as e:
        N.check_backward(bw, "Df")
    assert str(e.value) == (
        "record(Df): backward has a tensor or array as a default argument; pass it through "
        "saved, so it is version-checked"
    )

    def bw2(g, p=(0, np.ones(1))):
        return (g,)

    with pytest.raises(RuntimeError, match="as a default argument"):
        N.check_backward(bw2, "Df")

    def fine(g, k=3, s="x"):
        return (g,)

    N.check_backward(fine, "Df")


def test_holds_array():
    assert N._holds_array(tt.tensor([1.0])) and N._holds_array(np.zeros(1))
    assert N._holds_array((1, np.zeros(1))) and N._holds_array([tt.tensor(1.0)])
    assert not N._holds_array((1, 2)) and not N._holds_array(3.0) and not N._holds_array(None)
    assert not N._holds_array({"a": np.zeros(1)})  # only tuples and lists are looked into


# --- record ------------------------------------------------------------------------------------


def test_record_attaches_a_node_only_when_an_input_needs_grad():
    x = _leaf(1.0, 2.0)
    out = wrap(x._data * 2)
    got = record(out, "Twice", (tt.tensor([0.0]), x), lambda g: (None, g * 2.0), (), {"k": 2})
    assert got is out and out.requires_grad and out.grad_fn.name() == "TwiceBackward"
    assert out.grad_fn.attrs == {"k": 2}
    assert out.grad_fn.next == (None, x)
    plain = wrap(np.zeros(2))
    assert record(plain, "No", (tt.tensor([0.0]), None, 2), _bw1) is plain
    assert plain.grad_fn is None and not plain.requires_grad


def test_record_does_nothing_under_no_grad():
    x = _leaf(1.0)
    out = wrap(np.zeros(1))
    with tt.no_grad():
        assert record(out, "NG", (x,), _bw1) is out
    assert out.grad_fn is None and not out.requires_grad


def test_record_refuses_a_closure_over_a_tensor():
    x = _leaf(1.0)
    w = tt.tensor([3.0])
    with pytest.raises(RuntimeError, match=r"record\(Cw\): backward closes over a tensor"):
        record(wrap(np.zeros(1)), "Cw", (x,), lambda g: (g * w,))

    class Obj:  # a callable object is checked too (its defaults and closure: none here)
        def __call__(self, g):
            return (g,)

    out = record(wrap(np.zeros(1)), "Obj", (x,), Obj())
    assert out.grad_fn is not None and out.grad_fn.wants_needs is False


_W = tt.tensor([2.0])


def _bw_with_tensor_default(g, w=_W):  # module level: no closure, only the default
    return (g * w,)


def test_record_refuses_a_tensor_default_of_a_function_without_closure():
    assert _bw_with_tensor_default.__closure__ is None
    x = _leaf(1.0)
    with pytest.raises(RuntimeError, match=r"^record\(Dflt\): backward has a tensor or array"):
        record(wrap(np.zeros(1)), "Dflt", (x,), _bw_with_tensor_default)


def test_record_with_several_outputs_numbers_them():
    x = _leaf(1.0, 2.0)
    o0, o2 = wrap(np.zeros(1)), wrap(np.zeros(2))
    outs = (o0, None, o2)
    got = record(outs, "Three", (x,), lambda gs: (gs[0],))
    assert got is outs
    node = o0.grad_fn
    assert o2.grad_fn is node and o0._meta == 0 and o2._meta == 2
    assert o0.requires_grad and o2.requires_grad
    assert node.out_meta == (((1,), np.float64), None, ((2,), np.float64))


def test_attach_single_output():
    x = _leaf(1.0)
    node = Node("A", _bw1, (x,), wrap(np.zeros(1)))
    t = wrap(np.zeros(1))
    N._attach(t, node)
    assert t.grad_fn is node and t.requires_grad and t._meta is None


def test_record_backward_end_to_end_uses_saved_values():
    x = _leaf(1.0, 2.0, 3.0)
    w = tt.tensor([2.0, 3.0, 4.0])
    y = record(wrap(x._data * w._data), "MulW", (x,), lambda g, w: (g * w,), (w,))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 4.0])
    assert version(w) == 0
