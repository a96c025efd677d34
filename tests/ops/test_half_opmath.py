"""float16 unary kernels compute in float32 and round once, as PyTorch's CPU kernels do for
half (tinytensor/ops/_pointwise.py quiet_apply, unary.py sigmoid): sinc(2) is 0 (sin(pi*x) of a
half pi*x gave -3.1e-4), sigmoid(-1) is 0.269 (0.2688 in half arithmetic); softmax too
(tinytensor/ops/softmax.py; log_softmax's half kernel in PyTorch rounds its sum to half,
which neither form reproduces, so it is left). NumPy oracle first
(the float32 value rounded to half), PyTorch behind the marker."""

import numpy as np
import pytest

import tinytensor as tt

H = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0], np.float16)
OPS = {
    "sinc": np.sinc,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "logit": lambda x: np.log(x / (1.0 - x)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_half_is_computed_in_float32_numpy(name):
    x = np.abs(H) / 4 if name == "logit" else H
    got = getattr(tt, name)(tt.tensor(x))
    assert got.dtype is tt.float16
    with np.errstate(all="ignore"):
        want = OPS[name](x.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(got.numpy(), want)
    assert tt.sinc(tt.tensor(np.float16(2.0))).item() == 0.0


def test_half_softmax_is_computed_in_float32_numpy():
    x = (np.random.default_rng(0).standard_normal((50, 7)) * 3).astype(np.float16)
    e = np.exp(x.astype(np.float32) - x.astype(np.float32).max(1, keepdims=True))
    want = (e / e.sum(1, keepdims=True)).astype(np.float16)
    np.testing.assert_array_equal(tt.softmax(tt.tensor(x), 1).numpy(), want)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["sinc", "sigmoid", "softmax"])
def test_half_matches_torch(name):
    torch = pytest.importorskip("torch")
    x = H if name != "softmax" else (np.random.default_rng(0).standard_normal((50, 7)) * 3)
    x = np.asarray(x, np.float16)
    args = (1,) if name == "softmax" else ()
    want = getattr(torch, name)(torch.tensor(x), *args).numpy()
    np.testing.assert_array_equal(getattr(tt, name)(tt.tensor(x), *args).numpy(), want)
