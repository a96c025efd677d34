"""scaled_dot_product_attention's node: the parameters an exporter reads (``grad_fn.attrs``).

The node records ``attn_mask`` as the additive float mask the kernel used (a bool mask,
True = attend, becomes 0 where attended and -inf where masked, in the query's dtype), beside
``scale`` and ``is_causal``; NumPy only.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt
import tinytensor.nn.functional as F


def _qkv(dtype=tt.float32):
    rng = np.random.default_rng(0)
    q, k, v = (tt.tensor(rng.standard_normal((1, 2, 3, 4)), dtype=dtype) for _ in range(3))
    q.requires_grad_(True)
    return q, k, v


def test_a_bool_masks_node_attribute_is_the_additive_float_mask():
    q, k, v = _qkv()
    keep = np.array([[True, False, True], [True, True, False], [False, False, True]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=tt.tensor(keep), scale=0.5)
    attrs = out.grad_fn.attrs
    mask = attrs["attn_mask"]
    assert mask.dtype == tt.float32
    np.testing.assert_array_equal(mask.numpy(), np.where(keep, 0.0, -np.inf))
    assert attrs["scale"] == 0.5 and attrs["is_causal"] is False


def test_a_float_mask_is_recorded_as_given_and_no_mask_as_none():
    q, k, v = _qkv(tt.float64)
    bias = tt.tensor(np.linspace(-1.0, 1.0, 9).reshape(3, 3), dtype=tt.float64)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, is_causal=False)
    assert out.grad_fn.attrs["attn_mask"] is bias
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    attrs = out.grad_fn.attrs
    assert attrs["attn_mask"] is None and attrs["is_causal"] is True
    assert attrs["scale"] == 1.0 / np.sqrt(4)
