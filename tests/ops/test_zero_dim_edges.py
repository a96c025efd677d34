"""0-d tensors in the shape ops as PyTorch 2.13 (tinytensor/ops/shape.py, join.py): movedim of
a 0-d tensor by dim 0 (or -1) is a view of it (permute refused it), narrow and chunk refuse a
0-d tensor with PyTorch's RuntimeError (Python's IndexError "tuple index out of range"
leaked). NumPy oracles first, PyTorch behind the marker."""

import pytest

import tinytensor as tt


def test_zero_dim_shape_ops_numpy():
    x = tt.tensor(2.0, requires_grad=True)
    for src, dst in ((0, 0), (-1, 0), ((0,), (-1,))):
        y = tt.movedim(x, src, dst)
        assert y.shape == () and y.item() == 2.0
    tt.movedim(x, 0, 0).backward()
    assert x.grad.item() == 1.0
    with pytest.raises(IndexError):
        tt.movedim(x, 1, 0)
    with pytest.raises(RuntimeError, match="0-dim"):
        tt.narrow(tt.tensor(2.0), 0, 0, 1)
    with pytest.raises(RuntimeError, match="1-dimensional"):
        tt.chunk(tt.tensor(2.0), 1)


@pytest.mark.torch
def test_zero_dim_shape_ops_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        assert tuple(lib.movedim(lib.tensor(2.0), 0, 0).shape) == ()
        with pytest.raises(RuntimeError):
            lib.narrow(lib.tensor(2.0), 0, 0, 1)
        with pytest.raises(RuntimeError):
            lib.chunk(lib.tensor(2.0), 1)
