"""Gamma, Beta, Dirichlet, MultivariateNormal, LogNormal, Independent, TransformedDistribution,
the relaxed families and the transforms against torch.distributions (float64, same
parameters): values, gradients, shapes, the Gamma implicit gradient, and KL for every
registered pair among tinytensor's families."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D

pytestmark = pytest.mark.torch

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 3))
COV = A @ A.transpose(0, 2, 1) + np.eye(3)
LOC3 = RNG.standard_normal(3)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _close(a, b, rtol=1e-10, atol=1e-12):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def _lib(torch, ours):
    return (D, tt) if ours else (torch.distributions, torch)


# (name, builder(dist_module, tensor_fn), values) with values broadcastable to the batch.
CASES = [
    (
        "Gamma",
        lambda M, T: M.Gamma(T([0.5, 2.0, 30.0]), T([1.0, 2.0, 0.5])),
        [0.3, 1.0, 50.0],
    ),
    (
        "Beta",
        lambda M, T: M.Beta(T([0.5, 2.0, 5.0]), T([1.5, 2.0, 0.7])),
        [0.3, 0.5, 0.99],
    ),
    (
        "Dirichlet",
        lambda M, T: M.Dirichlet(T([[0.5, 2.0, 3.0], [1.0, 1.0, 1.0]])),
        [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]],
    ),
    (
        "MVN-cov",
        lambda M, T: M.MultivariateNormal(T(LOC3), covariance_matrix=T(COV)),
        RNG.standard_normal((4, 2, 3)).tolist(),
    ),
    (
        "MVN-prec",
        lambda M, T: M.MultivariateNormal(T(LOC3), precision_matrix=T(COV)),
        RNG.standard_normal((2, 3)).tolist(),
    ),
    (
        "MVN-tril",
        lambda M, T: M.MultivariateNormal(T(LOC3), scale_tril=T(np.linalg.cholesky(COV))),
        RNG.standard_normal((2, 3)).tolist(),
    ),
    ("LogNormal", lambda M, T: M.LogNormal(T([0.0, 1.0]), T([1.0, 0.5])), [0.5, 3.0]),
    (
        "Independent",
        lambda M, T: M.Independent(
            M.Normal(T([[0.0, 1.0], [2.0, 3.0]]), T([[1.0, 2.0], [0.5, 1.5]])), 1
        ),
        [[0.1, 0.2], [0.3, 0.4]],
    ),
    (
        "TransformedAffineExp",
        lambda M, T: M.TransformedDistribution(
            M.Normal(T([0.0, 1.0]), T([1.0, 0.5])),
            [M.transforms.AffineTransform(T(1.0), T(2.0)), M.transforms.ExpTransform()],
        ),
        [2.0, 9.0],
    ),
    (
        "TransformedTanh",
        lambda M, T: M.TransformedDistribution(
            M.Normal(T([0.0, 1.0]), T([1.0, 0.5])), [M.transforms.TanhTransform()]
        ),
        [0.2, -0.7],
    ),
    (
        "TransformedDecreasing",
        lambda M, T: M.TransformedDistribution(
            M.Exponential(T([1.5])), [M.transforms.AffineTransform(0.0, -1.0)]
        ),
        [-0.4],
    ),
    (
        "TransformedStickBreaking",
        lambda M, T: M.TransformedDistribution(
            M.Normal(T([0.3, -0.2]), T([1.0, 0.5])), [M.transforms.StickBreakingTransform()]
        ),
        [0.2, 0.3, 0.5],
    ),
    (
        "RelaxedBernoulli",
        lambda M, T: M.RelaxedBernoulli(T(0.7), probs=T([0.2, 0.6])),
        [0.3, 0.9],
    ),
    (
        "RelaxedOneHotCategorical",
        lambda M, T: M.RelaxedOneHotCategorical(T(0.7), logits=T([0.2, 0.6, -1.0])),
        [0.2, 0.3, 0.5],
    ),
    (
        "OneHotStraightThrough",
        lambda M, T: M.OneHotCategoricalStraightThrough(probs=T([0.2, 0.3, 0.5])),
        [0.0, 1.0, 0.0],
    ),
]


def _build(torch, builder, ours, requires_grad=False):
    M, lib = _lib(torch, ours)
    leaves = []

    def T(v):
        t = lib.tensor(
            np.asarray(v, dtype=np.float64), dtype=lib.float64, requires_grad=requires_grad
        )
        leaves.append(t)
        return t

    return builder(M, T), leaves


@pytest.mark.parametrize("name, builder, values", CASES, ids=[c[0] for c in CASES])
def test_values_match_torch(torch, name, builder, values):
    ours, _ = _build(torch, builder, True)
    theirs, _ = _build(torch, builder, False)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    v = np.asarray(values, dtype=np.float64)
    _close(ours.log_prob(tt.tensor(v)), theirs.log_prob(torch.tensor(v)), rtol=1e-9)
    for attr in ("mean", "mode", "variance", "stddev"):
        try:
            expected = getattr(theirs, attr)
        except NotImplementedError:
            continue
        _close(getattr(ours, attr), expected, rtol=1e-9)
    try:
        expected = theirs.entropy()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.entropy()
    else:
        _close(ours.entropy(), expected, rtol=1e-9)
    if name in (
        "Gamma",
        "LogNormal",
        "TransformedAffineExp",
        "TransformedTanh",
        "TransformedDecreasing",
    ):
        # torch's gammainc is off by ~1e-9 relative at (30, 25); ours matches SciPy to 1e-15.
        _close(ours.cdf(tt.tensor(v)), theirs.cdf(torch.tensor(v)), rtol=1e-8)
    if name in ("LogNormal", "TransformedAffineExp", "TransformedTanh", "TransformedDecreasing"):
        q = np.array([0.1, 0.7])[: len(v)]
        _close(ours.icdf(tt.tensor(q)), theirs.icdf(torch.tensor(q)), rtol=1e-9)
    shape = (5,)
    assert tuple(ours.sample(shape).shape) == tuple(theirs.sample(shape).shape)
    big = (4,) + tuple(ours.batch_shape)
    assert tuple(ours.expand(big).sample().shape) == tuple(theirs.expand(big).sample().shape)
    _close(
        ours.expand(big).log_prob(tt.tensor(v)),
        theirs.expand(big).log_prob(torch.tensor(v)),
        rtol=1e-9,
    )


@pytest.mark.parametrize("name, builder, values", CASES, ids=[c[0] for c in CASES])
def test_log_prob_gradients_match_torch(torch, name, builder, values):
    ours, ours_leaves = _build(torch, builder, True, requires_grad=True)
    theirs, theirs_leaves = _build(torch, builder, False, requires_grad=True)
    v = np.asarray(values, dtype=np.float64)
    total_ours = ours.log_prob(tt.tensor(v)).sum()
    total_theirs = theirs.log_prob(torch.tensor(v)).sum()
    try:
        total_theirs = total_theirs + theirs.entropy().sum()
        total_ours = total_ours + ours.entropy().sum()
    except NotImplementedError:
        pass
    used = [i for i, t in enumerate(theirs_leaves) if t.requires_grad]
    g_theirs = torch.autograd.grad(
        total_theirs, [theirs_leaves[i] for i in used], allow_unused=True
    )
    g_ours = tt.autograd.grad(total_ours, [ours_leaves[i] for i in used], allow_unused=True)
    for a, b in zip(g_ours, g_theirs):
        if b is None:
            assert a is None or np.all(a.numpy() == 0)
        else:
            _close(a, b, rtol=1e-8, atol=1e-10)


def test_gamma_rsample_gradient_is_torchs_implicit_gradient(torch):
    conc = tt.tensor([0.05, 0.5, 1.0, 3.0, 40.0, 800.0], dtype=tt.float64, requires_grad=True)
    rate = tt.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 1.0], dtype=tt.float64, requires_grad=True)
    x = D.Gamma(conc, rate).rsample((200,))
    gc, gr = tt.autograd.grad(x.sum(), [conc, rate])
    xs = x.detach().numpy() * rate.detach().numpy()  # the standard Gamma draws
    a = np.broadcast_to(conc.detach().numpy(), xs.shape)
    ref = torch._standard_gamma_grad(torch.tensor(a.copy()), torch.tensor(xs)).numpy()
    expected = (ref / rate.detach().numpy()).sum(0)
    # torch's own derivative is an approximation good to about 1e-3 relative.
    _close(gc, expected, rtol=2e-3, atol=1e-9)
    _close(gr, (-x.detach().numpy() / rate.detach().numpy()).sum(0), rtol=1e-10)


def test_gamma_cdf_gradients_match_torch_where_torch_has_them(torch):
    v = np.array([0.3, 1.0, 50.0])
    rate_o = tt.tensor([1.0, 2.0, 0.5], dtype=tt.float64, requires_grad=True)
    val_o = tt.tensor(v, requires_grad=True)
    rate_t = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64, requires_grad=True)
    val_t = torch.tensor(v, requires_grad=True)
    conc = [0.5, 2.0, 30.0]
    ours = D.Gamma(tt.tensor(conc, dtype=tt.float64), rate_o).cdf(val_o).sum()
    theirs = (
        torch.distributions.Gamma(torch.tensor(conc, dtype=torch.float64), rate_t).cdf(val_t).sum()
    )
    for a, b in zip(
        tt.autograd.grad(ours, [rate_o, val_o]), torch.autograd.grad(theirs, [rate_t, val_t])
    ):
        _close(a, b, rtol=1e-9)


TRANSFORMS = [
    ("ExpTransform", ()),
    ("SigmoidTransform", ()),
    ("TanhTransform", ()),
    ("SoftplusTransform", ()),
    ("AffineTransform", (0.5, -2.0)),
    ("PowerTransform", (2.5,)),
    ("StickBreakingTransform", ()),
    ("SoftmaxTransform", ()),
    ("AbsTransform", ()),
]


@pytest.mark.parametrize("name, args", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transforms_match_torch(torch, name, args):
    x = RNG.standard_normal((3, 4))
    if name == "PowerTransform":
        x = np.abs(x) + 0.1
    ours = getattr(D.transforms, name)(*args)
    theirs = getattr(torch.distributions.transforms, name)(*args)
    xo, xt = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    _close(yo, yt, rtol=1e-12)
    _close(ours.inv(yo), theirs.inv(yt), rtol=1e-10)
    assert ours.bijective == theirs.bijective
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    assert tuple(ours.forward_shape((3, 4))) == tuple(theirs.forward_shape((3, 4)))
    try:
        lt = theirs.log_abs_det_jacobian(xt, yt)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.log_abs_det_jacobian(xo, yo)
        return
    lo = ours.log_abs_det_jacobian(xo, yo)
    _close(lo, lt, rtol=1e-10)
    (go,) = tt.autograd.grad(lo.sum() + yo.sum(), [xo])
    (gt,) = torch.autograd.grad(lt.sum() + yt.sum(), [xt])
    _close(go, gt, rtol=1e-9)


def test_compose_transform_matches_torch(torch):
    x = RNG.standard_normal((2, 3))
    ours = D.transforms.ComposeTransform(
        [D.transforms.AffineTransform(1.0, 0.5), D.transforms.StickBreakingTransform()]
    )
    theirs = torch.distributions.transforms.ComposeTransform(
        [
            torch.distributions.transforms.AffineTransform(1.0, 0.5),
            torch.distributions.transforms.StickBreakingTransform(),
        ]
    )
    yo, yt = ours(tt.tensor(x)), theirs(torch.tensor(x))
    _close(yo, yt)
    _close(
        ours.log_abs_det_jacobian(tt.tensor(x), yo),
        theirs.log_abs_det_jacobian(torch.tensor(x), yt),
    )
    _close(ours.inv(yo), theirs.inv(yt), rtol=1e-10)
    assert ours.domain.event_dim == theirs.domain.event_dim == 1
    assert ours.codomain.event_dim == theirs.codomain.event_dim == 1


PARAMS = {
    "Normal": (
        {"loc": [0.3, -1.0], "scale": [1.2, 0.4]},
        {"loc": [-0.5, 0.5], "scale": [0.7, 2.0]},
    ),
    "Laplace": (
        {"loc": [0.3, -1.0], "scale": [1.2, 0.4]},
        {"loc": [-0.5, 0.5], "scale": [0.7, 2.0]},
    ),
    "Exponential": ({"rate": [1.3, 0.4]}, {"rate": [0.6, 2.0]}),
    "Gamma": (
        {"concentration": [2.0, 0.7], "rate": [1.3, 0.4]},
        {"concentration": [0.9, 3.0], "rate": [0.5, 2.0]},
    ),
    "Beta": (
        {"concentration1": [2.0, 0.7], "concentration0": [1.3, 3.0]},
        {"concentration1": [0.9, 3.0], "concentration0": [0.5, 2.0]},
    ),
    "Uniform": ({"low": [0.2, -0.1], "high": [0.7, 0.9]}, {"low": [-1.0, 0.0], "high": [2.0, 1.0]}),
}
CONTINUOUS_PAIRS = [
    (a, b)
    for a in PARAMS
    for b in PARAMS
    if (a, b) not in [("Uniform", "Uniform")]  # covered with its own infinite case below
]


def _mk(M, lib, name, params):
    return getattr(M, name)(
        **{k: lib.tensor(np.asarray(v), dtype=lib.float64) for k, v in params.items()}
    )


@pytest.mark.parametrize("p_name, q_name", CONTINUOUS_PAIRS + [("Uniform", "Uniform")])
def test_kl_between_continuous_families_matches_torch(torch, p_name, q_name):
    key = {(t[0].__name__, t[1].__name__) for t in torch.distributions.kl._KL_REGISTRY}
    p_params, q_params = PARAMS[p_name][0], PARAMS[q_name][1]
    ours_p, ours_q = _mk(D, tt, p_name, p_params), _mk(D, tt, q_name, q_params)
    theirs_p = _mk(torch.distributions, torch, p_name, p_params)
    theirs_q = _mk(torch.distributions, torch, q_name, q_params)
    if (p_name, q_name) not in key:
        with pytest.raises(NotImplementedError):
            D.kl_divergence(ours_p, ours_q)
        return
    _close(
        D.kl_divergence(ours_p, ours_q),
        torch.distributions.kl_divergence(theirs_p, theirs_q),
        rtol=1e-9,
    )


def test_kl_structured_pairs_match_torch(torch):
    def both(builder):
        return _build(torch, builder, True)[0], _build(torch, builder, False)[0]

    B = RNG.standard_normal((3, 3))
    cov2 = B @ B.T + 0.5 * np.eye(3)
    pairs = [
        (
            lambda M, T: M.MultivariateNormal(T(LOC3), covariance_matrix=T(COV)),
            lambda M, T: M.MultivariateNormal(T(-LOC3), scale_tril=T(np.linalg.cholesky(cov2))),
        ),
        (
            lambda M, T: M.Dirichlet(T([[0.5, 2.0, 3.0]])),
            lambda M, T: M.Dirichlet(T([[1.0, 1.5, 0.2]])),
        ),
        (
            lambda M, T: M.Independent(M.Normal(T([[0.0, 1.0]]), T([[1.0, 2.0]])), 1),
            lambda M, T: M.Independent(M.Normal(T([[0.5, 1.0]]), T([[2.0, 1.0]])), 1),
        ),
        (
            lambda M, T: M.LogNormal(T([0.0, 1.0]), T([1.0, 0.5])),
            lambda M, T: M.LogNormal(T([0.3, 1.0]), T([2.0, 0.5])),
        ),
        (
            lambda M, T: M.Binomial(10, probs=T([0.3, 0.6])),
            lambda M, T: M.Binomial(10, probs=T([0.5, 0.5])),
        ),
        (lambda M, T: M.Poisson(T([1.5])), lambda M, T: M.Poisson(T([0.5]))),
    ]
    for bp, bq in pairs:
        (op, tp), (oq, tq) = both(bp), both(bq)
        _close(D.kl_divergence(op, oq), torch.distributions.kl_divergence(tp, tq), rtol=1e-9)


def test_validation_errors_match_torch(torch):
    bad = [
        lambda M, T: M.Gamma(T([-1.0]), T([1.0])),
        lambda M, T: M.Beta(T([1.0]), T([0.0])),
        lambda M, T: M.Dirichlet(T([1.0, -1.0])),
        lambda M, T: M.Dirichlet(T(1.0)),
        lambda M, T: M.MultivariateNormal(
            T([0.0, 0.0]), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])
        ),
        lambda M, T: M.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 1.0], [0.0, 1.0]])),
        lambda M, T: M.MultivariateNormal(T([0.0, 0.0])),
        lambda M, T: M.MultivariateNormal(
            T([0.0, 0.0]), covariance_matrix=T(np.eye(2)), scale_tril=T(np.eye(2))
        ),
        lambda M, T: M.MultivariateNormal(T(0.0), covariance_matrix=T(np.eye(2))),
        lambda M, T: M.MultivariateNormal(T([0.0, 0.0]), covariance_matrix=T([1.0, 1.0])),
        lambda M, T: M.Independent(M.Normal(T([0.0]), T([1.0])), 2),
        lambda M, T: M.LogNormal(T([0.0]), T([-1.0])),
    ]
    for builder in bad:
        with pytest.raises(ValueError):
            _build(torch, builder, False)
        with pytest.raises(ValueError):
            _build(torch, builder, True)
