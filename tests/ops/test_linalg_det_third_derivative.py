"""det's third derivative at invertible matrices (tinytensor/ops/linalg/factorizations.py,
``_det_hvp_backward``): the derivative of the Hessian-vector product with respect to A. For a
3x3 matrix det(A + tG + sH + uK) is a cubic in (t, s, u), so the third derivative along G, H,
K is its coefficient of t*s*u, exactly eight determinants apart (a NumPy oracle); for larger
matrices gradcheck's finite differences, and PyTorch where installed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck


def _draw(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) + n * np.eye(n)  # well conditioned
    return A, rng.standard_normal((n, n)), rng.standard_normal((n, n)), rng.standard_normal((n, n))


def third(lib, A, G, H, K):
    """D^3 det(A)[G, H, K] by three backward passes of ``lib`` (tinytensor or torch)."""
    a = lib.tensor(A, requires_grad=True)
    (g,) = lib.autograd.grad(lib.linalg.det(a), a, create_graph=True)
    (h,) = lib.autograd.grad((g * lib.tensor(G)).sum(), a, create_graph=True)
    (t,) = lib.autograd.grad((h * lib.tensor(H)).sum(), a)
    return float((t * lib.tensor(K)).sum())


def mixed_coefficient(A, G, H, K):
    """The t*s*u coefficient of det(A + tG + sH + uK) for 3x3 matrices: the mixed difference
    over the corners of the unit cube (exact: no other monomial has all three variables)."""
    total = 0.0
    for t, s, u in itertools.product((0, 1), repeat=3):
        sign = (-1) ** (3 - t - s - u)
        total += sign * np.linalg.det(A + t * G + s * H + u * K)
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_third_derivative_of_a_3x3_det_is_the_mixed_coefficient(seed):
    A, G, H, K = _draw(3, seed)
    want = mixed_coefficient(A, G, H, K)
    np.testing.assert_allclose(third(tt, A, G, H, K), want, rtol=1e-9, atol=1e-9)
    # it does not depend on A (det is cubic), and it is symmetric in its three directions
    np.testing.assert_allclose(third(tt, 2 * A + G, G, H, K), want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(third(tt, A, K, G, H), want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [2, 4])
def test_the_hessian_vector_products_gradient_passes_gradcheck(n):
    A, G, _, _ = _draw(n, 10 + n)
    Gt = tt.tensor(G)

    def hvp(a):
        # gradcheck's finite differences call this without grad: a fresh leaf there
        with tt.enable_grad():
            a = a if a.requires_grad else a.detach().requires_grad_(True)
            (g,) = tt.autograd.grad(tt.linalg.det(a), a, create_graph=True)
            return tt.autograd.grad((g * Gt).sum(), a, create_graph=True)[0]

    assert gradcheck(hvp, (tt.tensor(A, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize("n", [3, 4])
def test_third_derivative_matches_torch(n):
    torch = pytest.importorskip("torch")
    A, G, H, K = _draw(n, 20 + n)
    np.testing.assert_allclose(third(tt, A, G, H, K), third(torch, A, G, H, K), rtol=1e-9)
