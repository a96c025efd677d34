"""The one-node matrix ops of tinytensor/ops/linalg/factorizations.py against exact NumPy or
hand-derived oracles, and their backward formulas against gradcheck in float64: the options
the op-table rows do not vary (diagonal's and diag_embed's dims, solve's left= and batch
broadcasting, solve_triangular's left=/unitriangular=, cholesky's upper=, svd's wide and tall
gradients), det's Hessian-vector product on singular and invertible matrices against the exact
polynomial cofactor matrix, slogdet's sign, and the error messages. NumPy only."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(7122026)


def _t(a, grad=False):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _cofactor(m):
    """adj(m)^T from the minors (exact, any rank; m of shape (..., n, n))."""
    n = m.shape[-1]
    out = np.zeros_like(m)
    for i, j in itertools.product(range(n), range(n)):
        minor = np.delete(np.delete(m, i, -2), j, -1)
        out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


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


F32_OPS = {
    "det": tt.linalg.det,
    "det_singular": lambda x: tt.linalg.det(tt.stack([x[0], x[1], x[0] + x[1]])),
    "slogdet": lambda x: tt.linalg.slogdet(x)[1],
    "inv": tt.linalg.inv,
    "solve": lambda x: tt.linalg.solve(x, x[:, :1]),
    "solve_triangular": lambda x: tt.linalg.solve_triangular(x, x, upper=True),
    "cholesky": lambda x: tt.linalg.cholesky(x @ x.mT),
    "svd": lambda x: tt.linalg.svd(x)[0] ** 2,
    "diag_embed": lambda x: tt.diag_embed(x, 1),
}


@pytest.mark.parametrize("name", sorted(F32_OPS))
def test_float32_in_float32_out_values_and_gradients(name):
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    f = F32_OPS[name]
    x32 = tt.tensor(a.astype(np.float32), requires_grad=True)
    y32 = f(x32)
    assert y32.dtype == tt.float32
    y32.sum().backward()
    assert x32.grad.dtype == tt.float32
    x64 = _t(a.astype(np.float32), True)
    y64 = f(x64)
    y64.sum().backward()
    np.testing.assert_allclose(y32.detach().numpy(), y64.detach().numpy(), rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(x32.grad.numpy(), x64.grad.numpy(), rtol=2e-3, atol=2e-4)


def test_det_second_derivative_keeps_float32():
    for a in (RNG.standard_normal((3, 3)) + 3 * np.eye(3), np.diag([1.0, 2.0, 0.0])):
        x = tt.tensor(a.astype(np.float32), requires_grad=True)
        (gr,) = tt.autograd.grad(tt.linalg.det(x), x, create_graph=True)
        assert gr.dtype == tt.float32
        (gr * tt.tensor(np.ones((3, 3), np.float32))).sum().backward()
        assert x.grad.dtype == tt.float32
        want = _poly_slope(_cofactor, a, np.ones((3, 3)))
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-4, atol=1e-4)


_O, _M = object(), tt.ones(3, 3)
NAMED = [
    ("diagonal", lambda: tt.diagonal(_O)),
    ("diag_embed", lambda: tt.diag_embed(_O)),
    ("linalg.inv", lambda: tt.linalg.inv(_O)),
    ("linalg.det", lambda: tt.linalg.det(_O)),
    ("linalg.slogdet", lambda: tt.linalg.slogdet(_O)),
    ("linalg.solve", lambda: tt.linalg.solve(_O, _M)),
    ("linalg.solve", lambda: tt.linalg.solve(_M, _O)),
    ("linalg.solve_triangular", lambda: tt.linalg.solve_triangular(_O, _M, upper=True)),
    ("linalg.solve_triangular", lambda: tt.linalg.solve_triangular(_M, _O, upper=True)),
    ("linalg.cholesky", lambda: tt.linalg.cholesky(_O)),
    ("linalg.svd", lambda: tt.linalg.svd(_O)),
]


@pytest.mark.parametrize(
    ("name", "call"), NAMED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NAMED)]
)
def test_a_non_tensor_argument_error_names_the_op(name, call):
    with pytest.raises(TypeError, match=f"^{name}: expected a Tensor or a number, got object$"):
        call()


INT = tt.ones(2, 2, dtype=tt.int64)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("linalg.det", lambda: tt.linalg.det(INT)),
        ("linalg.slogdet", lambda: tt.linalg.slogdet(INT)),
        ("linalg.solve", lambda: tt.linalg.solve(INT, _M[:2])),
        ("linalg.solve_triangular", lambda: tt.linalg.solve_triangular(INT, _M, upper=True)),
        ("linalg.cholesky", lambda: tt.linalg.cholesky(INT)),
        ("linalg.svd", lambda: tt.linalg.svd(INT)),
    ],
)
def test_integer_input_error_names_the_op(name, call):
    with pytest.raises(RuntimeError, match=f"^{name}: expected a floating point tensor, got dtype"):
        call()


def test_dim_errors_name_the_op():
    with pytest.raises(IndexError, match=r"^diagonal: dim 3 is out of range"):
        tt.diagonal(_M, 0, 0, 3)
    with pytest.raises(IndexError, match=r"^diagonal: dim -3 is out of range"):
        tt.diagonal(_M, 0, -3, 1)
    with pytest.raises(IndexError, match=r"^diag_embed: dim 3 is out of range"):
        tt.diag_embed(_M, 0, 3, 0)
    with pytest.raises(IndexError, match=r"^diag_embed: dim -4 is out of range"):
        tt.diag_embed(_M, 0, 0, -4)
    with pytest.raises(RuntimeError, match=r"^linalg.solve_triangular: expected a tensor of matr"):
        tt.linalg.solve_triangular(_M, tt.ones(3), upper=True)


def test_cholesky_error_names_the_first_failing_minor():
    for k in (1, 2, 3):
        m = np.eye(3)
        m[k - 1, k - 1] = -1.0
        with pytest.raises(tt.linalg.LinAlgError, match=f"minor of order {k} of the matrix"):
            tt.linalg.cholesky(_t(m))
    batch = np.broadcast_to(np.eye(2), (2, 2, 2, 2)).copy()
    batch[1, 0, 0, 0] = 0.0
    with pytest.raises(tt.linalg.LinAlgError, match=r"order 1 of batch element \(1, 0\)"):
        tt.linalg.cholesky(_t(batch))


def test_triangular_and_general_solves_broadcast_a_against_batched_b():
    a = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((2, 3, 2))
    np.testing.assert_allclose(
        tt.linalg.solve_triangular(_t(a), _t(b), upper=True).numpy(),
        np.linalg.solve(a, b),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        tt.linalg.solve_triangular(_t(a.T), _t(b), upper=False).numpy(),
        np.linalg.solve(a.T, b),
        rtol=1e-12,
    )
    np.testing.assert_allclose(tt.linalg.solve(_t(a), _t(b)).numpy(), np.linalg.solve(a, b))
    assert gradcheck(
        lambda p, q: tt.linalg.solve_triangular(p, q, upper=True), (_t(a, True), _t(b, True))
    )
    assert gradcheck(lambda p, q: tt.linalg.solve(p, q), (_t(a, True), _t(b, True)))


def test_det_of_empty_matrices_and_a_zero_direction():
    x = _t(np.zeros((2, 0, 0)), True)
    d = tt.linalg.det(x)
    np.testing.assert_array_equal(d.detach().numpy(), [1.0, 1.0])
    (gr,) = tt.autograd.grad(d.sum(), x, create_graph=True)
    assert gr.shape == (2, 0, 0)
    (gr.sum() + (d * 0).sum()).backward()
    assert x.grad.shape == (2, 0, 0)
    sing = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    x = _t(sing, True)
    (gr,) = tt.autograd.grad(tt.linalg.det(x), x, create_graph=True)
    (gr * _t(np.zeros((3, 3)))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.zeros((3, 3)), atol=1e-12)  # no NaN


def _mixed(a, g, h, k):
    """D^3 det(a)[g, h, k] for 3x3 matrices: the t*s*u coefficient of det(a + tg + sh + uk)."""
    total = 0.0
    for t, s, u in itertools.product((0, 1), repeat=3):
        total += (-1) ** (3 - t - s - u) * np.linalg.det(a + t * g + s * h + u * k)
    return total


def test_det_third_derivative_on_a_2d_batch_entry_by_entry():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((2, 2, 3, 3)) + 3 * np.eye(3)
    g, h = rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((2, 2, 3, 3))
    x = _t(a, True)
    (gr,) = tt.autograd.grad(tt.linalg.det(x).sum(), x, create_graph=True)
    (hv,) = tt.autograd.grad((gr * _t(g)).sum(), x, create_graph=True)
    (hv * _t(h)).sum().backward()
    want = np.zeros_like(a)
    for b in itertools.product(range(2), range(2)):
        for i, j in itertools.product(range(3), range(3)):
            e = np.zeros((3, 3))
            e[i, j] = 1.0
            want[b + (i, j)] = _mixed(a[b], g[b], h[b], e)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("singular", [False, True])
def test_det_hvp_gradient_with_respect_to_the_direction(singular):
    """d/dG <K, Hess det(A) G> = Hess det(A) K (the Hessian is symmetric): the cofactor
    polynomial's slope along K, for an invertible and a singular A."""
    rng = np.random.default_rng(12 + singular)
    a = rng.standard_normal((2, 3, 3)) + (0 if singular else 3 * np.eye(3))
    if singular:
        a[:, 2] = a[:, 0] - 2 * a[:, 1]
    g, k = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))
    x, gv = _t(a, True), _t(g, True)
    (gr,) = tt.autograd.grad(tt.linalg.det(x).sum(), x, create_graph=True)
    (hv,) = tt.autograd.grad((gr * gv).sum(), x, create_graph=True)
    np.testing.assert_allclose(hv.detach().numpy(), _poly_slope(_cofactor, a, g), atol=1e-10)
    (gg,) = tt.autograd.grad((hv * _t(k)).sum(), gv)
    np.testing.assert_allclose(gg.numpy(), _poly_slope(_cofactor, a, k), atol=1e-10)


def test_slogdet_gradient_on_a_2d_batch_and_quiet_nan():
    b = RNG.standard_normal((2, 3, 4, 4))
    x = _t(b, True)
    gw = RNG.standard_normal((2, 3))
    (tt.linalg.slogdet(x)[1] * _t(gw)).sum().backward()
    want = gw[..., None, None] * np.swapaxes(np.linalg.inv(b), -1, -2)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, lad = tt.linalg.slogdet(_t([[np.nan, 1.0], [1.0, 1.0]]))
        d = tt.linalg.det(_t([[np.nan, 1.0], [1.0, 1.0]]))
    assert s.item() == 0.0 and np.isnan(lad.item()) and np.isnan(d.item())
    # a NaN entry anywhere: (0, nan), as in PyTorch; the other matrices of the batch unchanged
    batch = RNG.standard_normal((3, 3, 3))
    batch[0, 0, 2] = batch[2, 2, 2] = np.nan
    s, lad = tt.linalg.slogdet(_t(batch))
    ns, nl = np.linalg.slogdet(batch[1])
    np.testing.assert_array_equal(s.numpy(), [0.0, ns, 0.0])
    np.testing.assert_array_equal(lad.numpy()[[0, 2]], [np.nan, np.nan])
    assert lad.numpy()[1] == pytest.approx(nl, rel=1e-14)
    s32, l32 = tt.linalg.slogdet(tt.tensor(np.full((2, 2), np.nan, np.float32)))
    assert s32.dtype == l32.dtype == tt.float32 and s32.item() == 0.0
    s0, l0 = tt.linalg.slogdet(_t(np.zeros((2, 0, 0))))
    np.testing.assert_array_equal(s0.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(l0.numpy(), [0.0, 0.0])


@pytest.mark.torch
def test_slogdet_of_nan_matrices_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    for pos in [(0, 0), (0, 2), (2, 0), (1, 1), (2, 2)]:
        m = rng.standard_normal((3, 3))
        m[pos] = np.nan
        s, lad = tt.linalg.slogdet(_t(m))
        ts, tl = torch.linalg.slogdet(torch.tensor(m))
        assert s.item() == ts.item() and np.isnan(lad.item()) and np.isnan(tl.item())


def test_inv_and_solve_singular_messages_in_full():
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(tt.linalg.LinAlgError) as info:
        tt.linalg.inv(_t(sing))
    assert str(info.value) == (
        "linalg.inv: the matrix (shape (2, 2)) is singular, so it has no inverse; use "
        "linalg.pinv for a pseudo-inverse, or linalg.inv_ex to get an error code instead of an "
        "exception"
    )
    for bad in (0, 1):
        batch = np.stack([np.eye(2), np.eye(2)])
        batch[bad] = sing
        with pytest.raises(tt.linalg.LinAlgError) as info:
            tt.linalg.solve(_t(batch), _t(np.ones((2, 2, 1))))
        assert str(info.value) == (
            f"linalg.solve: batch element ({bad},) of the input A (shape (2, 2, 2)) is singular, "
            "so A X = B has no unique solution; use linalg.lstsq for a least-squares solution, "
            "or linalg.solve_ex to get an error code instead of an exception"
        )
    with pytest.raises(RuntimeError) as info:
        tt.linalg.solve(_t(np.eye(3)), _t(np.ones((2, 1))))
    assert str(info.value) == (
        "linalg.solve: A of shape (3, 3) and B of shape (2, 1) do not fit: B needs 3 rows "
        "(shape (*, 3, k) or (*, 3))"
    )


def test_solve_gradient_of_a_alone_and_4d_batches_and_size_one_vectors():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    x = _t(a, True)
    tt.linalg.solve(x, _t(b)).sum().backward()  # B needs no gradient: dA all the same
    sol = np.linalg.solve(a, b)
    np.testing.assert_allclose(
        x.grad.numpy(), -np.linalg.solve(a.T, np.ones((3, 2))) @ sol.T, rtol=1e-12
    )
    a4 = RNG.standard_normal((1, 2, 3, 3)) + 3 * np.eye(3)
    b4 = RNG.standard_normal((1, 2, 3, 1))
    np.testing.assert_allclose(tt.linalg.solve(_t(a4), _t(b4)).numpy(), np.linalg.solve(a4, b4))
    out = tt.linalg.solve(_t([[2.0]]), _t([4.0]))
    assert out.shape == (1,) and out.item() == 2.0
    out = tt.linalg.solve(_t([[[2.0]]]), _t([[4.0]]), left=False)
    assert out.shape == (1, 1) and out.item() == 2.0


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3), (2, 4, 3), (2, 3, 4)])
def test_svd_gradient_of_all_outputs_at_once_is_the_sum_of_each(shape):
    """Backward is linear in (gU, gS, gVh): one pass with all three equals three passes with
    one each (gradcheck checks one output at a time, so it never sees them together)."""
    a = RNG.standard_normal(shape)
    k = min(shape[-2:])
    w = [
        RNG.standard_normal(s)
        for s in (shape[:-1] + (k,), shape[:-2] + (k,), shape[:-2] + (k, shape[-1]))
    ]

    def loss(m, parts):
        outs = tt.linalg.svd(m, full_matrices=False)
        terms = [outs[0] ** 2, outs[1], outs[2] ** 2]
        return sum((terms[i] * _t(w[i])).sum() for i in parts)

    grads = []
    for parts in ([0, 1, 2], [0], [1], [2]):
        x = _t(a, True)
        loss(x, parts).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1] + grads[2] + grads[3], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 4, 2), (2, 2, 4)])
def test_svd_full_matrices_batched_gradient(shape):
    a = RNG.standard_normal(shape)

    def first_k(m):
        uu, ss, vv = tt.linalg.svd(m)
        return uu[..., :, :2] ** 2, ss, vv[..., :2, :] ** 2

    assert gradcheck(first_k, (_t(a, True),))


def test_solve_triangular_4d_batches_infinite_pivots_and_quiet_zero_pivots():
    a = np.triu(RNG.standard_normal((1, 2, 3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((1, 2, 3, 2))
    for upper, t in ((True, a), (False, np.swapaxes(a, -1, -2))):
        np.testing.assert_allclose(
            tt.linalg.solve_triangular(_t(t), _t(b), upper=upper).numpy(),
            np.linalg.solve(t, b),
            rtol=1e-12,
        )
    # an infinite pivot gives a zero there, and only the entries already solved are read
    up = np.array([[np.inf, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(
        tt.linalg.solve_triangular(_t(up), _t([[1.0], [1.0]]), upper=True).numpy(), [[0.0], [1.0]]
    )
    low = np.array([[1.0, 0.0], [1.0, np.inf]])
    np.testing.assert_array_equal(
        tt.linalg.solve_triangular(_t(low), _t([[1.0], [1.0]]), upper=False).numpy(),
        [[1.0], [0.0]],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tt.linalg.solve_triangular(_t(np.zeros((2, 2))), _t([[1.0], [1.0]]), upper=True)
    assert np.isnan(out.numpy()).any() or np.isinf(out.numpy()).any()
    with pytest.raises(RuntimeError) as info:
        tt.linalg.solve_triangular(_t(np.eye(3)), _t(np.zeros((2, 1))), upper=True)
    assert str(info.value) == (
        "linalg.solve_triangular: A of shape (3, 3) and B of shape (2, 1) do not fit: B needs 3 "
        "rows"
    )


def test_dtype_and_cholesky_messages_in_full():
    with pytest.raises(RuntimeError) as info:
        tt.linalg.det(tt.tensor(np.eye(2, dtype=np.int64)))
    assert str(info.value) == (
        "linalg.det: expected a floating point tensor, got dtype tinytensor.int64; convert it "
        "with .double() or .float()"
    )
    with pytest.raises(tt.linalg.LinAlgError) as info:
        tt.linalg.cholesky(_t(np.diag([1.0, -1.0])))
    assert str(info.value) == (
        "linalg.cholesky: The factorization could not be completed because the input is not "
        "positive-definite (the leading minor of order 2 of the matrix, shape (2, 2), is not "
        "positive-definite); use linalg.cholesky_ex to get an error code instead of an exception"
    )


def test_det_nan_per_matrix_of_a_batch_and_batched_messages():
    batch = RNG.standard_normal((2, 2, 3, 3))
    batch[0, 1, 2, 0] = np.nan
    got = tt.linalg.det(_t(batch)).numpy()
    with np.errstate(all="ignore"):  # the NumPy oracle warns on the NaN matrix
        want = np.linalg.det(batch)
    assert np.isnan(got[0, 1])
    mask = np.ones((2, 2), bool)
    mask[0, 1] = False
    np.testing.assert_allclose(got[mask], want[mask], rtol=1e-13)
    d32 = tt.linalg.det(tt.tensor(batch.astype(np.float32)))
    assert d32.dtype == tt.float32 and np.isnan(d32.numpy()[0, 1])
    sing = np.broadcast_to(np.eye(2), (1, 2, 2, 2)).copy()
    sing[0, 1] = 0.0
    with pytest.raises(tt.linalg.LinAlgError) as info:
        tt.linalg.inv(_t(sing))
    assert str(info.value).startswith(
        "linalg.inv: batch element (0, 1) of the input (shape (2, 2)) is singular"
    )
    with pytest.raises(RuntimeError) as info:
        tt.linalg.solve(_t(np.ones((1, 2, 3, 3))), _t(np.ones((1, 2, 2, 1))))
    assert str(info.value).endswith("B needs 3 rows (shape (*, 3, k) or (*, 3))")
