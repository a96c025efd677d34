"""tt.linalg's composed functions (tinytensor/ops/linalg/functions.py), the edges: float32 in and
out, the op named in every error, size-one and 4-D shapes, saved tensors, mixed dtypes, quiet
IEEE, matrix_rank's and pinv's remaining rules (pinv's hermitian=True), messages in full.
Moved from test_linalg_functions_mutants.py (each file under 500 lines). NumPy only, but for
one PyTorch comparison."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck

RNG = np.random.default_rng(20261207)


def _t(a, grad=False):
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


F32_OPS = {
    "pinv": tt.linalg.pinv,
    "matrix_exp": tt.linalg.matrix_exp,
    "eigvalsh": lambda x: tt.linalg.eigh(x + x.mT)[0],
    "eigenvectors": lambda x: tt.linalg.eigh(x + x.mT)[1] ** 2,
    "cond": tt.linalg.cond,
    "cond_1": lambda x: tt.linalg.cond(x, 1),
    "nuclear_norm": lambda x: tt.linalg.matrix_norm(x, "nuc"),
    "svdvals": tt.linalg.svdvals,
    "cross": lambda x: tt.linalg.cross(x, x.flip(0)),
    "matrix_power": lambda x: tt.linalg.matrix_power(x, -2),
    "vander": lambda x: tt.linalg.vander(x[0]),
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


_O, _M = object(), tt.ones(3, 3)
NAMED = [
    ("linalg.pinv", lambda: tt.linalg.pinv(_O)),
    ("linalg.matrix_exp", lambda: tt.linalg.matrix_exp(_O)),
    ("linalg.cross", lambda: tt.linalg.cross(_O, _M)),
    ("linalg.cross", lambda: tt.linalg.cross(_M, _O)),
    ("linalg.vector_norm", lambda: tt.linalg.vector_norm(_O)),
    ("linalg.matrix_norm", lambda: tt.linalg.matrix_norm(_O)),
    ("linalg.norm", lambda: tt.linalg.norm(_O)),
    ("linalg.eigh", lambda: tt.linalg.eigh(_O)),
    ("linalg.eigh", lambda: tt.linalg.eigvalsh(_O)),
    ("linalg.svd", lambda: tt.linalg.svdvals(_O)),
    ("linalg.cond", lambda: tt.linalg.cond(_O)),
    ("linalg.matrix_rank", lambda: tt.linalg.matrix_rank(_O)),
    ("linalg.matrix_power", lambda: tt.linalg.matrix_power(_O, 2)),
    ("linalg.multi_dot", lambda: tt.linalg.multi_dot([_M, _O])),
    ("linalg.vecdot", lambda: tt.linalg.vecdot(_O, _M)),
    ("linalg.vecdot", lambda: tt.linalg.vecdot(_M, _O)),
    ("linalg.vander", lambda: tt.linalg.vander(_O)),
    ("linalg.tensorinv", lambda: tt.linalg.tensorinv(_O)),
    ("linalg.tensorsolve", lambda: tt.linalg.tensorsolve(_O, _M)),
    ("linalg.tensorsolve", lambda: tt.linalg.tensorsolve(_M, _O)),
]


@pytest.mark.parametrize(
    ("name", "call"), NAMED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NAMED)]
)
def test_a_non_tensor_argument_error_names_the_op(name, call):
    with pytest.raises(TypeError, match=f"^{name}: expected a Tensor or a number, got object$"):
        call()


def test_out_of_range_dims_name_the_op():
    with pytest.raises(IndexError, match=r"^linalg.cross: dim 2 is out of range"):
        tt.linalg.cross(tt.ones(2, 3), tt.ones(2, 3), dim=2)
    with pytest.raises(IndexError, match=r"^linalg.matrix_norm: dim 3 is out of range"):
        tt.linalg.matrix_norm(tt.ones(2, 3), dim=(0, 3))
    with pytest.raises(IndexError, match=r"^linalg.tensorsolve: dim 5 is out of range"):
        tt.linalg.tensorsolve(tt.ones(2, 2), tt.ones(2), dims=(5,))
    with pytest.raises(RuntimeError, match=r"^linalg.pinv: expected a floating point tensor"):
        tt.linalg.pinv(tt.ones(2, 2, dtype=tt.int64))
    with pytest.raises(RuntimeError, match=r"^linalg.norm: expected a floating point input"):
        tt.linalg.norm(tt.ones(2, 2, dtype=tt.int64))


def test_multi_dot_keeps_size_one_dims_that_are_not_the_vectors():
    v, a1 = np.array([1.0, 2.0]), np.array([[3.0], [4.0]])
    out = tt.linalg.multi_dot([_t(v), _t(a1)])
    assert out.shape == (1,) and out.item() == 11.0
    r, w = np.array([[1.0, 2.0, 3.0]]), np.array([1.0, 1.0, 2.0])
    out = tt.linalg.multi_dot([_t(r), _t(w)])
    assert out.shape == (1,) and out.item() == 9.0
    out = tt.linalg.multi_dot([_t(v), _t([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]), _t(w)])
    assert out.shape == () and out.item() == 11.0
    with pytest.raises(RuntimeError, match=r"^linalg.multi_dot: expected at least 2 tensors$"):
        tt.linalg.multi_dot([])


def test_norm_passes_keepdim_and_dtype_on():
    b = RNG.standard_normal((2, 3, 4))
    a = b[0]
    got = tt.linalg.norm(_t(b), dim=(0, 2), keepdim=True)
    np.testing.assert_allclose(got.numpy(), np.linalg.norm(b, axis=(0, 2), keepdims=True))
    got = tt.linalg.norm(_t(a), 1, keepdim=True)
    np.testing.assert_allclose(got.numpy(), np.linalg.norm(a, 1, keepdims=True))
    got = tt.linalg.norm(_t(a[0]), 3, keepdim=True)
    assert got.shape == (1,)
    got = tt.linalg.norm(_t(a), dim=1, keepdim=True)
    assert got.shape == (3, 1)
    ints = tt.tensor(np.array([[3, 0], [4, 0]]))
    assert tt.linalg.norm(ints, dtype=tt.float64).item() == 5.0
    assert tt.linalg.norm(ints, 1, dtype=tt.float64).item() == 7.0
    assert tt.linalg.norm(ints, dim=0, dtype=tt.float64).numpy().tolist() == [5.0, 0.0]


def test_cross_saves_only_what_the_other_gradient_needs():
    """da needs b, db needs a: a tensor whose partner needs no gradient is not saved, so
    changing it in place before backward is fine; changing a saved one is an error."""
    a0 = np.ones((2, 3))
    b0 = np.arange(6.0).reshape(2, 3)
    a = _t(a0, True)
    a2 = a * 1
    y = tt.linalg.cross(a2, _t(b0))
    a2.add_(1.0)  # a is not saved (b needs no gradient)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.cross(b0, np.ones((2, 3))))
    b = _t(b0, True)
    b2 = b * 1
    y = tt.linalg.cross(_t(a0), b2)
    b2.add_(1.0)  # b is not saved (a needs no gradient)
    y.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.cross(np.ones((2, 3)), a0))
    a2, b2 = a * 1, b * 1
    y = tt.linalg.cross(a2, b2)
    b2.add_(1.0)  # saved for da: an error
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_cross_mixed_dtypes_promote_and_ieee_is_quiet():
    a32 = tt.tensor(np.array([[1.0, 2.0, 3.0]], np.float32))
    b64 = _t([[0.5, -1.0, 2.0]])
    for p, q in ((a32, b64), (b64, a32)):
        out = tt.linalg.cross(p, q)
        assert out.dtype == tt.float64
        np.testing.assert_allclose(out.numpy(), np.cross(p.numpy(), q.numpy()).astype(np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tt.linalg.cross(_t([np.inf, 0.0, 0.0]), _t([0.0, 0.0, 1.0]))
    assert np.isnan(out.numpy()[2]) and out.numpy()[1] == -np.inf


def test_matrix_exp_gradient_on_a_4d_batch():
    a = 0.3 * RNG.standard_normal((1, 2, 3, 3))
    assert gradcheck(tt.linalg.matrix_exp, (_t(a, True),))


def test_matrix_rank_more_rules():
    eps = np.finfo(np.float64).eps
    # batched hermitian: one sort per matrix, not over the whole batch
    batch = np.stack([np.diag([4.0, 1.0, 0.0]), np.diag([1e-3, 0.0, 0.0])])
    np.testing.assert_array_equal(
        tt.linalg.matrix_rank(_t(batch), hermitian=True, rtol=0.1).numpy(), [2, 1]
    )
    # a batch of wide matrices: the default cut uses the larger of the matrix dims
    wide = np.zeros((1, 2, 8))
    wide[0, 0, 0], wide[0, 1, 1] = 1.0, 5 * eps
    np.testing.assert_array_equal(tt.linalg.matrix_rank(_t(wide)).numpy(), [1])
    # atol given, rtol not: rtol is 0, so a tiny atol keeps a tiny singular value
    tiny = np.diag([1.0, 1e-17])
    assert tt.linalg.matrix_rank(_t(tiny), atol=1e-18).item() == 2
    assert tt.linalg.matrix_rank(_t(tiny)).item() == 1
    # empty matrices in a batch: rank 0 each
    np.testing.assert_array_equal(
        tt.linalg.matrix_rank(_t(np.zeros((2, 3, 4, 0)))).numpy(), np.zeros((2, 3))
    )
    # hermitian=True reads the lower triangle only (eigvalsh), as PyTorch does
    a = np.array([[1.0, 5.0], [1.0, 1.0]])  # full rank; its lower-triangle mirror has rank 1
    assert tt.linalg.matrix_rank(_t(a)).item() == 2
    assert tt.linalg.matrix_rank(_t(a), hermitian=True).item() == 1


def test_cond_shapes_and_p2_on_rectangular():
    r = np.zeros((3, 2))
    r[0, 0], r[1, 1] = 3.0, 0.5
    assert tt.linalg.cond(_t(r), 2).item() == pytest.approx(6.0, rel=1e-14)
    one = RNG.standard_normal((1, 3, 3)) + 2 * np.eye(3)
    for p in (None, 2, -2, 1):
        got = tt.linalg.cond(_t(one), p)
        assert got.shape == (1,)
        np.testing.assert_allclose(got.numpy(), np.linalg.cond(one, p), rtol=1e-12)


def test_matrix_power_zero_and_errors_on_4d_batches():
    a = RNG.standard_normal((1, 4, 2, 2))
    out = tt.linalg.matrix_power(_t(a), 0)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(np.eye(2), a.shape))
    half = tt.tensor(np.eye(2, dtype=np.float16) * 3)
    assert tt.linalg.matrix_power(half, 0).dtype == tt.float16
    assert tt.linalg.matrix_power(half, 2).dtype == tt.float16
    with pytest.raises(RuntimeError, match=r"^linalg.matrix_power: expected square .*\(3, 2, 3\)"):
        tt.linalg.matrix_power(_t(np.zeros((3, 2, 3))), 2)


def test_svdvals_driver_message_in_full():
    msg = (
        "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
        "cuSOLVER backend (got driver='gesvd'); tinytensor computes on the CPU, so leave "
        "driver=None"
    )
    with pytest.raises(RuntimeError) as info:
        tt.linalg.svdvals(_t(np.eye(2)), driver="gesvd")
    assert str(info.value) == msg


def test_pinv_hermitian_reads_the_lower_triangle():
    a = np.array([[2.0, 5.0], [1.0, 3.0]])
    sym = np.array([[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(a), hermitian=True).numpy(), np.linalg.inv(sym), rtol=1e-14
    )
    np.testing.assert_allclose(tt.linalg.pinv(_t(a)).numpy(), np.linalg.inv(a), rtol=1e-14)
    b = RNG.standard_normal((2, 3, 3))
    b = b + np.swapaxes(b, -1, -2)
    np.testing.assert_allclose(
        tt.linalg.pinv(_t(b), hermitian=True).numpy(), np.linalg.pinv(b), rtol=1e-11
    )
    # a symmetric input: the same gradient as without hermitian=True
    x, y = _t(b, True), _t(b, True)
    g = _t(RNG.standard_normal((2, 3, 3)))
    (tt.linalg.pinv(x, hermitian=True) * g).sum().backward()
    (tt.linalg.pinv(y) * g).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-11, atol=1e-12)
    assert gradcheck(lambda m: tt.linalg.pinv(m + m.mT, hermitian=True), (_t(b / 2, True),))
    with pytest.raises(RuntimeError, match=r"^linalg.pinv: expected a tensor of square .*\(2, 3\)"):
        tt.linalg.pinv(_t(np.ones((2, 3))), hermitian=True)


@pytest.mark.torch
def test_pinv_hermitian_matches_torch_on_a_nonsymmetric_input():
    torch = pytest.importorskip("torch")
    a = np.array([[2.0, 5.0], [1.0, 3.0]])
    x, tx = _t(a, True), torch.tensor(a, requires_grad=True)
    p, tp = tt.linalg.pinv(x, hermitian=True), torch.linalg.pinv(tx, hermitian=True)
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-14)
    p.sum().backward()
    tp.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-13)


def test_pinv_more_rules():
    # float32: the default rtol uses float32's eps (2 * 1.19e-7 here), not float64's
    a = np.diag([1.0, 1e-7]).astype(np.float32)
    np.testing.assert_array_equal(tt.linalg.pinv(tt.tensor(a)).numpy(), np.diag([1.0, 0.0]))
    assert tt.linalg.pinv(tt.tensor(a)).dtype == tt.float32
    # empty matrices inside a batch
    assert tt.linalg.pinv(_t(np.zeros((2, 3, 0, 4)))).shape == (2, 3, 4, 0)
    assert tt.linalg.pinv(_t(np.zeros((2, 3, 4, 0)))).shape == (2, 3, 0, 4)


def test_integer_input_message_in_full():
    with pytest.raises(RuntimeError) as info:
        tt.linalg.vector_norm(tt.tensor(np.array([3, 4])))
    assert str(info.value) == (
        "linalg.vector_norm: expected a floating point input, got dtype tinytensor.int64; "
        "pass dtype= or convert it with .float()"
    )
