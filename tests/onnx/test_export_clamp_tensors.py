"""ONNX export of clamp with two tensor bounds (the ClampTensors primitive) as Max then Min:
ONNX Runtime's output equals tinytensor's, broadcasting included. NumPy-only (no PyTorch)."""

import numpy as np
from onnx_helpers import export_bytes, ort_run

import tinytensor as tt
from tinytensor import nn


class ClampBetween(nn.Module):
    def forward(self, x, lo, hi):
        return tt.clamp(x, lo, hi) * 2.0


def test_clamp_tensor_bounds_roundtrip():
    gen = np.random.default_rng(0)
    x = tt.tensor(gen.standard_normal((2, 3, 4)).astype(np.float32))
    lo = tt.tensor(gen.uniform(-1.0, 0.0, (2, 1, 4)).astype(np.float32))
    hi = tt.tensor(gen.uniform(0.0, 1.0, (2, 3, 1)).astype(np.float32))
    blob = export_bytes(ClampBetween(), (x, lo, hi))
    with tt.no_grad():
        want = ClampBetween()(x, lo, hi).numpy()
    (got,) = ort_run(blob, (x, lo, hi))
    np.testing.assert_allclose(got, want, rtol=0, atol=0)
    assert (want != 2.0 * x.numpy()).any()  # some elements were clamped
