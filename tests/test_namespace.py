"""Top-of-program pieces of the torch namespace: Size, finfo/iinfo, legacy constructors,
Variable, bitwise operators, thread counts, broadcast_shapes, set_printoptions, compile."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


def test_size_is_a_tuple_with_numel():
    s = tt.zeros(2, 3, 4).shape
    assert isinstance(s, tt.Size) and isinstance(s, tuple)
    assert s == (2, 3, 4) and s.numel() == 24 and s[1:] == tt.Size([3, 4])
    assert isinstance(s[1:], tt.Size) and tt.zeros(2, 3).size() == (2, 3)
    assert repr(tt.Size([2, 3])) == "tinytensor.Size([2, 3])"


@pytest.mark.parametrize(
    "dt,eps,bits",
    [(tt.float32, 2.0**-23, 32), (tt.float64, 2.0**-52, 64), (tt.float16, 2.0**-10, 16)],
)
def test_finfo_matches_ieee(dt, eps, bits):
    fi = tt.finfo(dt)
    assert fi.eps == eps and fi.bits == bits and fi.max == -fi.min
    assert fi.tiny == float(np.finfo(dt.np).smallest_normal)
    assert tt.finfo().bits == 32  # the default float dtype


def test_iinfo_and_errors():
    assert (tt.iinfo(tt.int8).min, tt.iinfo(tt.int8).max) == (-128, 127)
    assert tt.iinfo(tt.int64).max == 2**63 - 1 and tt.iinfo(tt.uint8).max == 255
    with pytest.raises(TypeError, match="iinfo"):
        tt.finfo(tt.int32)
    with pytest.raises(TypeError, match="finfo"):
        tt.iinfo(tt.float32)


def test_legacy_constructors():
    assert tt.LongTensor([1, 2]).dtype == tt.int64
    assert tt.FloatTensor([1, 2]).dtype == tt.float32
    assert tt.DoubleTensor(2, 3).shape == (2, 3) and tt.DoubleTensor(2, 3).dtype == tt.float64
    assert tt.BoolTensor([1, 0]).tolist() == [True, False]
    assert isinstance(tt.tensor([1, 2]), tt.LongTensor)
    assert not isinstance(tt.tensor([1.0]), tt.LongTensor)


def test_variable_is_the_tensor():
    t = tt.ones(2)
    v = tt.autograd.Variable(t, requires_grad=True)
    assert v is t and t.requires_grad and isinstance(t, tt.autograd.Variable)


# Bitwise operators on integers are bitwise (they were logical: t ^ t gave all False).
@pytest.mark.parametrize(
    "expr,expected",
    [
        ("t ^ t", [0, 0, 0, 0]),
        ("0x1337 ^ t", [0x1337 ^ v for v in (1, 2, 3, 12)]),
        ("t & 6", [v & 6 for v in (1, 2, 3, 12)]),
        ("t | 8", [v | 8 for v in (1, 2, 3, 12)]),
        ("t << 2", [v << 2 for v in (1, 2, 3, 12)]),
        ("t >> 1", [v >> 1 for v in (1, 2, 3, 12)]),
        ("~t", [~v for v in (1, 2, 3, 12)]),
        ("1 << t", [1 << v for v in (1, 2, 3, 12)]),
        ("t << 64", [0, 0, 0, 0]),
        ("-t >> 64", [-1, -1, -1, -1]),
    ],
)
def test_bitwise_integers(expr, expected):
    t = tt.tensor([1, 2, 3, 12])
    out = eval(expr, {"t": t})
    assert out.dtype == tt.int64 and out.tolist() == expected


def test_bitwise_bools_stay_bool_and_floats_refused():
    a, b = tt.tensor([True, False, True]), tt.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False] and (a ^ b).dtype == tt.bool
    with pytest.raises(NotImplementedError, match="bitwise_and"):
        tt.ones(2) & tt.ones(2)


def test_integer_overflow_wraps():
    x = tt.tensor([100], dtype=tt.int8)
    assert (x * 3).tolist() == [44] and (x << 2).tolist() == [-112]


def test_inplace_bitwise():
    t = tt.tensor([1, 2, 3])
    t ^= 1
    t <<= 1
    assert t.tolist() == [0, 6, 4]


def test_broadcast_shapes_and_predicates():
    assert tt.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        tt.broadcast_shapes((2,), (3,))
    assert tt.is_floating_point(tt.ones(1)) and not tt.is_floating_point(tt.tensor([1]))
    assert tt.is_nonzero(tt.tensor([2])) and not tt.is_nonzero(tt.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        tt.is_nonzero(tt.ones(2))


def test_compile_wraps_the_model_and_the_decorator_takes_keywords():
    m = tt.nn.Linear(2, 2)
    cm = tt.compile(m)
    assert isinstance(cm, tt.nn.Module) and cm._orig_mod is m and cm.weight is m.weight
    x = tt.ones(3, 2)
    assert np.array_equal(cm(x).detach().numpy(), m(x).detach().numpy())
    assert isinstance(tt.compile(mode="reduce-overhead")(len), tt.compiler.CompiledFunction)


def test_num_threads_round_trip():
    pytest.importorskip("threadpoolctl")
    before = tt.get_num_threads()
    tt.set_num_threads(1)
    assert tt.get_num_threads() == 1
    tt.set_num_threads(before)
    with pytest.raises(RuntimeError, match="positive"):
        tt.set_num_threads(0)


def test_set_printoptions():
    try:
        tt.set_printoptions(precision=2)
        assert repr(tt.tensor([1.23456])) == "tensor([1.23])"
        tt.set_printoptions(sci_mode=True)
        assert "e+00" in repr(tt.tensor([1.5]))
    finally:
        tt.set_printoptions(profile="default")
    assert repr(tt.tensor([1.23456])) == "tensor([1.2346])"
