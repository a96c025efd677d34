"""``clone``'s ``preserve_format`` (the default, for ``Tensor.clone`` and ``tt.clone``): the
copy is laid out in the input's own stride order, as PyTorch lays it out: a transposed or
channels-last tensor keeps its strides, a slice's copy is dense in the slice's order, and a
broadcast dim stays where C order puts it. Strides of size-1 dims carry no meaning and are
not compared."""

import numpy as np
import pytest
from layout_cases import big_strides, random_view_pairs

import tinytensor as tt

CASES = [
    # (name, make from a (2, 3, 4) arange, expected strides of the copy)
    ("C order", lambda x: x, (12, 4, 1)),
    ("permuted", lambda x: x.permute(2, 0, 1), (1, 12, 4)),
    ("transposed last two", lambda x: x.transpose(1, 2), (12, 1, 4)),
    ("sliced, C order", lambda x: x[:, :, ::2], (6, 2, 1)),
    ("permuted then sliced", lambda x: x.permute(2, 0, 1)[:, :, 1:], (1, 8, 4)),
    ("permuted, narrowed", lambda x: x.permute(1, 2, 0)[::2], (4, 1, 8)),
    ("broadcast row", lambda x: x[0, 0].expand(3, 4), (4, 1)),
    ("broadcast column", lambda x: x[0, :, :1].expand(3, 5), (5, 1)),
]


@pytest.mark.parametrize("name, make, strides", CASES, ids=[c[0] for c in CASES])
def test_preserve_format_follows_the_stride_order(name, make, strides):
    x = tt.arange(24.0).reshape(2, 3, 4)
    v = make(x)
    for c in (v.clone(), tt.clone(v), v.clone(memory_format=tt.preserve_format)):
        assert c.stride() == strides
        assert c.data_ptr() != v.data_ptr()
        np.testing.assert_array_equal(c.numpy(), v.numpy())
    c = v.clone(memory_format=tt.contiguous_format)
    assert c.is_contiguous() and np.array_equal(c.numpy(), v.numpy())


def test_transposed_copy_is_not_contiguous_and_writes_stay_private():
    x = tt.arange(6.0).reshape(2, 3)
    c = x.t().clone()
    assert not c.is_contiguous() and c.stride() == (1, 3)
    c[0, 0] = 100.0
    assert x[0, 0].item() == 0.0


def test_channels_last_is_kept_by_preserve_format():
    x = tt.arange(120.0).reshape(2, 3, 4, 5).contiguous(memory_format=tt.channels_last)
    assert x.clone().stride() == (60, 1, 15, 3)
    assert tt.clone(x).is_contiguous(memory_format=tt.channels_last)


def test_gradient_flows_through_a_preserved_copy():
    x = tt.arange(6.0, dtype=tt.float64).reshape(2, 3).requires_grad_()
    y = x.t().clone()
    (y * tt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=tt.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])


def test_function_form_refuses_non_tensors_and_bad_formats():
    with pytest.raises(TypeError, match=r"^clone\(\): argument 'input' must be Tensor, not list"):
        tt.clone([1.0, 2.0])
    with pytest.raises(TypeError, match=r"memory_format"):
        tt.clone(tt.ones(2), memory_format="x")


@pytest.mark.torch
def test_strides_match_pytorch_on_random_layouts():
    torch = pytest.importorskip("torch")
    for case, theirs, ours in random_view_pairs(torch, seed=0, count=300):
        want, got = theirs.clone(), ours.clone()
        assert big_strides(got) == big_strides(want), case
        np.testing.assert_array_equal(got.numpy(), want.numpy())
