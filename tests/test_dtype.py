"""dtypes (tinytensor/_dtype.py): the objects, their names, and PyTorch's promotion rules."""

import itertools

import numpy as np
import pytest

import tinytensor as tt

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_dtype_objects():
    assert tt.float32.is_floating_point and not tt.int64.is_floating_point
    assert tt.float32.itemsize == 4 and tt.float64.np == np.float64
    assert repr(tt.float16) == "tinytensor.float16" and str(tt.bool) == "tinytensor.bool"
    assert tt.float is tt.float32 and tt.double is tt.float64 and tt.long is tt.int64
    assert tt.half is tt.float16 and tt.int is tt.int32
    import pickle

    assert pickle.loads(pickle.dumps(tt.float64)) is tt.float64


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("float32", tt.float32),
        ("double", tt.float64),
        (np.int16, tt.int16),
        (float, tt.float32),
        (int, tt.int64),
        (bool, tt.bool),
        (np.dtype("uint8"), tt.uint8),
        (tt.int8, tt.int8),
    ],
)
def test_dtype_arguments_accept_names_numpy_and_python_types(spec, expected):
    assert tt.zeros(1, dtype=spec).dtype is expected


def test_unknown_dtypes_are_clear_errors():
    with pytest.raises(TypeError, match="unknown dtype name 'float128'"):
        tt.zeros(1, dtype="float128")
    with pytest.raises(TypeError, match="does not support NumPy dtype"):
        tt.tensor(np.array(["a"], dtype=object))


def _tensor(name, zero_dim):
    values = [1] if not zero_dim else 1
    return tt.tensor(values, dtype=getattr(tt, "bool" if name == "bool" else name))


@pytest.mark.torch
@pytest.mark.parametrize("a, b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_tensor_tensor_promotion_matches_torch(a, b):
    torch = pytest.importorskip("torch")
    for da, db in itertools.product([False, True], repeat=2):
        x, y = _tensor(a, da), _tensor(b, db)
        tx, ty = torch.from_numpy(x.numpy().copy()), torch.from_numpy(y.numpy().copy())
        ours = (x * y).dtype.name
        theirs = str((tx * ty).dtype).replace("torch.", "")
        assert ours == theirs, f"{a}{'(0-d)' if da else ''} * {b}{'(0-d)' if db else ''}"


@pytest.mark.torch
@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5, np.float64(2.5), np.int64(3)], ids=repr)
def test_tensor_scalar_promotion_matches_torch(name, scalar):
    torch = pytest.importorskip("torch")
    x = _tensor(name, False)
    tx = torch.from_numpy(x.numpy().copy())
    for ours, theirs in [(x * scalar, tx * scalar), (scalar * x, scalar * tx)]:
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize(
    "expr, dtype",
    [
        (lambda: tt.tensor([1, 2]) * 2.5, tt.float32),
        (lambda: tt.tensor([1.0, 2.0]) + tt.tensor(1.0, dtype=tt.float64), tt.float32),
        (lambda: tt.tensor([1, 2]) + tt.tensor(1.0, dtype=tt.float64), tt.float64),
        (lambda: tt.tensor([1, 2]) + tt.tensor([1.5, 2.5]), tt.float32),
        (lambda: tt.tensor([1, 2]) / tt.tensor([2, 4]), tt.float32),
        (lambda: tt.tensor([1, 2], dtype=tt.int32) + tt.tensor(5), tt.int32),
        (lambda: tt.tensor([True]) + 1, tt.int64),
        (lambda: tt.tensor([1.0], dtype=tt.float16) + 1.0, tt.float16),
        (lambda: tt.tensor([1.0], dtype=tt.float16) + tt.tensor([1.0]), tt.float32),
        (lambda: tt.tensor([1], dtype=tt.uint8) + tt.tensor([1], dtype=tt.int8), tt.int16),
    ],
    ids=[
        "int*float",
        "f32+f64_0d",
        "int+f64_0d",
        "int+f32",
        "int/int",
        "i32+i64_0d",
        "bool+int",
        "f16+float",
        "f16+f32",
        "u8+i8",
    ],
)
def test_promotion_examples(expr, dtype):
    assert expr().dtype is dtype


def test_promotion_under_a_float64_default():
    try:
        tt.set_default_dtype(tt.float64)
        assert (tt.tensor([1, 2]) * 2.5).dtype is tt.float64
        assert (tt.tensor([1, 2]) / 2).dtype is tt.float64
        assert (tt.tensor([1.0], dtype=tt.float32) * 2.5).dtype is tt.float32
    finally:
        tt.set_default_dtype(tt.float32)


def test_gradient_dtype_follows_each_input():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    b = tt.tensor([3.0, 4.0], dtype=tt.float64, requires_grad=True)
    out = a * b
    assert out.dtype is tt.float64
    out.sum().backward()
    assert a.grad.dtype is tt.float32 and b.grad.dtype is tt.float64
