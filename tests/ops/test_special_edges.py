"""Special functions on edge values as PyTorch 2.13 (tinytensor/ops/special.py, explog.py,
trig.py, _special_np.py): digamma's pole at 0 takes the zero's sign (psi(-0.0) = +inf, so
lgamma's gradient there too); logit's gradient is NaN outside [0, 1] and g*inf at 0 and 1
(without eps); sinc's gradient is 0 at a tiny x (pi*x*x underflowed to 0/0); i0e and i1e stay
finite for every x (i0(x)*exp(-|x|) gave inf*0 = NaN beyond |x| ~ 88 in float32 and at inf),
with gradients; i1 and i1e of -0.0 are +0.0; entr is quiet at inf. NumPy oracles first,
PyTorch behind the marker."""

import math
import warnings

import numpy as np
import pytest

import tinytensor as tt

INF, NAN = math.inf, math.nan


def _grad(fn, values, dtype=tt.float64, g=1.0):
    x = tt.tensor(values, dtype=dtype, requires_grad=True)
    fn(x).backward(tt.full(x.shape, g, dtype=dtype))
    return x.grad.numpy()


def test_digamma_pole_sign_numpy():
    out = tt.digamma(tt.tensor([-0.0, 0.0, -1.0]))
    assert out[0].item() == INF and out[1].item() == -INF and math.isnan(out[2].item())
    assert _grad(tt.lgamma, [-0.0, 0.0]).tolist() == [INF, -INF]


def test_logit_gradient_edges_numpy():
    got = _grad(tt.logit, [-0.5, -0.0, 0.0, 0.25, 1.0, 1.5, NAN], g=-1.0)
    assert np.isnan(got[[0, 5, 6]]).all()
    assert got[1] == -INF and got[2] == -INF and got[4] == -INF
    assert got[3] == pytest.approx(-1.0 / (0.25 * 0.75))
    eps = _grad(lambda t: tt.logit(t, eps=0.1), [-0.5, 0.05, 0.5, 1.5])
    np.testing.assert_allclose(eps, [0.0, 0.0, 4.0, 0.0])
    x = tt.tensor([0.25], dtype=tt.float64, requires_grad=True)
    (g,) = tt.autograd.grad(tt.logit(x).sum(), x, create_graph=True)
    (gg,) = tt.autograd.grad(g.sum(), x)
    assert np.isfinite(gg.numpy()).all()  # no 0*inf from the unselected branches


@pytest.mark.parametrize("dtype", [tt.float32, tt.float64])
def test_sinc_gradient_at_tiny_x_numpy(dtype):
    got = _grad(tt.sinc, [1e-30, 1e-20, 0.0, -1e-30, 0.25], dtype)
    np.testing.assert_array_equal(got[:4], [0.0, 0.0, 0.0, 0.0])
    want = (math.cos(math.pi / 4) - math.sin(math.pi / 4) / (math.pi / 4)) / 0.25
    assert got[4] == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("dtype", [tt.float32, tt.float64])
def test_scaled_bessel_is_finite_everywhere_numpy(dtype):
    x = [-INF, -1000.0, -100.0, -0.0, 0.0, 1e-3, 5.0, 100.0, 800.0, INF]
    i0e = tt.special.i0e(tt.tensor(x, dtype=dtype)).numpy()
    i1e = tt.special.i1e(tt.tensor(x, dtype=dtype)).numpy()
    assert np.isfinite(i0e).all() and np.isfinite(i1e).all()
    assert i0e[0] == 0 and i0e[-1] == 0 and i1e[-1] == 0 and np.signbit(i1e[0])
    assert not np.signbit(i1e[3]) and i1e[3] == 0  # i1e(-0.0) is +0.0
    big = np.array([100.0, 800.0])  # the asymptotic series: 1/sqrt(2 pi x) (1 + 1/(8x) + ...)
    series = (1 + 1 / (8 * big) + 9 / (128 * big**2)) / np.sqrt(2 * np.pi * big)
    np.testing.assert_allclose(i0e[[7, 8]], series, rtol=1e-5)
    exact = np.i0(5.0) * np.exp(-5.0)
    assert i0e[6] == pytest.approx(exact, rel=1e-6)
    for fn in (tt.special.i0e, tt.special.i1e):
        assert np.isfinite(_grad(fn, x[1:-1], dtype)).all()
    assert _grad(tt.special.i1e, [0.0])[0] == pytest.approx(0.5)
    assert tt.special.i1(tt.tensor([-0.0])).item() == 0 and not np.signbit(
        tt.special.i1(tt.tensor([-0.0])).numpy()[0]
    )


def test_entr_is_quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tt.special.entr(tt.tensor([INF, NAN, 0.0, -1.0, 1e30]))
    assert out[0].item() == -INF and math.isnan(out[1].item()) and out[2].item() == 0


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_edges_match_torch(dtype):
    torch = pytest.importorskip("torch")
    # not the poles of digamma's gradient (-2, -inf), where PyTorch's polygamma is rounding noise
    x = [-0.5, -0.0, 0.0, 1e-30, 0.25, 1.0, 1.5, 700.0, 1000.0, INF]
    rtol = 2e-3 if dtype == "float32" else 2e-6  # i0e's gradient cancels in float32 at 700
    pairs = [
        (lambda L, t: L.digamma(t), True),
        (lambda L, t: L.logit(t), True),
        (lambda L, t: L.sinc(t), True),
        (lambda L, t: L.special.i0e(t), True),
        (lambda L, t: L.special.i1e(t), False),
        (lambda L, t: L.special.entr(t), False),
    ]
    for fn, grads in pairs:
        a = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
        b = tt.tensor(x, dtype=getattr(tt, dtype), requires_grad=True)
        ya, yb = fn(torch, a), fn(tt, b)
        np.testing.assert_allclose(yb.detach().numpy(), ya.detach().numpy(), rtol=2e-6)
        if grads:
            ya.backward(torch.ones_like(ya))
            yb.backward(tt.ones(yb.shape, dtype=yb.dtype))
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=rtol, atol=1e-12)
