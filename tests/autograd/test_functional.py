"""tt.autograd.functional against torch.autograd.functional (and closed forms without torch)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.autograd import functional as F


def _np(x):
    if isinstance(x, tuple):
        return tuple(_np(t) for t in x)
    return x.detach().numpy()


def _assert_close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_close(x, y)
    else:
        assert not isinstance(b, tuple)
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# Functions written once and run with either library (the argument ``m`` is tt or torch).
FUNCS = {
    "elementwise": (lambda m, x: (x * x).exp() * 0.1 + x.sin(), [(3,)]),
    "reduce": (lambda m, x: (x**3).sum().reshape(1) * 0.5, [(2, 2)]),
    "matvec": (lambda m, a, b: (a @ b).tanh(), [(2, 3), (3,)]),
    "two_out": (lambda m, a, b: (a * b, (a - b).exp()), [(3,), (3,)]),
    "broadcast": (lambda m, a, b: a * b + a.sigmoid(), [(2, 1), (3,)]),
}
SCALAR_FUNCS = {
    "quartic": (lambda m, x: (x**4).sum() + (x[0] * x[-1]), [(3,)]),
    "logsumexp": (lambda m, x: m.logsumexp(x, dim=0).sum(), [(2, 3)]),
    "bilinear": (lambda m, a, b: (a.unsqueeze(1) * b * b).sum() + (a * a).sum(), [(2,), (3,)]),
}


def _inputs(shapes, seed, lib):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    return [lib.tensor(a) for a in arrays]


def _call(fn_name, table, transform, lib_name, seed, **kwargs):
    import importlib

    lib = tt if lib_name == "tt" else importlib.import_module("torch")
    mod = F if lib_name == "tt" else lib.autograd.functional
    f, shapes = table[fn_name]
    xs = _inputs(shapes, seed, lib)
    inputs = xs[0] if len(xs) == 1 else tuple(xs)
    fn = lambda *a: f(lib, *a)  # noqa: E731
    if transform in ("vjp",):
        out = fn(*xs)
        outs = out if isinstance(out, tuple) else (out,)
        v = tuple(
            lib.tensor(np.random.default_rng(seed + 1).standard_normal(o.shape)) for o in outs
        )
        kwargs["v"] = v if isinstance(out, tuple) else v[0]
    if transform in ("jvp", "hvp", "vhp"):
        v = tuple(lib.tensor(np.random.default_rng(seed + 2).standard_normal(x.shape)) for x in xs)
        kwargs["v"] = v if len(xs) > 1 else v[0]
    return _np(getattr(mod, transform)(fn, inputs, **kwargs))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(FUNCS))
@pytest.mark.parametrize("transform", ["jacobian", "vjp", "jvp"])
def test_first_order_transforms_match_pytorch(name, transform):
    pytest.importorskip("torch")
    _assert_close(_call(name, FUNCS, transform, "tt", 0), _call(name, FUNCS, transform, "torch", 0))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SCALAR_FUNCS))
@pytest.mark.parametrize("transform", ["hessian", "hvp", "vhp", "jacobian"])
def test_second_order_transforms_match_pytorch(name, transform):
    pytest.importorskip("torch")
    ours = _call(name, SCALAR_FUNCS, transform, "tt", 1)
    _assert_close(ours, _call(name, SCALAR_FUNCS, transform, "torch", 1))


@pytest.mark.torch
@given(st.integers(0, 2**16), st.sampled_from(sorted(SCALAR_FUNCS)))
def test_hessian_matches_pytorch_on_random_points(seed, name):
    pytest.importorskip("torch")
    _assert_close(
        _call(name, SCALAR_FUNCS, "hessian", "tt", seed),
        _call(name, SCALAR_FUNCS, "hessian", "torch", seed),
    )


def test_jacobian_and_hessian_closed_forms():
    x = tt.tensor([0.5, -1.0, 2.0], dtype=tt.float64)
    jac = F.jacobian(lambda t: t**2, x)
    np.testing.assert_allclose(jac.numpy(), np.diag(2 * x.numpy()))
    hes = F.hessian(lambda t: (t**3).sum(), x)
    np.testing.assert_allclose(hes.numpy(), np.diag(6 * x.numpy()))
    assert not jac.requires_grad and not hes.requires_grad
    assert not x.requires_grad  # inputs are not modified


def test_result_structure_follows_inputs_and_outputs():
    a, b = tt.randn(2, dtype=tt.float64), tt.randn(3, dtype=tt.float64)
    j = F.jacobian(lambda x, y: (x.sum() * y, x * 2), (a, b))
    assert isinstance(j, tuple) and len(j) == 2 and all(isinstance(r, tuple) for r in j)
    assert j[0][0].shape == (3, 2) and j[0][1].shape == (3, 3) and j[1][1].shape == (2, 3)
    np.testing.assert_array_equal(j[1][1].numpy(), np.zeros((2, 3)))  # unused input: zeros
    h = F.hessian(lambda x, y: (x * x).sum() * y.sum(), (a, b))
    assert h[0][1].shape == (2, 3) and h[1][0].shape == (3, 2)
    out, v = F.vjp(lambda x: x * 3, a, tt.ones(2, dtype=tt.float64))
    assert isinstance(out, tt.Tensor) and isinstance(v, tt.Tensor)


def test_create_graph_keeps_results_differentiable():
    x = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    h = F.hessian(lambda t: (t**4).sum(), x, create_graph=True)
    assert h.requires_grad
    (g,) = tt.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * x.detach().numpy())
    _, hv = F.hvp(lambda t: (t**4).sum(), x, tt.ones(2, dtype=tt.float64), create_graph=True)
    assert hv.requires_grad


def test_strict_mode_errors():
    x = tt.randn(3, dtype=tt.float64)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.jacobian(lambda a, b: a * 2, (x, x.clone()), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        F.vjp(lambda a: tt.ones(3, dtype=tt.float64), x, tt.ones(3, dtype=tt.float64), strict=True)
    with pytest.raises(RuntimeError, match="independent"):
        F.hessian(lambda a: (a * 2).sum(), x, strict=True)  # linear: the jacobian is constant
    np.testing.assert_array_equal(F.hessian(lambda a: (a * 2).sum(), x).numpy(), np.zeros((3, 3)))


def test_argument_errors():
    x = tt.randn(3, dtype=tt.float64)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        F.jacobian(lambda a: a, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="v can only be None"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="invalid size"):
        F.jvp(lambda a: a * 2, x, tt.ones(4, dtype=tt.float64))
    with pytest.raises(RuntimeError, match="single element"):
        F.hessian(lambda a: a * 2, x)
    with pytest.raises(ValueError, match="strategy"):
        F.jacobian(lambda a: a, x, strategy="sideways")
    F.jacobian(lambda a: a, x, vectorize=True)  # accepted and ignored
