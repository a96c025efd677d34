"""``zeros_like``/``ones_like``/``empty_like``/``full_like``/``rand_like``/``randn_like``/
``randint_like`` honour ``memory_format``: the default (``preserve_format``) lays the result
out in the input's own stride order, as PyTorch; ``contiguous_format`` gives C order and the
channels-last formats their layouts (refused on the wrong rank). A compiled call's results
keep the same layouts as eager ones."""

import numpy as np
import pytest
from layout_cases import big_strides, random_view_pairs

import tinytensor as tt

LIKES = {
    "zeros_like": lambda x, **k: tt.zeros_like(x, **k),
    "ones_like": lambda x, **k: tt.ones_like(x, **k),
    "empty_like": lambda x, **k: tt.empty_like(x, **k),
    "full_like": lambda x, **k: tt.full_like(x, 2.5, **k),
    "rand_like": lambda x, **k: tt.rand_like(x, **k),
    "randn_like": lambda x, **k: tt.randn_like(x, **k),
    "randint_like": lambda x, **k: tt.randint_like(x, 7, **k),
}
VALUES = {"zeros_like": 0.0, "ones_like": 1.0, "full_like": 2.5}


@pytest.mark.parametrize("name", LIKES)
def test_default_follows_the_input_stride_order(name):
    x = tt.arange(24.0).reshape(2, 3, 4)
    for view, strides in (
        (x, (12, 4, 1)),
        (x.permute(2, 0, 1), (1, 12, 4)),
        (x.transpose(1, 2), (12, 1, 4)),
        (x.permute(2, 0, 1)[:, :, 1:], (1, 8, 4)),
        (x[:, :, ::2], (6, 2, 1)),
    ):
        for out in (LIKES[name](view), LIKES[name](view, memory_format=tt.preserve_format)):
            assert out.shape == view.shape and out.stride() == strides
            assert out.dtype == view.dtype and out.data_ptr() != view.data_ptr()
            if name in VALUES:
                np.testing.assert_array_equal(out.numpy(), np.full(view.shape, VALUES[name]))
        c = LIKES[name](view, memory_format=tt.contiguous_format)
        assert c.is_contiguous()


@pytest.mark.parametrize("name", LIKES)
def test_channels_last_and_its_rank_check(name):
    x = tt.ones(2, 3, 4, 5)
    assert LIKES[name](x, memory_format=tt.channels_last).stride() == (60, 1, 15, 3)
    assert LIKES[name](x.contiguous(memory_format=tt.channels_last)).stride() == (60, 1, 15, 3)
    with pytest.raises(RuntimeError, match=rf"^{name}: required rank 5 tensor"):
        LIKES[name](x, memory_format=tt.channels_last_3d)
    with pytest.raises(TypeError, match="memory_format must be a memory format"):
        LIKES[name](x, memory_format="channels_last")


def test_a_laid_out_result_is_a_leaf_and_writable():
    x = tt.arange(6.0).reshape(2, 3).t()
    z = tt.zeros_like(x, requires_grad=True)
    assert z.is_leaf and z.requires_grad and z.stride() == (1, 3)
    with tt.no_grad():
        z[1, 0] = 5.0
    assert z[1, 0].item() == 5.0 and z.sum().item() == 5.0
    f = tt.full_like(x, 3, dtype=tt.int64)
    assert f.dtype == tt.int64 and f.stride() == (1, 3) and f.sum().item() == 18


def test_random_likes_use_the_generator_and_their_range():
    x = tt.arange(6.0).reshape(2, 3).t()
    g1, g2 = tt.Generator().manual_seed(3), tt.Generator().manual_seed(3)
    a, b = tt.rand_like(x, generator=g1), tt.rand_like(x, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert 0.0 <= a.min().item() and a.max().item() < 1.0
    r = tt.randint_like(x, 2, 5)
    assert r.stride() == (1, 3) and 2 <= r.min().item() and r.max().item() < 5


def test_compiled_calls_keep_the_eager_layouts():
    x = tt.arange(6.0).reshape(2, 3).t()

    def f(a):
        return tt.zeros_like(a) + 1.0, tt.ones_like(a)

    compiled = tt.compile(f)
    for _ in range(3):
        got, want = compiled(x), f(x)
        for g, w in zip(got, want):
            assert g.stride() == w.stride() == (1, 3)
            np.testing.assert_array_equal(g.numpy(), w.numpy())


@pytest.mark.torch
def test_strides_match_pytorch_on_random_layouts():
    torch = pytest.importorskip("torch")
    for case, theirs, ours in random_view_pairs(torch, seed=1, count=200, step=False):
        for name in ("zeros_like", "ones_like", "empty_like", "rand_like"):
            want = getattr(torch, name)(theirs)
            got = getattr(tt, name)(ours)
            assert big_strides(got) == big_strides(want), (name, case)
