"""The in-place machinery of ``tinytensor/ops/inplace.py``, rule by rule, so that a one-line bug in
it fails a test without PyTorch: the leaf, writable and multi-output-view refusals (naming the op
and the shape, leaving the tensor and its version alone), the shape and dtype checks, the
CopySlices-style rewiring of a view's bases and siblings (gradients checked against hand-derived
values), histories cut by ``fill_``, the saved output rebound to the tensor, the pruning of a
base's list of views, and the two kernels ``Snapshot`` and ``CopyInto``. ``fill_random`` (the
random fills, ``apply_``) is in test_inplace_fill_random_mutants.py."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd.primitive import set_tracer
from tinytensor.ops import inplace as I


def _leaf(values):
    return tt.tensor(values, requires_grad=True)


# -- refusals: nothing changes ----------------------------------------------------------------


def test_a_leaf_that_requires_grad_is_refused_naming_the_op_and_shape():
    x = _leaf([[1.0, 2.0, 3.0]])
    v = x._version
    msg = r"^add_: a leaf tensor that requires grad \(shape \(1, 3\)\) is being used in an in-place"
    with pytest.raises(RuntimeError, match=msg):
        x.add_(1.0)
    assert x.tolist() == [[1.0, 2.0, 3.0]] and x._version == v and x.grad_fn is None
    with tt.no_grad():
        x.add_(1.0)
    assert x.tolist() == [[2.0, 3.0, 4.0]] and x._version == v + 1 and x.grad_fn is None


def test_a_leaf_without_grad_and_a_non_leaf_may_change():
    t = tt.tensor([1.0, 2.0])
    t.mul_(3.0)
    assert t.tolist() == [3.0, 6.0] and not t.requires_grad
    x = _leaf([1.0, 2.0])
    y = x * 1.0
    y.mul_(3.0)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_an_expanded_view_is_refused_even_under_no_grad():
    e = tt.tensor([1.0, 2.0]).expand(3, 2)
    msg = r"^mul_: more than one element of this tensor \(shape \(3, 2\)\) refers to the same"
    with pytest.raises(RuntimeError, match=msg):
        e.mul_(2.0)
    with tt.no_grad(), pytest.raises(RuntimeError, match="expanded or broadcast view"):
        e.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"^uniform_: more than one element"):
        e.uniform_()
    assert e.tolist() == [[1.0, 2.0]] * 3


def test_a_piece_of_split_that_requires_grad_is_refused():
    a = _leaf([1.0, 2.0, 3.0, 4.0]) * 1.0
    p, q = a.split(2)
    with pytest.raises(RuntimeError, match=r"^mul_: this tensor is one of several views"):
        p.mul_(2.0)
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0]
    with tt.no_grad():
        p.mul_(2.0)
    assert a.tolist() == [2.0, 4.0, 3.0, 4.0]
    b = tt.tensor([1.0, 2.0, 3.0, 4.0])
    r, s = b.split(2)
    s.add_(10.0)  # needs no grad: allowed, and written through to b
    assert b.tolist() == [1.0, 2.0, 13.0, 14.0]


def test_a_view_of_a_leaf_that_requires_grad_is_refused_at_any_depth():
    w = _leaf([1.0, 2.0, 3.0])
    msg = r"^add_: a view of a leaf tensor that requires grad \(shape \(3,\)\) is being used"
    with pytest.raises(RuntimeError, match=msg):
        w[0:2].add_(1.0)
    with pytest.raises(RuntimeError, match=msg):
        w.reshape(3)[1:].add_(1.0)  # view of a view of the leaf
    assert w.tolist() == [1.0, 2.0, 3.0]
    with tt.no_grad():
        w[0:2].add_(1.0)
    assert w.tolist() == [2.0, 3.0, 3.0]


def test_a_result_of_another_shape_is_refused_naming_both_shapes():
    t = tt.zeros(2)
    v = t._version
    msg = r"^add_: the result has shape \(3, 2\) but the tensor changed in place has shape \(2,\)"
    with pytest.raises(RuntimeError, match=msg):
        t.add_(tt.ones(3, 2))
    assert t.tolist() == [0.0, 0.0] and t._version == v


@pytest.mark.parametrize("grad", [True, False])
def test_a_result_of_another_kind_is_refused_naming_both_dtypes(grad):
    t = tt.tensor([1, 2])
    v = t._version
    msg = r"^add_: result type tinytensor\.float32 can't be cast to the tensor's dtype "
    msg += r"tinytensor\.int64$"
    with tt.set_grad_enabled(grad), pytest.raises(RuntimeError, match=msg):
        t.add_(0.5)
    assert t.tolist() == [1, 2] and t._version == v
    with pytest.raises(RuntimeError, match="can't be cast to the tensor's dtype tinytensor.bool"):
        tt.tensor([True]).add_(tt.tensor([2]))


def test_results_of_the_same_kind_are_cast_in():
    t = tt.tensor([1.0, 2.0])
    t.add_(tt.tensor([0.25, 0.5], dtype=tt.float64))  # float64 into float32
    assert t.dtype == tt.float32 and t.tolist() == [1.25, 2.5]
    i = tt.tensor([1, 2], dtype=tt.int32)
    i.add_(tt.tensor([10, 20]))  # int64 into int32
    assert i.dtype == tt.int32 and i.tolist() == [11, 22]
    f = tt.tensor([1.0, 2.0])
    f.add_(tt.tensor([1, 1]))  # int into float: same shape, same dtype after promotion
    assert f.tolist() == [2.0, 3.0]


def test_every_change_bumps_the_version_once():
    t = tt.zeros(3)
    v = t._version
    t.add_(1.0)
    assert t._version == v + 1
    t.uniform_()
    assert t._version == v + 2
    t.apply_(lambda e: 7.0)
    assert t._version == v + 3 and t.tolist() == [7.0, 7.0, 7.0]
    y = _leaf([1.0]) * 1.0
    w = y._version
    y.mul_(2.0)
    assert y._version == w + 1


# -- histories: a view's bases and siblings ---------------------------------------------------


def test_changing_a_view_rewrites_its_bases_history():
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    base = x * 1.0
    base[1:3].mul_(3.0)
    assert base.tolist() == [1.0, 6.0, 9.0, 4.0]
    base.sum().backward()
    assert x.grad.tolist() == [1.0, 3.0, 3.0, 1.0]


def test_changing_a_view_of_a_view_rewrites_both_bases():
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    base = x * 1.0
    mid = base[1:4]
    mid[0:2].mul_(2.0)
    assert base.tolist() == [1.0, 4.0, 6.0, 4.0] and mid.tolist() == [4.0, 6.0, 4.0]
    (mid.sum() * 10.0 + base.sum()).backward()
    assert x.grad.tolist() == [1.0, 22.0, 22.0, 11.0]


def test_changing_a_view_refreshes_its_siblings():
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    base = x * 1.0
    left, mid = base[0:2], base[1:3]
    left.mul_(2.0)
    assert mid.tolist() == [4.0, 3.0]
    mid.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 1.0, 0.0]


def test_changing_a_base_refreshes_its_views_recursively():
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    base = x * 1.0
    v = base[0:3]
    vv = v[1:3]
    base.mul_(5.0)
    assert vv.tolist() == [10.0, 15.0]
    vv.sum().backward()
    assert x.grad.tolist() == [0.0, 5.0, 5.0, 0.0]


def test_a_view_made_after_one_change_follows_the_next():
    x = _leaf([1.0, 2.0, 3.0])
    base = x * 1.0
    base.mul_(5.0)
    v = base[0:2]
    base.mul_(2.0)
    assert v.tolist() == [10.0, 20.0]
    v.sum().backward()
    assert x.grad.tolist() == [10.0, 10.0, 0.0]


def test_a_view_written_with_a_graded_value_gives_its_plain_base_a_history():
    w = _leaf([2.0, 3.0])
    base = tt.zeros(4)
    v = base[1:3]
    v.copy_(w * 1.0)
    assert base.tolist() == [0.0, 2.0, 3.0, 0.0]
    assert base.requires_grad and base.grad_fn is not None
    (base * tt.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    assert w.grad.tolist() == [10.0, 100.0]


def test_a_plain_view_of_a_plain_base_gets_no_history():
    base = tt.zeros(3)
    base[0:2].add_(1.0)
    assert base.tolist() == [1.0, 1.0, 0.0]
    assert not base.requires_grad and base.grad_fn is None


def test_a_multi_output_result_changed_in_place_becomes_a_single_output():
    x = _leaf([3.0, 1.0, 2.0])
    vals, idx = tt.sort(x * 1.0)
    assert vals._meta == 0
    vals.mul_(2.0)
    assert vals._meta is None
    (vals * tt.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [200.0, 2.0, 20.0]


def test_a_view_of_a_multi_output_result_changed_in_place():
    x = _leaf([3.0, 1.0, 2.0])
    vals, _ = tt.sort(x * 1.0)
    view = vals[1:]
    other = vals[0:2]
    view.mul_(2.0)
    assert vals._meta is None and vals.tolist() == [1.0, 4.0, 6.0]
    assert other._meta is None and other.tolist() == [1.0, 4.0]
    (vals * tt.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [200.0, 1.0, 20.0]
    x.grad = None
    vals2, _ = tt.sort(x * 1.0)
    sib = vals2[0:2]
    vals2.add_(1.0)  # the base changed: its view refreshed into a single-output history
    assert sib._meta is None
    (sib * tt.tensor([1.0, 10.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 10.0]


def test_fill_and_zero_cut_the_history_with_a_zero_gradient():
    x = _leaf([1.0, 2.0])
    y = x * 2.0
    y.fill_(5.0)
    assert y.requires_grad and repr(y.grad_fn) == "<FillBackward>" and y.tolist() == [5.0, 5.0]
    (y.sum() + x.sum()).backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x.grad = None
    z = x * 2.0
    z.zero_()
    (z * 3.0 + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_fill_on_a_tensor_without_history_stays_without():
    t = tt.tensor([1.0, 2.0])
    t.fill_(3.0)
    assert t.grad_fn is None and not t.requires_grad and t.tolist() == [3.0, 3.0]


# -- a saved output is rebound to the tensor ----------------------------------------------------


def test_relu_in_place_saves_the_tensor_itself():
    x = _leaf([-1.0, 2.0, 3.0])
    y = x * 1.0
    y.relu_()
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]
    z = x * 1.0
    z.relu_()
    z.mul_(2.0)  # changes what relu_'s backward reads: PyTorch refuses, and so do we
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# -- a base's list of views ---------------------------------------------------------------------


def test_dead_views_are_dropped_when_the_list_doubles_past_sixteen():
    base = _leaf([1.0, 2.0, 3.0]) * 1.0
    keep = [base[0:1], base[1:2]]
    for _ in range(14):
        base[0:2]  # made and dropped at once
    gc.collect()
    assert len(base._views) == 16
    base[2:3]  # the 17th: the list is pruned to the live views first
    assert len(base._views) == 3
    assert base._views[0]() is keep[0] and base._views[1]() is keep[1]


def test_the_list_is_not_pruned_below_sixteen_or_between_powers_of_two():
    base = _leaf([1.0, 2.0]) * 1.0
    for _ in range(15):
        base[0:1]
    gc.collect()
    assert len(base._views) == 15  # all dead, but under sixteen: kept
    base[0:1]
    assert len(base._views) == 16
    base[0:1]  # 16 (a power of two, >= 16): pruned, then the new one
    assert len(base._views) == 1


def test_pruning_waits_for_the_next_power_of_two():
    base = _leaf([1.0, 2.0]) * 1.0
    keep = [base[0:1] for _ in range(17)]  # at 16 all live: nothing to drop
    assert len(base._views) == 17
    del keep[7:]
    gc.collect()
    for _ in range(15):
        base[0:1]  # 17..31 are no powers of two: the dead stay listed
    assert len(base._views) == 32
    base[0:1]  # 32: pruned to the 7 live ones, then the new one
    assert len(base._views) == 8
    assert all(r() is k for r, k in zip(base._views[:7], keep))


def test_a_view_of_a_base_without_grad_is_not_listed():
    base = tt.tensor([1.0, 2.0])
    v = base[0:1]
    assert getattr(base, "_views", None) is None
    assert v._base[0] is base


# -- the kernels --------------------------------------------------------------------------------


def test_snapshot_and_copy_into_kernels():
    assert I.SNAPSHOT.name == "Snapshot" and not I.SNAPSHOT.mutates
    assert I.COPY_INTO.name == "CopyInto" and I.COPY_INTO.mutates is True
    a = np.array([1.0, 2.0])
    s = I.SNAPSHOT.kernel(a)
    assert s is not a and not np.shares_memory(s, a) and s.tolist() == [1.0, 2.0]
    dst = np.zeros(2, np.int64)
    assert I.COPY_INTO.kernel(dst, np.array([1.7, -2.7])) is dst
    assert dst.tolist() == [1, -2]  # an unsafe cast, as an in-place op writes


class _Tracer:
    def __init__(self):
        self.steps = []

    def step(self, prim, inputs, args, attrs, out, scalar=False):
        self.steps.append((prim, inputs, args, out))


def test_an_in_place_op_reports_its_snapshot_and_its_write():
    x = _leaf([1.0, 2.0])
    y = x * 1.0
    storage = y._data
    tr = _Tracer()
    prev = set_tracer(tr)
    try:
        y.mul_(3.0)
    finally:
        set_tracer(prev)
    names = [s[0].name for s in tr.steps]
    assert names[0] == "Snapshot" and names[-1] == "CopyInto"
    snap, write = tr.steps[0], tr.steps[-1]
    assert snap[1] == (y,) and snap[2][0] is storage
    assert write[1][0] is y and write[2][0] is storage and write[3] is storage
    assert y._data is storage and y.tolist() == [3.0, 6.0]
    tr.steps.clear()
    with tt.no_grad():
        prev = set_tracer(tr)
        try:
            y.mul_(2.0)
        finally:
            set_tracer(prev)
    assert "Snapshot" not in [s[0].name for s in tr.steps]
    assert tr.steps[-1][0] is I.COPY_INTO


# -- the whole of each message (each says what to do) -------------------------------------------


def _message(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    return str(info.value)


def test_each_refusal_says_the_whole_rule_and_the_fix():
    leaf = _leaf([1.0, 2.0])
    assert _message(lambda: leaf.add_(1.0)) == (
        "add_: a leaf tensor that requires grad (shape (2,)) is being used in an in-place "
        "operation. Wrap the update in `with tinytensor.no_grad():` or work on a .clone()."
    )
    assert _message(lambda: leaf[0:1].add_(1.0)) == (
        "add_: a view of a leaf tensor that requires grad (shape (2,)) is being used in an "
        "in-place operation. Wrap the update in `with tinytensor.no_grad():` or work on a "
        ".clone()."
    )
    piece = (leaf * 1.0).split(1)[0]
    assert _message(lambda: piece.add_(1.0)) == (
        "add_: this tensor is one of several views returned by one function (split, chunk or "
        "unbind); such views may not be modified in place while they require grad. Use an "
        "out-of-place operation, or .clone() the piece first."
    )
    expanded = tt.tensor([1.0]).expand(2)
    assert _message(lambda: expanded.add_(1.0)) == (
        "add_: more than one element of this tensor (shape (2,)) refers to the same memory (it "
        "is an expanded or broadcast view); .clone() it before changing it in place"
    )
    assert _message(lambda: tt.zeros(2).add_(tt.ones(3, 2))) == (
        "add_: the result has shape (3, 2) but the tensor changed in place has shape (2,); an "
        "in-place op cannot change the shape"
    )
    assert _message(lambda: tt.tensor([1]).mul_(0.5)) == (
        "mul_: result type tinytensor.float32 can't be cast to the tensor's dtype tinytensor.int64"
    )


def test_a_change_under_no_grad_leaves_the_views_histories_alone():
    x = _leaf([1.0, 2.0, 3.0])
    base = x * 1.0
    v = base[0:2]
    node = v.grad_fn
    with tt.no_grad():
        base.mul_(2.0)
        v.add_(1.0)
    assert v.tolist() == [3.0, 5.0] and base.tolist() == [3.0, 5.0, 6.0]
    assert v.requires_grad and v.grad_fn is node
    assert base.requires_grad and repr(base.grad_fn) == "<MulBackward>"


def test_a_dead_view_in_the_list_does_not_stop_the_refresh_of_later_ones():
    x = _leaf([1.0, 2.0, 3.0])
    base = x * 1.0
    base[0:1]  # listed, then dead at once
    v = base[1:3]
    assert base._views[0]() is None and base._views[1]() is v
    base.mul_(2.0)
    v.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]
