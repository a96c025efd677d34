"""A source tensor of another dtype than the input: the scattering ops (scatter, scatter_add,
scatter_reduce, index_add, index_copy, index_reduce, masked_scatter, put, index_put and their
in-place forms) raise RuntimeError as PyTorch 2.13 does, naming the op, both dtypes and the fix,
and change nothing; a number (and index_fill's 0-d value tensor) is converted, as in PyTorch."""

import numpy as np
import pytest

import tinytensor as tt

IDX = [0, 2]
MASK = [True, False, True]


def _calls(lib, x, src):
    """name -> a call writing ``src`` (2 elements, or 3 for masked_scatter) into ``x`` (3,)."""
    i = lib.tensor(IDX)
    return {
        "scatter": lambda: x.scatter(0, i, src),
        "scatter_": lambda: x.scatter_(0, i, src),
        "scatter_reduce_add": lambda: x.scatter_(0, i, src, reduce="add"),
        "scatter_add": lambda: x.scatter_add(0, i, src),
        "scatter_add_": lambda: x.scatter_add_(0, i, src),
        "scatter_reduce": lambda: x.scatter_reduce(0, i, src, "sum"),
        "scatter_reduce_": lambda: x.scatter_reduce_(0, i, src, "amin"),
        "index_add": lambda: x.index_add(0, i, src),
        "index_add_": lambda: x.index_add_(0, i, src),
        "index_copy": lambda: x.index_copy(0, i, src),
        "index_copy_": lambda: x.index_copy_(0, i, src),
        "index_reduce": lambda: x.index_reduce(0, i, src, "prod"),
        "index_reduce_": lambda: x.index_reduce_(0, i, src, "amin"),
        "put": lambda: x.put(i, src),
        "put_": lambda: x.put_(i, src, accumulate=True),
        "index_put": lambda: x.index_put((i,), src),
        "index_put_": lambda: x.index_put_((i,), src, accumulate=True),
        "index_put_mask": lambda: x.index_put_((lib.tensor(MASK),), src),
        "masked_scatter": lambda: x.masked_scatter(lib.tensor(MASK), src),
        "masked_scatter_": lambda: x.masked_scatter_(lib.tensor(MASK), src),
        "fn_scatter": lambda: lib.scatter(x, 0, i, src),
        "fn_index_add": lambda: lib.index_add(x, 0, i, src),
        "fn_index_put_": lambda: lib.index_put_(x, (i,), src),
    }


NAMES = list(_calls(tt, tt.zeros(3), tt.ones(2)))
# (input dtype, source dtype) pairs that differ
PAIRS = [("float32", "float64"), ("int64", "float32"), ("float64", "int64"), ("int32", "int64")]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pair", PAIRS, ids="<-".join)
def test_a_source_of_another_dtype_raises_and_changes_nothing(name, pair):
    x = tt.tensor([5, 6, 7], dtype=getattr(tt, pair[0]))
    src = tt.tensor([1, 2, 3], dtype=getattr(tt, pair[1]))[: 3 if "masked" in name else 2]
    op = name.removeprefix("fn_").removesuffix("_mask").removesuffix("_reduce_add")
    op = op.rstrip("_")  # the message names the out-of-place op
    with pytest.raises(RuntimeError) as e:
        _calls(tt, x, src)[name]()
    msg = str(e.value)
    assert msg.startswith(op + ":"), msg
    assert str(x.dtype) in msg and str(src.dtype) in msg and ".to(" in msg, msg
    assert x.tolist() == [5, 6, 7] and x.dtype == getattr(tt, pair[0]) and x._version == 0


@pytest.mark.parametrize("name", NAMES)
def test_a_source_of_the_same_dtype_is_written(name):
    x, src = tt.tensor([5.0, 6.0, 7.0]), tt.tensor([1.0, 2.0, 3.0])
    src = src[: 3 if "masked" in name else 2]
    out = _calls(tt, x, src)[name]()
    assert out.dtype == tt.float32 and out.tolist() != [5.0, 6.0, 7.0]


def test_numbers_are_converted_to_the_input_dtype():
    i = tt.tensor(IDX)
    x = tt.zeros(3, dtype=tt.int64)
    assert x.scatter(0, i, 2.7).tolist() == [2, 0, 2]
    assert x.scatter(0, i, value=tt.tensor(2.7)).tolist() == [2, 0, 2]
    assert tt.zeros(3).scatter_(0, i, value=tt.tensor(2)).tolist() == [2.0, 0.0, 2.0]
    assert x.index_fill(0, i, tt.tensor(3.5, dtype=tt.float64)).tolist() == [3, 0, 3]
    assert x._version == 0


def test_scatter_value_must_be_a_number():
    with pytest.raises(TypeError, match=r"scatter: value must be a number .* shape \(2,\)"):
        tt.zeros(3).scatter(0, tt.tensor(IDX), value=tt.ones(2))


def test_index_reduce_names_itself():
    with pytest.raises(RuntimeError, match=r"^index_reduce: .*float32 \(self\).*int64 \(source\)"):
        tt.zeros(3).index_reduce(0, tt.tensor(IDX), tt.tensor([1, 2]), "mean")


@pytest.mark.torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pair", PAIRS + [("float32",) * 2, ("int64",) * 2], ids="<-".join)
def test_matches_torch(name, pair):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tt):
        x = lib.tensor([5, 6, 7], dtype=getattr(lib, pair[0]))
        src = lib.tensor([1, 2, 3], dtype=getattr(lib, pair[1]))[: 3 if "masked" in name else 2]
        try:
            with np.errstate(all="ignore"):
                out = _calls(lib, x, src)[name]()
            results.append(("ok", out.tolist(), str(out.dtype).split(".")[-1], x.tolist()))
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            results.append((type(e).__name__, None, None, x.tolist()))
    assert results[0] == results[1]


@pytest.mark.torch
def test_numbers_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        i = lib.tensor(IDX)
        x = lib.zeros(3, dtype=lib.int64)
        got = [
            x.scatter(0, i, 2.7).tolist(),
            x.scatter(0, i, value=lib.tensor(2.7)).tolist(),
            x.index_fill(0, i, lib.tensor(3.5, dtype=lib.float64)).tolist(),
        ]
        assert got == [[2, 0, 2], [2, 0, 2], [3, 0, 3]]
    with pytest.raises(TypeError):
        torch.zeros(3).scatter(0, torch.tensor(IDX), value=torch.ones(2))


# --- index_reduce's negative indices: an IndexError, as PyTorch (not counted from the end) ---


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("bad", [-1, -3, 3])
def test_index_reduce_refuses_negative_indices_and_changes_nothing(reduce, bad):
    x = tt.tensor([[1.0, 2.0, 3.0]] * 2)
    with pytest.raises(IndexError, match=rf"^index_reduce: index {bad} is out of range .*\[0, 3\)"):
        x.index_reduce_(1, tt.tensor([0, bad]), tt.ones(2, 2), reduce)
    assert x.tolist() == [[1.0, 2.0, 3.0]] * 2 and x._version == 0
    with pytest.raises(IndexError, match=rf"index {bad} is out of range for dim 0 of size 1"):
        tt.tensor(2.0).index_reduce(0, tt.tensor([bad]), tt.tensor(3.0), reduce)


@pytest.mark.torch
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("index", [[-1, 0], [-3, 2], [0, 2], [2, 2]])
def test_index_reduce_indices_match_torch(reduce, index):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tt):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        try:
            out = x.index_reduce(1, lib.tensor(index), lib.tensor([[2.0, 7.0]] * 2), reduce)
            results.append(out.tolist())
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            results.append(type(e).__name__)
    assert results[0] == results[1]


# --- index_put with one bool mask and a one-element value: PyTorch's masked_fill, converted ---


def test_index_put_of_one_element_through_a_mask_converts_it():
    m = tt.tensor([True, False, True])
    x = tt.zeros(3, 2)
    out = x.index_put((m,), tt.tensor(2.5, dtype=tt.float64))
    assert out.dtype == tt.float32 and out.tolist() == [[2.5, 2.5], [0, 0], [2.5, 2.5]]
    assert tt.zeros(3, dtype=tt.int64).index_put_((m,), tt.tensor([2.7])).tolist() == [2, 0, 2]
    v = tt.tensor(2.5, dtype=tt.float64, requires_grad=True)
    w = tt.zeros(3, requires_grad=True)
    y = (w * 1).index_put((m,), v)
    (y * tt.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.dtype == tt.float64 and float(v.grad) == 4.0 and w.grad.tolist() == [0, 2, 0]
    for bad in (
        lambda: x.index_put_((m,), tt.tensor(2.5, dtype=tt.float64), accumulate=True),
        lambda: x.index_put_((m,), tt.tensor([1.0, 2.0], dtype=tt.float64)),
        lambda: x.index_put_((tt.tensor([0]),), tt.tensor(2.5, dtype=tt.float64)),
    ):
        with pytest.raises(RuntimeError, match="^index_put: expected self and values"):
            bad()
    assert x.tolist() == [[0, 0]] * 3 and x._version == 0


@pytest.mark.torch
def test_index_put_through_a_mask_matches_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda L, m: L.zeros(3, 2).index_put((m,), L.tensor(2.5, dtype=L.float64)),
        lambda L, m: L.zeros(3).index_put_((m,), L.tensor([7], dtype=L.int64)),
        lambda L, m: L.zeros(3).index_put_((m,), L.tensor(2.5, dtype=L.float64), True),
        lambda L, m: L.zeros(3).index_put_((m,), L.tensor([1.0, 2.0], dtype=L.float64)),
        lambda L, m: L.zeros(3).index_put_((L.tensor([1]),), L.tensor(2.5, dtype=L.float64)),
    ]
    for k, call in enumerate(calls):
        got = []
        for lib in (torch, tt):
            try:
                out = call(lib, lib.tensor([True, False, True]))
                got.append((out.tolist(), str(out.dtype).split(".")[-1]))
            except Exception as e:  # noqa: BLE001 - the class is what is compared
                got.append(type(e).__name__)
        assert got[0] == got[1], k
