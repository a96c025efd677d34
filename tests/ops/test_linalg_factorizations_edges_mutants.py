"""The one-node matrix ops (tinytensor/ops/linalg/factorizations.py), the edges: float32 in and
out, the op named in every error, det's third derivative on a 2-D batch and its Hessian-vector
product's gradient in the direction, NaN entries in det and slogdet, svd's gradients with all
outputs at once, triangular solves with infinite and zero pivots, messages in full. Moved from
test_linalg_factorizations_mutants.py (each file under 500 lines). NumPy only, but for one
PyTorch comparison."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import tinytensor as tt
from ops.linalg_oracles import cofactor, t64
from tinytensor.testing import gradcheck

RNG = np.random.default_rng(7122026)


_t, _cofactor = t64, cofactor  # the names the tests below use


def _poly_slope(f, m, d, h=0.5):
    """The linear coefficient of a polynomial of degree <= 4 in t: f(m + t d), exactly."""
    return (8 * (f(m + h * d) - f(m - h * d)) - (f(m + 2 * h * d) - f(m - 2 * h * d))) / (12 * h)


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
