"""ONNX lists pads as all the begins, then all the ends (``[b1, b2, ..., e1, e2, ...]``). Every
conv, pool and pad family exported with pads that differ between dims or between the two ends
of a dim must round-trip through ONNX Runtime (and tt.onnx.load) to tinytensor's own output:
an exporter writing ``[b1, e1, b2, e2]`` changes the output shape or values. Layers (written by
a converter) and functional calls (written from tape nodes) are both covered."""

import numpy as np
import pytest
from onnx_helpers import check_roundtrip, export_bytes, ort_run

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor import nn


def img(c, *size):
    return lambda n: (tt.randn(n, c, *size),)


LAYERS = {
    # convolutions: per-dim padding, "same" with even kernels (one more pad at the end),
    # and padding modes (a Pad node before the Conv)
    "Conv1d-same-even": (lambda: nn.Conv1d(2, 3, 4, padding="same"), img(2, 9)),
    "Conv2d-1x2": (lambda: nn.Conv2d(2, 3, 3, padding=(1, 2)), img(2, 6, 7)),
    "Conv2d-same-even": (
        lambda: nn.Conv2d(2, 3, (2, 4), padding="same", dilation=(1, 2)),
        img(2, 6, 7),
    ),
    "Conv2d-reflect-2x1": (
        lambda: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="reflect"),
        img(2, 6, 7),
    ),
    "Conv2d-replicate-0x2": (
        lambda: nn.Conv2d(2, 3, 3, padding=(0, 2), padding_mode="replicate"),
        img(2, 6, 7),
    ),
    "Conv2d-circular-1x2": (
        lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"),
        img(2, 6, 7),
    ),
    "Conv3d-0x1x2": (lambda: nn.Conv3d(2, 2, 3, padding=(0, 1, 2)), img(2, 4, 5, 6)),
    "Conv3d-same-even": (lambda: nn.Conv3d(2, 2, (2, 3, 4), padding="same"), img(2, 4, 5, 6)),
    "ConvTranspose2d-0x1": (
        lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=(0, 1)),
        img(2, 4, 5),
    ),
    "ConvTranspose3d-1x0x2": (
        lambda: nn.ConvTranspose3d(2, 2, (3, 3, 5), padding=(1, 0, 2)),
        img(2, 3, 4, 5),
    ),
    # pools: per-dim padding
    "MaxPool2d-1x2": (lambda: nn.MaxPool2d((3, 5), stride=(1, 2), padding=(1, 2)), img(2, 6, 9)),
    "MaxPool3d-0x1x2": (lambda: nn.MaxPool3d((1, 3, 5), padding=(0, 1, 2)), img(1, 4, 5, 9)),
    "AvgPool2d-1x2": (lambda: nn.AvgPool2d((3, 5), stride=1, padding=(1, 2)), img(2, 6, 9)),
    "AvgPool2d-1x2-exclude": (
        lambda: nn.AvgPool2d((3, 5), stride=(2, 1), padding=(1, 2), count_include_pad=False),
        img(2, 6, 9),
    ),
    "AvgPool3d-0x1x2": (lambda: nn.AvgPool3d((1, 3, 5), padding=(0, 1, 2)), img(1, 4, 5, 9)),
    # pad layers: every end its own width
    "ZeroPad1d": (lambda: nn.ZeroPad1d((0, 2)), img(2, 5)),
    "ZeroPad2d": (lambda: nn.ZeroPad2d((1, 2, 3, 0)), img(2, 4, 5)),
    "ZeroPad3d": (lambda: nn.ZeroPad3d((1, 0, 0, 2, 2, 1)), img(1, 3, 4, 5)),
    "ConstantPad2d": (lambda: nn.ConstantPad2d((0, 1, 2, 3), 0.5), img(2, 4, 5)),
    "ConstantPad3d": (lambda: nn.ConstantPad3d((2, 1, 0, 1, 1, 0), -1.0), img(1, 3, 4, 5)),
    "ReflectionPad1d": (lambda: nn.ReflectionPad1d((2, 0)), img(2, 5)),
    "ReflectionPad2d": (lambda: nn.ReflectionPad2d((0, 1, 2, 1)), img(2, 4, 5)),
    "ReflectionPad3d": (lambda: nn.ReflectionPad3d((1, 0, 0, 2, 1, 2)), img(1, 3, 4, 5)),
    "ReplicationPad2d": (lambda: nn.ReplicationPad2d((2, 0, 1, 3)), img(2, 4, 5)),
    "ReplicationPad3d": (lambda: nn.ReplicationPad3d((0, 2, 1, 0, 2, 1)), img(1, 3, 4, 5)),
    "CircularPad1d": (lambda: nn.CircularPad1d((2, 0)), img(2, 5)),
    "CircularPad2d": (lambda: nn.CircularPad2d((0, 1, 2, 1)), img(2, 4, 5)),
    "CircularPad3d": (lambda: nn.CircularPad3d((1, 0, 0, 2, 1, 2)), img(1, 3, 4, 5)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_with_asymmetric_pads_roundtrips(name):
    build, make = LAYERS[name]
    check_roundtrip(build(), make)


@pytest.mark.parametrize(
    "name", ["Conv2d-circular-1x2", "CircularPad2d", "CircularPad3d", "ReflectionPad3d"]
)
def test_asymmetric_pads_at_opset_17(name):
    """Before opset 19 circular padding is written as Slice + Concat, not Pad(mode='wrap')."""
    build, make = LAYERS[name]
    model = build().eval()
    blob = export_bytes(model, make(2), opset_version=17)
    xs = make(3)
    with tt.no_grad():
        want = model(*xs).numpy()
    np.testing.assert_allclose(ort_run(blob, xs)[0], want, atol=1e-5, rtol=1e-5)


class Functional(nn.Module):
    """Functional conv/pool/pad calls (exported from their tape nodes), asymmetric pads."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(tt.randn(3, 2, 4) * 0.3)
        self.w2 = nn.Parameter(tt.randn(3, 2, 3, 3) * 0.3)
        self.w3 = nn.Parameter(tt.randn(2, 2, 3, 3, 3) * 0.3)
        self.wt = nn.Parameter(tt.randn(2, 3, 3, 3) * 0.3)

    def forward(self, x):  # x: (N, 2, 6, 7)
        a = F.conv1d(x.flatten(2), self.w1, padding="same")
        b = F.conv2d(x, self.w2, padding=(1, 2), stride=(1, 2))
        c = F.conv3d(x.unsqueeze(1).repeat(1, 2, 1, 1, 1), self.w3, padding=(1, 0, 2))
        d = F.conv_transpose2d(x, self.wt, stride=2, padding=(0, 1))
        e = F.max_pool2d(x, (3, 5), stride=1, padding=(1, 2))
        f = F.avg_pool2d(x, (3, 5), stride=(2, 1), padding=(1, 2), count_include_pad=False)
        g = F.max_pool3d(x.unsqueeze(1), (1, 3, 5), padding=(0, 1, 2))
        h = F.avg_pool3d(x.unsqueeze(1), (1, 3, 5), padding=(0, 1, 2))
        pads = [
            F.pad(x, (1, 2, 0, 3), value=-2.0),
            F.pad(x, (0, 2, 3, 1), mode="reflect"),
            F.pad(x, (2, 0, 1, 3), mode="replicate"),
            F.pad(x, (0, 3, 2, 1), mode="circular"),
            F.pad(x.unsqueeze(1), (1, 0, 0, 2, 1, 0), mode="reflect"),
        ]
        return (a, b, c, d, e, f, g, h, *pads)


def test_functional_calls_with_asymmetric_pads_roundtrip():
    check_roundtrip(Functional(), img(2, 6, 7))
