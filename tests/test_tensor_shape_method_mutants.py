"""NumPy-only checks of ``tinytensor/tensor_methods/shape.py``, one per rule, written so a
one-line bug there fails: the ``*dims``/keyword forms and their TypeErrors, ``hsplit``/
``vsplit``/``dsplit``'s sections and indices, ``squeeze``/``flip``, the in-place shape changes
(same storage, refused under autograd), ``sum_to_size``, ``view(dtype)`` and the thin wrappers'
argument order, each against a NumPy oracle."""

import numpy as np
import pytest

import tinytensor as tt

A = np.arange(24.0).reshape(2, 3, 4)


def _x():
    return tt.tensor(A.copy())


def _eq(t, expected):
    np.testing.assert_array_equal(t.detach().numpy(), expected)
    assert tuple(t.shape) == np.shape(expected)


def test_hsplit_vsplit_dsplit_sections_and_indices():
    x = _x()
    for parts in (x.hsplit(3), x.hsplit(sections=3)):
        assert len(parts) == 3
        for p, e in zip(parts, np.hsplit(A, 3)):
            _eq(p, e)
    for parts in (x.hsplit([1]), x.hsplit(indices=[1]), x.hsplit(indices=(1,))):
        assert [tuple(p.shape) for p in parts] == [(2, 1, 4), (2, 2, 4)]
        _eq(parts[1], A[:, 1:])
    parts = x.hsplit(1, 2)  # the indices one by one
    assert len(parts) == 3
    for p, e in zip(parts, np.hsplit(A, [1, 2])):
        _eq(p, e)
    for p, e in zip(x.vsplit(2), np.vsplit(A, 2)):
        _eq(p, e)
    for p, e in zip(x.vsplit(indices=[1]), np.vsplit(A, [1])):
        _eq(p, e)
    for p, e in zip(x.dsplit(2), np.dsplit(A, 2)):
        _eq(p, e)
    for p, e in zip(x.dsplit(1, 3), np.dsplit(A, [1, 3])):
        _eq(p, e)
    for p, e in zip(x.dsplit(sections=np.int64(4)), np.dsplit(A, 4)):
        _eq(p, e)


@pytest.mark.parametrize("name", ["hsplit", "vsplit", "dsplit"])
def test_split_points_errors_name_the_method(name):
    x = _x()
    m = getattr(x, name)
    with pytest.raises(TypeError, match=rf"^{name}\(\) takes one of: sections"):
        m()
    with pytest.raises(TypeError, match=rf"^{name}\(\) takes one of.*sections=2, indices=\[1\]"):
        m(sections=2, indices=[1])
    with pytest.raises(TypeError, match=rf"^{name}\(\) takes one of: .*got \(2,\)"):
        m(2, sections=2)
    with pytest.raises(TypeError, match=rf"^{name}\(\) takes one of"):
        m(2, indices=[1])
    with pytest.raises(TypeError, match=rf"^{name}\(\): sections must be an int, got \[1\]"):
        m(sections=[1])
    with pytest.raises(TypeError, match=rf"^{name}\(\): sections must be an int, got 2.0"):
        m(sections=2.0)


def test_squeeze_forms():
    y = tt.tensor(np.arange(6.0).reshape(1, 2, 1, 3))
    _eq(y.squeeze(), np.arange(6.0).reshape(2, 3))
    _eq(y.squeeze(0), np.arange(6.0).reshape(2, 1, 3))
    _eq(y.squeeze(dim=2), np.arange(6.0).reshape(1, 2, 3))
    _eq(y.squeeze(0, 2), np.arange(6.0).reshape(2, 3))
    _eq(y.squeeze((0, 2)), np.arange(6.0).reshape(2, 3))
    _eq(y.squeeze(dim=(0, 2)), np.arange(6.0).reshape(2, 3))
    _eq(y.squeeze(1), np.arange(6.0).reshape(1, 2, 1, 3))  # not size 1: unchanged
    with pytest.raises(TypeError, match=r"squeeze\(\) got dim twice: positionally as \(0,\) "
                                        r"and as the keyword dim=2; pass one of them"):  # fmt: skip
        y.squeeze(0, dim=2)


def test_squeeze_and_unsqueeze_in_place_share_storage():
    y = tt.tensor(np.arange(6.0).reshape(1, 2, 1, 3))
    ptr = y.data_ptr()
    assert y.squeeze_(0, 2) is y
    assert y.shape == (2, 3) and y.data_ptr() == ptr
    y = tt.tensor(np.arange(6.0).reshape(1, 2, 1, 3))
    ptr = y.data_ptr()
    y.squeeze_(dim=2)
    assert y.shape == (1, 2, 3)
    y.squeeze_()
    assert y.shape == (2, 3)
    assert y.unsqueeze_(1) is y and y.shape == (2, 1, 3) and y.data_ptr() == ptr
    _eq(y, np.arange(6.0).reshape(2, 1, 3))
    with pytest.raises(TypeError, match=r"squeeze_\(\) got dim twice"):
        y.squeeze_(1, dim=1)


def test_transpose_forms_in_place():
    for meth in ("transpose_", "swapaxes_", "swapdims_"):
        x = _x()
        ptr = x.data_ptr()
        assert getattr(x, meth)(0, 2) is x
        _eq(x, A.transpose(2, 1, 0))
        assert x.data_ptr() == ptr
    x = _x()
    x.transpose_(1, 2)
    _eq(x, A.transpose(0, 2, 1))
    m = tt.tensor(np.arange(6.0).reshape(2, 3))
    assert m.t_() is m
    _eq(m, np.arange(6.0).reshape(2, 3).T)
    _eq(_x().swapaxes(0, 1), A.swapaxes(0, 1))
    _eq(_x().swapdims(1, 2), A.swapaxes(1, 2))


def test_in_place_shape_change_is_refused_under_autograd():
    for call in (lambda t: t.t_(), lambda t: t.transpose_(0, 1), lambda t: t.unsqueeze_(0),
                 lambda t: t.squeeze_(), lambda t: t.resize_(4)):  # fmt: skip
        x = tt.tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
        with pytest.raises(RuntimeError, match=r"_: changing the shape in place of a tensor that "
                                               r"requires grad is not supported"):  # fmt: skip
            call(x)
        assert x.shape == (2, 2)


def test_flip_forms():
    x = _x()
    _eq(x.flip(0), A[::-1])
    _eq(x.flip(2), A[:, :, ::-1])
    _eq(x.flip(0, 2), A[::-1, :, ::-1])
    _eq(x.flip((1, 2)), A[:, ::-1, ::-1])
    _eq(x.flip([1]), A[:, ::-1])
    _eq(x.flip(dims=(0, 1)), A[::-1, ::-1])
    with pytest.raises(TypeError, match=r"^flip\(\) missing its dims"):
        x.flip()
    with pytest.raises(TypeError, match=r"flip\(\) got dims twice"):
        x.flip(0, dims=(1,))
    _eq(x.flipud(), A[::-1])
    _eq(x.fliplr(), A[:, ::-1])


def test_tile_repeat_permute_reshape_view_expand_keyword_forms():
    x = _x()
    _eq(x.tile(2), np.tile(A, 2))
    _eq(x.tile((2, 1)), np.tile(A, (2, 1)))
    _eq(x.tile(2, 1, 1), np.tile(A, (2, 1, 1)))
    _eq(x.tile(dims=(1, 2)), np.tile(A, (1, 2)))
    _eq(x.tile([3]), np.tile(A, 3))
    with pytest.raises(TypeError, match=r"tile\(\) got dims twice"):
        x.tile(2, dims=(2,))
    _eq(x.repeat(1, 2, 1), np.tile(A, (1, 2, 1)))
    _eq(x.repeat(repeats=(2, 1, 1)), np.tile(A, (2, 1, 1)))
    _eq(x.permute(2, 0, 1), A.transpose(2, 0, 1))
    _eq(x.permute((1, 0, 2)), A.transpose(1, 0, 2))
    _eq(x.permute(dims=(2, 1, 0)), A.transpose(2, 1, 0))
    with pytest.raises(TypeError, match=r"permute\(\) got dims twice"):
        x.permute(0, 1, 2, dims=(0, 1, 2))
    _eq(x.reshape(4, 6), A.reshape(4, 6))
    _eq(x.reshape((6, -1)), A.reshape(6, 4))
    _eq(x.reshape(shape=(3, 8)), A.reshape(3, 8))
    with pytest.raises(TypeError, match=r"reshape\(\) got shape twice"):
        x.reshape(4, 6, shape=(4, 6))
    _eq(x.view(-1), A.reshape(-1))
    _eq(x.view(size=(12, 2)), A.reshape(12, 2))
    _eq(x.view((4, 6)), A.reshape(4, 6))
    with pytest.raises(TypeError, match=r"view\(\) got size twice"):
        x.view(24, size=(24,))
    c = tt.tensor([[1.0], [2.0]])
    _eq(c.expand(2, 3), np.array([[1.0] * 3, [2.0] * 3]))
    _eq(c.expand(size=(2, 2)), np.array([[1.0] * 2, [2.0] * 2]))
    _eq(c.expand(-1, 2, implicit=True), np.array([[1.0] * 2, [2.0] * 2]))
    with pytest.raises(TypeError, match=r"expand\(\) got size twice"):
        c.expand(2, 3, size=(2, 3))
    _eq(c.expand_as(tt.zeros(2, 4)), np.array([[1.0] * 4, [2.0] * 4]))
    _eq(c.broadcast_to(2, 2), np.broadcast_to([[1.0], [2.0]], (2, 2)))
    _eq(c.broadcast_to((3, 2, 2)), np.broadcast_to([[1.0], [2.0]], (3, 2, 2)))
    _eq(c.broadcast_to(size=(2, 5)), np.broadcast_to([[1.0], [2.0]], (2, 5)))
    with pytest.raises(TypeError, match=r"broadcast_to\(\) got size twice"):
        c.broadcast_to(2, 2, size=(2, 2))


def test_view_dtype_reinterprets_bytes_and_shares_the_version():
    x = tt.tensor(np.array([1.0, -2.0], np.float32))
    v = x.view(tt.int32)
    _eq(v, np.array([1.0, -2.0], np.float32).view(np.int32))
    v2 = x.view(dtype=tt.int16)
    assert v2.shape == (4,) and v2.dtype is tt.int16
    v.add_(0)  # in place on the view: the base's version moves too
    assert x._version >= 1
    with pytest.raises(TypeError, match=r"view\(\) takes a shape or dtype=, not both"):
        x.view(2, dtype=tt.int32)
    with pytest.raises(RuntimeError, match=r"^view\(tinytensor.float64\): "):
        tt.tensor(np.zeros(3, np.float32)).view(tt.float64)


def test_sum_to_size():
    x = _x()
    _eq(x.sum_to_size(3, 1), A.sum(axis=(0, 2)).reshape(3, 1))
    _eq(x.sum_to_size(1, 3, 4), A.sum(axis=0, keepdims=True))
    _eq(x.sum_to_size(size=(2, 1, 1)), A.sum(axis=(1, 2), keepdims=True))
    _eq(x.sum_to_size(4), A.sum(axis=(0, 1)))
    _eq(x.sum_to_size(1), A.sum().reshape(1))
    same = x.sum_to_size(2, 3, 4)
    _eq(same, A)
    ones = tt.tensor(np.arange(6.0).reshape(1, 2, 3))
    _eq(ones.sum_to_size(1, 1, 3), np.arange(6.0).reshape(1, 2, 3).sum(axis=1, keepdims=True))
    with pytest.raises(RuntimeError, match=r"sum_to_size: size \[2, 4\] is not expandable to "
                                           r"size \[2, 3, 4\]"):  # fmt: skip
        x.sum_to_size(2, 4)
    with pytest.raises(RuntimeError, match=r"size \[1, 2, 3, 4\] is not expandable"):
        x.sum_to_size(1, 2, 3, 4)
    g = tt.tensor(A.copy(), requires_grad=True)
    g.sum_to_size(3, 1).sum().backward()
    _eq(g.grad, np.ones_like(A))


def test_wrappers_pass_their_arguments_in_order():
    x = _x()
    m = tt.tensor(np.arange(12.0).reshape(3, 4))
    _eq(m.tril(), np.tril(np.arange(12.0).reshape(3, 4)))
    _eq(m.triu(1), np.triu(np.arange(12.0).reshape(3, 4), 1))
    _eq(m.tril(-1), np.tril(np.arange(12.0).reshape(3, 4), -1))
    t = tt.tensor(np.arange(12.0).reshape(3, 4))
    assert t.tril_(1) is t
    _eq(t, np.tril(np.arange(12.0).reshape(3, 4), 1))
    t = tt.tensor(np.arange(12.0).reshape(3, 4))
    assert t.triu_(-1) is t
    _eq(t, np.triu(np.arange(12.0).reshape(3, 4), -1))
    t = tt.tensor(np.arange(12.0).reshape(3, 4))
    t.tril_()
    _eq(t, np.tril(np.arange(12.0).reshape(3, 4)))
    t = tt.tensor(np.arange(12.0).reshape(3, 4))
    t.triu_()
    _eq(t, np.triu(np.arange(12.0).reshape(3, 4)))
    _eq(tt.tensor([1.0, 2.0]).diag(), np.diag([1.0, 2.0]))
    _eq(tt.tensor([1.0, 2.0]).diag(1), np.diag([1.0, 2.0], 1))
    _eq(m.diag(-1), np.diag(np.arange(12.0).reshape(3, 4), -1))
    _eq(tt.tensor([[1.0, 2.0]]).diagflat(-1), np.diagflat([1.0, 2.0], -1))
    _eq(x.roll(1), np.roll(A, 1))
    _eq(x.roll(1, 0), np.roll(A, 1, 0))
    _eq(x.roll((1, -1), (2, 1)), np.roll(A, (1, -1), (2, 1)))
    _eq(x.roll(2, dims=[]), np.roll(A, 2))
    _eq(m.rot90(), np.rot90(np.arange(12.0).reshape(3, 4)))
    _eq(x.rot90(3, (1, 2)), np.rot90(A, 3, (1, 2)))
    _eq(x.rot90(-1, [2, 0]), np.rot90(A, -1, (2, 0)))
    _eq(tt.tensor([1, 2]).repeat_interleave(2), np.repeat([1, 2], 2))
    _eq(m.repeat_interleave(tt.tensor([1, 2, 0]), 0), np.repeat(np.arange(12.0).reshape(3, 4),
                                                                [1, 2, 0], 0))  # fmt: skip
    _eq(m.repeat_interleave(2, dim=1, output_size=8), np.repeat(m.detach().numpy(), 2, 1))
    u = tt.tensor(np.arange(7.0)).unfold(0, 3, 2)
    _eq(u, np.array([[0.0, 1, 2], [2, 3, 4], [4, 5, 6]]))
    _eq(m.unfold(1, 2, 1)[1], np.array([[4.0, 5], [5, 6], [6, 7]]))
    for p, e in zip(x.tensor_split(3, 2), np.array_split(A, 3, 2)):
        _eq(p, e)
    for p, e in zip(x.tensor_split([1, 2], 1), np.split(A, [1, 2], 1)):
        _eq(p, e)
    _eq(x.select(2, 1), A[:, :, 1])
    _eq(x.select(1, -1), A[:, -1])
    _eq(x.narrow(2, 1, 2), A[:, :, 1:3])
    _eq(x.narrow_copy(1, 1, 1), A[:, 1:2])
    _eq(x.movedim(0, 2), np.moveaxis(A, 0, 2))
    _eq(x.moveaxis((0, 1), (2, 0)), np.moveaxis(A, (0, 1), (2, 0)))
    _eq(x.ravel(), A.ravel())
    _eq(x.flatten(1), A.reshape(2, 12))
    _eq(x.flatten(0, 1), A.reshape(6, 4))
    _eq(x.flatten(), A.reshape(-1))
    _eq(x.unflatten(2, (2, 2)), A.reshape(2, 3, 2, 2))
    _eq(x.view_as(tt.zeros(4, 6)), A.reshape(4, 6))
    _eq(x.reshape_as(tt.zeros(6, 4)), A.reshape(6, 4))
    _eq(x.unsqueeze(1), A[:, None])
    _eq(x.unsqueeze(-1), A[..., None])
    _eq(x.transpose(0, 1), A.swapaxes(0, 1))


def test_splits_chunks_and_t():
    x = _x()
    for parts, exp in [(x.split(2, 2), np.split(A, [2], 2)),
                       (x.split([1, 2], 1), np.split(A, [1], 1)),
                       (x.split_with_sizes([1, 3], 2), np.split(A, [1], 2)),
                       (x.split_with_sizes((2, 1), dim=1), np.split(A, [2], 1)),
                       (x.unsafe_split(1, 0), np.split(A, 2, 0)),
                       (x.unsafe_split(3, dim=2), np.split(A, [3], 2)),
                       (x.unsafe_split_with_sizes([3, 1], 2), np.split(A, [3], 2)),
                       (x.chunk(3, 1), np.split(A, 3, 1)),
                       (x.chunk(2, dim=2), np.split(A, 2, 2)),
                       (x.unsafe_chunk(2, 2), np.split(A, 2, 2)),
                       (x.unbind(1), [A[:, i] for i in range(3)]),
                       (x.unbind(), [A[0], A[1]])]:  # fmt: skip
        assert len(parts) == len(exp)
        for p, e in zip(parts, exp):
            _eq(p, e)
    _eq(x.split(3)[0], A)
    m = tt.tensor(np.arange(6.0).reshape(2, 3))
    _eq(m.t(), np.arange(6.0).reshape(2, 3).T)
    _eq(tt.tensor([1.0, 2.0]).t(), np.array([1.0, 2.0]))
    _eq(tt.tensor(5.0).t(), np.array(5.0))
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, got 3"):
        x.t()
    with pytest.raises(RuntimeError, match="got 3"):
        x.t_()


def test_error_messages_name_the_method():
    x = _x()
    with pytest.raises(TypeError, match=r"^hsplit\(\): sections must be an int, got \[1\]; pass a "
                                        r"list of split points as indices=$"):  # fmt: skip
        x.hsplit(sections=[1])
    for name in ("tril_", "triu_"):
        g = tt.ones(2, 2, requires_grad=True)
        with pytest.raises(RuntimeError, match=rf"^{name}: a leaf tensor that requires grad"):
            getattr(g, name)()
    for name, call in [("t_", lambda t: t.t_()), ("transpose_", lambda t: t.transpose_(0, 1)),
                       ("swapaxes_", lambda t: t.swapaxes_(0, 1)),
                       ("unsqueeze_", lambda t: t.unsqueeze_(0)),
                       ("squeeze_", lambda t: t.squeeze_())]:  # fmt: skip
        g = tt.ones(2, 2, requires_grad=True)
        want = "transpose_" if name == "swapaxes_" else name
        with pytest.raises(RuntimeError, match=rf"^{want}: changing the shape in place"):
            call(g)
    with pytest.raises(TypeError, match=r"^sum_to_size: the size was given twice"):
        x.sum_to_size(4, size=(4,))
    with pytest.raises(TypeError, match=r"^repeat\(\) got repeats twice: positionally as \(2,\) "
                                        r"and as the keyword repeats=\(2, 1, 1\)"):  # fmt: skip
        x.repeat(2, repeats=(2, 1, 1))
    with pytest.raises(TypeError, match=r"view\(\) takes a shape or dtype=, not both: got "
                                        r"\(2,\) and dtype="):  # fmt: skip
        x.view(size=(2,), dtype=tt.int32)


def test_a_compiled_in_place_shape_change_is_reported_by_name():
    w = tt.ones(2, 2)
    report = str(tt.compiler.explain(lambda x: w.t_() * x)(tt.ones(2, 2)))
    assert "t_ replaces a tensor's storage" in report
    v = tt.ones(2, 2)
    report = str(tt.compiler.explain(lambda x: v.transpose_(0, 1) * x)(tt.ones(2, 2)))
    assert "transpose_ replaces a tensor's storage" in report


def test_defaults_of_the_wrappers():
    m = np.arange(12.0).reshape(3, 4)
    t = tt.tensor(m)
    _eq(t.triu(), np.triu(m))
    _eq(t.tril(), np.tril(m))
    _eq(t.diag(), np.diag(m))
    _eq(tt.tensor([[1.0, 2.0]]).diagflat(), np.diagflat([1.0, 2.0]))
    _eq(t.rot90(), np.rot90(m))
    for p, e in zip(t.split(2), np.split(m, [2], 0)):
        _eq(p, e)
    for p, e in zip(t.chunk(3), np.split(m, 3, 0)):
        _eq(p, e)
    for p, e in zip(t.tensor_split(3), np.array_split(m, 3, 0)):
        _eq(p, e)
    _eq(t.repeat_interleave(2), np.repeat(m.ravel(), 2))


def test_sum_to_size_with_leading_dims_and_identity():
    y = tt.tensor(np.arange(6.0).reshape(1, 2, 3))
    _eq(y.sum_to_size(2, 1), np.arange(6.0).reshape(2, 3).sum(axis=1, keepdims=True))
    x = _x()
    same = x.sum_to_size(2, 3, 4)
    assert same.data_ptr() == x.data_ptr()  # nothing to sum: x's own values, as at::sum_to
    _eq(tt.tensor(np.arange(4.0)).broadcast_to(2, 4), np.broadcast_to(np.arange(4.0), (2, 4)))
    _eq(tt.tensor([5.0]).broadcast_to(3), np.array([5.0] * 3))
    _eq(tt.tensor([5.0]).broadcast_to(np.int64(2)), np.array([5.0] * 2))


def test_tile_with_numpy_integer_reps_one_by_one():
    x = _x()
    _eq(x.tile(np.int64(2), 1), np.tile(A, (2, 1)))
    _eq(x.tile(np.int64(2)), np.tile(A, 2))
