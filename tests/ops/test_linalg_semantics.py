"""tt.linalg semantics the op table cannot express: the errors degenerate input raises, the
gradient of ``det`` at a singular matrix, the info codes of ``inv_ex``/``cholesky_ex``, every
field of ``lstsq`` per driver, ``torch.svd(compute_uv=False)``, and the gradients (first and
second order) of the ops in ops/linalg_saved.py at the p values and flags the table does not draw.
Each NumPy-only check is followed by the same question put to PyTorch where it has an answer.
"""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck, gradgradcheck

F64 = tt.float64
SINGULAR = np.array([[1.0, 0, 2], [3, 0, 4], [5, 0, 7]])  # zero column: LU's 2nd pivot is 0
RANK2 = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])  # row 2 = 2 row 1: LU's 3rd pivot is 0
NOT_PD = np.array([[1.0, 2, 0], [2, 1, 0], [0, 0, 1]])  # leading minor of order 2 is -3


def _t(a, grad=False):
    return tt.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def _batch(m):
    """A batch of two: the identity, then ``m`` (so the failing element is number 1)."""
    return np.stack([np.eye(m.shape[-1]), m])


def _adjugate(m):
    n = m.shape[0]
    cof = np.empty_like(m)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(m, i, 0), j, 1)
            cof[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return cof.T


# --- errors --------------------------------------------------------------------------------------


def test_singular_inv_and_solve_raise_linalg_error_naming_op_and_batch_element():
    with pytest.raises(tt.linalg.LinAlgError, match=r"linalg\.inv: batch element \(1,\)"):
        tt.linalg.inv(_t(_batch(SINGULAR)))
    with pytest.raises(tt.linalg.LinAlgError, match=r"linalg\.inv: the matrix .* singular"):
        tt.linalg.inv(_t(SINGULAR))
    with pytest.raises(tt.linalg.LinAlgError, match=r"linalg\.solve: batch element \(1,\)"):
        tt.linalg.solve(_t(_batch(SINGULAR)), _t(np.ones((2, 3, 1))))
    assert issubclass(tt.linalg.LinAlgError, RuntimeError)  # as torch.linalg.LinAlgError


def test_cholesky_of_non_pd_names_the_leading_minor_and_batch_element():
    with pytest.raises(tt.linalg.LinAlgError) as e:
        tt.linalg.cholesky(_t(_batch(NOT_PD)))
    msg = str(e.value)
    assert "linalg.cholesky" in msg and "not positive-definite" in msg
    assert "leading minor of order 2" in msg and "batch element (1,)" in msg


@pytest.mark.torch
def test_errors_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda m: tt.linalg.inv(m), lambda m: torch.linalg.inv(m), _batch(SINGULAR)),
        (lambda m: tt.linalg.cholesky(m), lambda m: torch.linalg.cholesky(m), _batch(NOT_PD)),
    ]
    for ours, theirs, a in cases:
        with pytest.raises(torch.linalg.LinAlgError, match="Batch element 1"):
            theirs(torch.tensor(a))
        with pytest.raises(tt.linalg.LinAlgError, match=r"batch element \(1,\)"):
            ours(_t(a))
    with pytest.raises(torch.linalg.LinAlgError, match="order 2"):
        torch.linalg.cholesky(torch.tensor(NOT_PD))


# --- det at a singular matrix --------------------------------------------------------------------


def test_singular_det_gradient_is_the_adjugate():
    """d det(A)/dA = adj(A)^T everywhere, singular A included; gradcheck confirms it at a rank
    n-1 matrix (where the adjugate is nonzero) and at rank n-2 (where it is zero).

    PyTorch differs here: its det backward gives a zero gradient for a singular matrix of rank
    n-1 (``test_singular_det_gradient_vs_torch``), which is not the derivative (det moves at
    first order along adj(A)^T, as the finite differences of gradcheck show)."""
    for m in (RANK2, np.array([[1.0, 2], [2, 4]]), np.zeros((3, 3))):
        A = _t(m, grad=True)
        tt.linalg.det(A).backward()
        np.testing.assert_allclose(A.grad.numpy(), _adjugate(m).T, atol=1e-12)
        assert gradcheck(tt.linalg.det, (_t(m, grad=True),))


@pytest.mark.torch
def test_singular_det_gradient_vs_torch():
    torch = pytest.importorskip("torch")
    A = torch.tensor(RANK2, requires_grad=True)
    torch.linalg.det(A).backward()
    assert not A.grad.abs().any()  # PyTorch: zero; tinytensor: the adjugate (documented above)
    B = _t(RANK2, grad=True)
    tt.linalg.det(B).backward()
    assert np.abs(B.grad.numpy()).max() > 1
    m = RANK2 + np.eye(3)  # invertible: the two agree
    A, B = torch.tensor(m, requires_grad=True), _t(m, grad=True)
    torch.linalg.det(A).backward()
    tt.linalg.det(B).backward()
    np.testing.assert_allclose(B.grad.numpy(), A.grad.numpy(), rtol=1e-12)


def test_singular_det_second_and_third_derivatives_are_finite_and_right():
    """det's Hessian-vector product at singular A (rank n-1 and n-2; a division by det(A) would
    give inf/nan there): gradgradcheck's finite differences confirm the second derivative, and
    for a 2x2 matrix (det = ad - bc, so the Hessian is constant) the exact Hessian."""
    from tinytensor.testing import gradgradcheck

    for m in (RANK2, np.array([[1.0, 2], [2, 4]]), np.zeros((3, 3))):
        assert gradgradcheck(tt.linalg.det, (_t(m, grad=True),))
    A = _t(np.array([[1.0, 2], [2, 4]]), grad=True)
    (g,) = tt.autograd.grad(tt.linalg.det(A), A, create_graph=True)
    flat = g.reshape(-1)
    H = [tt.autograd.grad(flat[i], A, retain_graph=True)[0].numpy().ravel() for i in range(4)]
    # d/dA of adj(A)^T = [[d, -c], [-b, a]] for A = [[a, b], [c, d]]
    exact = np.array([[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0], [1, 0, 0, 0]], float)
    np.testing.assert_allclose(np.array(H), exact, atol=1e-9)


@pytest.mark.torch
def test_singular_det_hessian_vector_product_vs_torch():
    torch = pytest.importorskip("torch")
    G = np.random.default_rng(0).standard_normal((3, 3))
    got = []
    for lib, grad in ((tt, tt.autograd.grad), (torch, torch.autograd.grad)):
        a = lib.tensor(RANK2, requires_grad=True)
        (g,) = grad(lib.linalg.det(a), a, create_graph=True)
        got.append(grad((g * lib.tensor(G)).sum(), a)[0].detach().numpy())
    np.testing.assert_allclose(got[0], got[1], rtol=1e-9, atol=1e-9)


# --- info codes ----------------------------------------------------------------------------------

INV_CASES = [SINGULAR, RANK2, np.zeros((2, 2)), np.array([[1.0, 2], [2, 4]]), np.eye(2)]
CHOL_CASES = [NOT_PD, -np.eye(3), np.diag([1.0, 1, -1]), np.zeros((2, 2)), 2 * np.eye(2)]


def test_inv_ex_and_cholesky_ex_info():
    infos = [int(tt.linalg.inv_ex(_t(m)).info) for m in INV_CASES]
    assert infos == [2, 3, 1, 2, 0]
    infos = [int(tt.linalg.cholesky_ex(_t(m)).info) for m in CHOL_CASES]
    assert infos == [2, 1, 3, 1, 0]
    inv, info = tt.linalg.inv_ex(_t(_batch(SINGULAR)))
    assert info.tolist() == [0, 2] and info.dtype == tt.int32
    np.testing.assert_array_equal(inv.numpy()[0], np.eye(3))
    assert np.isnan(inv.numpy()[1]).all()
    with pytest.raises(tt.linalg.LinAlgError):
        tt.linalg.inv_ex(_t(SINGULAR), check_errors=True)
    with pytest.raises(tt.linalg.LinAlgError):
        tt.linalg.cholesky_ex(_t(NOT_PD), check_errors=True)


@pytest.mark.torch
def test_info_codes_match_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs, cases in [
        (tt.linalg.inv_ex, torch.linalg.inv_ex, INV_CASES),
        (tt.linalg.cholesky_ex, torch.linalg.cholesky_ex, CHOL_CASES),
    ]:
        for m in cases:
            got, want = ours(_t(m)).info, theirs(torch.tensor(m)).info
            assert int(got) == int(want), (theirs.__name__, m)
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]


# --- lstsq ---------------------------------------------------------------------------------------

DRIVERS = ["gels", "gelsy", "gelsd", "gelss"]


def _lstsq_inputs(deficient=False):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, 5, 3))
    if deficient:
        A[..., 2] = A[..., 0]
    return A, rng.standard_normal((2, 5, 2))


@pytest.mark.parametrize("deficient", [False, True], ids=["full_rank", "rank_deficient"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_lstsq_fields_vs_numpy(driver, deficient):
    """The minimum-norm solution (NumPy's gelsd), for every driver; residuals only where A is
    tall and of full rank (and the driver is not gelsy), else empty."""
    A, B = _lstsq_inputs(deficient)
    X, res, rank, sv = tt.linalg.lstsq(_t(A), _t(B), driver=driver)
    for i in range(2):
        x, r, k, s = np.linalg.lstsq(A[i], B[i], rcond=None)
        np.testing.assert_allclose(X.numpy()[i], x, rtol=1e-10, atol=1e-12)
        if driver != "gelsy" and not deficient:
            np.testing.assert_allclose(res.numpy()[i], r, rtol=1e-10)
        if driver in ("gelsd", "gelss"):
            np.testing.assert_allclose(sv.numpy()[i], s, rtol=1e-12)
        if driver != "gels":
            assert rank.tolist()[i] == k
    assert res.shape == ((0,) if driver == "gelsy" or deficient else (2, 2))


def test_lstsq_solution_and_residuals_are_twice_differentiable():
    A, B = _lstsq_inputs()

    def f(A, B):
        out = tt.linalg.lstsq(A, B, driver="gelsd")
        return out.solution, out.residuals

    args = (_t(A[0], grad=True), _t(B[0], grad=True))
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


@pytest.mark.torch
@pytest.mark.parametrize("deficient", [False, True], ids=["full_rank", "rank_deficient"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_lstsq_fields_match_torch(driver, deficient):
    torch = pytest.importorskip("torch")
    if deficient and driver == "gels":
        pytest.skip("gels assumes full rank: PyTorch's answer is LAPACK's garbage there")
    A, B = _lstsq_inputs(deficient)
    ours = tt.linalg.lstsq(_t(A, True), _t(B, True), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver)
    for name in ("solution", "residuals", "rank", "singular_values"):
        o, t = getattr(ours, name), getattr(theirs, name)
        assert tuple(o.shape) == tuple(t.shape), name
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], name
        if deficient and driver == "gelsy" and name in ("solution", "rank"):
            # PyTorch's gelsy at rank-deficient A is not deterministic (~3% of calls return
            # another X, and some a rank of 1 for this rank-2 A); tinytensor's are the
            # minimum-norm solution and the rank NumPy gives (test_lstsq_fields_vs_numpy).
            continue
        np.testing.assert_allclose(o.detach().numpy(), t.numpy(), rtol=1e-9, atol=1e-12)
    if deficient:
        return
    w = np.random.default_rng(0).standard_normal(ours.solution.shape)
    grads = []
    for lib, T in ((tt, _t), (torch, torch.tensor)):
        a, b = T(A), T(B)
        a.requires_grad_(True)
        b.requires_grad_(True)
        out = lib.linalg.lstsq(a, b, driver=driver)
        loss = (out.solution * T(w)).sum()
        if driver != "gelsy":
            loss = loss + out.residuals.sum()
        loss.backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for g, tg in zip(*grads):
        np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-10)


# --- torch.svd(compute_uv=False) -----------------------------------------------------------------


def test_svd_without_uv():
    A = np.random.default_rng(1).standard_normal((2, 3))
    x = _t(A, grad=True)
    U, S, V = tt.svd(x, compute_uv=False)
    assert U.shape == (2, 2) and V.shape == (3, 3)
    assert not U.numpy().any() and not V.numpy().any()
    assert not U.requires_grad and not V.requires_grad and S.requires_grad
    np.testing.assert_allclose(S.detach().numpy(), np.linalg.svd(A, compute_uv=False))
    S.sum().backward()
    u, _, vh = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(x.grad.numpy(), u @ vh, rtol=1e-10)


@pytest.mark.torch
def test_svd_without_uv_matches_torch():
    torch = pytest.importorskip("torch")
    A = np.random.default_rng(1).standard_normal((2, 4, 3))
    x, y = _t(A, grad=True), torch.tensor(A, requires_grad=True)
    ours, theirs = tt.svd(x, some=False, compute_uv=False), torch.svd(y, compute_uv=False)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape) and o.requires_grad == t.requires_grad
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    ours.S.sum().backward()
    theirs.S.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-10)


# --- ops that save what PyTorch saves: flags and p values the table does not draw --------------

P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, np.inf]


def _saved_op_calls(lib, p, upper):
    return [
        (lambda a, b: lib.cdist(a, b, p), (2, 4, 3), (3, 3)),
        (lambda a, b: lib.dist(a, b, p), (2, 4, 3), (4, 3)),
        (lambda b, L: lib.cholesky_solve(b, L, upper), (2, 3, 2), (3, 3)),
        (lambda a, b: lib.tensordot(a, b, ([1, 2], [0, 1])), (2, 1, 4), (3, 4, 2)),
        (lambda a, b: lib.kron(a, b), (2, 3), (4,)),
        (lambda a, b: lib.inner(a, b), (2, 3), (3,)),
    ]


def _draw(shape, i, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if shape == (3, 3):  # a Cholesky factor: well away from singular
        x = x * 0.1 + 3 * np.eye(3)
    return x


def _on_triangle(fn, upper):
    return lambda b, L: fn(b, L.triu() if upper else L.tril())


@pytest.mark.parametrize("p", [0.5, 1.5, 3.0, np.inf])
def test_saved_ops_second_order(p):
    for upper in (False, True):
        for fn, sa, sb in _saved_op_calls(tt, p, upper):
            if fn(_t(np.ones(sa)), _t(np.ones(sb))).numel() == 0:
                continue
            if sb == (3, 3):  # cholesky_solve reads one triangle; its dL (PyTorch's) is full
                fn = _on_triangle(fn, upper)
            args = (_t(_draw(sa, 0, 5), True), _t(_draw(sb, 1, 6), True))
            assert gradcheck(fn, args)
            if p != np.inf:  # inf is piecewise linear: its second derivative is 0 a.e.
                assert gradgradcheck(fn, args)


@pytest.mark.torch
@pytest.mark.parametrize("p", P_VALUES)
def test_saved_ops_gradients_match_torch(p):
    torch = pytest.importorskip("torch")
    for upper in (False, True):
        for (fn, sa, sb), (tfn, _, _) in zip(
            _saved_op_calls(tt, p, upper), _saved_op_calls(torch, p, upper)
        ):
            a, b = _draw(sa, 0, 7), _draw(sb, 1, 8)
            if upper and sb == (3, 3):
                b = b.T.copy()
            ours, theirs = (
                (_t(a, True), _t(b, True)),
                (
                    torch.tensor(a, requires_grad=True),
                    torch.tensor(b, requires_grad=True),
                ),
            )
            o, t = fn(*ours), tfn(*theirs)
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10)
            w = np.random.default_rng(2).standard_normal(tuple(o.shape))
            (o * _t(w)).sum().backward()
            if p == 0 and t.grad_fn.name() == "DistBackward0":
                continue  # PyTorch's dist backward fails at p = 0 (an undefined gradient)
            (t * torch.tensor(w)).sum().backward()
            for x, y in zip(ours, theirs):
                np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-8, atol=1e-10)
