"""nn.functional items of issue #21: interpolate on uint8 images, F.pad with large negative
reflect/replicate pads, and PyTorch's exception classes for bad pad modes, conv/pool
geometry tuples, is_causal with or without a mask and multi-target cross entropy."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

F = tt.nn.functional
RNG = np.random.default_rng(0)
X3 = np.arange(10, dtype=np.float32).reshape(1, 2, 5)
X4 = RNG.standard_normal((1, 2, 6, 6)).astype(np.float32)
X5 = RNG.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
W2 = np.ones((3, 2, 3, 3), np.float32)
LOGITS = RNG.standard_normal((5, 2)).astype(np.float32)


def _f(L):
    return L.nn.functional


# (name, call, the exception class PyTorch raises) -- the same for tinytensor
ERRORS = [
    ("pad unknown mode", lambda L: _f(L).pad(L.tensor(X3), (1, 1), mode="bogus"),
     NotImplementedError),
    ("pad reflect with value", lambda L: _f(L).pad(L.tensor(X3), (1, 1), "reflect", 2.0),
     RuntimeError),
    ("pad odd length", lambda L: _f(L).pad(L.tensor(X3), (1, 1, 1)), RuntimeError),
    ("pad reflect empties", lambda L: _f(L).pad(L.tensor(X3), (-5, 0), mode="reflect"),
     RuntimeError),
    ("pad replicate empties", lambda L: _f(L).pad(L.tensor(X3), (-3, -3), mode="replicate"),
     RuntimeError),
    ("pad reflect too wide", lambda L: _f(L).pad(L.tensor(X3), (-6, 8), mode="reflect"),
     RuntimeError),
    ("conv2d padding 3-tuple", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2),
                                                      padding=(1, 1, 1)), RuntimeError),
    ("conv2d stride 3-tuple", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2),
                                                     stride=[1, 1, 1]), RuntimeError),
    ("conv1d padding 2-tuple", lambda L: _f(L).conv1d(L.tensor(X4[:, :, 0]),
                                                      L.tensor(W2[:, :, 0]), padding=(1, 1)),
     RuntimeError),
    ("conv3d padding 2-tuple", lambda L: _f(L).conv3d(
        L.tensor(X5), L.tensor(np.ones((3, 2, 3, 3, 3), np.float32)), padding=(1, 1)),
     RuntimeError),
    ("conv2d padding float", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2), padding=1.5),
     TypeError),
    ("conv2d negative padding", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2), padding=-1),
     RuntimeError),
    ("conv2d stride 0", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2), stride=0),
     RuntimeError),
    ("conv2d bad padding string", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2),
                                                         padding="full"), RuntimeError),
    ("conv2d same and strided", lambda L: _f(L).conv2d(L.tensor(X4), L.tensor(W2),
                                                       padding="same", stride=2), RuntimeError),
    ("conv_transpose2d padding 3", lambda L: _f(L).conv_transpose2d(
        L.tensor(X4), L.tensor(np.ones((2, 3, 3, 3), np.float32)), padding=(1, 1, 1)),
     RuntimeError),
    ("max_pool2d padding 3-tuple", lambda L: _f(L).max_pool2d(L.tensor(X4), 2,
                                                              padding=(1, 1, 1)), RuntimeError),
    ("max_pool2d kernel 3-tuple", lambda L: _f(L).max_pool2d(L.tensor(X4), (2, 2, 2)),
     RuntimeError),
    ("avg_pool2d padding 3-tuple", lambda L: _f(L).avg_pool2d(L.tensor(X4), 2,
                                                              padding=(1, 1, 1)), RuntimeError),
    ("max_pool1d padding 2-tuple", lambda L: _f(L).max_pool1d(L.tensor(X4[:, :, 0]), 2,
                                                              padding=(1, 1)), RuntimeError),
    ("max_pool3d padding 2-tuple", lambda L: _f(L).max_pool3d(L.tensor(X5), 2, padding=(1, 1)),
     RuntimeError),
    ("max_pool2d stride 0", lambda L: _f(L).max_pool2d(L.tensor(X4), 2, stride=0),
     RuntimeError),
    ("max_pool2d negative padding", lambda L: _f(L).max_pool2d(L.tensor(X4), 2, padding=-1),
     RuntimeError),
    ("max_pool2d padding over half", lambda L: _f(L).max_pool2d(L.tensor(X4), 2, padding=2),
     RuntimeError),
    ("adaptive_avg_pool2d 3 sizes", lambda L: _f(L).adaptive_avg_pool2d(L.tensor(X4), (2, 2, 2)),
     RuntimeError),
    ("MaxPool2d padding 3-tuple", lambda L: L.nn.MaxPool2d(2, padding=(1, 1, 1))(L.tensor(X4)),
     RuntimeError),
    ("cross_entropy int target of the input's shape", lambda L: _f(L).cross_entropy(
        L.tensor(LOGITS), L.zeros(5, 2, dtype=L.int64)), RuntimeError),
    ("cross_entropy multi-target", lambda L: _f(L).cross_entropy(
        L.tensor(LOGITS), L.zeros(5, 3)), RuntimeError),
    ("nll_loss multi-target", lambda L: _f(L).nll_loss(
        L.tensor(LOGITS), L.zeros(5, 2, dtype=L.int64)), RuntimeError),
    ("cross_entropy batch mismatch", lambda L: _f(L).cross_entropy(
        L.tensor(LOGITS), L.zeros(4, dtype=L.int64)), ValueError),
    ("cross_entropy spatial target size", lambda L: _f(L).cross_entropy(
        L.tensor(X3), L.zeros(1, dtype=L.int64)), RuntimeError),
    ("nll_loss float target", lambda L: _f(L).nll_loss(L.tensor(LOGITS), L.zeros(5)),
     RuntimeError),
    ("multi_head_attention is_causal without a mask", lambda L: L.nn.MultiheadAttention(8, 2)(
        *[L.tensor(X5.reshape(4, 2, 16)[..., :8])] * 3, is_causal=True), RuntimeError),
    ("TransformerEncoderLayer is_causal without a mask", lambda L: L.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0)(L.tensor(X5.reshape(4, 2, 16)[..., :8]), is_causal=True),
     RuntimeError),
    ("interpolate int64 image", lambda L: _f(L).interpolate(
        L.ones(1, 1, 2, 2, dtype=L.int64), scale_factor=2), NotImplementedError),
    ("interpolate uint8 area", lambda L: _f(L).interpolate(
        L.ones(1, 1, 2, 2, dtype=L.uint8), scale_factor=2, mode="area"), NotImplementedError),
    ("interpolate uint8 linear", lambda L: _f(L).interpolate(
        L.ones(1, 1, 4, dtype=L.uint8), scale_factor=2, mode="linear"), NotImplementedError),
]  # fmt: skip


@pytest.mark.parametrize("name,call,exc", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_class_numpy(name, call, exc):
    with pytest.raises(exc) as info:
        call(tt)
    assert len(str(info.value)) > 20  # says what went wrong


@pytest.mark.torch
@pytest.mark.parametrize("name,call,exc", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_class_matches_torch(name, call, exc):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        call(torch)


# --- F.pad: negative reflect/replicate pads larger than a side -----------------------------

PADS = [(-5, 2), (2, -6), (4, -5), (-6, 8), (-4, 2), (-2, -2), (-3, 4), (3, 3), (-1, 1)]


def _pad_oracle(row, lo, hi, mode):
    """Output j reads input j - lo, reflected (no edge repeat) or clamped into [0, n)."""
    n = len(row)
    out = []
    for j in range(n + lo + hi):
        i = j - lo
        if mode == "replicate":
            i = min(max(i, 0), n - 1)
        else:
            while i < 0 or i >= n:
                i = -i if i < 0 else 2 * (n - 1) - i
        out.append(row[i])
    return out


@pytest.mark.parametrize(
    "mode,p",
    [("replicate", p) for p in PADS] + [("reflect", p) for p in PADS if max(p) < 5],
)  # (a reflect pad as wide as the input is refused: tested above)
def test_pad_negative_numpy(mode, p):
    x = tt.tensor(X3, requires_grad=True)
    y = F.pad(x, p, mode=mode)
    want = [_pad_oracle(r, *p, mode) for r in X3[0]]
    np.testing.assert_array_equal(y.detach().numpy()[0], want)
    g = RNG.standard_normal(y.shape).astype(np.float32)
    y.backward(tt.tensor(g))
    expect = np.zeros_like(X3)  # each output adds its gradient to the input it read
    for c in range(2):
        for j, v in enumerate(_pad_oracle(list(range(5)), *p, mode)):
            expect[0, c, v] += g[0, c, j]
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("p", PADS + [(-2, 1, 3, -4), (1, -3, -2, 2)])
def test_pad_negative_matches_torch(mode, p):
    torch = pytest.importorskip("torch")
    x = X4 if len(p) == 4 else X3

    def run(L):
        t = L.tensor(x, requires_grad=True)
        try:
            y = L.nn.functional.pad(t, p, mode=mode)
        except RuntimeError:
            return None
        y.backward(L.tensor(np.linspace(-1, 1, int(np.prod(y.shape)), dtype=np.float32)
                            .reshape(tuple(y.shape))))  # fmt: skip
        return y.detach().numpy(), t.grad.numpy()

    a, b = run(tt), run(torch)
    assert (a is None) == (b is None)
    if a is not None:
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-6, atol=1e-6)


# --- interpolate on uint8 images ------------------------------------------------------------


def test_interpolate_uint8_numpy():
    img = np.array([[[[0, 255]]]], np.uint8)
    near = F.interpolate(tt.tensor(img), size=(1, 4), mode="nearest")
    assert near.dtype == tt.uint8 and near.numpy().tolist() == [[[[0, 0, 255, 255]]]]
    lin = F.interpolate(tt.tensor(img), size=(1, 3), mode="bilinear", align_corners=True)
    assert lin.dtype == tt.uint8 and lin.numpy().tolist() == [[[[0, 128, 255]]]]  # 127.5 up
    # bicubic overshoots a step: clamped to [0, 255] instead of wrapping around
    step = np.array([[[[0, 0, 255, 255]]]], np.uint8)
    cub = F.interpolate(tt.tensor(step), size=(1, 9), mode="bicubic", align_corners=True)
    ref = F.interpolate(tt.tensor(step.astype(np.float32)), size=(1, 9), mode="bicubic",
                        align_corners=True).numpy()  # fmt: skip
    assert ref.min() < 0 and ref.max() > 255
    got = cub.numpy().astype(int)
    assert got[ref < 0].max() == 0 and got[ref > 255].min() == 255  # clamped, not wrapped
    inside = (ref >= 0) & (ref <= 255)
    assert np.abs(got[inside] - ref[inside]).max() <= 1  # fixed-point weights: within 1
    # through the Upsample module too, and integer images keep no gradient
    up = tt.nn.Upsample(scale_factor=2)(tt.tensor(img))
    assert up.dtype == tt.uint8 and up.shape == (1, 1, 2, 4) and not up.requires_grad


# Outputs of torch.nn.functional.interpolate on this uint8 image (PyTorch 2.13): its uint8
# kernel clamps between the width and the height pass, so they differ from the float result
# rounded (row 3 of the first starts at 152, where the float result is 160.5).
IMG3 = np.array([[[[0, 200, 30], [255, 10, 90], [60, 120, 250]]]], np.uint8)
UINT8_FROM_TORCH = [
    ("bicubic", (5, 4), None, [[0, 153, 175, 11], [113, 125, 92, 37], [255, 89, 12, 96],
                               [152, 82, 100, 199], [37, 84, 188, 255]]),
    ("bilinear", (4, 5), None, [[0, 80, 200, 98, 30], [159, 128, 81, 73, 68],
                                [182, 130, 51, 111, 150], [60, 84, 120, 198, 250]]),
    ("bicubic", (4, 4), True, [[0, 156, 169, 30], [196, 102, 41, 53], [222, 72, 40, 147],
                               [60, 87, 168, 250]]),
]  # fmt: skip


@pytest.mark.parametrize("mode,size,ac,want", UINT8_FROM_TORCH)
def test_interpolate_uint8_constants_from_torch(mode, size, ac, want):
    got = F.interpolate(tt.tensor(IMG3), size=size, mode=mode, align_corners=ac)
    assert got.dtype == tt.uint8
    np.testing.assert_array_equal(got.numpy()[0, 0], want)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_interpolate_uint8_matches_torch(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    acs = [None] if mode.startswith("nearest") else [None, True]
    for ac in acs:
        for kw in (dict(size=(5, 7)), dict(size=9), dict(scale_factor=2.5),
                   dict(scale_factor=(1.5, 0.5))):  # fmt: skip
            x = rng.integers(0, 256, (2, 3, 6, 6), dtype=np.uint8)
            a = F.interpolate(tt.tensor(x), mode=mode, align_corners=ac, **kw)
            b = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, align_corners=ac, **kw)
            assert a.dtype == tt.uint8 and a.shape == tuple(b.shape)
            d = np.abs(a.numpy().astype(int) - b.numpy().astype(int))
            if mode.startswith("nearest"):
                assert d.max() == 0
            assert d.max() == 0, (ac, kw)  # the same fixed-point weights and roundings


# --- is_causal with a mask: the mask wins in both libraries ----------------------------------


@pytest.mark.torch
def test_is_causal_with_a_mask_matches_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((5, 2, 8)).astype(np.float32)
    tm = torch.nn.MultiheadAttention(8, 2)
    m = tt.nn.MultiheadAttention(8, 2)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    masks = [np.triu(np.ones((5, 5), bool), 1), np.zeros((5, 5), np.float32)]
    for mask in masks:
        for kw in (dict(is_causal=True), dict(is_causal=True, need_weights=False)):
            a = m(*[tt.tensor(x)] * 3, attn_mask=tt.tensor(mask), **kw)
            b = tm(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask), **kw)
            np.testing.assert_allclose(a[0].detach().numpy(), b[0].detach().numpy(), atol=1e-5)
    q = RNG.standard_normal((2, 3, 4, 8)).astype(np.float32)
    for mask in (np.zeros((4, 4), np.float32), np.ones((4, 4), bool)):
        a = F.scaled_dot_product_attention(*[tt.tensor(q)] * 3, attn_mask=tt.tensor(mask),
                                           is_causal=True)  # fmt: skip
        b = torch.nn.functional.scaled_dot_product_attention(
            *[torch.tensor(q)] * 3, attn_mask=torch.tensor(mask), is_causal=True
        )
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)


def test_is_xpu():
    assert tt.ones(2).is_xpu is False and tt.nn.Parameter(tt.ones(1)).is_xpu is False
