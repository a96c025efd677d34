"""The convolution's kernels written into given arrays (``conv_into``, ``input_grad_into``, as a
compiled replay calls them with its reused buffers): bit for bit the kernel's results, in the
buffers given, and the values a direct float64 sum gives."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.compiler import buffers
from tinytensor.nn.functional import conv as conv_mod
from tinytensor.nn.functional import conv_kernels as K

CASES = [
    # (N, C, spatial), (O, k), stride, padding, dilation, groups
    ((3, 4, (9, 8)), (6, (3, 3)), (1, 1), (1, 1), (1, 1), 1),  # the rows input gradient
    ((2, 4, (9, 8)), (6, (3, 2)), (2, 1), (1, 0), (1, 2), 2),  # add_windows
    ((2, 3, (11,)), (4, (3,)), (2,), (2,), (1,), 1),
    ((1, 2, (5, 4, 6)), (3, (2, 3, 2)), (1, 2, 1), (1, 0, 1), (1, 1, 2), 1),
    ((4, 1, (7, 7)), (2, (3, 3)), (1, 1), (0, 0), (2, 2), 1),
]


def _geo(case):
    (n, c, sp), (o, k), s, p, d, g = case
    out = tuple((sp[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(len(sp)))
    return conv_mod._Geom((n, c, *sp), (o, c // g, *k), k, s, p, d, g, out)


def _direct(x, w, geo):
    """The convolution by its definition, in float64, one output element at a time."""
    n, c = geo.x[:2]
    o, g = geo.w[0], geo.g
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(q, q) for q in geo.p])
    out = np.zeros((n, o, *geo.o))
    cg, og = c // g, o // g
    for pos in itertools.product(*(range(m) for m in geo.o)):
        for off in itertools.product(*(range(kk) for kk in geo.k)):
            at = tuple(pos[i] * geo.s[i] + off[i] * geo.d[i] for i in range(len(pos)))
            for gi in range(g):
                patch = xp[(slice(None), slice(gi * cg, (gi + 1) * cg), *at)]  # (n, cg)
                wk = w[(slice(gi * og, (gi + 1) * og), slice(None), *off)].astype(np.float64)
                out[(slice(None), slice(gi * og, (gi + 1) * og), *pos)] += patch @ wk.T
    return out


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_into_writes_the_kernels_bits_into_the_buffers(case, bias):
    rng = np.random.default_rng(0)
    geo = _geo(case)
    x = rng.standard_normal(geo.x).astype(np.float32)
    w = rng.standard_normal(geo.w).astype(np.float32)
    b = rng.standard_normal(geo.w[0]).astype(np.float32) if bias else None
    want_out, want_cols = K.conv_kernel(x, w, b, geo=geo)
    bufs = (np.full(want_out.shape, np.nan, np.float32), np.full(want_cols.shape, 7.0, np.float32))
    got_out, got_cols = K.conv_into(bufs, x, w, b, geo=geo)
    assert got_out is bufs[0] and got_cols is bufs[1]
    assert np.array_equal(got_out, want_out) and np.array_equal(got_cols, want_cols)
    half = K.conv_into((None, bufs[1]), x, w, b, geo=geo)  # one made here, one given
    assert np.array_equal(half[0], want_out) and half[1] is bufs[1]
    ref = _direct(x, w, geo) + (0 if b is None else b.reshape(1, -1, *(1,) * len(geo.k)))
    np.testing.assert_allclose(want_out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_input_grad_into_writes_the_kernels_bits_into_the_buffer(case):
    rng = np.random.default_rng(1)
    geo = _geo(case)
    w = rng.standard_normal(geo.w).astype(np.float32)
    g = rng.standard_normal((geo.x[0], geo.w[0], *geo.o)).astype(np.float32)
    want = K.input_grad_kernel(g, w, None, geo=geo)
    buf = np.full(geo.x, np.nan, np.float32)  # stale contents must not leak in
    got = K.input_grad_into(buf, g, w, None, geo=geo)
    assert got is buf and np.array_equal(got, want)
    # The adjoint of the convolution: <conv(x), g> = <x, input_grad(g)> for every x.
    x = rng.standard_normal(geo.x)
    lhs = np.sum(_direct(x, w, geo) * g)
    np.testing.assert_allclose(np.sum(x * want), lhs, rtol=1e-4)


def test_compiled_cnn_keeps_its_convolutions_in_reused_buffers(monkeypatch):
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)  # pool this small network's values too
    tt.manual_seed(0)
    conv1, conv2 = tt.nn.Conv2d(1, 3, 3, padding=1), tt.nn.Conv2d(3, 4, 3, padding=1)
    x = tt.randn(2, 1, 8, 8)

    def loss(x):
        h = F.max_pool2d(F.relu(conv1(x)), 2)
        return F.max_pool2d(F.relu(conv2(h)), 2).sum()

    f = tt.compile(loss)
    grads = []
    for _ in range(3):
        for p in (*conv1.parameters(), *conv2.parameters()):
            p.grad = None
        f(x).backward()
        grads.append([p.grad.clone() for p in (*conv1.parameters(), *conv2.parameters())])
    for p in (*conv1.parameters(), *conv2.parameters()):
        p.grad = None
    loss(x).backward()
    for step in grads:
        for got, p in zip(step, (*conv1.parameters(), *conv2.parameters())):
            assert np.array_equal(got.numpy(), p.grad.numpy())
    (entry,) = [e for e in f.entries if e.program is not None]
    listing = str(entry.program)
    made = {outs[0]: name for _, name, outs, *_ in entry.program.steps if outs}
    pooled = set(re.findall(r"\bv\d+\b", listing[listing.index("# buffers") :]))
    assert any(v in pooled for v, name in made.items() if name == "Convolution")
    assert any(v in pooled for v, name in made.items() if name == "ConvolutionInputGrad")
