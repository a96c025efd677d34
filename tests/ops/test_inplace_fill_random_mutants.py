"""``fill_random`` of ``tinytensor/ops/inplace.py`` (what ``uniform_``, ``normal_``,
``bernoulli_``, ``random_``, ``apply_`` and ``map_`` write through), rule by rule: the sample
written and cast to the tensor's dtype, the history cut with a zero gradient, the leaf and view
refusals, and a view's bases and siblings rewired as for any in-place op. NumPy-only, beside
one comparison with PyTorch."""

from __future__ import annotations

import pytest

import tinytensor as tt


def _leaf(values):
    return tt.tensor(values, requires_grad=True)


def test_fill_random_writes_the_sample_and_cuts_the_history():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    y.apply_(lambda e: e + 0.5)
    assert y.tolist() == [2.5, 4.5, 6.5]
    assert y.requires_grad and repr(y.grad_fn) == "<ApplyBackward>" and y._meta is None
    (y.sum() + 2.0 * x.sum()).backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_fill_random_of_a_multi_output_result_clears_its_output_number():
    x = _leaf([3.0, 1.0])
    vals, _ = tt.sort(x * 1.0)
    vals.uniform_(5.0, 6.0)
    assert vals._meta is None and repr(vals.grad_fn) == "<UniformBackward>"
    assert all(5.0 <= v < 6.0 for v in vals.tolist())
    (vals.sum() + x.sum()).backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_fill_random_refuses_a_leaf_that_requires_grad_and_allows_it_under_no_grad():
    x = _leaf([1.0, 2.0])
    v = x._version
    with pytest.raises(RuntimeError, match=r"^normal_: a leaf tensor that requires grad"):
        x.normal_()
    assert x.tolist() == [1.0, 2.0] and x._version == v
    with tt.no_grad():
        x.apply_(lambda e: -e)
    assert x.tolist() == [-1.0, -2.0] and x._version == v + 1 and x.grad_fn is None


def test_fill_random_under_no_grad_keeps_the_history():
    x = _leaf([1.0, 2.0])
    y = x * 2.0
    node = y.grad_fn
    with tt.no_grad():
        y.apply_(lambda e: 0.0)
    assert y.grad_fn is node and y.tolist() == [0.0, 0.0]


def test_fill_random_refuses_a_view_of_a_leaf_that_requires_grad():
    w = _leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"^uniform_: a view of a leaf tensor that requires"):
        w[0:2].uniform_()
    p, _ = (w * 1.0).split(2)
    with pytest.raises(RuntimeError, match=r"^apply_: this tensor is one of several views"):
        p.apply_(lambda e: 0.0)
    assert w.tolist() == [1.0, 2.0, 3.0]


def test_fill_random_on_a_view_rewrites_its_base_and_siblings():
    x = _leaf([1.0, 1.0, 1.0])
    base = x * 2.0
    sib = base[1:3]
    base[0:2].apply_(lambda e: 7.0)
    assert base.tolist() == [7.0, 7.0, 2.0] and sib.tolist() == [7.0, 2.0]
    (base.sum() + 10.0 * sib.sum()).backward()
    assert x.grad.tolist() == [0.0, 0.0, 22.0]  # the overwritten part gets no gradient


def test_fill_random_on_a_base_refreshes_its_views():
    x = _leaf([1.0, 1.0, 1.0])
    base = x * 2.0
    v = base[0:2]
    base.apply_(lambda e: 7.0)
    assert v.tolist() == [7.0, 7.0]
    (v.sum() + x.sum()).backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_fill_random_casts_to_the_tensors_dtype():
    t = tt.zeros(3, dtype=tt.int64)
    t.apply_(lambda e: 2)
    assert t.dtype == tt.int64 and t.tolist() == [2, 2, 2]
    b = tt.zeros(4, dtype=tt.int32)
    tt.manual_seed(0)
    b.bernoulli_(1.0)
    assert b.dtype == tt.int32 and b.tolist() == [1, 1, 1, 1]


@pytest.mark.torch
def test_fill_random_on_views_as_pytorch():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, tt):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="view of a leaf"):
            w[0:2].uniform_()
        x = lib.ones(3, requires_grad=True)
        base = x * 2.0
        base[0:2].uniform_()
        base.sum().backward()
        y = lib.ones(3, requires_grad=True)
        b2 = y * 2.0
        v = b2[0:2]
        b2.uniform_()
        (v.sum() + y.sum()).backward()
        grads.append((x.grad.tolist(), y.grad.tolist()))
    assert grads[0] == grads[1]
