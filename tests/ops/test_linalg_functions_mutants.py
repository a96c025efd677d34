"""tt.linalg's composed functions (tinytensor/ops/linalg/functions.py) against exact NumPy or
hand-derived oracles, and gradients against gradcheck in float64: the options, branches and
error messages the op-table rows do not reach (pinv's tolerances, matrix_exp's scaling,
cross's dim, the norms' ords and keepdim, norm's dispatch, cond's p, eigh's UPLO and
eigenvector gradient, matrix_power's n, multi_dot's vectors, vander's N, tensorinv/solve).
NumPy only: each rule fails here without PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(20261207)


def _t(a, grad=False):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _orth(n, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q


# ---- pinv -------------------------------------------------------------------------------------


def test_pinv_tall_and_wide_match_numpy_exactly_enough():
    for shape in [(4, 2), (2, 4), (3, 3), (2, 3, 2)]:
        a = RNG.standard_normal(shape)
        np.testing.assert_allclose(tt.linalg.pinv(_t(a)).numpy(), np.linalg.pinv(a), atol=1e-12)


def test_pinv_atol_rtol_cut_is_strict_and_relative():
    a = np.diag([2.0, 1.0, 0.25])
    # s > cut is kept: a value equal to atol is dropped
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(a), atol=1.0).numpy(), np.diag([0.5, 0.0, 0.0]), atol=1e-15
    )
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(a), atol=0.2).numpy(), np.diag([0.5, 1.0, 0.0]) + np.diag([0, 0, 4.0])
    )
    # rtol is relative to s_max = 2: cut 0.6 drops 0.25 only
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(a), rtol=0.3).numpy(), np.diag([0.5, 1.0, 0.0]), atol=1e-15
    )
    # atol given: rtol defaults to 0 (not eps * n); the larger of the two cuts wins
    tiny = np.diag([1.0, 1e-17])
    np.testing.assert_allclose(tt.linalg.pinv(_t(tiny), atol=1e-18).numpy()[1, 1], 1e17)
    np.testing.assert_allclose(tt.linalg.pinv(_t(tiny)).numpy(), np.diag([1.0, 0.0]))
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(a), atol=0.3, rtol=0.6).numpy(), np.diag([0.5, 0.0, 0.0]), atol=1e-15
    )
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(a), atol=1.5, rtol=0.1).numpy(), np.diag([0.5, 0.0, 0.0]), atol=1e-15
    )


def test_pinv_default_rtol_uses_the_larger_dim():
    eps = np.finfo(np.float64).eps
    a = np.zeros((6, 2))
    a[0, 0], a[1, 1] = 1.0, 4 * eps  # above eps * 2, below eps * 6
    np.testing.assert_allclose(tt.linalg.pinv(_t(a)).numpy()[1, 1], 0.0)
    np.testing.assert_allclose(tt.linalg.pinv(_t(a.T)).numpy()[1, 1], 0.0)


def test_pinv_of_an_empty_matrix():
    out = tt.linalg.pinv(_t(np.zeros((0, 3))))
    assert out.shape == (3, 0)


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (3, 3), (2, 2, 3)])
def test_pinv_gradient_gradcheck(shape):
    a = RNG.standard_normal(shape) + np.eye(*shape[-2:])
    assert gradcheck(tt.linalg.pinv, (_t(a, True),))
    assert gradgradcheck(tt.linalg.pinv, (_t(a, True),))


# ---- matrix_exp -------------------------------------------------------------------------------


def _sym_expm(a):
    w, v = np.linalg.eigh(a)
    return (v * np.exp(w)[..., None, :]) @ np.swapaxes(v, -1, -2)


@pytest.mark.parametrize("scale", [0.01, 0.9, 3.0, 40.0])
def test_matrix_exp_of_symmetric_matrices_vs_eigendecomposition(scale):
    b = RNG.standard_normal((4, 4))
    a = scale * (b + b.T) / 2
    np.testing.assert_allclose(tt.linalg.matrix_exp(_t(a)).numpy(), _sym_expm(a), rtol=1e-12)


def test_matrix_exp_batch_with_different_scalings_per_matrix():
    b = RNG.standard_normal((3, 3, 3))
    a = (b + np.swapaxes(b, -1, -2)) / 2 * np.array([0.1, 10.0, 60.0])[:, None, None]
    np.testing.assert_allclose(tt.linalg.matrix_exp(_t(a)).numpy(), _sym_expm(a), rtol=1e-11)


def test_matrix_exp_of_a_nilpotent_and_a_rotation():
    n = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    expect = np.eye(3) + n + n @ n / 2
    np.testing.assert_allclose(tt.linalg.matrix_exp(_t(n)).numpy(), expect, rtol=1e-14)
    th = 7.5
    r = np.array([[0.0, -th], [th, 0.0]])
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    np.testing.assert_allclose(tt.linalg.matrix_exp(_t(r)).numpy(), rot, atol=1e-13)
    assert tt.linalg.matrix_exp(_t(np.zeros((2, 0, 0)))).shape == (2, 0, 0)
    f32 = tt.linalg.matrix_exp(tt.tensor(np.eye(2, dtype=np.float32)))
    assert f32.dtype == tt.float32


def test_matrix_exp_gradient_broadcast_and_second_order():
    a = 0.5 * RNG.standard_normal((2, 3, 3))
    assert gradcheck(tt.linalg.matrix_exp, (_t(a, True),))
    assert gradgradcheck(tt.linalg.matrix_exp, (_t(a[0], True),))
    # the gradient of a nonsymmetric A is not the transpose of the true one
    b = np.array([[0.0, 2.0], [0.0, 0.0]])
    x = _t(b, True)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    (tt.linalg.matrix_exp(x) * _t(w)).sum().backward()
    # d/dA <W, sum A^k/k!> = sum_k sum_j (A^T)^j W (A^T)^(k-1-j) / k!; with (A^T)^2 = 0 only
    # k <= 3 leave terms: W + (W A^T + A^T W)/2 + A^T W A^T/6 (exact)
    expect = w + (w @ b.T + b.T @ w) / 2 + b.T @ w @ b.T / 6
    np.testing.assert_allclose(x.grad.numpy(), expect, atol=1e-12)


# ---- cross ------------------------------------------------------------------------------------


def test_cross_dim_and_one_sided_gradients():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(tt.linalg.cross(_t(a), _t(b), dim=0).numpy(), np.cross(a, b, axis=0))
    np.testing.assert_allclose(
        tt.linalg.cross(_t(a.T), _t(b.T), dim=1).numpy(), np.cross(a.T, b.T, axis=1)
    )
    g = RNG.standard_normal((3, 4))
    x = _t(a, True)
    (tt.linalg.cross(x, _t(b), dim=0) * _t(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cross(b, g, axis=0), atol=1e-14)
    y = _t(b, True)
    (tt.linalg.cross(_t(a), y, dim=0) * _t(g)).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), np.cross(g, a, axis=0), atol=1e-14)
    assert gradcheck(lambda p, q: tt.linalg.cross(p, q, dim=0), (_t(a, True), _t(b, True)))
    assert gradgradcheck(lambda p, q: tt.linalg.cross(p, q, dim=0), (_t(a, True), _t(b, True)))


def test_cross_broadcasts_and_errors_name_the_op():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((1, 3))
    np.testing.assert_allclose(tt.linalg.cross(_t(a), _t(b)).numpy(), np.cross(a, b))
    with pytest.raises(RuntimeError, match=r"linalg.cross: .*same number of dimensions"):
        tt.linalg.cross(_t(a), _t(b[0]))
    with pytest.raises(RuntimeError, match=r"linalg.cross: .*size 3 in dim 0"):
        tt.linalg.cross(_t(a), _t(a), dim=0)
    with pytest.raises(RuntimeError, match=r"linalg.cross: .*size 3 in dim -1"):
        tt.linalg.cross(_t(np.zeros((3, 2))), _t(np.zeros((3, 3))))
    with pytest.raises(RuntimeError, match=r"linalg.cross: .*do not broadcast"):
        tt.linalg.cross(_t(np.zeros((2, 3))), _t(np.zeros((4, 3))))


# ---- vector_norm, matrix_norm, norm -----------------------------------------------------------


@pytest.mark.parametrize("ord", [2, 2.0, 1, 3, 0.5, 0, math.inf, -math.inf, -1])
def test_vector_norm_ords_vs_numpy(ord):  # noqa: A002
    x = RNG.standard_normal((3, 4)) + 0.1
    got = tt.linalg.vector_norm(_t(x), ord, dim=1).numpy()
    np.testing.assert_allclose(got, np.linalg.norm(x, ord, axis=1), rtol=1e-13)
    got = tt.linalg.vector_norm(_t(x), ord, dim=0, keepdim=True).numpy()
    np.testing.assert_allclose(got, np.linalg.norm(x, ord, axis=0, keepdims=True), rtol=1e-13)


def test_vector_norm_defaults_dtype_and_errors():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(tt.linalg.vector_norm(_t(x)).numpy(), np.sqrt((x * x).sum()))
    ints = tt.tensor(np.array([3, 4]))
    assert tt.linalg.vector_norm(ints, dtype=tt.float64).item() == 5.0
    assert tt.linalg.vector_norm(ints, dtype=tt.float64).dtype == tt.float64
    with pytest.raises(RuntimeError, match=r"linalg.vector_norm: expected a floating point"):
        tt.linalg.vector_norm(ints)
    with pytest.raises(RuntimeError, match=r"linalg.vector_norm: ord must be a number"):
        tt.linalg.vector_norm(_t(x), "fro")


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf])
def test_matrix_norm_ords_dims_and_keepdim_vs_numpy(ord):  # noqa: A002
    a = RNG.standard_normal((3, 4, 5))
    for dim in [(-2, -1), (0, 2), (2, 0), (1, 0)]:
        for keepdim in (False, True):
            got = tt.linalg.matrix_norm(_t(a), ord, dim, keepdim).numpy()
            want = np.linalg.norm(a, ord, axis=dim, keepdims=keepdim)
            assert got.shape == want.shape, (dim, keepdim)
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_matrix_norm_max_sums_by_hand():
    a = np.array([[1.0, -7.0], [-2.0, -3.0]])  # column sums 3, 10; row sums 8, 5
    cases = {1: 10.0, -1: 3.0, math.inf: 8.0, -math.inf: 5.0}
    for ord, want in cases.items():  # noqa: A001
        assert tt.linalg.matrix_norm(_t(a), ord).item() == want


def test_matrix_norm_gradients_gradcheck():
    a = RNG.standard_normal((3, 4))
    for ord in ["fro", "nuc", 2, -2, 1, math.inf]:  # noqa: A001
        assert gradcheck(lambda x, o=ord: tt.linalg.matrix_norm(x, o), (_t(a, True),))


def test_matrix_norm_errors_name_the_op():
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: expected a tensor with 2"):
        tt.linalg.matrix_norm(_t([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: expected a tensor with 2"):
        tt.linalg.matrix_norm(_t(np.eye(2)), dim=(0,))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: ord must be"):
        tt.linalg.matrix_norm(_t(np.eye(2)), 3)
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: expected a floating point"):
        tt.linalg.matrix_norm(tt.tensor(np.eye(2, dtype=np.int64)))
    np.testing.assert_allclose(
        tt.linalg.matrix_norm(tt.tensor(np.eye(2, dtype=np.int64)), dtype=tt.float64).item(),
        math.sqrt(2),
    )


def test_norm_dispatch():
    a = np.array([[1.0, -7.0], [-2.0, -3.0]])
    v = np.array([3.0, -4.0])
    b = RNG.standard_normal((2, 3, 4))
    # no ord, no dim: the 2-norm of all entries, any ndim
    np.testing.assert_allclose(tt.linalg.norm(_t(b)).numpy(), np.sqrt((b * b).sum()))
    assert tt.linalg.norm(_t(b), keepdim=True).shape == (1, 1, 1)
    # 2-D with ord: a matrix norm (ord=1: max column sum, not the sum of |entries|)
    assert tt.linalg.norm(_t(a), 1).item() == 10.0
    assert tt.linalg.norm(_t(a), math.inf).item() == 8.0
    # 1-D with ord: a vector norm
    assert tt.linalg.norm(_t(v), 1).item() == 7.0
    assert tt.linalg.norm(_t(v), math.inf).item() == 4.0
    # dim an int: a vector norm along it; a 2-tuple: a matrix norm (fro by default)
    np.testing.assert_allclose(tt.linalg.norm(_t(a), dim=0).numpy(), np.linalg.norm(a, axis=0))
    np.testing.assert_allclose(
        tt.linalg.norm(_t(a), 1, dim=1, keepdim=True).numpy(), [[8.0], [5.0]]
    )
    np.testing.assert_allclose(
        tt.linalg.norm(_t(b), dim=(0, 2)).numpy(), np.linalg.norm(b, axis=(0, 2))
    )
    np.testing.assert_allclose(
        tt.linalg.norm(_t(b), "nuc", dim=(1, 2)).numpy(), np.linalg.norm(b, "nuc", axis=(1, 2))
    )
    np.testing.assert_allclose(
        tt.linalg.norm(_t(b), 3, dim=(0, 1, 2)).numpy(), (np.abs(b) ** 3).sum() ** (1 / 3)
    )
    with pytest.raises(RuntimeError, match=r"linalg.norm: with ord=1 and dim=None.*\(2, 3, 4\)"):
        tt.linalg.norm(_t(b), 1)
    with pytest.raises(RuntimeError, match=r"linalg.norm: with ord='fro'"):
        tt.linalg.norm(_t(v), "fro")


# ---- svdvals, eigh, eigvalsh ------------------------------------------------------------------


def test_svdvals_descending_and_driver_error():
    a = RNG.standard_normal((2, 4, 3))
    np.testing.assert_allclose(
        tt.linalg.svdvals(_t(a)).numpy(), np.linalg.svd(a, compute_uv=False), rtol=1e-13
    )
    with pytest.raises(RuntimeError, match=r"driver=.*only supported on CUDA.*'gesvd'"):
        tt.linalg.svdvals(_t(a), driver="gesvd")
    assert tt.linalg.svdvals(_t(a), driver=None).shape == (2, 3)


def test_eigh_reads_the_triangle_uplo_names():
    a = np.array([[2.0, 100.0], [1.0, 3.0]])  # not symmetric: each triangle is another matrix
    for uplo, m in [
        ("L", np.array([[2.0, 1.0], [1.0, 3.0]])),
        ("U", np.array([[2.0, 100.0], [100.0, 3.0]])),
    ]:
        w, v = tt.linalg.eigh(_t(a), UPLO=uplo)
        np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(m), rtol=1e-14)
        np.testing.assert_allclose(tt.linalg.eigvalsh(_t(a), UPLO=uplo).numpy(), w.numpy())
        np.testing.assert_allclose((v.numpy() * w.numpy()) @ v.numpy().T, m, atol=1e-12)
    w, _ = tt.linalg.eigh(_t(a))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a), rtol=1e-14)  # 'L' default
    with pytest.raises(RuntimeError, match=r"linalg.eigh: UPLO must be 'L' or 'U', got 'X'"):
        tt.linalg.eigh(_t(a), UPLO="X")
    with pytest.raises(RuntimeError, match=r"linalg.eigh: expected a tensor of square"):
        tt.linalg.eigh(_t(np.zeros((2, 3))))


def test_eigh_gradients_exact_oracles():
    q = _orth(3, 5)
    lam = np.array([-1.0, 0.5, 2.0])
    a = (q * lam) @ q.T
    # eigenvalues only: d lambda_i / dA = v_i v_i^T
    x = _t(a, True)
    c = np.array([1.0, 10.0, 100.0])
    (tt.linalg.eigvalsh(x) * _t(c)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (q * c) @ q.T, atol=1e-12)
    # eigenvectors only, through a sign-free function: f = sum_i c_i (v_i^T B v_i) has
    # df/dA = sum_{i != j} (c_i - c_j) (v_j^T B v_i) / (l_i - l_j) v_j v_i^T, symmetrized
    # with B symmetric; compare with finite differences of a symmetric perturbation.
    bm = RNG.standard_normal((3, 3))
    bm = bm + bm.T
    x = _t(a, True)
    _, v = tt.linalg.eigh(x)
    f = (((v * tt.tensor(bm @ np.eye(3)).matmul(v)).sum(0)) * _t(c)).sum()
    f.backward()
    gsym = x.grad.numpy()

    def fnum(m):
        _, vv = np.linalg.eigh(m)
        return (np.einsum("ij,ik,kj->j", vv, bm, vv) * c).sum()

    h = 1e-6
    for i in range(3):
        for j in range(i + 1):
            d = np.zeros((3, 3))
            d[i, j] = d[j, i] = 1.0
            fd = (fnum(a + h * d) - fnum(a - h * d)) / (2 * h)
            got = gsym[i, j] + gsym[j, i] if i != j else gsym[i, i]
            np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7)


def test_eigh_gradcheck_both_outputs_and_second_order():
    def f(x):
        w, v = tt.linalg.eigh(x + x.mT)
        return w, v * v

    def only_v(x):
        return tt.linalg.eigh(x + x.mT)[1] ** 2

    a = RNG.standard_normal((2, 3, 3))
    assert gradcheck(f, (_t(a, True),))
    assert gradcheck(only_v, (_t(a, True),))
    assert gradgradcheck(f, (_t(a[0], True),))


# ---- cond, matrix_rank ------------------------------------------------------------------------


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond_vs_numpy(p):
    a = RNG.standard_normal((2, 3, 3)) + 2 * np.eye(3)
    np.testing.assert_allclose(tt.linalg.cond(_t(a), p).numpy(), np.linalg.cond(a, p), rtol=1e-12)


def test_cond_by_hand_and_rectangular_rules():
    a = np.diag([4.0, 2.0, 0.5])
    assert tt.linalg.cond(_t(a)).item() == pytest.approx(8.0, rel=1e-14)
    assert tt.linalg.cond(_t(a), -2).item() == pytest.approx(0.125, rel=1e-14)
    assert tt.linalg.cond(_t(a), 1).item() == pytest.approx(8.0, rel=1e-14)
    r = np.zeros((3, 2))
    r[0, 0], r[1, 1] = 3.0, 0.5
    assert tt.linalg.cond(_t(r)).item() == pytest.approx(6.0, rel=1e-14)
    assert tt.linalg.cond(_t(r), -2).item() == pytest.approx(1 / 6, rel=1e-14)
    with pytest.raises(RuntimeError, match=r"linalg.cond: expected a tensor of square"):
        tt.linalg.cond(_t(r), 1)
    assert gradcheck(lambda x: tt.linalg.cond(x, 1), (_t(a + 0.1, True),))
    assert gradcheck(lambda x: tt.linalg.cond(x, -2), (_t(a + 0.1, True),))


def test_matrix_rank_hermitian_uses_absolute_eigenvalues():
    q = _orth(4, 9)
    a = (q * np.array([-3.0, -2.0, 1e-20, 1.0])) @ q.T
    a = (a + a.T) / 2
    assert tt.linalg.matrix_rank(_t(a), hermitian=True).item() == 3
    assert tt.linalg.matrix_rank(_t(a), hermitian=True, atol=1.5).item() == 2
    # rtol against the largest |eigenvalue| (3), not the largest eigenvalue (1)
    assert tt.linalg.matrix_rank(_t(a), hermitian=True, rtol=0.5).item() == 2
    assert tt.linalg.matrix_rank(_t(a), hermitian=True, rtol=0.3).item() == 3
    assert tt.linalg.matrix_rank(_t(a)).dtype == tt.int64
    assert tt.linalg.matrix_rank(_t(np.zeros((3, 2))), atol=0.0).item() == 0
    assert tt.linalg.matrix_rank(_t(np.eye(2)), tol=1.0).item() == 0
    assert tt.linalg.matrix_rank(_t(np.eye(2)), tol=0.99).item() == 2
    with pytest.raises(RuntimeError, match=r"linalg.matrix_rank: expected a tensor of square"):
        tt.linalg.matrix_rank(_t(np.zeros((3, 2))), hermitian=True)
    np.testing.assert_array_equal(tt.linalg.matrix_rank(_t(np.zeros((2, 0, 3)))).numpy(), [0, 0])


# ---- matrix_power, multi_dot, vecdot, vander, tensorinv, tensorsolve -------------------------


def test_matrix_power_every_small_n():
    a = RNG.standard_normal((2, 3, 3)) + 2 * np.eye(3)
    for n in range(-4, 8):
        np.testing.assert_allclose(
            tt.linalg.matrix_power(_t(a), n).numpy(), np.linalg.matrix_power(a, n), rtol=1e-10
        )
    eye = tt.linalg.matrix_power(_t(a), 0)
    np.testing.assert_array_equal(eye.numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_array_equal(tt.linalg.matrix_power(_t(a), np.int64(1)).numpy(), a)
    x = _t(a, True)
    tt.linalg.matrix_power(x, 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(a))
    assert gradcheck(lambda m: tt.linalg.matrix_power(m, 5), (_t(a[0], True),))
    assert gradcheck(lambda m: tt.linalg.matrix_power(m, -3), (_t(a[0], True),))


def test_matrix_power_errors():
    with pytest.raises(RuntimeError, match=r"linalg.matrix_power: expected square .*\(2, 3\)"):
        tt.linalg.matrix_power(_t(np.zeros((2, 3))), 2)
    with pytest.raises(RuntimeError, match=r"linalg.matrix_power: expected square"):
        tt.linalg.matrix_power(_t(np.zeros(3)), 2)
    for bad in (2.0, True, "2"):
        with pytest.raises(TypeError, match=r"linalg.matrix_power: n must be an int"):
            tt.linalg.matrix_power(_t(np.eye(2)), bad)


def test_multi_dot_vectors_at_either_end():
    v, a, b, w = (RNG.standard_normal(s) for s in [(2,), (2, 3), (3, 4), (4,)])
    for ts in ([v, a, b], [a, b, w], [v, a, b, w], [a, b], [v, a], [b, w]):
        got = tt.linalg.multi_dot([_t(t) for t in ts])
        want = np.linalg.multi_dot(ts)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)
    with pytest.raises(RuntimeError, match=r"linalg.multi_dot: expected at least 2"):
        tt.linalg.multi_dot([_t(a)])
    with pytest.raises(RuntimeError, match=r"linalg.multi_dot: tensor 1 must be 2-D.*\(1, 3, 4\)"):
        tt.linalg.multi_dot([_t(a), _t(b[None]), _t(w)])


def test_vecdot_dim():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(tt.linalg.vecdot(_t(x), _t(y)).numpy(), (x * y).sum(-1))
    np.testing.assert_allclose(tt.linalg.vecdot(_t(x), _t(y), dim=0).numpy(), (x * y).sum(0))


def test_vander_n_and_batch():
    x = np.array([2.0, -1.0, 0.5])
    np.testing.assert_array_equal(tt.linalg.vander(_t(x)).numpy(), np.vander(x, increasing=True))
    np.testing.assert_array_equal(
        tt.linalg.vander(_t(x), N=5).numpy(), np.vander(x, 5, increasing=True)
    )
    np.testing.assert_array_equal(
        tt.linalg.vander(_t(x), N=2).numpy(), np.vander(x, 2, increasing=True)
    )
    xb = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(
        tt.linalg.vander(_t(xb)).numpy(), np.stack([np.vander(r, increasing=True) for r in xb])
    )
    for n in (1, 0):
        with pytest.raises(RuntimeError, match=f"linalg.vander: N must be greater than 1, got {n}"):
            tt.linalg.vander(_t(x), N=n)
    with pytest.raises(RuntimeError, match="linalg.vander: N must be greater than 1, got 1"):
        tt.linalg.vander(_t([3.0]))


def test_tensorinv_ind_and_error():
    a = RNG.standard_normal((4, 2, 2)) + np.eye(4).reshape(4, 2, 2)
    np.testing.assert_allclose(
        tt.linalg.tensorinv(_t(a), ind=1).numpy(), np.linalg.tensorinv(a, ind=1), rtol=1e-12
    )
    b = RNG.standard_normal((2, 2, 4)) + np.eye(4).reshape(2, 2, 4)
    np.testing.assert_allclose(
        tt.linalg.tensorinv(_t(b)).numpy(), np.linalg.tensorinv(b), rtol=1e-12
    )
    with pytest.raises(RuntimeError, match=r"linalg.tensorinv: .*\(2, 3\) with ind=1"):
        tt.linalg.tensorinv(_t(np.zeros((2, 3))), ind=1)


def test_tensorsolve_with_and_without_dims():
    a = RNG.standard_normal((2, 3, 6)) + np.eye(6).reshape(2, 3, 6)
    b = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(
        tt.linalg.tensorsolve(_t(a), _t(b)).numpy(), np.linalg.tensorsolve(a, b), rtol=1e-10
    )
    a2 = np.moveaxis(a, 2, 0)  # (6, 2, 3); dims=(0,) moves axis 0 back to the end
    np.testing.assert_allclose(
        tt.linalg.tensorsolve(_t(a2), _t(b), dims=(0,)).numpy(),
        np.linalg.tensorsolve(a2, b, axes=(0,)),
        rtol=1e-10,
    )
