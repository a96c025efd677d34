"""``hessian(f, argnums)`` differentiates twice with respect to the SAME arguments, checked
against closed forms in NumPy (no torch): a planted ``jacfwd(jacrev(f, argnums))`` (outer
derivative taken with respect to argument 0) gives the mixed block instead."""

import numpy as np

import tinytensor as tt
from tinytensor.func import hessian

X = np.array([1.0, 2.0, 3.0])
Y = np.array([0.5, -1.0, 2.0])


def f(x, y):
    return (x**2 * y**3).sum()


def test_hessian_with_respect_to_the_second_argument():
    h = hessian(f, argnums=1)(tt.tensor(X), tt.tensor(Y))
    # d2f/dy2 = diag(6 x^2 y); the mixed block would be diag(6 x y^2)
    np.testing.assert_allclose(h.numpy(), np.diag(6 * X**2 * Y), rtol=1e-12)


def test_hessian_over_both_arguments_is_the_full_block_matrix():
    h = hessian(f, argnums=(0, 1))(tt.tensor(X), tt.tensor(Y))
    assert isinstance(h, tuple) and len(h) == 2
    assert all(isinstance(row, tuple) and len(row) == 2 for row in h)
    want = {
        (0, 0): np.diag(2 * Y**3),
        (0, 1): np.diag(6 * X * Y**2),
        (1, 0): np.diag(6 * X * Y**2),
        (1, 1): np.diag(6 * X**2 * Y),
    }
    for (i, j), w in want.items():
        np.testing.assert_allclose(h[i][j].numpy(), w, rtol=1e-12, err_msg=f"block {i}{j}")


def test_hessian_default_argnums_is_the_first_argument():
    h = hessian(f)(tt.tensor(X), tt.tensor(Y))
    np.testing.assert_allclose(h.numpy(), np.diag(2 * Y**3), rtol=1e-12)
