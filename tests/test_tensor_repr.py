"""repr like PyTorch's (tinytensor/_format.py): the same text, with ``torch.`` -> ``tinytensor.``
and tinytensor's node names, for every dtype, shape and value range the formatter branches on."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytensor as tt
from tinytensor.testing import strategies as tst


def test_examples_from_the_spec():
    assert repr(tt.tensor([1.0, 2.0], requires_grad=True)) == (
        "tensor([1., 2.], requires_grad=True)"
    )
    x = tt.tensor(1.5, requires_grad=True)
    assert repr(x * 2) == "tensor(3., grad_fn=<MulBackward>)"
    assert repr(tt.tensor([0.5301, -1.6349])) == "tensor([ 0.5301, -1.6349])"


@pytest.mark.parametrize(
    "values, expected",
    [
        ([1, 2, 3], "tensor([1, 2, 3])"),
        ([True, False], "tensor([ True, False])"),
        ([1.0, float("nan"), -float("inf")], "tensor([1., nan, -inf])"),
        ([1e-5, 1.0], "tensor([1.0000e-05, 1.0000e+00])"),
        ([0.0, 0.0], "tensor([0., 0.])"),
        ([], "tensor([])"),
        (3, "tensor(3)"),
    ],
)
def test_known_reprs(values, expected):
    assert repr(tt.tensor(values)) == expected


def test_dtype_suffix_empty_and_grad_fn():
    assert repr(tt.tensor([1.0, 2.0], dtype=tt.float64)) == (
        "tensor([1., 2.], dtype=tinytensor.float64)"
    )
    assert repr(tt.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tt.zeros(0, dtype=tt.int64)) == "tensor([], dtype=tinytensor.int64)"
    assert repr(tt.tensor([1, 2], dtype=tt.int32)) == "tensor([1, 2], dtype=tinytensor.int32)"
    y = tt.ones(2, requires_grad=True).sum()
    assert repr(y) == "tensor(2., grad_fn=<SumBackward>)"


def test_default_dtype_decides_which_dtype_is_shown():
    try:
        tt.set_default_dtype(tt.float64)
        assert repr(tt.tensor([1.5])) == "tensor([1.5000])"
        assert repr(tt.tensor([1.5], dtype=tt.float32)) == (
            "tensor([1.5000], dtype=tinytensor.float32)"
        )
    finally:
        tt.set_default_dtype(tt.float32)


def _torch_repr(torch, arr, requires_grad=False):
    t = torch.tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return _suffixes_inline(repr(t).replace("torch.", "tinytensor."))


def _suffixes_inline(text):
    """The name "tinytensor." is longer than "torch.", so a suffix may wrap in one repr and not
    in the other; compare with every suffix on the line it follows."""
    return re.sub(r",\n *(dtype=|size=|requires_grad=|grad_fn=)", r", \1", text)


def test_a_long_suffix_wraps_like_torch():
    x = tt.tensor([0.0, 0.0, 0.0, 1e-5], dtype=tt.float64)
    assert repr(x) == (
        "tensor([0.0000e+00, 0.0000e+00, 0.0000e+00, 1.0000e-05],\n       dtype=tinytensor.float64)"
    )


FIXED = [
    np.arange(2000, dtype=np.float32).reshape(40, 50),  # summarised, integral
    np.linspace(-1, 1, 1500).reshape(3, 500),  # summarised, float64
    np.arange(3000, dtype=np.uint8),
    np.array([123456789.0, 2.5]),  # sci mode from a large value
    np.array([1e9, 1.0], dtype=np.float32),
    np.array([1.0, 2.0], dtype=np.float16),
    np.array(-0.0, dtype=np.float32),
    np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,  # blank lines between blocks
    np.random.default_rng(0).standard_normal((10, 30)).astype(np.float32),  # line wrapping
]


@pytest.mark.torch
@pytest.mark.parametrize("arr", FIXED, ids=lambda a: f"{a.dtype}{a.shape}")
def test_matches_torch_on_fixed_arrays(arr):
    torch = pytest.importorskip("torch")
    assert _suffixes_inline(repr(tt.tensor(arr))) == _torch_repr(torch, arr)
    if arr.dtype.kind == "f":
        leaf = tt.tensor(arr, requires_grad=True)
        assert _suffixes_inline(repr(leaf)) == _torch_repr(torch, arr, requires_grad=True)


_DTYPES = st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.bool_, np.float16])
_VALUES = st.floats(allow_nan=True, allow_infinity=True, width=16) | st.sampled_from(
    [0.0, 1.0, -1.0, 0.5, -1.6349, 1e-5, 123.25, 1e9, -1e-9]
)


def _representable(v, dtype):
    with np.errstate(over="ignore"):
        return float(np.asarray(v, dtype))  # may round to inf in float16, which is fine


@st.composite
def _arrays(draw):
    dtype = draw(_DTYPES)
    shape = draw(tst.shapes(max_dims=3, max_side=6))
    kind = np.dtype(dtype).kind
    if kind == "f":
        elements = _VALUES.map(lambda v: _representable(v, dtype))
    elif kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(-1000, 1000)
    scale = draw(st.sampled_from([1.0, 1e-6, 1e6])) if kind == "f" else 1
    arr = draw(hnp.arrays(dtype, shape, elements=elements))
    with np.errstate(all="ignore"):
        return (arr * scale).astype(dtype) if kind == "f" else arr


@pytest.mark.torch
@given(arr=_arrays())
def test_matches_torch_on_drawn_arrays(arr):
    torch = pytest.importorskip("torch")
    assert _suffixes_inline(repr(tt.tensor(arr))) == _torch_repr(torch, arr)
