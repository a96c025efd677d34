"""biject_to / transform_to (NumPy and against torch), PyTorch's top-level transform names,
sample_n, and the gradients of kl_divergence with respect to both distributions' parameters
against torch's (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D
from tinytensor.distributions import constraints as C

CONSTRAINTS = [
    ("real", C.real),
    ("positive", C.positive),
    ("nonnegative", C.nonnegative),
    ("greater_than", C.greater_than(2.0)),
    ("less_than", C.less_than(-1.0)),
    ("unit_interval", C.unit_interval),
    ("interval", C.interval(-1.0, 3.0)),
    ("simplex", C.simplex),
    ("real_vector", C.real_vector),
    ("independent_positive", C.independent(C.positive, 1)),
]


@pytest.mark.parametrize("name, constraint", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_biject_to_maps_onto_the_region_and_back(name, constraint):
    x = tt.tensor(np.random.default_rng(0).standard_normal((3, 4)) * 3)
    b = D.biject_to(constraint)
    y = b(x)
    assert bool(constraint.check(y).all())
    assert b.bijective
    np.testing.assert_allclose(b.inv(y).numpy(), x.numpy(), rtol=1e-8, atol=1e-8)
    y2 = D.transform_to(constraint)(x)
    assert bool(constraint.check(y2).all())


def test_registry_errors_and_registration():
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        D.biject_to(C.lower_cholesky)
    reg = D.constraint_registry.ConstraintRegistry()
    reg.register(C.positive, lambda c: D.transforms.SoftplusTransform())
    assert isinstance(reg(C.positive), D.SoftplusTransform)
    with pytest.raises(TypeError):
        reg.register(int, lambda c: None)


def test_sample_n_warns_and_samples():
    with pytest.warns(UserWarning, match="sample_n"):
        s = D.Normal(tt.zeros(2), tt.ones(2)).sample_n(3)
    assert s.shape == (3, 2)


@pytest.mark.torch
@pytest.mark.parametrize("name, constraint", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_biject_to_matches_torch(name, constraint):
    torch = pytest.importorskip("torch")
    TC = torch.distributions.constraints
    theirs_c = {
        "greater_than": TC.greater_than(2.0),
        "less_than": TC.less_than(-1.0),
        "interval": TC.interval(-1.0, 3.0),
        "independent_positive": TC.independent(TC.positive, 1),
    }.get(name) or getattr(TC, name)
    x = np.random.default_rng(1).standard_normal((3, 4))
    for ours_reg, theirs_reg in (
        (D.biject_to, torch.distributions.biject_to),
        (D.transform_to, torch.distributions.transform_to),
    ):
        ours, theirs = ours_reg(constraint), theirs_reg(theirs_c)
        yo, yt = ours(tt.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(yo.numpy(), yt.numpy(), rtol=1e-12)
        if ours.bijective and name != "simplex" or ours_reg is D.biject_to:
            lo = ours.log_abs_det_jacobian(tt.tensor(x), yo).numpy()
            lt = theirs.log_abs_det_jacobian(torch.tensor(x), yt).numpy()
            np.testing.assert_allclose(lo, lt, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_top_level_names_match_torch():
    torch = pytest.importorskip("torch")
    names = (
        "ExpTransform AffineTransform SigmoidTransform TanhTransform ComposeTransform "
        "SoftmaxTransform StickBreakingTransform Transform identity_transform biject_to "
        "transform_to kl_divergence register_kl constraints transforms constraint_registry"
    ).split()
    for name in names:
        assert hasattr(torch.distributions, name) and hasattr(D, name), name


KL_GRAD_PAIRS = [
    ("Normal", ([0.3, -1.0], [1.2, 0.4]), "Normal", ([-0.5, 0.5], [0.7, 2.0])),
    ("Laplace", ([0.3, -1.0], [1.2, 0.4]), "Normal", ([-0.5, 0.5], [0.7, 2.0])),
    ("Normal", ([0.3, -1.0], [1.2, 0.4]), "Laplace", ([-0.5, 0.5], [0.7, 2.0])),
    ("Gamma", ([2.0, 0.7], [1.3, 0.4]), "Gamma", ([0.9, 3.0], [0.5, 2.0])),
    ("Beta", ([2.0, 0.7], [1.3, 3.0]), "Beta", ([0.9, 3.0], [0.5, 2.0])),
    ("Beta", ([2.0, 0.7], [1.3, 3.0]), "Gamma", ([0.9, 3.0], [0.5, 2.0])),
    ("Uniform", ([0.2, 0.1], [0.7, 0.9]), "Beta", ([0.9, 3.0], [0.5, 2.0])),
    ("Exponential", ([1.3, 0.4],), "Gamma", ([0.9, 3.0], [0.5, 2.0])),
    ("Dirichlet", ([[2.0, 0.7, 1.0]],), "Dirichlet", ([[0.9, 3.0, 0.5]],)),
    ("Categorical", ([[0.2, 0.3, 0.5]],), "Categorical", ([[0.5, 0.25, 0.25]],)),
    ("Bernoulli", ([0.3, 0.8],), "Bernoulli", ([0.6, 0.1],)),
    ("Poisson", ([2.0, 0.5],), "Poisson", ([3.0, 0.7],)),
]


@pytest.mark.torch
@pytest.mark.parametrize(
    "p_name, p_args, q_name, q_args",
    KL_GRAD_PAIRS,
    ids=[f"{a}-{c}" for a, _, c, _ in KL_GRAD_PAIRS],
)
def test_kl_gradients_match_torch(p_name, p_args, q_name, q_args):
    torch = pytest.importorskip("torch")

    def build(M, lib, name, args):
        leaves = [
            lib.tensor(np.asarray(a, dtype=np.float64), dtype=lib.float64, requires_grad=True)
            for a in args
        ]
        return getattr(M, name)(*leaves), leaves

    op, ol = build(D, tt, p_name, p_args)
    oq, oql = build(D, tt, q_name, q_args)
    tp, tl = build(torch.distributions, torch, p_name, p_args)
    tq, tql = build(torch.distributions, torch, q_name, q_args)
    g_ours = tt.autograd.grad(D.kl_divergence(op, oq).sum(), ol + oql)
    g_theirs = torch.autograd.grad(torch.distributions.kl_divergence(tp, tq).sum(), tl + tql)
    # torch's trigamma (the derivative of digamma, in the Gamma/Beta/Dirichlet pairs) is off by
    # up to ~1e-9 relative; tinytensor's matches SciPy to 1e-15.
    for a, b in zip(g_ours, g_theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.torch
def test_mvn_kl_gradients_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    args = [
        rng.standard_normal(3),
        np.linalg.cholesky(A @ A.T + np.eye(3)),
        rng.standard_normal(3),
        B @ B.T + np.eye(3),
    ]

    def run(M, lib):
        leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in args]
        p = M.MultivariateNormal(leaves[0], scale_tril=leaves[1])
        q = M.MultivariateNormal(leaves[2], covariance_matrix=leaves[3])
        kl = M.kl_divergence(p, q).sum()
        grad = lib.autograd.grad(kl, leaves)
        return [g.detach().numpy() for g in grad]

    for a, b in zip(run(D, tt), run(torch.distributions, torch)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_pytorch_module_paths_import():
    import importlib

    for short, names in D.module_paths.PATHS.items():
        module = importlib.import_module(f"tinytensor.distributions.{short}")
        for name in names:
            assert getattr(module, name) is getattr(D, name)
        assert getattr(D, short) is module
    from tinytensor.distributions.normal import Normal

    assert Normal is D.Normal
    import tinytensor as torch

    assert torch.distributions.Normal is D.Normal


def test_families_not_provided_say_so():
    with pytest.raises(AttributeError, match="StudentT.*not provided.*Normal"):
        D.StudentT  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        D.NoSuchThing  # noqa: B018


@pytest.mark.torch
def test_module_paths_are_pytorchs():
    torch = pytest.importorskip("torch")
    import importlib

    for short, names in D.module_paths.PATHS.items():
        theirs = importlib.import_module(f"torch.distributions.{short}")
        for name in names:
            assert hasattr(theirs, name), (short, name)
    for name in D._NOT_PROVIDED:
        assert hasattr(torch.distributions, name), name
