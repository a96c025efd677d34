"""float16 unary kernels compute in float32 and round once, as PyTorch's CPU kernels do for
half (tinytensor/ops/_pointwise.py quiet_apply, unary.py sigmoid): sinc(2) is 0 (sin(pi*x) of a
half pi*x gave -3.1e-4), sigmoid(-1) is 0.269 (0.2688 in half arithmetic). NumPy oracle first
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


@pytest.mark.torch
@pytest.mark.parametrize("name", ["sinc", "sigmoid"])
def test_half_matches_torch(name):
    torch = pytest.importorskip("torch")
    want = getattr(torch, name)(torch.tensor(H)).numpy()
    np.testing.assert_array_equal(getattr(tt, name)(tt.tensor(H)).numpy(), want)
