"""ops/shape.py branch by branch, NumPy only: each view's shape, values, memory sharing and
gradient (a non-self-inverse permutation, a broadcast summed back), the size parsers, -1
inference, the bounds of narrow/select/transpose on edge shapes, copy_'s casting, and every
argument check with the words its message must carry (mutmut survivors of issue #25)."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.ops import shape as S

A = np.arange(24.0).reshape(2, 3, 4)


def _np(t):
    return t.detach().numpy()


def _x(requires_grad=False):
    return tt.tensor(A.copy(), requires_grad=requires_grad)


def _shares(a, b):
    return np.shares_memory(_np(a), _np(b))


# --- reshape, view, flatten, unflatten, ravel --------------------------------------------------


def test_reshape_forms_values_and_gradient():
    x = _x()
    for shape in ((6, 4), [6, 4], (6, -1), (-1, 4)):
        out = tt.reshape(x, shape)
        assert out.shape == (6, 4) and _shares(out, x)
        np.testing.assert_array_equal(_np(out), A.reshape(6, 4))
    assert tt.reshape(x, 4, 6).shape == (4, 6)
    assert tt.reshape(x, (tt.tensor(4), 6)).shape == (4, 6)
    assert x.reshape(-1).shape == (24,)
    assert tt.reshape(tt.tensor(np.array([5.0])), ()).shape == ()
    x = _x(True)
    tt.reshape(x, (4, 6)).backward(tt.tensor(np.arange(24.0).reshape(4, 6) * 2))
    np.testing.assert_array_equal(_np(x.grad), A * 2)


def test_reshape_errors():
    x = _x()
    with pytest.raises(
        RuntimeError,
        match=r"^reshape: invalid shape dimension in \[-2, 12\]; "
        r"sizes must be >= 0, or -1 .* shape \(2, 3, 4\)$",
    ):
        tt.reshape(x, (-2, 12))
    with pytest.raises(
        RuntimeError,
        match=r"^reshape: shape \[5, 5\] is invalid for input of "
        r"size 24 \(shape \(2, 3, 4\)\)$",
    ):
        tt.reshape(x, (5, 5))
    with pytest.raises(TypeError, match=r"^reshape: sizes must be ints, got \(2.0, 12\)$"):
        tt.reshape(x, (2.0, 12))
    with pytest.raises(TypeError, match="^reshape: sizes must be ints"):
        tt.reshape(x, (True, 24))


def test_view_is_reshape_named_view():
    x = _x(True)
    v = tt.view(x, 6, 4)
    assert v.shape == (6, 4) and v.grad_fn.name() == "ViewBackward"
    assert tt.reshape(x, 6, 4).grad_fn.name() == "ReshapeBackward"
    assert tt.view(x.detach(), 24).grad_fn is None


def test_flatten_and_unflatten():
    x = _x()
    assert tt.flatten(x).shape == (24,)
    assert tt.flatten(x, 1).shape == (2, 12)
    assert tt.flatten(x, 0, 1).shape == (6, 4)
    assert tt.flatten(x, -2, -1).shape == (2, 12)
    assert tt.flatten(x, 1, 1).shape == (2, 3, 4)
    np.testing.assert_array_equal(_np(tt.flatten(x, 1)), A.reshape(2, 12))
    assert tt.flatten(tt.tensor(3.0)).shape == (1,)
    with pytest.raises(RuntimeError, match="^flatten: start_dim 2 comes after end_dim 1$"):
        tt.flatten(x, 2, 1)
    y = tt.zeros(2, 12)
    assert tt.unflatten(y, 1, (3, 4)).shape == (2, 3, 4)
    assert tt.unflatten(y, 1, (3, -1)).shape == (2, 3, 4)
    assert tt.unflatten(y, -1, (-1, 2, 3)).shape == (2, 2, 2, 3)
    assert tt.unflatten(y, 0, [2, 1]).shape == (2, 1, 12)
    assert tt.unflatten(tt.zeros(2, 0), 1, (-1, 3)).shape == (2, 0, 3)
    np.testing.assert_array_equal(_np(tt.unflatten(tt.flatten(x, 1), 1, (3, 4))), A)
    with pytest.raises(
        RuntimeError,
        match=r"^unflatten: sizes \(5, 2\) don't multiply up to the "
        r"size of dim 1 \(12\) of a tensor of shape \(2, 12\)$",
    ):
        tt.unflatten(y, 1, (5, 2))
    with pytest.raises(RuntimeError, match=r"^unflatten: sizes \(5, 2\)"):
        tt.unflatten(y, 1, (5, -1))


def test_ravel():
    x = _x()
    out = tt.ravel(x)
    assert out.shape == (24,) and _shares(out, x)
    np.testing.assert_array_equal(_np(out), A.ravel())


# --- squeeze, unsqueeze ------------------------------------------------------------------------


def test_squeeze_forms():
    x = tt.zeros(1, 2, 1, 3)
    assert tt.squeeze(x).shape == (2, 3)
    assert tt.squeeze(x, 0).shape == (2, 1, 3)
    assert tt.squeeze(x, -2).shape == (1, 2, 3)
    assert tt.squeeze(x, 1).shape == (1, 2, 1, 3)  # size 2: kept
    assert tt.squeeze(x, (0, 2)).shape == (2, 3)
    assert tt.squeeze(x, (0, 1)).shape == (2, 1, 3)
    assert tt.squeeze(tt.tensor(1.0)).shape == ()
    with pytest.raises(IndexError, match="squeeze"):
        tt.squeeze(x, 4)


def test_unsqueeze_positions():
    x = _x()
    assert tt.unsqueeze(x, 0).shape == (1, 2, 3, 4)
    assert tt.unsqueeze(x, 3).shape == (2, 3, 4, 1)
    assert tt.unsqueeze(x, -1).shape == (2, 3, 4, 1)
    assert tt.unsqueeze(x, -4).shape == (1, 2, 3, 4)
    assert tt.unsqueeze(x, 1).shape == (2, 1, 3, 4)
    assert tt.unsqueeze(tt.tensor(1.0), 0).shape == (1,)
    for bad in (4, -5):
        with pytest.raises(IndexError, match="^unsqueeze: dim"):
            tt.unsqueeze(x, bad)


# --- permute, transpose, movedim ---------------------------------------------------------------


def test_permute_values_view_and_gradient():
    x = _x(True)
    out = tt.permute(x, (1, 2, 0))  # not its own inverse
    assert out.shape == (3, 4, 2) and _shares(out, x)
    np.testing.assert_array_equal(_np(out), A.transpose(1, 2, 0))
    assert tt.permute(x, 1, 2, 0).shape == (3, 4, 2)
    assert tt.permute(x, [-1, 0, 1]).shape == (4, 2, 3)
    g = np.arange(24.0).reshape(3, 4, 2)
    out.backward(tt.tensor(g))
    np.testing.assert_array_equal(_np(x.grad), g.transpose(2, 0, 1))


def test_permute_errors():
    x = _x()
    with pytest.raises(
        RuntimeError,
        match=r"^permute: number of dims 2 doesn't match the "
        r"tensor's 3 dimensions \(shape \(2, 3, 4\)\)$",
    ):
        tt.permute(x, (0, 1))
    with pytest.raises(RuntimeError, match=r"^permute: repeated dim in \(0, 1, -2\)$"):
        tt.permute(x, (0, 1, -2))
    with pytest.raises(IndexError, match="^permute: dim 3"):
        tt.permute(x, (0, 1, 3))


def test_transpose_swapaxes_and_0d():
    x = _x()
    out = tt.transpose(x, 0, 2)
    np.testing.assert_array_equal(_np(out), A.transpose(2, 1, 0))
    np.testing.assert_array_equal(_np(tt.transpose(x, -1, 1)), A.transpose(0, 2, 1))
    np.testing.assert_array_equal(_np(tt.swapaxes(x, 0, 1)), A.transpose(1, 0, 2))
    assert tt.transpose(x, 1, 1).shape == (2, 3, 4)
    s = tt.tensor(2.0)
    assert tt.transpose(s, 0, -1) is s
    for dims in ((0, 2), (1, 0)):  # PyTorch: a 0-d tensor has dims 0 and -1 only
        with pytest.raises(IndexError, match="^transpose: dim"):
            tt.transpose(s, *dims)


def test_movedim():
    x = _x()
    np.testing.assert_array_equal(_np(tt.movedim(x, 0, -1)), np.moveaxis(A, 0, -1))
    np.testing.assert_array_equal(_np(tt.movedim(x, -1, 0)), np.moveaxis(A, -1, 0))
    out = tt.movedim(x, (0, 1), (2, 0))
    assert out.shape == (3, 4, 2)
    np.testing.assert_array_equal(_np(out), np.moveaxis(A, (0, 1), (2, 0)))
    out = tt.movedim(x, [2, 0], [0, 1])
    np.testing.assert_array_equal(_np(out), np.moveaxis(A, (2, 0), (0, 1)))
    np.testing.assert_array_equal(_np(tt.moveaxis(x, 1, 2)), np.moveaxis(A, 1, 2))
    with pytest.raises(
        RuntimeError,
        match=r"^movedim: source \(0, 1\) and destination \(2,\) "
        r"must name as many dims$",
    ):
        tt.movedim(x, (0, 1), (2,))
    with pytest.raises(RuntimeError, match=r"^movedim: repeated dim in \(0, -3\) or \(1, 2\)$"):
        tt.movedim(x, (0, -3), (1, 2))
    with pytest.raises(RuntimeError, match=r"^movedim: repeated dim in \(0, 1\) or \(2, 2\)$"):
        tt.movedim(x, (0, 1), (2, 2))


# --- expand, broadcast_to, broadcast_tensors ---------------------------------------------------


def test_expand_and_broadcast_to_shapes():
    c = tt.tensor(np.array([[1.0], [2.0], [3.0]]))
    assert tt.expand(c, 2, 3, 4).shape == (2, 3, 4)
    assert tt.expand(c, (2, -1, 4)).shape == (2, 3, 4)
    assert tt.expand(c, -1, 4).shape == (3, 4)
    np.testing.assert_array_equal(_np(tt.expand(c, -1, 2)), [[1, 1], [2, 2], [3, 3]])
    assert tt.broadcast_to(tt.zeros(1), 3).shape == (3,)
    assert tt.broadcast_to(c, size=(3, 2)).shape == (3, 2)
    assert tt.broadcast_to(tt.zeros(3), (2, 3)).shape == (2, 3)


def test_expand_errors():
    v = tt.zeros(3)
    with pytest.raises(
        RuntimeError,
        match=r"^expand: the number of sizes \(1\) must be at least "
        r"the tensor's number of dimensions \(2\)",
    ):
        tt.expand(tt.zeros(3, 1), 3)
    with pytest.raises(
        RuntimeError,
        match=r"^expand: the size -1 isn't allowed in a leading, "
        r"non-existing dimension 0 \(sizes \(-1, 3\) for a tensor of shape \(3,\)"
        r"\)$",
    ):
        tt.expand(v, -1, 3)
    with pytest.raises(RuntimeError, match=r"dimension 1 \(sizes \(2, -1, 3\)"):
        tt.expand(v, 2, -1, 3)
    with pytest.raises(
        RuntimeError,
        match=r"^expand: the shape \(3,\) cannot be broadcast to "
        r"\(3, 2\); each size must match or be 1$",
    ):
        tt.expand(v, 3, 2)
    with pytest.raises(
        RuntimeError,
        match=r"^expand: the shape \(3,\) cannot be broadcast to "
        r"\(-2, 3\)",
    ):
        tt.broadcast_to(v, (-2, 3))
    with pytest.raises(TypeError, match="^expand: sizes must be ints"):
        tt.expand(v, 3.0)


def test_broadcast_views_writability_and_gradient():
    x = tt.tensor(np.array([[1.0, 2.0, 3.0]]))
    same = tt.broadcast_to(x, (1, 1, 3))  # nothing repeated: an ordinary writable view
    assert _shares(same, x) and same.numpy().flags.writeable
    rep = tt.broadcast_to(x, (2, 3))
    assert _shares(rep, x) and not rep.numpy().flags.writeable
    x = tt.tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    tt.broadcast_to(x, (3, 2, 4)).backward(tt.tensor(np.ones((3, 2, 4))))
    np.testing.assert_array_equal(_np(x.grad), [[12.0], [12.0]])


def test_broadcast_tensors():
    a, b, c = tt.broadcast_tensors(tt.zeros(3, 1), tt.zeros(1, 4), tt.tensor(np.array(5.0)))
    assert a.shape == b.shape == c.shape == (3, 4)
    np.testing.assert_array_equal(_np(c), np.full((3, 4), 5.0))
    with pytest.raises(
        RuntimeError,
        match=r"^broadcast_tensors: shapes \(3,\), \(4,\) do not "
        r"broadcast together; each dim must match or be 1$",
    ):
        tt.broadcast_tensors(tt.zeros(3), tt.zeros(4))


# --- clone, copy_ ------------------------------------------------------------------------------


def test_clone_copies_and_passes_the_gradient():
    x = _x(True)
    c = tt.clone(x)
    assert not _shares(c, x)
    np.testing.assert_array_equal(_np(c), A)
    (c * 3.0).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), np.full(A.shape, 3.0))


def test_copy_casts_broadcasts_and_routes_the_gradient():
    src = tt.tensor(np.array([1.5, 2.5], np.float32), requires_grad=True)
    dst = tt.zeros(3, 2, dtype=tt.float64, requires_grad=True)
    out = dst * 1.0
    out.copy_(src)
    assert out.dtype == tt.float64
    np.testing.assert_array_equal(_np(out), [[1.5, 2.5]] * 3)
    out.backward(tt.tensor(np.arange(6.0).reshape(3, 2)))
    assert src.grad.dtype == tt.float32  # back in the source's dtype
    np.testing.assert_array_equal(_np(src.grad), [6.0, 9.0])
    np.testing.assert_array_equal(_np(dst.grad), np.zeros((3, 2)))  # overwritten: no gradient
    ints = tt.zeros(2, dtype=tt.int64)
    ints.copy_(tt.tensor(np.array([1.7, -2.2])))
    np.testing.assert_array_equal(_np(ints), [1, -2])
    f = tt.zeros(2)
    f.copy_(3)
    np.testing.assert_array_equal(_np(f), [3.0, 3.0])
    with pytest.raises(
        RuntimeError,
        match=r"^copy_: source of shape \(3,\) cannot be broadcast to "
        r"the destination's shape \(2,\)$",
    ):
        tt.zeros(2).copy_(tt.zeros(3))


# --- narrow, select, narrow_copy ---------------------------------------------------------------


def test_narrow_bounds_and_values():
    x = _x()
    np.testing.assert_array_equal(_np(tt.narrow(x, 1, 1, 2)), A[:, 1:3])
    np.testing.assert_array_equal(_np(tt.narrow(x, 1, -1, 1)), A[:, 2:3])
    np.testing.assert_array_equal(_np(tt.narrow(x, -1, -4, 4)), A)
    assert tt.narrow(x, 1, 3, 0).shape == (2, 0, 4)
    assert tt.narrow(x, 1, 0, 3).shape == (2, 3, 4)
    assert _shares(tt.narrow(x, 2, 1, 2), x)
    for start in (4, -4):  # PyTorch: IndexError outside [-size, size]
        with pytest.raises(
            IndexError,
            match=rf"^narrow: start {start} is out of range for dim 1 "
            r"of size 3 \(expected -3 <= start <= 3\)$",
        ):
            tt.narrow(x, 1, start, 0)
    for start, length in ((2, 2), (0, -1), (-1, 2)):
        with pytest.raises(
            RuntimeError,
            match=rf"^narrow: start .* and length {length} do not "
            r"fit in dim 1 of size 3 \(shape \(2, 3, 4\)\); need 0 <= start and "
            r"start \+ length <= 3$",
        ):
            tt.narrow(x, 1, start, length)
    c = tt.narrow_copy(x, 2, 1, 2)
    assert not _shares(c, x)
    np.testing.assert_array_equal(_np(c), A[:, :, 1:3])


def test_select_bounds_values_and_gradient():
    x = _x()
    np.testing.assert_array_equal(_np(tt.select(x, 1, 2)), A[:, 2])
    np.testing.assert_array_equal(_np(tt.select(x, 1, -3)), A[:, 0])
    np.testing.assert_array_equal(_np(tt.select(x, -1, np.int64(1))), A[:, :, 1])
    assert _shares(tt.select(x, 0, 1), x)
    for bad in (3, -4, 1.0):
        with pytest.raises(
            IndexError,
            match=rf"^select\(\): index {bad} out of range for tensor "
            r"of size \[2, 3, 4\] at dimension 1$",
        ):
            tt.select(x, 1, bad)
    with pytest.raises(IndexError, match=r"^select\(\): cannot be applied to a 0-d tensor$"):
        tt.select(tt.tensor(1.0), 0, 0)
    x = _x(True)
    tt.select(x, 2, 3).backward(tt.tensor(np.ones((2, 3))))
    expect = np.zeros_like(A)
    expect[:, :, 3] = 1.0
    np.testing.assert_array_equal(_np(x.grad), expect)


# --- a non-tensor argument is refused with the op's name ---------------------------------------

_BAD = object()


@pytest.mark.parametrize(
    "name, call",
    [
        ("reshape", lambda: tt.reshape(_BAD, (1,))),
        ("reshape", lambda: tt.view(_BAD, 1)),
        ("flatten", lambda: tt.flatten(_BAD)),
        ("unflatten", lambda: tt.unflatten(_BAD, 0, (1,))),
        ("squeeze", lambda: tt.squeeze(_BAD)),
        ("unsqueeze", lambda: tt.unsqueeze(_BAD, 0)),
        ("permute", lambda: tt.permute(_BAD, (0,))),
        ("transpose", lambda: tt.transpose(_BAD, 0, 0)),
        ("transpose", lambda: tt.swapaxes(_BAD, 0, 0)),
        ("movedim", lambda: tt.movedim(_BAD, 0, 0)),
        ("expand", lambda: tt.expand(_BAD, 2)),
        ("broadcast_to", lambda: tt.broadcast_to(_BAD, (2,))),
        ("broadcast_tensors", lambda: tt.broadcast_tensors(tt.zeros(2), _BAD)),
        ("clone", lambda: S.clone(_BAD)),  # tt.clone checks its argument itself
        ("narrow", lambda: tt.narrow(_BAD, 0, 0, 1)),
        ("narrow_copy", lambda: tt.narrow_copy(_BAD, 0, 0, 1)),
        ("select", lambda: tt.select(_BAD, 0, 0)),
        ("ravel", lambda: tt.ravel(_BAD)),
    ],
)
def test_a_non_tensor_argument_names_the_op(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got object$"):
        call()


# --- an in-place change through a view rewrites its base's history -----------------------------


@pytest.mark.parametrize(
    "make_view",
    [
        lambda y: tt.reshape(y, (6, 4)),
        lambda y: tt.view(y, 24),
        lambda y: tt.permute(y, (2, 0, 1)),
        lambda y: tt.transpose(y, 0, 2),
        lambda y: tt.unsqueeze(y, 1),
        lambda y: tt.squeeze(tt.unsqueeze(y, 0)),
        lambda y: tt.broadcast_to(y, (1, 2, 3, 4)),
        lambda y: tt.movedim(y, 0, -1),
        lambda y: tt.flatten(y, 1),
    ],
)
def test_inplace_through_a_view_reaches_the_base_and_its_gradient(make_view):
    x = _x(True)
    y = x * 1.0
    v = make_view(y)
    assert _shares(v, y)
    before = y._version
    v.mul_(3.0)
    assert y._version > before
    np.testing.assert_array_equal(_np(y), A * 3.0)
    (y * y).sum().backward()  # y = 3x: d/dx (3x)^2 = 18x
    np.testing.assert_array_equal(_np(x.grad), 18.0 * A)


def test_a_view_made_without_grad_mode_still_shares_storage():
    x = _x()
    with tt.no_grad():
        v = tt.reshape(x, (6, 4))
    v.add_(1.0)
    np.testing.assert_array_equal(_np(x), A + 1.0)
