"""Fractional max pooling: PyTorch's windows from the same ``_random_samples`` (values, indices
and gradients in float64 and float32), a NumPy reimplementation of the window rule, the module
surface, the generator, and the ``*_with_indices`` aliases."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn

CASES = [
    pytest.param(2, (2, 3, 9, 11), (2, 3), (4, 5), id="2d-batched"),
    pytest.param(2, (3, 8, 8), 2, (5, 6), id="2d-unbatched"),
    pytest.param(3, (2, 2, 7, 8, 9), (2, 2, 3), (3, 4, 4), id="3d-batched"),
    pytest.param(3, (2, 6, 6, 6), 2, 3, id="3d-unbatched"),
]


def _samples(shape, nd, rng, dtype):
    n = shape[0] if len(shape) == nd + 2 else 1
    return rng.random((n, shape[-nd - 1], nd)).astype(dtype)


def _starts_np(u, size, out, k):
    """PyTorch's interval rule, written out per element in float64 (exact for these sizes)."""
    if out == 1:
        return [size - k]
    alpha = (size - k) / (out - 1)
    return [int((i + u) * alpha) - int(u * alpha) for i in range(out - 1)] + [size - k]


def test_windows_match_a_numpy_reimplementation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 10, 9))
    s = rng.random((2, 3, 2))
    out, idx = F.fractional_max_pool2d(
        tt.tensor(x), 3, output_size=(4, 3), return_indices=True, _random_samples=tt.tensor(s)
    )
    for b in range(2):
        for c in range(3):
            hs = _starts_np(s[b, c, 1], 10, 4, 3)  # sample 1 drives the height, 0 the width
            ws = _starts_np(s[b, c, 0], 9, 3, 3)
            for i, h in enumerate(hs):
                for j, w in enumerate(ws):
                    win = x[b, c, h : h + 3, w : w + 3]
                    assert out.numpy()[b, c, i, j] == win.max()
                    r, q = np.unravel_index(win.argmax(), win.shape)
                    assert idx.numpy()[b, c, i, j] == (h + r) * 9 + (w + q)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("nd, shape, k, out", CASES)
def test_matches_torch_given_random_samples(nd, shape, k, out, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    s = _samples(shape, nd, rng, dtype)
    tx = torch.tensor(x, requires_grad=True)
    fn = getattr(torch.nn.functional, f"fractional_max_pool{nd}d")
    ty, ti = fn(tx, k, output_size=out, return_indices=True, _random_samples=torch.tensor(s))
    xx = tt.tensor(x, requires_grad=True)
    y, i = getattr(F, f"fractional_max_pool{nd}d")(
        xx, k, output_size=out, return_indices=True, _random_samples=tt.tensor(s)
    )
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    g = rng.standard_normal(ty.shape).astype(dtype)
    ty.backward(torch.tensor(g))
    y.backward(tt.tensor(g))
    np.testing.assert_allclose(xx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@pytest.mark.torch
def test_output_ratio_and_module_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 10, 12))
    s = rng.random((2, 3, 2))
    tm = torch.nn.FractionalMaxPool2d(3, output_ratio=0.5, _random_samples=torch.tensor(s))
    m = nn.FractionalMaxPool2d(3, output_ratio=0.5, _random_samples=tt.tensor(s))
    assert repr(m) == repr(tm) == "FractionalMaxPool2d()"
    assert list(m.state_dict()) == list(tm.state_dict()) == ["_random_samples"]
    np.testing.assert_array_equal(m(tt.tensor(x)).numpy(), tm(torch.tensor(x)).numpy())
    m3 = nn.FractionalMaxPool3d(2, output_size=(2, 3, 3), return_indices=True)
    y, idx = m3(tt.randn(1, 2, 5, 6, 6))
    assert y.shape == (1, 2, 2, 3, 3) and idx.dtype == tt.int64


def test_random_windows_come_from_the_global_generator():
    x = tt.randn(2, 3, 12, 12)
    tt.manual_seed(5)
    a = F.fractional_max_pool2d(x, 2, output_size=5)
    tt.manual_seed(5)
    b = F.fractional_max_pool2d(x, 2, output_size=5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_errors():
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of"):
        nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match="larger than the input"):
        F.fractional_max_pool2d(tt.randn(1, 1, 4, 4), 3, output_size=3)
    with pytest.raises(RuntimeError, match="_random_samples must have shape"):
        F.fractional_max_pool2d(tt.randn(1, 2, 6, 6), 2, 3, _random_samples=tt.rand(1, 1, 2))


def test_adaptive_with_indices_aliases_always_return_indices():
    x = tt.randn(1, 2, 8, 8)
    for nd, shape in [(1, (1, 2, 8)), (2, (1, 2, 8, 8)), (3, (1, 2, 4, 4, 4))]:
        x = tt.randn(*shape)
        out, idx = getattr(F, f"adaptive_max_pool{nd}d_with_indices")(x, 2)
        ref, ref_idx = getattr(F, f"adaptive_max_pool{nd}d")(x, 2, return_indices=True)
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
        np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    assert F.GRID_SAMPLE_INTERPOLATION_MODES == {"bilinear": 0, "nearest": 1, "bicubic": 2}
    assert F.GRID_SAMPLE_PADDING_MODES == {"zeros": 0, "border": 1, "reflection": 2}
