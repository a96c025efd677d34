"""``t[index] = value`` drops the value's leading size-1 dims first, as PyTorch does: a
(1,)-shaped value fits a single element (NumPy refuses that one), a (1, 1, 2) value fits a
row; the value's gradient comes back in its own shape."""

import numpy as np
import pytest

import tinytensor as tt


def test_a_one_element_value_fits_a_single_element():
    for index in (1, tt.tensor(1), (tt.tensor(1),)):
        for shape in ((1,), (1, 1)):
            x = tt.zeros(3)
            x[index] = tt.full(shape, 5.0)
            assert x.tolist() == [0.0, 5.0, 0.0] and x._version == 1


def test_leading_ones_before_a_row_and_gradients_keep_the_values_shape():
    v = tt.tensor([[[1.0, 2.0]]], requires_grad=True)
    c = tt.zeros(3, 2) * 1.0
    c[1] = v  # region (2,)
    c[0:1] = v  # region (1, 2)
    c[[2]] = v  # advanced: region (1, 2)
    assert c.tolist() == [[1.0, 2.0]] * 3
    (c * tt.tensor([[1.0], [10.0], [100.0]])).sum().backward()
    assert v.grad.shape == (1, 1, 2) and v.grad.tolist() == [[[111.0, 111.0]]]
    w = tt.tensor([[3.0]], requires_grad=True)
    d = tt.zeros(2) * 1.0
    d[0] = w
    (g,) = tt.autograd.grad((d * d).sum(), w, create_graph=True)
    assert g.shape == (1, 1) and g.item() == 6.0
    (h,) = tt.autograd.grad(g.sum(), w)
    assert h.item() == 2.0


def test_a_value_that_does_not_fit_still_raises_and_writes_nothing():
    x = tt.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"setitem: value of shape \(1, 4\)"):
        x[0] = tt.ones(1, 4)
    with pytest.raises(RuntimeError, match=r"setitem: value of shape \(2, 1, 3\)"):
        x[0] = tt.ones(2, 1, 3)
    assert x.tolist() == [[1.0] * 3] * 2 and x._version == 0


@pytest.mark.torch
def test_matches_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda L: 1, (1,)), (lambda L: L.tensor(1), (1, 1)), (lambda L: slice(1, 3), (1, 2)),
        (lambda L: [0, 2], (1, 1, 2)), (lambda L: 0, (1, 4)), (lambda L: ..., (1, 1, 3, 1)),
    ]  # fmt: skip
    for index, shape in cases:
        got = []
        for lib in (torch, tt):
            x = lib.zeros(3, 1) if shape[-1] == 1 and len(shape) > 1 else lib.zeros(3)
            v = lib.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), dtype=x.dtype)
            v.requires_grad_(True)
            c = x * 1.0
            try:
                c[index(lib)] = v
                (c * lib.arange(1.0, 1.0 + c.numel()).reshape(c.shape)).sum().backward()
                got.append((c.tolist(), v.grad.tolist()))
            except Exception as e:  # noqa: BLE001 - the class is what is compared
                got.append(type(e).__name__)
        assert got[0] == got[1], (shape, got)
