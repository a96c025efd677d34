"""NumPy-only checks of ``tinytensor/tensor_methods/memory.py``, one per rule, written so a
one-line bug there fails: memory formats (which tensor comes back, its exact strides, the
error each bad input gets), ``resize_`` and its shared-memory path, the Python-function maps,
``new`` and the ``new_*`` family, and the small queries and casts."""

import numpy as np
import pytest

import tinytensor as tt


def _nchw():
    return tt.tensor(np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5))


def test_memory_format_must_be_a_format_and_the_error_names_the_method():
    x = _nchw()
    for meth in ("contiguous", "is_contiguous", "cpu"):
        with pytest.raises(TypeError, match=rf"^{meth}\(\): memory_format must be"):
            getattr(x, meth)(memory_format="channels_last")
    with pytest.raises(TypeError, match="contiguous"):
        x.contiguous(memory_format=None)


def test_channels_last_strides_values_and_identity():
    x = _nchw()
    cl = x.contiguous(memory_format=tt.channels_last)
    assert cl is not x
    assert cl.stride() == (60, 1, 15, 3)  # NHWC order: C fastest, then W, H, N
    np.testing.assert_array_equal(cl.detach().numpy(), x.detach().numpy())
    assert cl.is_contiguous(memory_format=tt.channels_last)
    assert not cl.is_contiguous() and not cl.is_contiguous(memory_format=tt.contiguous_format)
    assert not x.is_contiguous(memory_format=tt.channels_last) and x.is_contiguous()
    # already in the format: the tensor itself
    assert cl.contiguous(memory_format=tt.channels_last) is cl
    # back to C order: a copy with C strides
    c = cl.contiguous()
    assert c is not cl and c.stride() == (60, 20, 5, 1)
    np.testing.assert_array_equal(c.detach().numpy(), x.detach().numpy())
    assert cl.contiguous(memory_format=tt.contiguous_format).stride() == (60, 20, 5, 1)


def test_channels_last_3d_strides_and_rank_checks():
    x5 = tt.tensor(np.arange(2 * 3 * 2 * 2 * 4, dtype=np.float64).reshape(2, 3, 2, 2, 4))
    cl = x5.contiguous(memory_format=tt.channels_last_3d)
    assert cl.stride() == (48, 1, 24, 12, 3)
    np.testing.assert_array_equal(cl.detach().numpy(), x5.detach().numpy())
    assert cl.is_contiguous(memory_format=tt.channels_last_3d)
    assert not cl.is_contiguous(memory_format=tt.channels_last)  # rank 5, not 4
    with pytest.raises(RuntimeError, match=r"contiguous: required rank 4 tensor to use "
                                           r"channels_last format, got a tensor of shape "
                                           r"\(2, 3, 2, 2, 4\)"):  # fmt: skip
        x5.contiguous(memory_format=tt.channels_last)
    with pytest.raises(RuntimeError, match=r"required rank 5 tensor .*channels_last_3d"):
        _nchw().contiguous(memory_format=tt.channels_last_3d)
    # a rank-3 tensor is never channels-last, even when its transpose is C-ordered
    t = tt.tensor(np.zeros((2, 3, 4), np.float32)).permute(0, 2, 1)
    assert not t.is_contiguous(memory_format=tt.channels_last)


def test_preserve_format_is_refused_by_contiguous_but_kept_by_cpu_and_clone():
    x = _nchw()
    with pytest.raises(RuntimeError, match=r"^contiguous: preserve memory format is unsupported"):
        x.contiguous(memory_format=tt.preserve_format)
    assert x.cpu() is x and x.cpu(memory_format=tt.preserve_format) is x
    assert x.cpu(memory_format=None) is x
    cl = x.contiguous(memory_format=tt.channels_last)
    assert cl.cpu(memory_format=tt.preserve_format) is cl
    assert cl.cpu(memory_format=tt.channels_last) is cl  # its suggested format already
    back = cl.cpu(memory_format=tt.contiguous_format)
    assert back is not cl and back.stride() == (60, 20, 5, 1)
    to_cl = x.cpu(memory_format=tt.channels_last)
    assert to_cl is not x and to_cl.stride() == (60, 1, 15, 3)


def test_suggested_format_prefers_c_order_when_both_hold():
    # one channel: C order and channels-last strides coincide; PyTorch suggests C order, so a
    # request for contiguous_format keeps the tensor
    one = tt.tensor(np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3))
    assert one.is_contiguous() and one.is_contiguous(memory_format=tt.channels_last)
    assert one.cpu(memory_format=tt.contiguous_format) is one
    assert one.cpu(memory_format=tt.channels_last) is one  # already channels-last: no copy
    # a transposed (not C, not channels-last) rank-4 tensor: its suggested format is
    # contiguous_format, so cpu/to keep it as it is (as PyTorch's to_will_alias), while
    # contiguous() copies it
    t = _nchw().permute(0, 1, 3, 2)
    assert t.cpu(memory_format=tt.contiguous_format) is t
    c = t.contiguous()
    assert c is not t and c.stride() == (60, 20, 4, 1)
    np.testing.assert_array_equal(c.detach().numpy(), t.detach().numpy())
    cl = t.cpu(memory_format=tt.channels_last)
    assert cl is not t and cl.stride() == (60, 1, 12, 3)
    np.testing.assert_array_equal(cl.detach().numpy(), t.detach().numpy())


def test_contiguous_of_a_transpose_copies_in_c_order_and_passes_gradients():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    x = tt.tensor(a, requires_grad=True)
    t = x.t()
    c = t.contiguous()
    assert c is not t and c.is_contiguous() and c.stride() == (2, 1)
    np.testing.assert_array_equal(c.detach().numpy(), a.T)
    w = np.arange(6, dtype=np.float64).reshape(3, 2)
    (c * tt.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), w.T)
    g = _nchw().to(tt.float64).requires_grad_()
    (g.contiguous(memory_format=tt.channels_last) * 3).sum().backward()
    np.testing.assert_array_equal(g.grad.detach().numpy(), np.full((2, 3, 4, 5), 3.0))


def test_resize_keeps_leading_values_and_zero_fills():
    x = tt.tensor([1.0, 2.0, 3.0, 4.0])
    r = x.resize_(2, 3)
    assert r is x and x.shape == (2, 3)
    np.testing.assert_array_equal(x.detach().numpy(), [[1, 2, 3], [4, 0, 0]])
    x.resize_(size=(3,))
    np.testing.assert_array_equal(x.detach().numpy(), [1, 2, 3])
    x.resize_((1, 1))
    np.testing.assert_array_equal(x.detach().numpy(), [[1]])
    # from a transpose: the values are taken in logical (C) order
    y = tt.tensor(np.arange(6.0).reshape(2, 3)).t()
    y.resize_(4)
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 3.0, 1.0, 4.0])
    assert y.dtype is tt.float64


def test_resize_variants_and_templates():
    x = tt.tensor([1, 2, 3, 4, 5, 6])
    r = x.resize(2, 2)  # not in place
    np.testing.assert_array_equal(r.detach().numpy(), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(x.detach().numpy(), [1, 2, 3, 4, 5, 6])
    r2 = x.resize_as(tt.zeros(3, 3))
    np.testing.assert_array_equal(r2.detach().numpy(), [[1, 2, 3], [4, 5, 6], [0, 0, 0]])
    assert x.shape == (6,)
    z = tt.tensor([7, 8, 9])
    assert z.resize_as_(tt.zeros(1, 2)) is z
    np.testing.assert_array_equal(z.detach().numpy(), [[7, 8]])


def test_resize_in_shared_memory_stays_in_place_and_refuses_growth():
    x = tt.tensor(np.arange(8, dtype=np.float32)).share_memory_()
    assert x.is_shared()
    ptr = x.data_ptr()
    x.resize_(2, 3)
    assert x.is_shared() and x.data_ptr() == ptr
    np.testing.assert_array_equal(x.detach().numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    x.resize_(8)  # back within the block: the old values are still there
    np.testing.assert_array_equal(x.detach().numpy(), np.arange(8, dtype=np.float32))
    with pytest.raises(RuntimeError, match="not resizable"):
        x.resize_(10**7)
    assert x.shape == (8,)
    # a slice further in: resized in place from its own start
    s = x[2:5]
    s.resize_(2)
    assert s.data_ptr() == ptr + 2 * 4
    np.testing.assert_array_equal(s.detach().numpy(), [2.0, 3.0])


def test_share_memory_is_idempotent_and_copies_values():
    x = tt.tensor([1.0, 2.0])
    assert not x.is_shared()
    assert x.share_memory_() is x and x.is_shared()
    ptr = x.data_ptr()
    assert x.share_memory_() is x and x.data_ptr() == ptr
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def test_apply_map_map2():
    x = tt.tensor([1.0, 2.0, 3.0])
    assert x.apply_(lambda v: v * v + 1) is x
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 5.0, 10.0])
    m = tt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert m.map_(tt.tensor([10.0, 100.0]), lambda a, b: a * b - a) is m
    np.testing.assert_array_equal(m.detach().numpy(), [[9.0, 198.0], [27.0, 396.0]])
    k = tt.tensor([[1, 2], [3, 4]])
    fn = lambda a, b, c: a * 100 + b * 10 + c  # noqa: E731
    assert k.map2_(tt.tensor([1, 0]), tt.tensor([[5], [7]]), fn) is k
    np.testing.assert_array_equal(k.detach().numpy(), [[115, 205], [317, 407]])
    assert k.dtype is tt.int64


def test_new_forms():
    x = tt.tensor([1.5, 2.5], dtype=tt.float64)
    e = x.new(2, 3)
    assert e.shape == (2, 3) and e.dtype is tt.float64
    assert x.new().shape == (0,) and x.new().dtype is tt.float64
    assert x.new(size=(4, 1)).shape == (4, 1) and x.new(size=(4, 1)).dtype is tt.float64
    d = x.new([1, 2, 3])
    assert d.dtype is tt.float64
    np.testing.assert_array_equal(d.detach().numpy(), [1.0, 2.0, 3.0])
    assert x.new(np.int64(3)).shape == (3,)
    with pytest.raises(Exception, match="new\\(\\)"):
        x.new(2, device="cuda")
    assert x.new(2, device="cpu").shape == (2,)


def test_new_of_a_tensor_is_an_alias_that_passes_gradients():
    x = tt.tensor([0.0], dtype=tt.float32)
    t = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for a in (x.new(t), x.new(other=t)):
        assert a is not t and a.shape == (3,)
        np.testing.assert_array_equal(a.detach().numpy(), [1.0, 2.0, 3.0])
    a = x.new(other=t)
    (a * tt.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.detach().numpy(), [1.0, 2.0, 3.0])
    base = tt.tensor([1.0, 2.0])
    al = x.new(base)
    al.add_(1.0)
    np.testing.assert_array_equal(base.detach().numpy(), [2.0, 3.0])  # same storage
    with pytest.raises(TypeError, match=r"new\(\): expected a tensor of dtype tinytensor.float32"
                                        r".*int64"):  # fmt: skip
        x.new(tt.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"other= takes the whole call, got 1 positional"):
        x.new(t, other=t)
    with pytest.raises(TypeError, match=r"got 0 positional argument\(s\) and size=\(2,\)"):
        x.new(size=(2,), other=t)


def test_new_empty_strided_and_the_new_family():
    x = tt.tensor([1, 2], dtype=tt.int32)
    s = x.new_empty_strided((2, 3), (3, 1))
    assert s.shape == (2, 3) and s.dtype is tt.int32 and not s.requires_grad
    s2 = x.new_empty_strided([4], [1], dtype=tt.float64, requires_grad=True)
    assert s2.shape == (4,) and s2.dtype is tt.float64 and s2.requires_grad
    z = x.new_zeros(2, 2)
    assert z.dtype is tt.int32 and z.shape == (2, 2) and not z.detach().numpy().any()
    z2 = x.new_zeros(size=(3,), dtype=tt.float32, requires_grad=True)
    assert z2.dtype is tt.float32 and z2.shape == (3,) and z2.requires_grad
    o = x.new_ones((2,))
    assert o.dtype is tt.int32
    np.testing.assert_array_equal(o.detach().numpy(), [1, 1])
    o2 = x.new_ones(2, dtype=tt.float64, requires_grad=True)
    assert o2.dtype is tt.float64 and o2.requires_grad
    em = x.new_empty(3, 1)
    assert em.shape == (3, 1) and em.dtype is tt.int32 and not em.requires_grad
    em2 = x.new_empty(size=(2,), dtype=tt.float16, requires_grad=True)
    assert em2.dtype is tt.float16 and em2.requires_grad
    f = x.new_full((2, 2), 7)
    assert f.dtype is tt.int32
    np.testing.assert_array_equal(f.detach().numpy(), np.full((2, 2), 7))
    f2 = x.new_full([3], 0.5, dtype=tt.float32, requires_grad=True)
    np.testing.assert_array_equal(f2.detach().numpy(), [0.5] * 3)
    assert f2.dtype is tt.float32 and f2.requires_grad
    nt = x.new_tensor([1.7, 2.2])
    assert nt.dtype is tt.int32 and not nt.requires_grad
    src = tt.tensor([1.0, 2.0], requires_grad=True)
    nt2 = x.new_tensor(src, dtype=tt.float64, requires_grad=True)
    assert nt2.dtype is tt.float64 and nt2.requires_grad and nt2.grad_fn is None
    np.testing.assert_array_equal(nt2.detach().numpy(), [1.0, 2.0])
    nt2.detach().add_(5.0)
    np.testing.assert_array_equal(src.detach().numpy(), [1.0, 2.0])  # a copy, not an alias


def test_strides_offsets_pointers_and_dim_order():
    x = tt.tensor(np.zeros((2, 3, 4), np.float32))
    assert x.stride() == (12, 4, 1) and x.stride(0) == 12 and x.stride(-1) == 1
    assert x.storage_offset() == 0
    assert x.data_ptr() == x.detach().numpy().__array_interface__["data"][0] == x.const_data_ptr()
    assert x.dim_order() == (0, 1, 2)
    assert x.permute(2, 0, 1).dim_order() == (1, 2, 0)
    assert tt.tensor(np.zeros((2, 1, 3))).dim_order() == (0, 1, 2)  # stable for equal strides
    assert x.ndimension() == 3 and x.nelement() == 24


def test_queries_and_casts():
    f = tt.tensor([1.0, -2.0])
    assert f.is_signed() and tt.tensor([1, 2]).is_signed()
    assert not tt.tensor([1], dtype=tt.uint8).is_signed()
    assert not tt.tensor([True]).is_signed()
    assert not f.is_complex() and not f.is_conj() and not f.is_neg() and not f.is_inference()
    assert f.is_mps is False
    assert tt.tensor([3.0]).is_nonzero() is True and tt.tensor([[0.0]]).is_nonzero() is False
    with pytest.raises(RuntimeError, match="with more than one value is ambiguous"):
        f.is_nonzero()
    with pytest.raises(RuntimeError, match="with no values is ambiguous"):
        tt.tensor([]).is_nonzero()
    assert f.is_same_size(tt.zeros(2)) and not f.is_same_size(tt.zeros(1, 2))
    x = tt.arange(6.0).reshape(2, 3).requires_grad_()
    assert [o.output_nr for o in x.unbind(0)] == [0, 1] and x.output_nr == 0
    v = tt.tensor([1.7, -1.2, 300.0])
    assert v.byte().dtype is tt.uint8 and v.char().dtype is tt.int8
    assert v.short().dtype is tt.int16
    np.testing.assert_array_equal(v.short().detach().numpy(), [1, -1, 300])
    assert f.to_dense() is f and f.to_dense(tt.float64).dtype is tt.float64


def test_conjugate_views_of_real_tensors():
    a = np.arange(6.0).reshape(2, 3)
    x = tt.tensor(a)
    for m in (x.conj, x.resolve_conj, x.resolve_neg, x.conj_physical_):
        assert m() is x
    assert x.real is x
    cp = x.conj_physical()
    assert cp is not x
    np.testing.assert_array_equal(cp.detach().numpy(), a)
    cp.add_(1.0)
    np.testing.assert_array_equal(x.detach().numpy(), a)  # a copy
    np.testing.assert_array_equal(x.H.detach().numpy(), a.T)
    np.testing.assert_array_equal(tt.tensor([1.0, 2.0]).H.detach().numpy(), [1.0, 2.0])
    b = np.arange(24.0).reshape(2, 3, 4)
    y = tt.tensor(b)
    for got in (y.H, y.mH, y.adjoint()):
        np.testing.assert_array_equal(got.detach().numpy(), b.transpose(0, 2, 1))
    np.testing.assert_array_equal(x.mH.detach().numpy(), a.T)


def _same(t, expected):
    """Values, shape and dtype all equal (no broadcasting of a scalar result)."""
    np.testing.assert_array_equal(t.detach().numpy(), expected, strict=True)


def test_error_messages_name_the_method_and_the_fix():
    with pytest.raises(RuntimeError, match=r"^contiguous: preserve memory format is unsupported by "
                                           r"the contiguous operator; pass contiguous_format or a "
                                           r"channels-last format$"):  # fmt: skip
        _nchw().contiguous(memory_format=tt.preserve_format)
    with pytest.raises(RuntimeError, match=r"^cpu: required rank 4 tensor to use channels_last"):
        tt.zeros(2, 3).cpu(memory_format=tt.channels_last)
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    for name, call in [("apply_", lambda: x.apply_(lambda v: v)),
                       ("map_", lambda: x.map_(x.detach(), lambda a, b: a)),
                       ("map2_", lambda: x.map2_(x.detach(), x.detach(), lambda a, b, c: a))]:
        with pytest.raises(RuntimeError, match=rf"^{name}: a leaf tensor that requires grad"):
            call()
    for shared in (False, True):
        y = tt.tensor([1.0, 2.0], requires_grad=True)
        if shared:
            y.share_memory_()
        with pytest.raises(RuntimeError, match=r"^resize_: changing the shape in place"):
            y.resize_(1)
        assert y.shape == (2,)
    with pytest.raises(TypeError, match=r"^resize_: the size was given twice"):
        tt.zeros(2).resize_(2, size=(2,))
    with pytest.raises(TypeError, match=r"^new: the size was given twice"):
        tt.zeros(2).new(2, size=(2,))
    with pytest.raises(RuntimeError, match=r"^new\(\): device 'cuda' is not available"):
        tt.zeros(2).new(2, device="cuda")
    z = tt.zeros(2)
    for call in (lambda: z.new_zeros(2, device="cuda"), lambda: z.new_ones(2, device="cuda"),
                 lambda: z.new_empty(2, device="cuda"), lambda: z.new_full((2,), 1, device="cuda"),
                 lambda: z.new_tensor([1], device="cuda"),
                 lambda: z.new_empty_strided((2,), (1,), device="cuda")):  # fmt: skip
        with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
            call()


def test_shared_resize_growth_is_checked_in_bytes():
    x = tt.tensor(np.arange(8, dtype=np.float32)).share_memory_()
    with pytest.raises(RuntimeError, match="^Trying to resize storage that is not resizable$"):
        x.resize_(9)  # 36 bytes in a block of 32
    _same(x, np.arange(8, dtype=np.float32))


def test_resize_keeps_the_dtype_and_is_nonzero_of_a_scalar():
    k = tt.tensor([1, 2, 3])
    k.resize_(5)
    _same(k, np.array([1, 2, 3, 0, 0]))
    b = tt.tensor([True])
    b.resize_(2)
    _same(b, np.array([True, False]))
    assert tt.tensor(3.0).is_nonzero() is True and tt.tensor(0).is_nonzero() is False


def test_maps_keep_the_tensor_dtype_whatever_the_first_result():
    # np.vectorize without otypes would take the dtype of the first result (an int here)
    first_int = lambda v, *rest: int(v) if v == 0 else v * 1.0  # noqa: E731
    x = tt.tensor([0.0, 1.5])
    _same(x.apply_(first_int), np.array([0.0, 1.5], np.float32))
    y = tt.tensor([0.0, 2.5])
    _same(y.map_(tt.tensor([1.0, 1.0]), first_int), np.array([0.0, 2.5], np.float32))
    w = tt.tensor([0.0, 3.5])
    _same(w.map2_(tt.ones(2), tt.ones(2), first_int), np.array([0.0, 3.5], np.float32))


def test_new_family_shapes_exactly():
    x = tt.tensor([1, 2], dtype=tt.int32)
    _same(x.new_zeros((2, 3)), np.zeros((2, 3), np.int32))
    _same(x.new_zeros(3), np.zeros(3, np.int32))
    _same(x.new_ones((2,)), np.ones(2, np.int32))
    _same(x.new_ones(1, 2), np.ones((1, 2), np.int32))
    _same(x.new_ones(size=(3,)), np.ones(3, np.int32))
    assert x.new_empty(2, 3).shape == (2, 3) and x.new_empty(size=[4]).shape == (4,)
    _same(x.new_full((1, 2), 5), np.full((1, 2), 5, np.int32))
    _same(x.new_tensor([[3, 4]]), np.array([[3, 4]], np.int32))
    assert x.new_empty_strided([3, 2], [2, 1]).shape == (3, 2)
    assert all(type(s) is int for s in tt.zeros(2, 3).stride())
    assert type(tt.zeros(2, 3).stride(0)) is int
