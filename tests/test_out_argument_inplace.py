"""In-place forms (``abs_``, ``clamp_``...) take no ``out=``, as PyTorch's; the out-of-place
forms do. NumPy only, and the signatures against PyTorch."""

from __future__ import annotations

import inspect

import pytest

import tinytensor as tt

INPLACE = [
    n for n in dir(tt) if n.endswith("_") and not n.startswith("_") and callable(getattr(tt, n))
]


def test_in_place_forms_have_no_out_argument():
    assert len(INPLACE) > 10
    for name in INPLACE:
        params = inspect.signature(getattr(tt, name)).parameters
        assert "out" not in params, name


def test_an_in_place_form_refuses_out_and_leaves_its_tensor_alone():
    x, y = tt.tensor([-1.0, 2.0]), tt.zeros(2)
    with pytest.raises(TypeError):
        tt.abs_(x, out=y)
    assert x.tolist() == [-1.0, 2.0] and y.tolist() == [0.0, 0.0]
    assert "out" in inspect.signature(tt.abs).parameters
    tt.abs(x, out=y)
    assert y.tolist() == [1.0, 2.0]


@pytest.mark.torch
def test_in_place_forms_take_no_out_in_pytorch_either():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-1.0, 2.0])
    with pytest.raises(TypeError):
        torch.abs_(x, out=torch.zeros(2))
