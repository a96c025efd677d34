"""tinytensor.func's derivative transforms against finite differences (NumPy only)."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.func import functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, vjp


def _fd_jac(f, x, eps=1e-6):
    """d f(x) / d x by central differences, shape f(x).shape + x.shape (float64)."""
    x = np.asarray(x, np.float64)
    y0 = np.asarray(f(x))
    jac = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        jac[(...,) + idx] = (np.asarray(f(x + d)) - np.asarray(f(x - d))) / (2 * eps)
    return jac


def _f_np(x, y):
    return np.stack([np.sin(x[0]) * y[1] + x[2] ** 2, np.exp(x[1] * y[0]) - x[0] * x[2]])


def _f_tt(x, y):
    return tt.stack([tt.sin(x[0]) * y[1] + x[2] ** 2, tt.exp(x[1] * y[0]) - x[0] * x[2]])


X = np.array([0.3, -0.7, 1.1])
Y = np.array([0.5, 2.0])


def test_grad_matches_finite_differences_and_detaches():
    f_np = lambda x: np.sum(np.sin(x) * x**2)  # noqa: E731
    x = tt.tensor(X)
    g = grad(lambda t: (tt.sin(t) * t**2).sum())(x)
    np.testing.assert_allclose(g.numpy(), _fd_jac(f_np, X), rtol=1e-6, atol=1e-8)
    assert not g.requires_grad and not x.requires_grad and x.grad is None


def test_grad_argnums_tuple_dict_input_and_has_aux():
    x, y = tt.tensor(X), tt.tensor(Y)
    gx, gy = grad(lambda a, b: _f_tt(a, b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.numpy(), _fd_jac(lambda a: _f_np(a, Y).sum(), X), rtol=1e-6)
    np.testing.assert_allclose(gy.numpy(), _fd_jac(lambda b: _f_np(X, b).sum(), Y), rtol=1e-6)
    # argnums=1 alone, and negative argnums
    np.testing.assert_allclose(grad(lambda a, b: _f_tt(a, b).sum(), argnums=-1)(x, y).numpy(),
                               gy.numpy())  # fmt: skip
    params = {"w": x, "b": {"c": y}}

    def loss(p):
        out = _f_tt(p["w"], p["b"]["c"]).sum()
        return out, out.detach() * 2

    g, aux = grad(loss, has_aux=True)(params)
    assert set(g) == {"w", "b"} and set(g["b"]) == {"c"}
    np.testing.assert_allclose(g["w"].numpy(), gx.numpy())
    np.testing.assert_allclose(g["b"]["c"].numpy(), gy.numpy())
    np.testing.assert_allclose(aux.item(), 2 * _f_np(X, Y).sum())


def test_grad_and_value_and_errors():
    x = tt.tensor(X)
    g, v = grad_and_value(lambda t: (t**3).sum())(x)
    np.testing.assert_allclose(g.numpy(), 3 * X**2)
    np.testing.assert_allclose(v.item(), (X**3).sum())
    with pytest.raises(RuntimeError, match="scalar Tensor, got tensor with 1 dims"):
        grad(lambda t: t * 2)(x)
    with pytest.raises(RuntimeError, match="argnums"):
        grad(lambda t: t.sum(), argnums=3)(x)
    with pytest.raises(RuntimeError, match="floating point"):
        grad(lambda t: t.sum())(tt.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="tuple: \\(output, aux\\)"):
        grad(lambda t: t.sum(), has_aux=True)(x)
    # an input the output does not use gets zeros
    gx, gy = grad(lambda a, b: (a**2).sum(), argnums=(0, 1))(x, tt.tensor(Y))
    np.testing.assert_array_equal(gy.numpy(), np.zeros(2))


def test_nested_grad_is_the_second_derivative():
    x = tt.tensor(1.3, dtype=tt.float64)
    d2 = grad(grad(lambda t: t**4 + tt.sin(t)))(x)
    np.testing.assert_allclose(d2.item(), 12 * 1.3**2 - np.sin(1.3), rtol=1e-12)


def test_grad_of_a_leaf_that_requires_grad_keeps_the_outer_graph():
    w = tt.tensor(X, requires_grad=True)
    g = grad(lambda t: (t**3).sum())(w)  # 3 w^2, differentiable in w
    g.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 6 * X)


def test_vjp_is_the_transposed_jacobian_times_the_cotangent():
    x, y = tt.tensor(X), tt.tensor(Y)
    out, fn = vjp(_f_tt, x, y)
    np.testing.assert_allclose(out.numpy(), _f_np(X, Y))
    v = np.array([0.7, -1.3])
    gx, gy = fn(tt.tensor(v))
    np.testing.assert_allclose(gx.numpy(), v @ _fd_jac(lambda a: _f_np(a, Y), X), rtol=1e-6)
    np.testing.assert_allclose(gy.numpy(), v @ _fd_jac(lambda b: _f_np(X, b), Y), rtol=1e-6)
    gx2, _ = fn(tt.tensor(2 * v))  # callable again
    np.testing.assert_allclose(gx2.numpy(), 2 * gx.numpy())
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        fn(tt.ones(3))


@pytest.mark.parametrize("jac", [jacrev, jacfwd])
def test_jacobians_match_finite_differences(jac):
    x, y = tt.tensor(X), tt.tensor(Y)
    jx = jac(_f_tt)(x, y)
    assert tuple(jx.shape) == (2, 3)
    np.testing.assert_allclose(jx.numpy(), _fd_jac(lambda a: _f_np(a, Y), X), rtol=1e-6)
    jx2, jy = jac(_f_tt, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(jx2.numpy(), jx.numpy())
    np.testing.assert_allclose(jy.numpy(), _fd_jac(lambda b: _f_np(X, b), Y), rtol=1e-6)
    # matrix input and output: block of shape O + I
    m = np.arange(6.0).reshape(2, 3) / 7
    jm = jac(lambda t: tt.tanh(t).T @ t)(tt.tensor(m))
    assert tuple(jm.shape) == (3, 3, 2, 3)
    np.testing.assert_allclose(jm.numpy(), _fd_jac(lambda a: np.tanh(a).T @ a, m), rtol=1e-6)
    # tuple output, has_aux
    (j1, j2), aux = jac(lambda t: ((t**2, t.sum()), "aux"), has_aux=True)(x)
    np.testing.assert_allclose(j1.numpy(), np.diag(2 * X))
    np.testing.assert_allclose(j2.numpy(), np.ones(3))
    assert aux == "aux"


def test_hessian_matches_the_analytic_one():
    x = tt.tensor(X)
    h = hessian(lambda t: (t**3).sum() + t[0] * t[1] * t[2])(x)
    want = np.diag(6 * X)
    want[0, 1] = want[1, 0] = X[2]
    want[0, 2] = want[2, 0] = X[1]
    want[1, 2] = want[2, 1] = X[0]
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-12)
    assert not h.requires_grad


def test_functional_call_uses_the_given_tensors():
    tt.manual_seed(0)
    m = tt.nn.Linear(3, 2)
    w = tt.ones(2, 3)
    b = tt.zeros(2)
    x = tt.tensor(X, dtype=tt.float32)
    out = functional_call(m, {"weight": w, "bias": b}, (x,))
    np.testing.assert_allclose(out.numpy(), np.full(2, X.sum()), rtol=1e-6)
    np.testing.assert_allclose(functional_call(m, ({"weight": w}, {"bias": b}), x).numpy(),
                               out.numpy())  # fmt: skip
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(m, {"weight": w}, (x,), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        functional_call(m, ({"weight": w}, {"weight": w}), (x,))
    # the module's own parameters are back
    assert not np.allclose(m.weight.detach().numpy(), 1.0)


def test_jvp_and_linearize_are_the_jacobian_times_the_tangent():
    from tinytensor.func import jvp, linearize

    x, y = tt.tensor(X), tt.tensor(Y)
    tx, ty = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.4])
    out, j = jvp(_f_tt, (x, y), (tt.tensor(tx), tt.tensor(ty)))
    jx = _fd_jac(lambda a: _f_np(a, Y), X)
    jy = _fd_jac(lambda b: _f_np(X, b), Y)
    np.testing.assert_allclose(out.numpy(), _f_np(X, Y))
    np.testing.assert_allclose(j.numpy(), jx @ tx + jy @ ty, rtol=1e-6)
    out2, fn = linearize(_f_tt, x, y)
    np.testing.assert_allclose(fn(tt.tensor(tx), tt.tensor(ty)).numpy(), j.numpy(), rtol=1e-12)
    np.testing.assert_allclose(fn(tt.tensor(2 * tx), tt.zeros(2, dtype=tt.float64)).numpy(),
                               2 * jx @ tx, rtol=1e-6)  # fmt: skip
    with pytest.raises(RuntimeError, match="same shape"):
        jvp(_f_tt, (x, y), (tt.ones(2), tt.ones(2)))
    with pytest.raises(RuntimeError, match="to be tuples"):
        jvp(_f_tt, x, tt.ones(3))
    with pytest.raises(AttributeError, match="functionalize .* is not planned"):
        tt.func.functionalize  # noqa: B018
