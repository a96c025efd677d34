"""vmap, per-sample gradients and ensembles, checked against loops and NumPy (NumPy only)."""

import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.func import functional_call, grad, jacrev, stack_module_state, vmap

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop")
RNG = np.random.default_rng(0)


def _t(*shape):
    return tt.tensor(RNG.standard_normal(shape))


def _no_loop_warning(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


def test_loop_path_equals_a_python_loop_and_warns():
    x, y = _t(4, 3), _t(3)
    f = lambda a, b: (a * b).sum() + a.max()  # noqa: E731
    with pytest.warns(UserWarning, match="performance drop .* batching rule for <lambda>"):
        out = vmap(f, in_dims=(0, None))(x, y)
    want = [(x.numpy()[i] * y.numpy()).sum() + x.numpy()[i].max() for i in range(4)]
    np.testing.assert_allclose(out.numpy(), want)
    # in_dims=1 and out_dims=1
    z = _t(3, 5)
    out = vmap(lambda a: tt.stack([a, 2 * a]), in_dims=1, out_dims=1)(z)
    assert tuple(out.shape) == (2, 5, 3)
    np.testing.assert_allclose(out.numpy(), np.stack([z.numpy().T, 2 * z.numpy().T], 0))


def test_nested_vmap_is_an_outer_product():
    a, b = _t(3), _t(4)
    outer = vmap(vmap(lambda u, v: u * v, in_dims=(None, 0)), in_dims=(0, None))(a, b)
    np.testing.assert_allclose(outer.numpy(), np.outer(a.numpy(), b.numpy()))


def test_pytree_inputs_and_outputs_and_out_dims_none():
    d = {"a": _t(2, 3), "b": _t(3)}
    out = vmap(lambda p, s: ({"s": p["a"].sum() * s, "c": p["b"]}, s),
               in_dims=({"a": 0, "b": None}, None), out_dims=({"s": 0, "c": None}, None))(
        d, 2.0)  # fmt: skip
    np.testing.assert_allclose(out[0]["s"].numpy(), 2 * d["a"].numpy().sum(1))
    assert out[0]["c"] is d["b"] and out[1] == 2.0
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        vmap(lambda t: t * 2, out_dims=None)(_t(3, 2))


@pytest.mark.parametrize(
    "sa, sb, da, db",
    [((4, 3), (4, 3), 0, 0), ((4, 3), (3,), 0, None), ((4, 2, 3), (3, 5), 0, None),
     ((2, 3), (4, 3, 5), None, 0), ((4, 3), (4, 3, 5), 0, 0), ((4, 2, 3), (4, 3), 0, 0),
     ((2, 2, 3), (4, 3, 5), None, 0), ((3, 4, 2), (2, 6), 1, None)],
)  # fmt: skip
def test_matmul_rule_is_exact(sa, sb, da, db):
    a, b = _t(*sa), _t(*sb)
    out = _no_loop_warning(lambda: vmap(tt.matmul, in_dims=(da, db))(a, b))
    an, bn = a.numpy(), b.numpy()
    n = sa[da] if da is not None else sb[db]
    pick = lambda arr, d, i: arr if d is None else np.take(arr, i, axis=d)  # noqa: E731
    want = np.stack([np.matmul(pick(an, da, i), pick(bn, db, i)) for i in range(n)])
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)


def test_elementwise_and_reduction_rules_are_exact_without_a_loop():
    x, y = _t(5), _t(5)
    # per sample a scalar plus a vector: each row is x[i] + y (a (5, 5) result, not (5,))
    out = _no_loop_warning(lambda: vmap(tt.add, in_dims=(0, None))(x, y))
    np.testing.assert_allclose(out.numpy(), x.numpy()[:, None] + y.numpy()[None, :])
    m = _t(4, 3, 2)
    s = _no_loop_warning(lambda: vmap(tt.sum, in_dims=(0, None))(m, 1))
    np.testing.assert_allclose(s.numpy(), m.numpy().sum(2))
    s = _no_loop_warning(lambda: vmap(tt.sum, in_dims=(0, None))(m, -2))
    np.testing.assert_allclose(s.numpy(), m.numpy().sum(1))
    s = _no_loop_warning(lambda: vmap(tt.mean)(m))
    np.testing.assert_allclose(s.numpy(), m.numpy().mean((1, 2)))
    sm = _no_loop_warning(lambda: vmap(tt.softmax, in_dims=(1, None), out_dims=1)(m, 0))
    e = np.exp(m.numpy() - m.numpy().max(0, keepdims=True))
    np.testing.assert_allclose(sm.numpy(), e / e.sum(0, keepdims=True), rtol=1e-12)
    r = _no_loop_warning(lambda: vmap(tt.sin, chunk_size=2)(m))
    np.testing.assert_allclose(r.numpy(), np.sin(m.numpy()))
    lin_w, lin_b = _t(2, 3), _t(2)
    lo = _no_loop_warning(lambda: vmap(tt.nn.functional.linear, in_dims=(0, None, None))(
        _t(4, 3), lin_w, lin_b))  # fmt: skip
    assert tuple(lo.shape) == (4, 2)


def test_errors_name_the_problem():
    x = _t(3, 2)
    with pytest.raises(ValueError, match="same size in the mapped dimension, got sizes \\[3, 4\\]"):
        vmap(lambda a, b: a + b)(x, _t(4))
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(lambda a, n: a * n)(x, 2)
    with pytest.raises(ValueError, match="expected in_dim to satisfy -2 <= in_dim < 2"):
        vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure"):
        vmap(lambda a: a, in_dims=({"k": 0},))(x)
    with pytest.raises(ValueError, match="at least one input must be a Tensor mapped"):
        vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ValueError, match="must only return Tensors"):
        vmap(lambda a: 3.0)(x)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        vmap(tt.sin, randomness="sometimes")
    with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
        vmap(tt.sin, chunk_size=0)


def test_randomness_modes():
    x = tt.zeros(4, 3)
    noisy = lambda a: a + tt.randn(3)  # noqa: E731
    tt.manual_seed(0)
    state = tt.get_rng_state()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(noisy)(x)
    assert tt.get_rng_state() == state  # refused: the generator is left as it was
    same = vmap(noisy, randomness="same")(x).numpy()
    np.testing.assert_array_equal(same, np.broadcast_to(same[0], same.shape))
    diff = vmap(noisy, randomness="different")(x).numpy()
    assert len({tuple(r) for r in diff}) == 4


def test_gradients_flow_through_vmap():
    w = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, requires_grad=True)
    x = _t(4, 3)
    vmap(lambda a: (a * w).sum() ** 2)(x).sum().backward()
    xn = x.numpy()
    want = (2 * (xn @ np.array([1.0, 2.0, 3.0]))[:, None] * xn).sum(0)
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)


def test_per_sample_gradients_of_linear_regression_have_the_closed_form():
    tt.manual_seed(0)
    model = tt.nn.Linear(3, 1).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = _t(6, 3), _t(6, 1)

    def loss(p, xi, yi):
        pred = functional_call(model, p, (xi.unsqueeze(0),))
        return ((pred - yi.unsqueeze(0)) ** 2).mean()

    g = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    w, b = params["weight"].numpy(), params["bias"].numpy()
    r = x.numpy() @ w.T + b - y.numpy()  # (6, 1) residuals
    np.testing.assert_allclose(g["weight"].numpy(), 2 * r[:, :, None] * x.numpy()[:, None, :])
    np.testing.assert_allclose(g["bias"].numpy(), 2 * r)
    # per-sample Jacobians too
    jw = vmap(jacrev(loss), in_dims=(None, 0, 0))(params, x, y)["weight"]
    np.testing.assert_allclose(jw.numpy(), g["weight"].numpy())


def test_stack_module_state_runs_an_ensemble():
    tt.manual_seed(1)
    models = [tt.nn.Linear(3, 2) for _ in range(4)]
    params, buffers = stack_module_state(models)
    assert tuple(params["weight"].shape) == (4, 2, 3) and buffers == {}
    assert params["weight"].requires_grad and params["weight"].is_leaf
    x = tt.randn(5, 3)
    base = models[0]
    run = lambda p, b, xb: functional_call(base, (p, b), (xb,))  # noqa: E731
    out = vmap(run, in_dims=(0, 0, None))(params, buffers, x)
    for i, m in enumerate(models):
        np.testing.assert_allclose(out[i].detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="same class"):
        stack_module_state([tt.nn.Linear(3, 2), tt.nn.ReLU()])
