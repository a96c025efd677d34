"""create_graph=True and autograd.grad: derivatives of derivatives to any order."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst


def f64(*values):
    return tt.tensor(list(values), dtype=tt.float64, requires_grad=True)


def nth_derivatives(f, x, n):
    """[f'(x), f''(x), ...] of an elementwise f, summing over elements at each step."""
    out, y = [], f(x)
    for _ in range(n):
        (y,) = tt.autograd.grad(y.sum(), x, create_graph=True)
        out.append(y.detach().numpy().copy())
    return out


# f, then f', f'', f''' in NumPy
SCALAR_CASES = {
    "cube": (lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x, lambda x: 6 + 0 * x),
    "exp": (tt.exp, np.exp, np.exp, np.exp),
    "sin": (tt.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "log": (tt.log, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "sqrt": (
        tt.sqrt,
        lambda x: 0.5 * x**-0.5,
        lambda x: -0.25 * x**-1.5,
        lambda x: 0.375 * x**-2.5,
    ),
    "tanh": (
        tt.tanh,
        lambda x: 1 - np.tanh(x) ** 2,
        lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
        lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2),
    ),
    "reciprocal": (
        lambda x: 1 / x,
        lambda x: -(x**-2),
        lambda x: 2 * x**-3,
        lambda x: -6 * x**-4,
    ),
}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_first_second_and_third_derivatives(name):
    f, *derivs = SCALAR_CASES[name]
    xs = np.array([0.3, 0.7, 1.9])
    got = nth_derivatives(f, f64(*xs), 3)
    for order, (g, d) in enumerate(zip(got, derivs), start=1):
        np.testing.assert_allclose(g, d(xs), rtol=1e-10, err_msg=f"order {order}")


def test_backward_create_graph_makes_grad_differentiable():
    x = f64(2.0)
    (x**4).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    assert g.item() == pytest.approx(32.0)
    (g2,) = tt.autograd.grad(g, x)
    assert g2.item() == pytest.approx(48.0)


def test_backward_twice_with_create_graph_accumulates_a_graph():
    x = f64(1.5)
    (x**3).backward(create_graph=True)
    (x**2).backward(create_graph=True)
    assert x.grad.item() == pytest.approx(3 * 1.5**2 + 2 * 1.5)
    (h,) = tt.autograd.grad(x.grad, x)
    assert h.item() == pytest.approx(6 * 1.5 + 2)


def test_mixed_partials_are_symmetric():
    x, y = f64(0.7), f64(-1.3)
    f = x**2 * y**3 + (x * y).sin()
    gx, gy = tt.autograd.grad(f, (x, y), create_graph=True)
    (gxy,) = tt.autograd.grad(gx, y, retain_graph=True)
    (gyx,) = tt.autograd.grad(gy, x)
    xv, yv = 0.7, -1.3
    expected = 6 * xv * yv**2 + np.cos(xv * yv) - xv * yv * np.sin(xv * yv)
    assert gxy.item() == pytest.approx(expected, rel=1e-10)
    assert gyx.item() == pytest.approx(expected, rel=1e-10)


def test_hessian_vector_product_of_a_quadratic_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    q = a @ a.T
    x = tt.tensor(rng.standard_normal(4), requires_grad=True)
    v = tt.tensor(rng.standard_normal(4))
    f = 0.5 * (x @ tt.tensor(q) @ x) + x.exp().sum()
    (g,) = tt.autograd.grad(f, x, create_graph=True)
    (hv,) = tt.autograd.grad(g, x, grad_outputs=v)
    hessian = q + np.diag(np.exp(x.detach().numpy()))
    np.testing.assert_allclose(hv.numpy(), hessian @ v.numpy(), rtol=1e-10)


def test_fourth_order_stays_exact():
    x = f64(0.5)
    got = nth_derivatives(lambda t: t**6, x, 4)
    expected = [6 * 0.5**5, 30 * 0.5**4, 120 * 0.5**3, 360 * 0.5**2]
    np.testing.assert_allclose([g[0] for g in got], expected)


def test_gradient_without_create_graph_is_constant():
    x = f64(2.0)
    (g,) = tt.autograd.grad(x**3, x)
    assert not g.requires_grad and g.grad_fn is None


# --- autograd.grad arguments -------------------------------------------------------------------


def test_grad_does_not_touch_dot_grad():
    x = f64(1.0, 2.0)
    x.grad = tt.ones(2, dtype=tt.float64)
    (g,) = tt.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_grad_with_several_outputs_and_grad_outputs():
    x = f64(1.0, 2.0)
    y1, y2 = x * 2, x * x
    g1, g2 = tt.ones(2, dtype=tt.float64), tt.tensor([1.0, -1.0], dtype=tt.float64)
    (g,) = tt.autograd.grad([y1, y2], [x], [g1, g2])
    np.testing.assert_allclose(g.numpy(), [2 + 2 * 1.0, 2 - 2 * 2.0])


def test_grad_allow_unused_and_materialize_grads():
    x, y = f64(1.0), f64(2.0)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tt.autograd.grad((x * 3).sum(), [x, y])
    gx, gy = tt.autograd.grad((x * 3).sum(), [x, y], allow_unused=True)
    assert gx.item() == 3.0 and gy is None
    gx, gy = tt.autograd.grad((x * 3).sum(), [x, y], materialize_grads=True)
    assert gy.item() == 0.0


def test_grad_with_respect_to_an_intermediate_tensor():
    x = f64(1.0, 2.0)
    h = x * 3
    y = (h * h).sum()
    gh, gx = tt.autograd.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_grad_retain_graph_default_frees_and_second_call_errors():
    x = f64(1.0)
    y = (x * x).sum()
    tt.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        tt.autograd.grad(y, x)
    y = (x * x).sum()
    tt.autograd.grad(y, x, retain_graph=True)
    assert tt.autograd.grad(y, x)[0].item() == 2.0


def test_grad_prunes_branches_that_do_not_lead_to_the_inputs():
    x, w = f64(1.0), f64(2.0)
    calls = []
    w2 = w * 1.0
    w2.register_hook(lambda g: calls.append("w"))
    y = (x * 3 + w2 * 5).sum()
    (gx,) = tt.autograd.grad(y, x)
    assert gx.item() == 3.0 and calls == []


def test_grad_rejects_inputs_that_do_not_require_grad_and_empty_inputs():
    x = f64(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.autograd.grad((x * 2).sum(), tt.tensor([1.0]))
    with pytest.raises(RuntimeError, match="must not be empty"):
        tt.autograd.grad((x * 2).sum(), [])


def test_grad_is_grads_batched_gives_one_vjp_per_row():
    x = f64(1.0, 2.0, 3.0)
    y = x * x
    eye = tt.eye(3, dtype=tt.float64)
    (jac,) = tt.autograd.grad(y, x, eye, is_grads_batched=True)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_broadcast_gradients_are_reduced_in_double_backward():
    a = tt.randn(3, 1, dtype=tt.float64, requires_grad=True)
    b = tt.randn(1, 4, dtype=tt.float64, requires_grad=True)
    (ga,) = tt.autograd.grad((a * a * b).sum(), a, create_graph=True)
    assert ga.shape == (3, 1)
    (gb,) = tt.autograd.grad(ga.sum(), b)
    assert gb.shape == (1, 4)
    np.testing.assert_allclose(gb.numpy(), np.full((1, 4), 2 * a.detach().numpy().sum()))


# --- against PyTorch ---------------------------------------------------------------------------


def _composite(lib):
    """One expression mixing elementwise, reduction, broadcasting and matmul ops."""

    def f(x, w):
        h = (x @ w).tanh() * lib.sigmoid(x.sum(-1, keepdim=True))
        return (h * h).mean() + (x.exp() * w.sum()).sum() / 10 + lib.logsumexp(x, dim=1).sum()

    return f


MATRICES = st.tuples(st.integers(1, 3), st.integers(1, 3))


@pytest.mark.torch
@given(tst.tensors(shape=MATRICES, min_value=-2, max_value=2))
def test_second_and_third_order_match_pytorch(x0):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(int(abs(x0.numpy()).sum() * 1000) % 2**32)
    w0 = rng.standard_normal((x0.shape[1], 2))
    v0 = rng.standard_normal(x0.shape)

    def derivatives(lib, x, w, v, grad):
        f = _composite(lib)(x, w)
        gx, gw = grad(f, (x, w), create_graph=True)
        (hv,) = grad((gx * v).sum(), (x,), create_graph=True)
        (third,) = grad((hv * hv).sum() + (gw * gw).sum(), (w,))
        return [t.detach().numpy() for t in (gx, gw, hv, third)]

    ours = derivatives(
        tt,
        tt.tensor(x0.numpy(), requires_grad=True),
        tt.tensor(w0, requires_grad=True),
        tt.tensor(v0),
        tt.autograd.grad,
    )
    theirs = derivatives(
        torch,
        torch.tensor(x0.numpy(), requires_grad=True),
        torch.tensor(w0, requires_grad=True),
        torch.tensor(v0),
        torch.autograd.grad,
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
