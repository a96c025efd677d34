"""The input gradient of stride-1, one-group 2-D convolutions (and so conv_transpose2d with
stride 1), computed as long row adds, against a NumPy loop oracle: padding, dilation,
rectangular kernels and images, float32 and float64, first and second order."""

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck


def input_grad_oracle(g, w, size, padding, dilation):
    """dx[n, c, y, x] = sum over o, i, j of g[n, o, oy, ox] * w[o, c, i, j], y = oy - p + i*d."""
    n, _, oh, ow = g.shape
    _, c, kh, kw = w.shape
    (ph, pw), (dh, dw) = padding, dilation
    dx = np.zeros((n, c, *size), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            contrib = np.einsum("nohw,oc->nchw", g.astype(np.float64), w[:, :, i, j])
            for oy in range(oh):
                y = oy - ph + i * dh
                if not 0 <= y < size[0]:
                    continue
                for ox in range(ow):
                    x = ox - pw + j * dw
                    if 0 <= x < size[1]:
                        dx[:, :, y, x] += contrib[:, :, oy, ox]
    return dx


GEOMETRIES = [
    # (batch, in, out, H, W, kernel, padding, dilation)
    (2, 3, 4, 6, 7, (3, 3), (1, 1), (1, 1)),
    (1, 2, 3, 7, 9, (2, 3), (0, 2), (2, 1)),
    (3, 3, 5, 6, 5, (3, 1), (2, 0), (1, 3)),
    (2, 1, 2, 3, 3, (3, 3), (0, 0), (1, 1)),
    (2, 4, 3, 5, 6, (1, 1), (0, 0), (1, 1)),
    (1, 2, 2, 4, 4, (3, 3), (2, 2), (1, 1)),  # every window reaches into the padding
    (2, 2, 3, 6, 8, (2, 3), (1, 1), (3, 2)),  # dilated along both axes
]


@pytest.mark.parametrize("geom", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_input_gradient_matches_loop_oracle(geom, dtype):
    n, c, o, h, w, k, p, d = geom
    rng = np.random.default_rng(7)
    x = tt.tensor(rng.standard_normal((n, c, h, w)).astype(dtype), requires_grad=True)
    wt = tt.tensor(rng.standard_normal((o, c, *k)).astype(dtype))
    out = F.conv2d(x, wt, padding=p, dilation=d)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(tt.tensor(g))
    want = input_grad_oracle(g, wt.numpy(), (h, w), p, d)
    assert x.grad.dtype == x.dtype and x.grad.shape == x.shape
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("geom", [*GEOMETRIES[:3], GEOMETRIES[6]])
def test_conv_transpose2d_stride_one_is_the_input_gradient(geom):
    n, c, o, h, w, k, p, d = geom
    rng = np.random.default_rng(8)
    wt = rng.standard_normal((o, c, *k))  # conv2d's weight is conv_transpose2d's (in=o, out=c)
    oh = h + 2 * p[0] - d[0] * (k[0] - 1)
    ow = w + 2 * p[1] - d[1] * (k[1] - 1)
    g = rng.standard_normal((n, o, oh, ow))
    got = F.conv_transpose2d(tt.tensor(g), tt.tensor(wt), padding=p, dilation=d)
    np.testing.assert_allclose(
        got.numpy(), input_grad_oracle(g, wt, (h, w), p, d), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("geom", [GEOMETRIES[1], GEOMETRIES[5], GEOMETRIES[6]])
def test_conv_transpose2d_stride_one_first_and_second_order_gradcheck(geom):
    n, c, o, h, w, k, p, d = geom
    rng = np.random.default_rng(9)
    oh = h + 2 * p[0] - d[0] * (k[0] - 1)
    ow = w + 2 * p[1] - d[1] * (k[1] - 1)
    g = tt.tensor(rng.standard_normal((n, o, oh, ow)), requires_grad=True)
    wt = tt.tensor(rng.standard_normal((o, c, *k)), requires_grad=True)

    def f(a, b):
        return F.conv_transpose2d(a, b, padding=p, dilation=d)

    assert gradcheck(f, (g, wt))
    assert gradgradcheck(f, (g, wt))
