"""Tensor methods added with CoreExtMethods (issue #11): in-place shape/index forms, layout
queries, new_*, sum_to_size, apply_/map_, the real answers to complex queries."""

from __future__ import annotations

import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck


def test_in_place_shape_forms_keep_identity():
    x = tt.arange(6.0).reshape(2, 3)
    assert x.t_() is x and x.shape == (3, 2)
    assert x.unsqueeze_(0).shape == (1, 3, 2) and x.squeeze_().shape == (3, 2)
    assert x.transpose_(0, 1).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(RuntimeError, match="requires grad"):
        tt.ones(2, 2, requires_grad=True).t_()


def test_resize_and_sum_to_size():
    x = tt.arange(4.0)
    assert x.resize_(2, 3).tolist() == [[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]
    y = tt.ones(2, 3, 4, dtype=tt.float64, requires_grad=True)
    assert y.sum_to_size(3, 1).tolist() == [[8.0]] * 3
    assert gradcheck(lambda t: t.sum_to_size(1, 4), (y,))
    with pytest.raises(RuntimeError):
        y.sum_to_size(5)


def test_index_and_scatter_in_place_forms():
    x = tt.zeros(3, 2)
    x.index_add_(0, tt.tensor([0, 0]), tt.ones(2, 2))
    assert x[0].tolist() == [2.0, 2.0]
    x.scatter_(1, tt.tensor([[1], [0], [1]]), 7.0)
    assert x[:, 1].tolist() == [7.0, 0.0, 7.0]
    x.scatter_add_(0, tt.tensor([[2, 2]]), tt.ones(1, 2))
    assert x[2].tolist() == [1.0, 8.0]
    x.index_put_((tt.tensor([1]),), tt.tensor([5.0, 5.0]))
    assert x[1].tolist() == [5.0, 5.0]
    z = tt.zeros(3, 3)
    assert z.fill_diagonal_(2.0).trace().item() == 6.0
    assert z.tril_(-1).sum().item() == 0.0


def test_layout_queries_and_constructors():
    x = tt.ones(2, 3, dtype=tt.float64)
    assert x.stride() == (3, 1) and x.stride(0) == 3 and x.storage_offset() == 0
    assert x.data_ptr() == x.numpy().ctypes.data and x.dim_order() == (0, 1)
    assert x.ndimension() == 2 and x.nelement() == 6 and x.share_memory_() is x
    assert x.new_empty_strided((2,), (1,)).dtype is tt.float64
    assert x.new(2, 2).shape == (2, 2) and x.new([1, 2]).dtype is tt.float64
    assert x.byte().dtype is tt.uint8 and x.char().dtype is tt.int8 and x.short().dtype is tt.int16
    assert not x.is_complex() and x.is_signed() and not tt.ones(1, dtype=tt.uint8).is_signed()
    assert x.conj() is x and x.real is x and x.H.shape == (3, 2) and x.mH.shape == (3, 2)
    assert x.is_same_size(tt.zeros(2, 3)) and tt.ones(1).is_nonzero()


def test_apply_and_map():
    x = tt.tensor([1.0, 2.0])
    assert x.apply_(lambda v: v * 10).tolist() == [10.0, 20.0]
    assert x.map_(tt.tensor([1.0, 2.0]), lambda a, b: a - b).tolist() == [9.0, 18.0]
    assert x.map2_(tt.ones(2), tt.ones(2), lambda a, b, c: a + b + c).tolist() == [11.0, 20.0]
