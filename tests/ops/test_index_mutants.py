"""Indexing (tinytensor/ops/index.py) against NumPy oracles, fast and deterministic: every
branch of ``t[...]``/``t[...] = v`` (ints, negative ints, slices, lists, arrays, boolean masks,
0-d integer tensors, None, Ellipsis, PyTorch's ints-first order), their first and second
derivatives, the errors, and ``unravel_index``. Written so that a one-line bug in index.py
fails here without PyTorch."""

import numpy as np
import pytest

import tinytensor as tt

RNG = np.random.default_rng(25)
X = RNG.standard_normal((3, 4, 5))


def _grad_of_getitem(x, index, w):
    a = tt.tensor(x, requires_grad=True)
    (a[index] * tt.tensor(w)).sum().backward()
    return a.grad.numpy()


def _np_grad(x, index, w):
    """d/dx sum(x[index] * w): w scatter-added at index."""
    z = np.zeros_like(x)
    np.add.at(z, index, w)
    return z


BASIC = [
    1,
    -1,
    (0, 2),
    (-1, -2, -3),
    (slice(1, None), 2),
    (slice(None, None, -1),),
    (slice(None), slice(0, 4, 2), -2),
    (Ellipsis, 1),
    (None, 1, Ellipsis, None),
    (1, None, slice(1, 3)),
]

ADVANCED = [
    [0, 2, 2],
    [-1, 0],
    ([0, 2], [1, -1]),
    (slice(None), [3, 3, 0]),
    (Ellipsis, [4, 0, 4]),
    (np.array([[0, 1], [2, 2]]),),
    ([0, 1], slice(1, 3), [4, 4]),
    (range(2), [1, 1]),
]


@pytest.mark.parametrize("index", BASIC + ADVANCED, ids=repr)
def test_getitem_and_its_gradient_match_numpy(index):
    want = X[index]
    got = tt.tensor(X)[index]
    assert tuple(got.shape) == want.shape
    np.testing.assert_array_equal(got.numpy(), want)
    w = RNG.standard_normal(want.shape)
    np.testing.assert_allclose(_grad_of_getitem(X, index, w), _np_grad(X, index, w))


def test_tensor_indices_match_their_list_form_and_accumulate_repeats():
    i = tt.tensor([2, 0, 2, 2])
    a = tt.tensor(X, requires_grad=True)
    out = a[:, i]
    np.testing.assert_array_equal(out.detach().numpy(), X[:, [2, 0, 2, 2]])
    out.sum().backward()
    want = np.zeros_like(X)
    want[:, 2] = 3.0
    want[:, 0] = 1.0
    np.testing.assert_array_equal(a.grad.numpy(), want)


def test_boolean_mask_tensor_and_array_select_and_scatter_back():
    m = X > 0.2
    for mask in (tt.tensor(m), m, tt.tensor(m[:, :, 0])):
        want = X[mask.numpy() if isinstance(mask, tt.Tensor) else mask]
        a = tt.tensor(X, requires_grad=True)
        out = a[mask]
        np.testing.assert_array_equal(out.detach().numpy(), want)
        w = np.arange(want.size, dtype=float).reshape(want.shape) + 1
        (out * tt.tensor(w)).sum().backward()
        z = np.zeros_like(X)
        z[mask.numpy() if isinstance(mask, tt.Tensor) else mask] = w
        np.testing.assert_array_equal(a.grad.numpy(), z)


def test_mask_with_an_int_takes_torch_order():
    """x[0, mask] applies the int first: mask over the remaining dims."""
    m = np.array([True, False, True, True, False])
    out = tt.tensor(X)[1, :, m]
    np.testing.assert_array_equal(out.numpy(), X[1][:, m])
    a = tt.tensor(X, requires_grad=True)
    a[1, :, tt.tensor(m)].sum().backward()
    z = np.zeros_like(X)
    z[1][:, m] = 1.0
    np.testing.assert_array_equal(a.grad.numpy(), z)
    m2 = X[0] > 0
    np.testing.assert_array_equal(tt.tensor(X)[2, m2].numpy(), X[2][m2])


def test_ints_apply_before_advanced_indices_as_in_torch():
    x = np.arange(6.0).reshape(1, 2, 3)
    out = tt.tensor(x)[0, None, [0, 1, 1]]
    # PyTorch: the int first gives (2, 3), then [None, [0, 1, 1]] gives (1, 3, 3)
    assert tuple(out.shape) == (1, 3, 3)
    np.testing.assert_array_equal(out.numpy(), x[0][None, [0, 1, 1]])
    out2 = tt.tensor(np.ones((1, 1)))[0, None, [0, 0]]
    assert tuple(out2.shape) == (1, 2)
    y = np.arange(24.0).reshape(2, 3, 4)
    out3 = tt.tensor(y)[[1, 0], 1, ..., -1]
    np.testing.assert_array_equal(out3.numpy(), y[:, 1][[1, 0], ..., -1])
    out4 = tt.tensor(y)[..., [2, 0], np.int64(-1)]
    np.testing.assert_array_equal(out4.numpy(), y[..., -1][..., [2, 0]])
    a = tt.tensor(x, requires_grad=True)
    (a[0, None, [0, 1, 1]] * tt.tensor(np.arange(9.0).reshape(1, 3, 3))).sum().backward()
    z = np.zeros_like(x)
    np.add.at(z[0], (None, [0, 1, 1]), np.arange(9.0).reshape(1, 3, 3))
    np.testing.assert_array_equal(a.grad.numpy(), z)


def test_zero_dim_integer_tensor_indexes_as_its_int_and_reads_it_afresh():
    i = tt.tensor(2)
    a = tt.tensor(X, requires_grad=True)
    out = a[i]
    np.testing.assert_array_equal(out.detach().numpy(), X[2])
    out.sum().backward()
    z = np.zeros_like(X)
    z[2] = 1.0
    np.testing.assert_array_equal(a.grad.numpy(), z)
    np.testing.assert_array_equal(tt.tensor(X)[1, tt.tensor(-1)].numpy(), X[1, -1])
    np.testing.assert_array_equal(tt.tensor(X)[np.array(1), 0].numpy(), X[1, 0])
    # a 0-d int with a list: ints first
    np.testing.assert_array_equal(tt.tensor(X)[tt.tensor(1), [0, 3]].numpy(), X[1][[0, 3]])
    # a 0-d int tensor gives a view, as an int does
    b = tt.tensor(X.copy())
    v = b[tt.tensor(0)]
    v.add_(1.0)
    np.testing.assert_array_equal(b.numpy()[0], X[0] + 1.0)


def test_all_int_index_gives_a_zero_dim_view_that_writes_through():
    b = tt.tensor(X.copy())
    v = b[1, 2, 3]
    assert tuple(v.shape) == ()
    assert v.item() == X[1, 2, 3]
    v.fill_(7.0)
    assert b.numpy()[1, 2, 3] == 7.0
    assert b._version == v._version


def test_basic_index_is_a_view_sharing_the_version_advanced_is_a_copy():
    b = tt.tensor(X.copy())
    v = b[1:, 0]
    before = b._version
    v.mul_(0.0)
    assert b._version > before
    np.testing.assert_array_equal(b.numpy()[1:, 0], 0.0)
    c = tt.tensor(X.copy())
    w = c[[1, 2], 0]
    w.mul_(0.0)
    np.testing.assert_array_equal(c.numpy(), X)


def test_list_index_is_a_private_copy():
    idx = [0, 2]
    arr = np.array([1, 1])
    a = tt.tensor(X, requires_grad=True)
    out = a[idx, arr]
    idx[0] = 1
    arr[0] = 3
    out.sum().backward()
    z = np.zeros_like(X)
    z[[0, 2], [1, 1]] = 1.0
    np.testing.assert_array_equal(a.grad.numpy(), z)
    np.testing.assert_array_equal(out.detach().numpy(), X[[0, 2], [1, 1]])


def test_empty_list_selects_nothing_with_int64():
    out = tt.tensor(X)[[]]
    assert tuple(out.shape) == (0, 4, 5)
    out2 = tt.tensor(X)[:, ()]
    assert tuple(out2.shape) == (3, 0, 5)


def test_second_order_getitem_and_its_backward():
    for index in ((1, slice(0, 3)), ([0, 0, 2], slice(None), [1, 4, 1]), X > 0):
        a = tt.tensor(X, requires_grad=True)
        w = tt.tensor(RNG.standard_normal(X[index].shape), requires_grad=True)
        (g,) = tt.autograd.grad((a[index] ** 2 * w).sum(), a, create_graph=True)
        z = np.zeros_like(X)
        np.add.at(z, index, 2 * X[index] * w.detach().numpy())
        np.testing.assert_allclose(g.detach().numpy(), z)
        # d/dw sum(g * c) = sum over index of 2 x c[index]
        c = RNG.standard_normal(X.shape)
        (gw,) = tt.autograd.grad((g * tt.tensor(c)).sum(), w)
        np.testing.assert_allclose(gw.numpy(), 2 * X[index] * c[index])


def test_index_backward_is_differentiable_in_the_cotangent():
    a = tt.tensor(X, requires_grad=True)
    out = a[[2, 2, 0], 1]
    g = tt.tensor(np.ones(out.shape), requires_grad=True)
    (ga,) = tt.autograd.grad(out, a, g, create_graph=True)
    c = RNG.standard_normal(X.shape)
    (gg,) = tt.autograd.grad((ga * tt.tensor(c)).sum(), g)
    np.testing.assert_allclose(gg.numpy(), c[[2, 2, 0], 1])
    b = tt.tensor(X, requires_grad=True)
    out = b[1:, ::2]
    g = tt.tensor(np.ones(out.shape), requires_grad=True)
    (gb,) = tt.autograd.grad(out, b, g, create_graph=True)
    (gg,) = tt.autograd.grad((gb * tt.tensor(c)).sum(), g)
    np.testing.assert_allclose(gg.numpy(), c[1:, ::2])


# --- setitem ----------------------------------------------------------------------------------

SET = [
    (1, 5.0),
    ((slice(None), -1), np.arange(15.0).reshape(3, 5)),
    (([0, 2], [1, 3]), np.array([[1.0], [2.0]]) + np.zeros((2, 5))),
    ((0, [1, 3]), np.arange(10.0).reshape(2, 5)),
    ((Ellipsis, [0, 4]), -1.5),
    ((X > 0.5,), 9.0),
    ((slice(None), 1, [4, 0]), np.array([[1.0, 2.0]] * 3)),
]


def _np_set(x, index, v, first=None):
    out = x.copy()
    out[index] = v
    return out


@pytest.mark.parametrize(("index", "value"), SET, ids=repr)
def test_setitem_matches_numpy_and_its_gradients(index, value):
    want = _np_set(X, index, value)
    a = tt.tensor(X.copy())
    a[index] = value
    np.testing.assert_array_equal(a.numpy(), want)
    # differentiable in base and value
    base = tt.tensor(X, requires_grad=True)
    region = X[index]
    vshape = np.shape(value)
    v = tt.tensor(np.broadcast_to(np.asarray(value, dtype=float), vshape).copy(),
                  requires_grad=True)  # fmt: skip
    c = base * 1.0
    c[index] = v
    w = RNG.standard_normal(X.shape)
    (c * tt.tensor(w)).sum().backward()
    gbase = w.copy()
    gbase[index] = 0.0
    np.testing.assert_array_equal(base.grad.numpy(), gbase)
    # dv = w[index] summed to v's shape
    wr = w[index]
    gv = np.broadcast_to(wr, region.shape)
    extra = gv.ndim - len(vshape)
    gv = gv.sum(axis=tuple(range(extra))) if extra else gv
    for k, n in enumerate(vshape):
        if n == 1 and gv.shape[k] != 1:
            gv = gv.sum(axis=k, keepdims=True)
    np.testing.assert_allclose(v.grad.numpy(), gv)


def test_setitem_ints_first_writes_through_the_right_place():
    x = np.zeros((2, 3, 4))
    a = tt.tensor(x)
    a[1, [0, 2], -1] = tt.tensor([5.0, 6.0], dtype=tt.float64)
    want = x.copy()
    want[1, [0, 2], -1] = [5.0, 6.0]
    np.testing.assert_array_equal(a.numpy(), want)
    b = tt.tensor(x)
    b[0, None, [1, 1]] = 3.0
    want = x.copy()
    want[0, [1]] = 3.0
    np.testing.assert_array_equal(b.numpy(), want)


def test_setitem_with_a_zero_dim_index_tensor():
    a = tt.tensor(np.zeros((3, 2)))
    a[tt.tensor(-1)] = tt.tensor([1.0, 2.0])
    np.testing.assert_array_equal(a.numpy(), [[0, 0], [0, 0], [1, 2]])


def test_setitem_value_forms_and_dtypes():
    a = tt.tensor(np.zeros(4))
    a[[0, 1]] = [1, 2]
    a[2] = True
    a[3] = np.float32(0.5)
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0, 1.0, 0.5])
    assert a.dtype == tt.float64
    i = tt.tensor(np.zeros(3, np.int64))
    i[1] = tt.tensor(2.7)
    i[2] = 3
    assert i.dtype == tt.int64
    np.testing.assert_array_equal(i.numpy(), [0, 2, 3])
    f = tt.tensor(np.zeros(2, np.float32))
    f[0] = tt.tensor(1.25, dtype=tt.float64)
    assert f.dtype == tt.float32
    assert f.numpy()[0] == 1.25


def test_setitem_bumps_the_version_and_value_unchanged():
    v = np.array([1.0, 2.0])
    a = tt.tensor(np.zeros((2, 2)))
    before = a._version
    a[0] = v
    assert a._version == before + 1
    v[0] = 99.0
    np.testing.assert_array_equal(a.numpy(), [[1, 2], [0, 0]])


def test_setitem_value_gradient_only_where_needed():
    base = tt.tensor(np.zeros(3))
    v = tt.tensor(2.0, dtype=tt.float64, requires_grad=True)
    c = base * 1.0
    c[[0, 2, 0]] = v
    (c * tt.tensor([1.0, 10.0, 100.0])).sum().backward()
    # v is broadcast to 3 places; the index 0 twice: PyTorch sums all 3 slots
    assert v.grad.item() == 1.0 + 100.0 + 1.0
    a = tt.tensor(np.ones(3), requires_grad=True)
    c = a * 2.0
    c[1] = 0.0
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 0.0, 2.0])


def test_setitem_second_order_in_the_value():
    v = tt.tensor([1.5, -2.0], dtype=tt.float64, requires_grad=True)
    a = tt.tensor(np.zeros(4))
    c = a * 1.0
    c[[3, 1]] = v**2
    (g,) = tt.autograd.grad((c * tt.tensor([1.0, 2.0, 3.0, 4.0])).sum(), v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [2 * 1.5 * 4.0, 2 * -2.0 * 2.0])
    (h,) = tt.autograd.grad(g.sum(), v)
    np.testing.assert_allclose(h.numpy(), [8.0, 4.0])


# --- errors -----------------------------------------------------------------------------------


def test_float_tensor_index_raises():
    with pytest.raises(IndexError, match="long, int, byte or bool tensors, got float32"):
        tt.tensor(X)[tt.tensor([0.0, 1.0])]


def test_float_list_index_raises():
    with pytest.raises(IndexError, match="floats"):
        tt.tensor(X)[[0.0, 1.0]]


def test_other_index_type_raises_naming_it():
    with pytest.raises(IndexError, match="got str"):
        tt.tensor(X)["a"]
    with pytest.raises(IndexError, match="got float"):
        tt.tensor(X)[1.5]


def test_out_of_range_index_names_the_index_and_shape():
    with pytest.raises(IndexError, match=r"index 7 is invalid for a tensor of shape \(3, 4, 5\)"):
        tt.tensor(X)[7]
    with pytest.raises(IndexError, match=r"shape \(3, 4, 5\)"):
        tt.tensor(X)[[0, 3]]
    with pytest.raises(IndexError, match=r"shape \(3, 4, 5\)"):
        tt.tensor(X)[tt.tensor(3)]
    a = tt.tensor(X.copy())
    with pytest.raises(IndexError, match=r"shape \(3, 4, 5\)"):
        a[5] = 1.0
    np.testing.assert_array_equal(a.numpy(), X)


def test_setitem_broadcast_error_names_shapes_and_leaves_the_tensor():
    a = tt.tensor(X.copy())
    before = a._version
    with pytest.raises(RuntimeError, match=r"setitem: value of shape \(3,\) .* shape \(3, 4, 5\)"):
        a[0] = tt.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"value of shape \(2,\)"):
        a[0, 0] = [1.0, 2.0]
    np.testing.assert_array_equal(a.numpy(), X)
    assert a._version == before


# --- unravel_index ----------------------------------------------------------------------------


def test_unravel_index_matches_numpy_with_negative_indices():
    idx = np.array([[0, 5, 23], [-1, -24, 11]])
    got = tt.unravel_index(tt.tensor(idx), (2, 3, 4))
    want = np.unravel_index(idx % 24, (2, 3, 4))
    assert len(got) == 3
    for g, w in zip(got, want):
        assert g.dtype == tt.int64
        np.testing.assert_array_equal(g.numpy(), w)
    (flat,) = tt.unravel_index(tt.tensor([4, -2]), 6)
    np.testing.assert_array_equal(flat.numpy(), [4, 4])
    r, c = tt.unravel_index(tt.tensor(7), tt.Size([3, 4]))
    assert (r.item(), c.item()) == (1, 3)
    (e,) = tt.unravel_index(tt.tensor(np.zeros(0, np.int64)), (0,))
    assert tuple(e.shape) == (0,)


def test_unravel_index_errors():
    with pytest.raises(TypeError, match="unravel_index: expected integer"):
        tt.unravel_index(tt.tensor([1.0]), (2, 2))
    with pytest.raises(RuntimeError, match=r"out of bounds for shape \(2, 2\) \(4 elements\)"):
        tt.unravel_index(tt.tensor([4]), (2, 2))
    with pytest.raises(RuntimeError, match="out of bounds"):
        tt.unravel_index(tt.tensor([-5]), (2, 2))
    # the bounds are exact
    r, c = tt.unravel_index(tt.tensor([3, -4]), (2, 2))
    np.testing.assert_array_equal(r.numpy(), [1, 0])
    np.testing.assert_array_equal(c.numpy(), [1, 0])


def test_unravel_index_names_itself_and_a_single_cell_shape():
    with pytest.raises(TypeError, match="unravel_index: expected a Tensor"):
        tt.unravel_index("ab", (2,))
    r, c = tt.unravel_index(tt.tensor([0, -1]), (1, 1))
    np.testing.assert_array_equal(r.numpy(), [0, 0])
    np.testing.assert_array_equal(c.numpy(), [0, 0])


def test_compiled_unravel_index_reads_its_indices_on_every_call():
    f = tt.compile(lambda i: tt.unravel_index(i, (3, 4)), fullgraph=True)
    for k in ([1, 5], [11, 0], [-1, 7]):
        got = f(tt.tensor(k))
        want = np.unravel_index(np.array(k) % 12, (3, 4))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)
    assert f.traces == 1


def test_compiled_zero_dim_index_in_getitem_and_setitem_is_read_on_every_call():
    def f(x, i):
        y = x * 1.0
        y[i] = 0.0
        return y[i - 1] + x[i]

    compiled = tt.compile(f, fullgraph=True)
    for k in (1, 2, 0):
        got = compiled(tt.tensor(X), tt.tensor(k))
        y = X.copy()
        y[k] = 0.0
        np.testing.assert_array_equal(got.numpy(), y[k - 1] + X[k])
    assert compiled.traces == 1


def test_node_attrs_hold_the_ints_a_zero_dim_index_held():
    y = tt.tensor(X, requires_grad=True)
    out = y[tt.tensor(1), 0]
    assert out.grad_fn.attrs["index"] == (1, 0)
    assert all(type(v) is int for v in out.grad_fn.attrs["index"])
    out = y[1, 0:2]
    assert out.grad_fn.attrs["index"] == (1, slice(0, 2))


def test_compiled_program_reads_captured_index_tensors_changed_in_place():
    """A tensor the function captures (not an argument) reaches the tracer only as an op's
    input: a 0-d index and unravel_index's indices, changed between calls."""
    x = tt.tensor(np.arange(12.0).reshape(3, 4))
    i = tt.tensor(1)
    f = tt.compile(lambda y: y[i] * 2, fullgraph=True)
    np.testing.assert_array_equal(f(x).numpy(), np.arange(4.0, 8.0) * 2)
    i.fill_(2)
    np.testing.assert_array_equal(f(x).numpy(), np.arange(8.0, 12.0) * 2)
    j = tt.tensor([5, 7])
    g = tt.compile(lambda y: tt.unravel_index(j, (3, 4))[0] + y, fullgraph=True)
    np.testing.assert_array_equal(g(tt.tensor(0)).numpy(), [1, 1])
    j.fill_(11)
    np.testing.assert_array_equal(g(tt.tensor(0)).numpy(), [2, 2])
