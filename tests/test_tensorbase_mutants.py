"""``core/tensorbase.py`` rule by rule, NumPy only (issue #25: mutmut survivors).

Each test pins one branch of ``TensorBase`` or one of the version-counter helpers: the
attributes and their setters (their guards and what they leave unchanged), the conversions
and the Python protocol with the watcher that sees each read, pickling, ``wrap`` and
``init_tensor``'s slots, and the version counter shared between views.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.core import tensorbase as tb


class _Recorder:
    """A watcher noting each call as (event, tensor id, what)."""

    def __init__(self):
        self.events = []

    def data_read(self, t, what):
        self.events.append(("read", id(t), what))

    def in_place(self, t):
        self.events.append(("in_place", id(t), None))

    def created(self, t):
        self.events.append(("created", id(t), None))

    def storage_replaced(self, t, what):
        self.events.append(("replaced", id(t), what))


@pytest.fixture
def recorder():
    rec = _Recorder()
    prev = tb.set_watcher(rec)
    try:
        yield rec
    finally:
        assert tb.set_watcher(prev) is rec


# --- attributes -------------------------------------------------------------------------------


def test_shape_ndim_dtype_sizes_of_a_known_array():
    t = tt.tensor(np.zeros((2, 3, 5), dtype=np.float64))
    assert t.shape == (2, 3, 5) and type(t.shape) is tt.Size
    assert t.ndim == 3 and t.dim() == 3
    assert t.dtype is tt.float64
    assert t.numel() == 30
    assert t.itemsize == 8 and t.element_size() == 8
    assert t.nbytes == 240
    i = tt.tensor(np.zeros(7, dtype=np.int16))
    assert i.itemsize == 2 and i.element_size() == 2 and i.nbytes == 14 and i.numel() == 7
    assert i.dtype is tt.int16


def test_is_floating_point_by_kind():
    assert tt.tensor([1.0]).is_floating_point()
    assert not tt.tensor([1]).is_floating_point()
    assert not tt.tensor([True]).is_floating_point()


def test_is_leaf_grad_fn_and_out_index():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    assert a.is_leaf and a.grad_fn is None
    b = a * 2
    assert not b.is_leaf and b.grad_fn is b._grad_fn and b.grad_fn is not None
    assert b._out_index == 0
    vals, idx = tt.tensor([[3.0, 1.0], [0.0, 4.0]], requires_grad=True).max(1)
    assert vals._out_index == 0
    assert vals.grad_fn is not None
    pieces = tt.tensor([1.0, 2.0, 3.0], requires_grad=True).split(1)
    assert [p._out_index for p in pieces] == [0, 1, 2]


def test_requires_grad_setter_on_a_leaf():
    t = tt.tensor([1.0, 2.0])
    assert t.requires_grad is False
    t.requires_grad = 1  # truthy: stored as bool True
    assert t.requires_grad is True
    t.requires_grad = 0
    assert t.requires_grad is False


def test_requires_grad_setter_on_a_non_leaf():
    a = tt.tensor([1.0], requires_grad=True)
    b = a * 3
    b.requires_grad = True  # allowed and a no-op
    assert b.requires_grad is True and b.grad_fn is not None
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf tensors"):
        b.requires_grad = False
    assert b.requires_grad is True


def test_requires_grad_refused_on_integers_but_false_is_fine():
    t = tt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype") as e:
        t.requires_grad = True
    assert "int64" in str(e.value) and ".float()" in str(e.value)
    assert t.requires_grad is False
    t.requires_grad = False  # turning it off is always allowed
    assert t.requires_grad is False
    b = tt.tensor([True])
    with pytest.raises(RuntimeError):
        b.requires_grad = True


def test_grad_setter_accepts_a_matching_tensor_and_none():
    t = tt.tensor([1.0, 2.0])
    g = tt.tensor([0.5, -1.0])
    t.grad = g
    assert t.grad is g
    t.grad = None
    assert t.grad is None


def test_grad_setter_rejects_a_non_tensor():
    t = tt.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="assigned grad must be a Tensor or None, got ndarray"):
        t.grad = np.zeros(2)
    assert t.grad is None


def test_grad_setter_rejects_a_wrong_shape_naming_both():
    t = tt.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(3,\) but the tensor has shape \(2,\)"):
        t.grad = tt.tensor([1.0, 2.0, 3.0])
    assert t.grad is None


def test_grad_setter_rejects_a_wrong_dtype_naming_both():
    t = tt.tensor([1.0, 2.0], dtype=tt.float32)
    with pytest.raises(RuntimeError, match="dtype tinytensor.float64 but the tensor has dtype"):
        t.grad = tt.tensor([1.0, 2.0], dtype=tt.float64)
    assert t.grad is None


def test_data_getter_shares_storage_and_is_detached():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    d = a.data
    assert not d.requires_grad and d.grad_fn is None and d._data is a._data


def test_data_setter_from_tensor_and_from_array(recorder):
    t = tt.tensor([1.0, 2.0])
    src = tt.tensor([5.0, 6.0, 7.0])
    t.data = src
    assert t._data is src._data
    assert ("replaced", id(t), "an assignment to .data") in recorder.events
    t.data = [8.0, 9.0]  # anything np.asarray accepts
    assert isinstance(t._data, np.ndarray)
    np.testing.assert_array_equal(t._data, [8.0, 9.0])


def test_version_property_counts_bumps():
    t = tt.tensor([1.0])
    assert t._version == 0
    tb.bump_version(t)
    tb.bump_version(t)
    assert t._version == 2


# --- conversion -------------------------------------------------------------------------------


def test_item_of_one_element_of_any_rank(recorder):
    t = tt.tensor([[2.5]])
    assert t.item() == 2.5 and type(t.item()) is float
    assert ("read", id(t), "item()") in recorder.events
    assert tt.tensor(3).item() == 3 and type(tt.tensor(3).item()) is int


def test_item_of_several_elements_names_the_count():
    with pytest.raises(
        RuntimeError,
        match="a Tensor with 3 elements cannot be converted to a Python scalar; index it first",
    ):
        tt.tensor([1.0, 2.0, 3.0]).item()
    with pytest.raises(RuntimeError, match="with 0 elements"):
        tt.tensor([]).item()


def test_tolist_and_numpy_report_to_the_watcher(recorder):
    t = tt.tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1, 2], [3, 4]]
    assert t.numpy() is t._data
    whats = [w for ev, i, w in recorder.events if ev == "read" and i == id(t)]
    assert whats == ["tolist()", "numpy()"]


def test_numpy_of_a_grad_tensor_needs_force():
    t = tt.tensor([1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"^Can't call numpy\(\) on a Tensor that requires grad\. Use tensor\.detach\(\)"
        r"\.numpy\(\) instead\.$",
    ):
        t.numpy()
    assert t.numpy(force=True) is t._data
    assert tt.tensor([1.0]).numpy(force=False) is not None


def test_array_protocol_dtype_and_copy():
    t = tt.tensor([1.5, 2.5], dtype=tt.float32)
    same = t.__array__()
    assert same is t._data
    assert t.__array__(np.float32) is t._data  # already that dtype: no conversion
    as64 = t.__array__(np.float64)
    assert as64.dtype == np.float64 and as64 is not t._data
    np.testing.assert_array_equal(as64, [1.5, 2.5])
    as32 = tt.tensor([0.5], dtype=tt.float64).__array__(np.float32)
    assert as32.dtype == np.float32 and as32.tolist() == [0.5]
    assert np.asarray(tt.tensor([3]), dtype=np.int8).dtype == np.int8
    copied = t.__array__(copy=True)
    assert copied is not t._data and not np.shares_memory(copied, t._data)
    np.testing.assert_array_equal(copied, t._data)
    assert t.__array__(copy=False) is t._data
    assert np.asarray(t) is t._data


def test_dlpack_refuses_grad_tensors_and_round_trips():
    with pytest.raises(
        RuntimeError,
        match="^Can't export a Tensor that requires grad through DLPack; use tensor.detach",
    ):
        tt.tensor([1.0], requires_grad=True).__dlpack__()
    t = tt.tensor([1.0, 2.0, 3.0])
    back = np.from_dlpack(t)
    assert np.shares_memory(back, t._data)
    assert t.__dlpack_device__() == t._data.__dlpack_device__()


# --- Python protocol --------------------------------------------------------------------------


def test_len_is_the_first_axis_and_refused_for_0d():
    assert len(tt.zeros(4, 2)) == 4
    assert len(tt.zeros(0, 3)) == 0
    with pytest.raises(TypeError, match="^len\\(\\) of a 0-d tensor$"):
        len(tt.tensor(1.0))


def test_bool_of_one_element_and_its_errors(recorder):
    t = tt.tensor([[0.0]])
    assert bool(t) is False
    assert ("read", id(t), "bool()") in recorder.events
    assert bool(tt.tensor([-2])) is True
    with pytest.raises(RuntimeError, match=r"with more than one value is ambiguous \(shape \(2,\)"):
        bool(tt.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"with no values is ambiguous \(shape \(0, 2\)\)"):
        bool(tt.zeros(0, 2))


def test_float_int_complex_conversions():
    assert float(tt.tensor([3])) == 3.0 and type(float(tt.tensor([3]))) is float
    assert int(tt.tensor([[2.9]])) == 2 and type(int(tt.tensor([2.9]))) is int
    assert int(tt.tensor(-2.9)) == -2
    assert complex(tt.tensor(1.5)) == complex(1.5, 0)


def test_index_accepts_integer_and_bool_single_elements_only():
    assert [10, 20, 30][tt.tensor(2)] == 30
    assert [10, 20, 30][tt.tensor([1])] == 20
    assert [10, 20][tt.tensor(True)] == 20
    assert [10, 20][tt.tensor(2, dtype=tt.uint8) - 1] == 20
    with pytest.raises(
        TypeError, match="^only integer tensors of a single element can be used as an index$"
    ):
        [1, 2][tt.tensor(1.0)]
    with pytest.raises(
        TypeError, match="^only integer tensors of a single element can be used as an index$"
    ):
        [1, 2][tt.tensor([0, 1])]


# --- pickling ---------------------------------------------------------------------------------


class _Tagged(tt.Tensor):
    pass


def test_pickle_keeps_values_dtype_and_requires_grad_not_history():
    a = tt.tensor([[1.0, 2.0]], dtype=tt.float32, requires_grad=True)
    b = pickle.loads(pickle.dumps(a * 2))
    assert b.is_leaf and b.requires_grad is True and b.dtype is tt.float32
    np.testing.assert_array_equal(b._data, [[2.0, 4.0]])
    assert b._grad is None and b._vc is None and b._meta is None and b._hooks is None
    c = pickle.loads(pickle.dumps(tt.tensor([1, 2])))
    assert c.requires_grad is False and c.tolist() == [1, 2]


def test_pickle_keeps_the_class_and_a_subclass_instance_dict():
    t = tb._rebuild_tensor(_Tagged, np.array([1.0]), False)
    t.note = "kept"
    back = pickle.loads(pickle.dumps(t))
    assert type(back) is _Tagged and back.note == "kept"
    plain = tb._rebuild_tensor(_Tagged, np.array([1.0]), False)
    reduced = plain.__reduce_ex__(2)
    assert len(reduced) == 2  # no state: no third element
    assert reduced[1][0] is _Tagged and reduced[1][2] is False
    p = tt.nn.Parameter(tt.tensor([1.0, 2.0]))
    q = copy.deepcopy(p)
    assert type(q) is tt.nn.Parameter and q.requires_grad


def test_rebuild_tensor_sets_every_slot():
    arr = np.array([1.0, 2.0])
    t = tb._rebuild_tensor(tt.Tensor, arr, False)
    assert t._data is arr and t.requires_grad is False and t.is_leaf
    u = tb._rebuild_tensor(tt.Tensor, arr, True)
    assert u.requires_grad is True


# --- wrap, init_tensor, set_tensor_class ------------------------------------------------------


def test_wrap_does_not_copy_an_array_and_converts_anything_else(recorder):
    arr = np.arange(3.0)
    t = tb.wrap(arr)
    assert type(t) is tt.Tensor and t._data is arr
    assert (t._requires_grad, t._grad_fn, t._grad, t._vc, t._hooks, t._meta) == (
        False,
        None,
        None,
        None,
        None,
        None,
    )
    assert ("created", id(t), None) in recorder.events
    s = tb.wrap(np.float64(2.0))  # a NumPy scalar becomes a 0-d array
    assert type(s._data) is np.ndarray and s._data.shape == ()
    lst = tb.wrap([1, 2])
    assert type(lst._data) is np.ndarray and lst.tolist() == [1, 2]


def test_init_tensor_sets_every_slot():
    t = object.__new__(tt.Tensor)
    arr = np.ones(2)
    tb.init_tensor(t, arr)
    assert t._data is arr
    assert (t._requires_grad, t._grad_fn, t._grad, t._vc, t._hooks, t._meta) == (
        False,
        None,
        None,
        None,
        None,
        None,
    )
    assert t.is_leaf and t._version == 0


def test_set_tensor_class_refuses_a_non_subclass_and_keeps_the_class():
    with pytest.raises(TypeError, match="set_tensor_class: .* is not a subclass of TensorBase"):
        tb.set_tensor_class(int)
    assert tb._cls[0] is tt.Tensor and tb._Tensor is tt.Tensor
    assert type(tb.wrap(np.zeros(1))) is tt.Tensor


def test_set_tensor_class_switches_what_wrap_builds():
    class Sub(tt.Tensor):
        pass

    try:
        tb.set_tensor_class(Sub)
        assert tb._cls[0] is Sub
        assert type(tb.wrap(np.zeros(1))) is Sub
    finally:
        tb.set_tensor_class(tt.Tensor)
    assert type(tb.wrap(np.zeros(1))) is tt.Tensor


def test_set_watcher_returns_the_previous_one():
    a, b = _Recorder(), _Recorder()
    prev = tb.set_watcher(a)
    try:
        assert tb.set_watcher(b) is a
        assert tb.set_watcher(a) is b
    finally:
        assert tb.set_watcher(prev) is a


def test_replace_storage_tells_the_watcher(recorder):
    t = tt.tensor([1.0])
    new = np.zeros((2, 2))
    tb.replace_storage(t, new, "resize_()")
    assert t._data is new
    assert ("replaced", id(t), "resize_()") in recorder.events


# --- version counters -------------------------------------------------------------------------


def test_version_and_bump_version(recorder):
    t = tt.tensor([1.0])
    assert tb.version(t) == 0 and not tb.has_version_counter(t)
    tb.bump_version(t)
    assert t._vc == [1] and tb.version(t) == 1
    assert ("in_place", id(t), None) in recorder.events
    tb.bump_version(t)
    tb.bump_version(t)
    assert tb.version(t) == 3 and tb.has_version_counter(t)


def test_version_of_a_fresh_counter_is_zero():
    t = tt.tensor([1.0])
    vc = tb.version_counter(t)
    assert vc == [0] and t._vc is vc and tb.version(t) == 0
    assert tb.version_counter(t) is vc  # made once
    tb.bump_version(t)
    assert vc == [1]


def test_share_version_links_both_ways():
    base = tt.tensor([1.0, 2.0])
    view = tb.wrap(base._data[:1])
    assert not tb.shares_version(view, base)
    tb.share_version(view, base)
    assert base._vc == [0] and view._vc is base._vc
    assert tb.shares_version(view, base) and tb.shares_version(base, view)
    tb.bump_version(view)
    assert tb.version(base) == 1
    tb.bump_version(base)
    assert tb.version(view) == 2
    other = tt.tensor([0.0])
    tb.bump_version(other)
    assert not tb.shares_version(other, base)


def test_share_version_keeps_an_existing_counter():
    base = tt.tensor([1.0, 2.0])
    tb.bump_version(base)
    tb.bump_version(base)
    view = tb.wrap(base._data[1:])
    tb.share_version(view, base)
    assert tb.version(view) == 2 and view._vc is base._vc


def test_shares_version_is_false_without_counters():
    a, b = tt.tensor([1.0]), tt.tensor([2.0])
    assert not tb.shares_version(a, b)  # both None: not "the same counter"
    tb.version_counter(a)
    assert not tb.shares_version(a, b) and not tb.shares_version(b, a)


def test_set_version_counter_shares_the_kept_counter():
    a = tt.tensor([1.0])
    vc = tb.version_counter(a)
    b = tb.wrap(a._data)
    tb.set_version_counter(b, vc)
    assert b._vc is vc
    tb.bump_version(a)
    assert tb.version(b) == 1


def test_in_place_op_bumps_a_shared_counter_seen_by_a_view():
    base = tt.tensor([1.0, 2.0, 3.0])
    view = base[1:]
    before = view._version
    base.add_(1.0)
    assert view._version == before + 1 == base._version
