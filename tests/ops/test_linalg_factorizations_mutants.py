"""The one-node matrix ops of tinytensor/ops/linalg/factorizations.py against exact NumPy or
hand-derived oracles, and their backward formulas against gradcheck in float64: the options
the op-table rows do not vary (diagonal's and diag_embed's dims, solve's left= and batch
broadcasting, solve_triangular's left=/unitriangular=, cholesky's upper=, svd's wide and tall
gradients), det's Hessian-vector product on singular and invertible matrices against the exact
polynomial cofactor matrix, slogdet's sign, and the error messages. NumPy only."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
from ops.linalg_oracles import cofactor, t64
from tinytensor.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(7122026)


_t, _cofactor = t64, cofactor  # the names the tests below use


# ---- diagonal, diag_embed ---------------------------------------------------------------------


def test_diagonal_every_dim_pair_and_offset():
    a = RNG.standard_normal((3, 4, 5))
    for d1, d2 in itertools.permutations(range(-3, 3), 2):
        if d1 % 3 == d2 % 3:
            continue
        for off in (-2, -1, 0, 1, 3):
            got = tt.diagonal(_t(a), off, d1, d2).numpy()
            np.testing.assert_array_equal(got, np.diagonal(a, off, d1, d2))
    np.testing.assert_array_equal(tt.diagonal(_t(a)).numpy(), np.diagonal(a))
    with pytest.raises(RuntimeError, match=r"diagonal: dim1 and dim2 cannot be the same .*\(1\)"):
        tt.diagonal(_t(a), 0, 1, -2)


@pytest.mark.parametrize("args", [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (2, 1, 2), (0, -1, 1)])
def test_diagonal_gradients(args):
    a = RNG.standard_normal((3, 4, 5))
    x = _t(a, True)
    out = tt.diagonal(x, *args)
    g = RNG.standard_normal(out.shape)
    (out * _t(g)).sum().backward()
    expect = np.zeros_like(a)
    idx = np.arange(a.size).reshape(a.shape)
    np.put(expect, np.diagonal(idx, *args), g)  # g scattered back onto the same entries
    np.testing.assert_array_equal(x.grad.numpy(), expect)
    assert gradgradcheck(lambda t: tt.diagonal(t, *args) ** 2, (_t(a, True),))


def _np_diag_embed(x, offset, d1, d2):
    n = x.shape[-1] + abs(offset)
    std = np.zeros(x.shape[:-1] + (n, n))
    i = np.arange(x.shape[-1])
    std[..., i + max(-offset, 0), i + max(offset, 0)] = x
    nd = x.ndim + 1
    return np.moveaxis(std, (-2, -1), (d1 % nd, d2 % nd))


def test_diag_embed_dims_and_offsets():
    x = RNG.standard_normal((2, 3, 4))
    for d1, d2 in itertools.permutations(range(-4, 4), 2):
        if d1 % 4 == d2 % 4:
            continue
        for off in (-2, 0, 1):
            got = tt.diag_embed(_t(x), off, d1, d2).numpy()
            np.testing.assert_array_equal(
                got, _np_diag_embed(x, off, d1, d2), err_msg=str((d1, d2))
            )
    np.testing.assert_array_equal(tt.diag_embed(_t([1.0, 2.0])).numpy(), np.diag([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"diag_embed: dim1 and dim2 cannot be the same"):
        tt.diag_embed(_t(x), 0, 0, -4)
    assert gradgradcheck(lambda t: tt.diag_embed(t, 1, 0, 2) ** 2, (_t(x, True),))


# ---- inv, det, slogdet ------------------------------------------------------------------------


def test_inv_gradient_exact_and_errors():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    g = RNG.standard_normal((3, 3))
    x = _t(a, True)
    (tt.linalg.inv(x) * _t(g)).sum().backward()
    ai = np.linalg.inv(a)
    np.testing.assert_allclose(x.grad.numpy(), -ai.T @ g @ ai.T, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"linalg.inv: expected a floating point .*int64"):
        tt.linalg.inv(tt.tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(RuntimeError, match=r"linalg.inv: expected a tensor of square .*\(2, 3\)"):
        tt.linalg.inv(_t(np.zeros((2, 3))))
    with pytest.raises(RuntimeError, match=r"linalg.inv: expected a tensor of square .*\(3,\)"):
        tt.linalg.inv(_t(np.zeros(3)))
    batch = np.broadcast_to(np.eye(2), (2, 3, 2, 2)).copy()
    batch[1, 2] = [[1.0, 2.0], [2.0, 4.0]]
    with pytest.raises(tt.linalg.LinAlgError, match=r"linalg.inv: batch element \(1, 2\) of the"):
        tt.linalg.inv(_t(batch))
    batch[1, 2], batch[0, 0] = np.eye(2), 0.0
    with pytest.raises(tt.linalg.LinAlgError, match=r"linalg.inv: batch element \(0, 0\) of the"):
        tt.linalg.inv(_t(batch))


def test_det_batch_gradient_is_the_cofactor_matrix():
    a = RNG.standard_normal((2, 3, 3))
    a[1, 2] = a[1, 0] + a[1, 1]  # singular
    x = _t(a, True)
    g = np.array([2.0, -3.0])
    (tt.linalg.det(x) * _t(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g[:, None, None] * _cofactor(a), atol=1e-12)
    np.testing.assert_allclose(tt.linalg.det(_t(a)).numpy(), np.linalg.det(a), atol=1e-14)


def _poly_slope(f, m, d, h=0.5):
    """The linear coefficient of a polynomial of degree <= 4 in t: f(m + t d), exactly."""
    return (8 * (f(m + h * d) - f(m - h * d)) - (f(m + 2 * h * d) - f(m - 2 * h * d))) / (12 * h)


@pytest.mark.parametrize(
    ("n", "drop"), [(1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2), (4, 1), (4, 2)]
)
def test_det_hessian_vector_product_is_the_cofactor_derivative(n, drop):
    """Rank n - drop in the first matrix of the batch (drop >= 1: the SVD/DFT path)."""
    rng = np.random.default_rng(n * 10 + drop)
    a = rng.standard_normal((2, n, n))
    a[0, n - drop :] = rng.standard_normal((drop, n - drop)) @ a[0, : n - drop]
    assert np.linalg.matrix_rank(a[0]) == n - drop
    gdir = rng.standard_normal((2, n, n))
    x = _t(a, True)
    (gr,) = tt.autograd.grad(tt.linalg.det(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(gr.detach().numpy(), _cofactor(a), atol=1e-12)
    (gr * _t(gdir)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _poly_slope(_cofactor, a, gdir), atol=1e-10)


def test_det_hvp_with_a_broadcast_direction_and_both_gradients():
    a = RNG.standard_normal((2, 3, 3))
    a[1, 0] = a[1, 1] - a[1, 2]
    gdir = RNG.standard_normal((3, 3))
    x, gv = _t(a, True), _t(gdir, True)
    (gr,) = tt.autograd.grad(tt.linalg.det(x).sum(), x, create_graph=True)
    (gr * gv).sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), _poly_slope(_cofactor, a, np.broadcast_to(gdir, a.shape)), atol=1e-10
    )
    np.testing.assert_allclose(gv.grad.numpy(), _cofactor(a).sum(0), atol=1e-12)


def test_slogdet_sign_value_and_gradient():
    a = np.array([[0.0, 2.0], [3.0, 1.0]])  # det -6
    x = _t(a, True)
    sign, lad = tt.linalg.slogdet(x)
    assert sign.item() == -1.0 and lad.item() == pytest.approx(np.log(6.0), rel=1e-15)
    assert not sign.requires_grad and lad.requires_grad
    lad.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.linalg.inv(a).T, rtol=1e-14)
    s0, l0 = tt.linalg.slogdet(_t([[1.0, 2.0], [2.0, 4.0]]))
    assert s0.item() == 0.0 and l0.item() == -np.inf
    b = RNG.standard_normal((3, 4, 4))
    s, lg = tt.linalg.slogdet(_t(b))
    ns, nl = np.linalg.slogdet(b)
    np.testing.assert_array_equal(s.numpy(), ns)
    np.testing.assert_allclose(lg.numpy(), nl, rtol=1e-13)
    assert gradcheck(lambda m: tt.linalg.slogdet(m)[1], (_t(b, True),))
    assert gradgradcheck(lambda m: tt.linalg.slogdet(m)[1], (_t(b[0], True),))


# ---- solve, solve_triangular ------------------------------------------------------------------


def test_solve_left_false_vectors_and_broadcast():
    a = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(tt.linalg.solve(_t(a), _t(b)).numpy(), np.linalg.solve(a, b))
    br = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(
        tt.linalg.solve(_t(a), _t(br), left=False).numpy(), br @ np.linalg.inv(a), rtol=1e-12
    )
    v = RNG.standard_normal((2, 3))  # a batch of vectors: shape A.shape[:-1]
    np.testing.assert_allclose(
        tt.linalg.solve(_t(a), _t(v)).numpy(), np.linalg.solve(a, v[..., None])[..., 0]
    )
    np.testing.assert_allclose(
        tt.linalg.solve(_t(a), _t(v), left=False).numpy(),
        (v[:, None, :] @ np.linalg.inv(a))[:, 0],
        rtol=1e-12,
    )
    v1 = RNG.standard_normal(3)
    np.testing.assert_allclose(
        tt.linalg.solve(_t(a[0]), _t(v1)).numpy(), np.linalg.solve(a[0], v1), rtol=1e-12
    )
    assert gradcheck(lambda p, q: tt.linalg.solve(p, q), (_t(a, True), _t(b, True)))
    assert gradcheck(lambda p, q: tt.linalg.solve(p, q, left=False), (_t(a, True), _t(br, True)))
    assert gradcheck(lambda p, q: tt.linalg.solve(p, q), (_t(a, True), _t(v, True)))
    assert gradgradcheck(lambda p, q: tt.linalg.solve(p, q), (_t(a[0], True), _t(b, True)))
    x = _t(b, True)
    tt.linalg.solve(_t(a), x).sum().backward()  # A not requiring grad: only dB
    np.testing.assert_allclose(
        x.grad.numpy(), (np.linalg.inv(np.swapaxes(a, -1, -2)) @ np.ones((2, 3, 4))).sum(0)
    )


def test_solve_errors_name_the_op_and_shapes():
    a = np.eye(3)
    with pytest.raises(RuntimeError, match=r"linalg.solve: A of shape \(3, 3\) and B of shape "):
        tt.linalg.solve(_t(a), _t(np.zeros((2, 4))))
    with pytest.raises(RuntimeError, match=r"B needs 3 rows"):
        tt.linalg.solve(_t(a), _t(np.zeros(2)))
    with pytest.raises(RuntimeError, match=r"linalg.solve: batch dims of A .* do not broadcast"):
        tt.linalg.solve(_t(np.broadcast_to(a, (2, 3, 3))), _t(np.zeros((4, 3, 1))))
    with pytest.raises(tt.linalg.LinAlgError, match=r"linalg.solve: the matrix A .* singular"):
        tt.linalg.solve(_t(np.zeros((3, 3))), _t(np.zeros((3, 1))))


def _tri(a, upper, unit):
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t - np.diag(np.diag(t)) + np.eye(a.shape[-1])
    return t


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular_reads_its_triangle_and_gradients(upper, left, unit):
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2) if left else (2, 3))
    t = _tri(a, upper, unit)
    want = np.linalg.solve(t, b) if left else b @ np.linalg.inv(t)
    kw = {"upper": upper, "left": left, "unitriangular": unit}
    np.testing.assert_allclose(tt.linalg.solve_triangular(_t(a), _t(b), **kw).numpy(), want)

    def f(p, q):
        return tt.linalg.solve_triangular(p, q, **kw)

    assert gradcheck(f, (_t(a, True), _t(b, True)))
    assert gradgradcheck(f, (_t(a, True), _t(b, True)))
    x = _t(a, True)
    f(x, _t(b)).sum().backward()  # zero gradient outside the triangle it reads
    mask = (_tri(np.ones((3, 3)) * 2, upper, unit) != 2).astype(float)
    np.testing.assert_array_equal(x.grad.numpy() * mask, 0.0)


def test_solve_triangular_errors_and_zero_pivot():
    with pytest.raises(RuntimeError, match=r"linalg.solve_triangular: A of shape \(3, 3\) and B"):
        tt.linalg.solve_triangular(_t(np.eye(3)), _t(np.zeros((2, 1))), upper=True)
    with pytest.raises(TypeError):
        tt.linalg.solve_triangular(_t(np.eye(3)), _t(np.zeros((3, 1))))  # upper is required
    out = tt.linalg.solve_triangular(_t(np.zeros((2, 2))), _t(np.ones((2, 1))), upper=False)
    assert not np.isfinite(out.numpy()).any()
    bt = np.broadcast_to(np.triu(np.ones((3, 3))) + np.eye(3), (2, 3, 3))
    rhs = RNG.standard_normal((3, 2))
    np.testing.assert_allclose(
        tt.linalg.solve_triangular(_t(bt), _t(rhs), upper=True).numpy(),
        np.linalg.solve(bt, rhs),
        rtol=1e-12,
    )


# ---- cholesky ---------------------------------------------------------------------------------


def test_cholesky_upper_gradients_and_error():
    m = RNG.standard_normal((2, 3, 3))
    a = m @ np.swapaxes(m, -1, -2) + np.eye(3)
    low = np.linalg.cholesky(a)
    np.testing.assert_allclose(tt.linalg.cholesky(_t(a)).numpy(), low, rtol=1e-13)
    np.testing.assert_allclose(
        tt.linalg.cholesky(_t(a), upper=True).numpy(), np.swapaxes(low, -1, -2), rtol=1e-13
    )
    for upper in (False, True):

        def f(p, upper=upper):
            return tt.linalg.cholesky(p @ p.mT + _t(np.eye(3)), upper=upper)

        assert gradcheck(f, (_t(m, True),))
        assert gradgradcheck(f, (_t(m[0], True),))
    bad = np.broadcast_to(np.eye(3), (2, 3, 3)).copy()
    bad[1, 1, 1] = -1.0  # leading minor of order 2 of batch element (1,)
    with pytest.raises(tt.linalg.LinAlgError, match=r"minor of order 2 of batch element \(1,\)"):
        tt.linalg.cholesky(_t(bad))


# ---- svd --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3), (2, 4, 3), (2, 3, 4)])
def test_svd_gradients_of_each_output(shape):
    a = RNG.standard_normal(shape)

    def u_only(m):
        return tt.linalg.svd(m, full_matrices=False)[0] ** 2

    def vh_only(m):
        return tt.linalg.svd(m, full_matrices=False)[2] ** 2

    def s_only(m):
        return tt.linalg.svd(m, full_matrices=False)[1]

    def all_three(m):
        u, s, vh = tt.linalg.svd(m, full_matrices=False)
        return u**2, s, vh**2

    for f in (u_only, vh_only, s_only, all_three):
        assert gradcheck(f, (_t(a, True),)), f.__name__


@pytest.mark.parametrize("shape", [(4, 2), (2, 4)])
def test_svd_full_matrices_values_and_gradient_of_the_first_k(shape):
    a = RNG.standard_normal(shape)
    u, s, vh = tt.linalg.svd(_t(a))
    assert u.shape == (shape[0],) * 2 and vh.shape == (shape[1],) * 2
    np.testing.assert_allclose((u.numpy()[:, :2] * s.numpy()) @ vh.numpy()[:2], a, atol=1e-13)
    k = min(shape)

    def first_k(m):
        uu, ss, vv = tt.linalg.svd(m)
        return uu[:, :k] ** 2, ss, vv[:k] ** 2

    assert gradcheck(first_k, (_t(a, True),))
    x = _t(a, True)
    tt.linalg.svd(x)[1].sum().backward()  # d sum(s) / dA = U_k Vh_k
    uu, _, vv = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(x.grad.numpy(), uu @ vv, atol=1e-13)
