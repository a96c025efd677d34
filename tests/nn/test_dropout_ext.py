"""Dropout variants: dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout and their modules.

Exact values come from a NumPy reimplementation drawing the same mask from a re-seeded
generator; statistics (mean and variance kept by alpha dropout, whole channels dropped by the
feature variants) are NumPy-only; PyTorch checks the shapes of its masks and the edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn
from tinytensor.core import rng

ALPHA = 1.7580993408473766


def _alpha_np(x, keep, p):
    a = 1.0 / np.sqrt((ALPHA**2 * p + 1) * (1 - p))
    return x * keep * a + (keep - 1) * ALPHA * a + ALPHA * a * p, keep * a


def _mask(seed, shape, p):
    tt.manual_seed(seed)
    return (rng().random(shape) >= p).astype(np.float64)


@pytest.mark.parametrize(
    "fn, shape, mask_shape",
    [
        pytest.param("alpha_dropout", (4, 5, 6), (4, 5, 6), id="alpha"),
        pytest.param("feature_alpha_dropout", (4, 5, 6), (4, 5, 1), id="feature_alpha"),
        pytest.param("feature_alpha_dropout", (3, 2, 4, 4), (3, 2, 1, 1), id="feature_alpha-4d"),
    ],
)
def test_alpha_variants_equal_numpy_with_the_same_mask(fn, shape, mask_shape):
    p = 0.3
    x = np.random.default_rng(0).standard_normal(shape)
    keep = _mask(7, mask_shape, p)
    want, dmask = _alpha_np(x, keep, p)
    xx = tt.tensor(x, requires_grad=True)
    tt.manual_seed(7)
    y = getattr(F, fn)(xx, p, training=True)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(shape)
    y.backward(tt.tensor(g))
    np.testing.assert_allclose(xx.grad.numpy(), g * dmask, rtol=1e-12)
    assert y.grad_fn.name() == "AlphaDropoutBackward"


@pytest.mark.parametrize(
    "fn, shape, mask_shape",
    [
        pytest.param("dropout1d", (4, 5, 6), (4, 5, 1), id="1d"),
        pytest.param("dropout1d", (5, 6), (5, 1), id="1d-unbatched"),
        pytest.param("dropout2d", (3, 4, 5, 6), (3, 4, 1, 1), id="2d"),
        pytest.param("dropout2d", (4, 5, 6), (4, 5, 1), id="2d-3d-input-is-NCL"),
        pytest.param("dropout3d", (2, 3, 2, 3, 4), (2, 3, 1, 1, 1), id="3d"),
        pytest.param("dropout3d", (3, 2, 3, 4), (3, 1, 1, 1), id="3d-unbatched"),
    ],
)
def test_feature_dropout_equals_numpy_with_the_same_mask(fn, shape, mask_shape):
    p = 0.4
    x = np.random.default_rng(0).standard_normal(shape)
    unbatched = len(mask_shape) == len(shape) and fn != "dropout2d" and len(shape) in (2, 4)
    draw = (1,) + mask_shape if unbatched else mask_shape
    keep = _mask(3, draw, p).reshape(mask_shape)
    xx = tt.tensor(x, requires_grad=True)
    tt.manual_seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(F, fn)(xx, p)
    np.testing.assert_allclose(y.detach().numpy(), x * keep / (1 - p), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(xx.grad.numpy(), np.broadcast_to(keep / (1 - p), shape))


def test_alpha_dropout_keeps_mean_and_variance_numpy_only():
    tt.manual_seed(0)
    x = tt.randn(400, 500, dtype=tt.float64)
    for fn in (F.alpha_dropout, F.feature_alpha_dropout):
        y = fn(x, 0.2, training=True).numpy()
        assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03, fn.__name__


def test_feature_variants_drop_whole_channels_numpy_only():
    tt.manual_seed(1)
    x = tt.rand(8, 16, 5, 5) + 1.0  # positive, so only the mask makes a zero
    y = F.dropout2d(x, 0.5).numpy()
    zero = (y == 0).reshape(8, 16, -1)
    assert (zero.all(-1) | ~zero.any(-1)).all() and 0.3 < zero.all(-1).mean() < 0.7
    y = F.feature_alpha_dropout(x, 0.5, training=True).numpy().reshape(8, 16, -1)
    assert (y == y[..., :1]).all(-1).any()  # dropped channels are one constant
    y3 = F.dropout3d(tt.rand(4, 6, 2, 3, 3) + 1.0, 0.5).numpy().reshape(4, 6, -1)
    assert ((y3 == 0).all(-1) | (y3 != 0).all(-1)).all()


def test_eval_p0_p1_inplace_and_errors():
    x = tt.randn(2, 3, 4)
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False for the alpha variants
    assert F.dropout1d(x, 0.5, training=False) is x
    assert F.dropout3d(tt.randn(1, 2, 2, 2, 2), 0.0) is not None
    assert (F.alpha_dropout(x, 1.0, training=True).numpy() == 0).all()
    y = x.clone()
    out = F.feature_alpha_dropout(y, 0.5, training=True, inplace=True)
    assert out is y and not np.array_equal(y.numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(x, 1.5)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(tt.randn(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        F.dropout2d(x)


def test_modules_repr_and_modes():
    for cls in (nn.AlphaDropout, nn.FeatureAlphaDropout, nn.Dropout1d, nn.Dropout3d):
        m = cls(0.2)
        assert repr(m) == f"{cls.__name__}(p=0.2, inplace=False)"
        x = tt.randn(2, 3, 4, 4, 4) if cls is nn.Dropout3d else tt.randn(2, 3, 4)
        assert m.eval()(x) is x
        assert not np.array_equal(m.train()(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.AlphaDropout(-0.1)


@pytest.mark.torch
def test_mask_shapes_and_edge_cases_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((6, 7, 9)) + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = F.dropout2d(tt.tensor(x), 0.5).numpy()
        theirs = torch.nn.functional.dropout2d(torch.tensor(x), 0.5).numpy()
    for y in (ours, theirs):  # both read a 3-D input as (N, C, L): rows dropped whole
        z = y == 0
        assert (z.all(-1) | ~z.any(-1)).all()
    for fn in ("alpha_dropout", "feature_alpha_dropout"):
        t = getattr(torch.nn.functional, fn)(torch.tensor(x), 1.0, True).numpy()
        o = getattr(F, fn)(tt.tensor(x), 1.0, True).numpy()
        np.testing.assert_array_equal(o, t)
    for cls in ("AlphaDropout", "FeatureAlphaDropout", "Dropout1d", "Dropout3d"):
        assert repr(getattr(nn, cls)(0.3)) == repr(getattr(torch.nn, cls)(0.3))
