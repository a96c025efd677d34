"""Shape ops (tinytensor/ops/shape.py): the table-driven properties of every row in
ops/optable/shape.py, second-order gradients, then semantics the table cannot express."""

import pytest

from ops.harness import second_order_test, table_tests
from ops.optable import SHAPE as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


# --- semantics ----------------------------------------------------------------------------------

import numpy as np  # noqa: E402

import tinytensor as tt  # noqa: E402


@pytest.mark.parametrize(
    "view",
    [
        lambda x: x.reshape(3, 2),
        lambda x: x.view(-1),
        lambda x: x.transpose(0, 1),
        lambda x: x.T,
        lambda x: x.unsqueeze(0),
        lambda x: x[0],
        lambda x: x.expand(4, 2, 3),
    ],
    ids=["reshape", "view", "transpose", "T", "unsqueeze", "index", "expand"],
)
def test_views_share_storage_and_version_counter(view):
    base = tt.zeros(2, 3)
    v = view(base)
    base.add_(1.0)
    assert np.all(v.numpy() == 1.0)  # the change shows through the view
    assert v._version == base._version == 1


def test_flip_copies_like_torch():
    base = tt.zeros(3)
    flipped = base.flip(0)
    flipped.add_(1.0)
    assert base.tolist() == [0.0, 0.0, 0.0]


def test_in_place_change_of_a_saved_view_base_raises_in_backward():
    x = tt.ones(2, 3, requires_grad=True)
    y = x * 1.0
    v = y.view(6)
    z = (v * v).sum()
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_cat_promotes_dtypes_and_splits_the_gradient():
    a = tt.tensor([[1.0, 2.0]], requires_grad=True)
    b = tt.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    out = tt.cat([a, b])
    (out * tt.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0]]
    assert b.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    assert tt.cat([tt.tensor([1]), tt.tensor([2.5])]).dtype is tt.float32
    assert tt.cat([tt.tensor([1.0]), tt.zeros(0)]).tolist() == [1.0]  # 1-D empty allowed


@pytest.mark.torch
def test_chunk_and_split_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for n in range(1, 9):
        for chunks in range(1, 6):
            ours = [t.shape[0] for t in tt.arange(n).chunk(chunks)]
            assert ours == [t.shape[0] for t in torch.arange(n).chunk(chunks)], (n, chunks)
        for size in range(1, 5):
            ours = [t.shape[0] for t in tt.arange(n).split(size)]
            assert ours == [t.shape[0] for t in torch.arange(n).split(size)], (n, size)


def test_split_pieces_are_views_and_gradients_reassemble():
    x = tt.arange(6.0, requires_grad=True)
    parts = x.split([1, 2, 3])
    assert [p.tolist() for p in parts] == [[0.0], [1.0, 2.0], [3.0, 4.0, 5.0]]
    (parts[0] * 1 + parts[2].sum()).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]


def test_negative_constant_padding_crops():
    x = tt.arange(5.0)
    assert tt.pad(x, (-1, 2), value=9.0).tolist() == [1.0, 2.0, 3.0, 4.0, 9.0, 9.0]
    assert tt.pad(x, (0, -2)).tolist() == [0.0, 1.0, 2.0]


def test_pad_modes_on_a_known_row():
    x = tt.arange(1.0, 4.0).reshape(1, 1, 3)
    assert tt.pad(x, (2, 1), mode="reflect").tolist() == [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    assert tt.pad(x, (2, 1), mode="replicate").tolist() == [[[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]]
    assert tt.pad(x, (2, 1), mode="circular").tolist() == [[[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]]
    with pytest.raises(RuntimeError, match="reflect padding"):
        tt.pad(x, (3, 0), mode="reflect")


def test_replicate_pad_gradient_accumulates_on_the_edges():
    x = tt.tensor([[[1.0, 2.0]]], requires_grad=True)
    tt.pad(x, (2, 1), mode="replicate").sum().backward()
    assert x.grad.tolist() == [[[3.0, 2.0]]]


def test_squeeze_only_drops_size_one_dims():
    x = tt.zeros(1, 3, 1)
    assert x.squeeze().shape == (3,)
    assert x.squeeze(1).shape == (1, 3, 1)
    assert x.squeeze((0, 2)).shape == (3,)
    assert x.unsqueeze(-1).shape == (1, 3, 1, 1)


def test_expand_keeps_sizes_with_minus_one_and_sums_gradient_back():
    x = tt.tensor([[1.0], [2.0]], requires_grad=True)
    y = x.expand(3, -1, 4)
    assert y.shape == (3, 2, 4)
    y.sum().backward()
    assert x.grad.tolist() == [[12.0], [12.0]]


def test_shape_errors_name_the_op_and_shapes():
    x = tt.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid.*\(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"cat: sizes.*\(2, 3\), \(2, 4\)"):
        tt.cat([x, tt.ones(2, 4)])
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        tt.cat([tt.tensor(1.0), tt.tensor(2.0)])
    with pytest.raises(RuntimeError, match=r"stack: expects each tensor to be equal size"):
        tt.stack([x, tt.ones(3, 2)])
    with pytest.raises(RuntimeError, match=r"expand: the shape \(2, 3\) cannot be broadcast"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match="permute: repeated dim"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="split_sizes"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="repeat: number of repeat dims"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2"):
        tt.ones(3).tril()
    with pytest.raises(IndexError, match=r"flip: dim 2 is out of range.*\[-2, 1\]"):
        x.flip(2)
