"""The Tensor (SPEC section 2): construction, attributes, conversions and the Python protocol.
In-place methods are in test_tensor_inplace.py, the repr in test_tensor_repr.py."""

import copy

import numpy as np
import pytest

import tinytensor as tt

# --- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, tt.float32),
        ([1.0, 2.0], tt.float32),
        ([1, 2.5], tt.float32),
        (3, tt.int64),
        ([[1, 2], [3, 4]], tt.int64),
        (True, tt.bool),
        ([True, False], tt.bool),
        ([], tt.float32),
        (np.float64(1.5), tt.float64),
        (np.int32(7), tt.int32),
        (np.array([1, 2], dtype=np.int16), tt.int16),
        (np.array([1.0], dtype=np.float16), tt.float16),
        (np.array([1.0], dtype=np.float64), tt.float64),
        (np.array([True]), tt.bool),
    ],
    ids=repr,
)
def test_default_dtypes(data, dtype):
    assert tt.tensor(data).dtype is dtype


@pytest.mark.torch
def test_default_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    for data in (1.5, [1, 2], True, [[1.0, 2.0]], np.array([1, 2], dtype=np.int32)):
        assert tt.tensor(data).dtype.name == str(torch.tensor(data).dtype).replace("torch.", "")


def test_set_default_dtype_changes_python_floats_and_float_creation():
    assert tt.get_default_dtype() is tt.float32
    try:
        tt.set_default_dtype(tt.float64)
        assert tt.tensor(1.5).dtype is tt.float64
        assert tt.zeros(2).dtype is tt.float64
        assert tt.randn(2).dtype is tt.float64
        assert (tt.tensor([1, 2]) * 0.5).dtype is tt.float64
        assert tt.tensor(3).dtype is tt.int64  # ints are untouched
        assert tt.tensor(np.ones(2, np.float32)).dtype is tt.float32  # arrays keep theirs
    finally:
        tt.set_default_dtype(tt.float32)
    assert tt.tensor(1.5).dtype is tt.float32
    with pytest.raises(TypeError, match="only floating dtypes"):
        tt.set_default_dtype(tt.int64)


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = tt.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    lst = [1, 2]
    u = tt.tensor(lst)
    lst[0] = 5
    assert u.tolist() == [1, 2]
    v = tt.tensor(t)
    t.add_(1.0)
    assert v.tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3)
    t = tt.from_numpy(a)
    a[0] = 5.0
    assert t[0].item() == 5.0
    t.add_(1.0)
    assert a.tolist() == [6.0, 1.0, 1.0]
    assert t.dtype is tt.float64
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray"):
        tt.from_numpy([1.0])


def test_tensor_of_tensors_and_explicit_dtype():
    assert tt.tensor([tt.tensor(1.0), tt.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert tt.tensor([1, 2], dtype=tt.float64).dtype is tt.float64
    assert tt.tensor([1.7, 2.2], dtype="int64").tolist() == [1, 2]
    assert tt.tensor([1, 0], dtype=bool).tolist() == [True, False]


def test_tensor_constructor_class_follows_torch_tensor():
    assert tt.Tensor([1, 2]).dtype is tt.float32  # always the default float dtype
    assert tt.Tensor(2, 3).shape == (2, 3)
    assert tt.Tensor().shape == (0,)


def test_bad_data_is_a_clear_error():
    with pytest.raises(ValueError, match="tensor\\(\\): could not build a tensor"):
        tt.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="tensor\\(\\): data must be numbers"):
        tt.tensor("abc")
    with pytest.raises(TypeError, match="complex numbers are not supported"):
        tt.tensor(1j)


def test_only_floating_tensors_may_require_grad():
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype"):
        tt.tensor([1, 2], requires_grad=True)
    x = tt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating point"):
        x.requires_grad_()
    assert not x.requires_grad
    assert tt.tensor([1.0], dtype=tt.float16, requires_grad=True).requires_grad


# --- attributes -----------------------------------------------------------------------------


def test_shape_attributes():
    x = tt.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and tt.numel(x) == 24
    assert x.dtype is tt.float32 and x.device == "cpu"
    assert x.T.shape == (4, 3, 2)
    assert x.mT.shape == (2, 4, 3)
    assert tt.zeros(3).T.shape == (3,)
    with pytest.raises(RuntimeError, match="mT: expected a tensor with 2 or more"):
        tt.zeros(3).mT
    with pytest.raises(IndexError, match="size: dim 3 is out of range"):
        x.size(3)


def test_data_shares_storage_and_is_detached():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    d.mul_(3.0)  # allowed: .data is outside the graph
    assert x.tolist() == [3.0, 6.0]


def test_grad_fn_repr_and_parents_are_reachable():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    b = tt.tensor([3.0, 4.0], requires_grad=True)
    c = a * b
    d = c.sum()
    assert repr(c.grad_fn) == "<MulBackward>" and repr(d.grad_fn) == "<SumBackward>"
    assert d.grad_fn.parents == (c.grad_fn,)
    assert c.grad_fn.parents == (a, b)
    assert [n for n, _ in c.grad_fn.next_functions] == [a, b]
    assert a.is_leaf and not c.is_leaf and c.requires_grad
    assert a.grad_fn is None and a.grad is None


def test_grad_of_leaf_after_backward():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, tt.Tensor) and x.grad.tolist() == [2.0, 4.0]
    assert not x.grad.requires_grad
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="assigned grad has shape"):
        x.grad = tt.zeros(3)


# --- conversions ----------------------------------------------------------------------------


def test_item_tolist_numpy():
    assert tt.tensor(2.5).item() == 2.5 and isinstance(tt.tensor(2.5).item(), float)
    assert tt.tensor([7]).item() == 7 and isinstance(tt.tensor([7]).item(), int)
    assert tt.tensor(True).item() is True
    assert tt.tensor([[1, 2]]).tolist() == [[1, 2]]
    x = tt.tensor([1.0, 2.0])
    assert x.numpy().dtype == np.float32 and np.shares_memory(x.numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
        x.item()


def test_numpy_of_a_tensor_that_requires_grad_hints_detach():
    x = tt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"requires grad.*\.detach\(\)\.numpy\(\)"):
        x.numpy()
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(x)
    assert x.detach().numpy().tolist() == [1.0]


def test_array_protocol():
    x = tt.tensor([1.0, 2.0])
    a = np.asarray(x)
    assert a.dtype == np.float32 and np.shares_memory(a, x.numpy())
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(x, copy=True), x.numpy())
    assert np.sum(x.numpy()) == 3.0


def test_dlpack_round_trips():
    x = tt.arange(6.0).reshape(2, 3)
    a = np.from_dlpack(x)
    assert np.shares_memory(a, x.numpy()) and a.shape == (2, 3)
    y = tt.from_dlpack(np.arange(3.0))
    assert y.tolist() == [0.0, 1.0, 2.0] and y.dtype is tt.float64
    assert x.__dlpack_device__() == np.arange(1).__dlpack_device__()
    with pytest.raises(RuntimeError, match="detach"):
        tt.ones(2, requires_grad=True).__dlpack__()


@pytest.mark.torch
def test_dlpack_with_torch_shares_memory():
    torch = pytest.importorskip("torch")
    x = tt.arange(4.0)
    t = torch.from_dlpack(x)
    t[0] = 10.0
    assert x[0].item() == 10.0
    back = tt.from_dlpack(torch.ones(2, dtype=torch.float64))
    assert back.dtype is tt.float64 and back.tolist() == [1.0, 1.0]


# --- Python protocol ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scalar", [2, 2.5, np.float64(2.5), np.float32(2.5), np.int64(2), True], ids=repr
)
def test_arithmetic_with_numbers_on_either_side(scalar):
    x = tt.tensor([1.0, 4.0], requires_grad=True)
    v = np.array([1.0, 4.0], dtype=np.float32)
    s = float(scalar)
    if scalar is True:  # PyTorch refuses a bool operand of a subtraction
        with pytest.raises(RuntimeError, match="bool"):
            x - scalar
        with pytest.raises(RuntimeError, match="bool"):
            scalar - x
    for ours, ref in [
        (x + scalar, v + s),
        (scalar + x, s + v),
        *([] if scalar is True else [(x - scalar, v - s), (scalar - x, s - v)]),
        (x * scalar, v * s),
        (scalar * x, s * v),
        (x / scalar, v / s),
        (scalar / x, s / v),
        (x**scalar, v**s),
        (scalar**x, s**v),
    ]:
        assert isinstance(ours, tt.Tensor) and ours.dtype is tt.float32
        assert ours.requires_grad
        np.testing.assert_allclose(ours.detach().numpy(), ref, rtol=1e-6)


def test_unary_operators_and_builtins():
    x = tt.tensor([-1.5, 2.0])
    assert (-x).tolist() == [1.5, -2.0]
    assert (+x) is x
    assert abs(x).tolist() == [1.5, 2.0]
    assert (x @ tt.tensor([2.0, 1.0])).item() == -1.0
    assert (~tt.tensor([True, False])).tolist() == [False, True]
    assert (tt.tensor([True]) & tt.tensor([False])).tolist() == [False]


def test_len_and_iteration_over_the_first_axis():
    x = tt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    assert len(x) == 3
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    sum(r.sum() for r in rows).backward()  # each row is a differentiable view
    assert x.grad.tolist() == [[1.0, 1.0]] * 3
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tt.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tt.tensor(1.0))


def test_float_int_bool_of_one_element():
    assert float(tt.tensor([2.5])) == 2.5
    assert int(tt.tensor(2.9)) == 2
    assert bool(tt.tensor([0.0])) is False and bool(tt.tensor(3)) is True
    assert [1, 2, 3][tt.tensor(1)] == 2  # __index__
    for convert in (float, int, bool):
        with pytest.raises(RuntimeError, match="more than one value|cannot be converted"):
            convert(tt.ones(2))


def test_bool_of_multi_element_tensor_is_ambiguous():
    with pytest.raises(RuntimeError, match=r"ambiguous \(shape \(2,\)\).*any\(\) or .all\(\)"):
        if tt.ones(2):
            pass


def test_hashing_is_by_identity():
    a, b = tt.ones(2), tt.ones(2)
    assert len({a, b}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert a in {a} and b not in {a}  # equal values, different tensors
    assert (a == None) is False and (a != None) is True  # noqa: E711


def test_deepcopy_copies_storage_and_keeps_requires_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.grad.tolist() == [2.0, 4.0]
    assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())


def test_conversions_between_dtypes():
    x = tt.tensor([1.7, -2.2], requires_grad=True)
    assert x.double().dtype is tt.float64
    assert x.half().dtype is tt.float16
    assert x.long().tolist() == [1, -2] and x.int().dtype is tt.int32
    assert x.bool().tolist() == [True, True]
    assert x.to(tt.float64).dtype is tt.float64 and x.to("cpu") is x
    assert x.float() is x
    assert x.type() == "tinytensor.FloatTensor"
    x.double().sum().backward()  # gradients flow through float casts
    assert x.grad.dtype is tt.float32 and x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_bool_of_an_empty_tensor_is_ambiguous_too():
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(tt.zeros(0))


def test_view_as_dtype_reinterprets_bytes_like_torch():
    x = tt.tensor([1.0, -2.0])
    bits = x.view(tt.int32)
    assert bits.tolist() == [1065353216, -1073741824]
    assert np.shares_memory(bits.numpy(), x.numpy())
    assert x.view(tt.int64).shape == (1,)
    assert x.view(2, 1).shape == (2, 1) and x.view((1, 2)).shape == (1, 2)
