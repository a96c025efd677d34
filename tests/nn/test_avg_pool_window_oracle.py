"""``avg_pool`` with ``ceil_mode=True`` and ``count_include_pad=True``: a last window that
runs past the right padding divides by the part of it inside input + padding (PyTorch's
``min(start + k, size + pad) - start``), never by the full kernel. A NumPy oracle of that
rule for 1-D, 2-D and 3-D, plus numbers read once from torch 2.13 (no torch needed)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F


def _windows(size, k, s, p):
    span = size + 2 * p - k
    o = -(-span // s) + 1
    if (o - 1) * s >= size + p:
        o -= 1
    out = []
    for i in range(o):
        start = i * s - p
        end = min(start + k, size + p)
        out.append((max(start, 0), min(end, size), end - start))
    return out


def _avg_pool_oracle(x, k, s, p, count_include_pad):
    nd = len(k)
    per_axis = [_windows(x.shape[-nd + a], k[a], s[a], p[a]) for a in range(nd)]
    out = np.zeros(x.shape[:-nd] + tuple(len(w) for w in per_axis))
    for idx in itertools.product(*(range(len(w)) for w in per_axis)):
        wins = [per_axis[a][i] for a, i in enumerate(idx)]
        sl = tuple(slice(lo, hi) for lo, hi, _ in wins)
        block = x[(Ellipsis,) + sl]
        div = math.prod(n for _, _, n in wins) if count_include_pad else math.prod(
            hi - lo for lo, hi, _ in wins)  # fmt: skip
        out[(Ellipsis,) + idx] = block.sum(tuple(range(-nd, 0))) / div
    return out


def test_torch_numbers_1d():
    # torch.nn.functional.avg_pool1d(torch.arange(6.).reshape(1, 1, 6), 3, 2, 1,
    #     ceil_mode=True, count_include_pad=True) == [[[0.3333, 2.0, 4.0, 2.5]]]
    x = tt.arange(6.0).reshape(1, 1, 6)
    got = F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True)
    np.testing.assert_allclose(got.numpy(), [[[1 / 3, 2.0, 4.0, 2.5]]], rtol=1e-6)


@pytest.mark.parametrize("nd,size,k,s,p", [
    (1, (6,), (3,), (2,), (1,)),
    (1, (7,), (4,), (3,), (2,)),
    (2, (6, 5), (3, 2), (2, 2), (1, 1)),
    (3, (6, 4, 5), (3, 2, 3), (2, 3, 2), (1, 1, 1)),
])  # fmt: skip
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_ceil_mode_windows_match_the_oracle(nd, size, k, s, p, count_include_pad):
    x = np.random.default_rng(nd).normal(size=(2, 3) + size)
    fn = getattr(F, f"avg_pool{nd}d")
    got = fn(tt.tensor(x), k, s, p, ceil_mode=True, count_include_pad=count_include_pad)
    want = _avg_pool_oracle(x, k, s, p, count_include_pad)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    # the module form agrees
    cls = getattr(tt.nn, f"AvgPool{nd}d")
    m = cls(k, s, p, ceil_mode=True, count_include_pad=count_include_pad)
    np.testing.assert_allclose(m(tt.tensor(x)).numpy(), want, rtol=1e-12)
