"""The families against torch.distributions (float64, same parameters): log_prob, cdf/icdf,
entropy, moments, enumerate_support, the gradients of log_prob w.r.t. the parameters, and the
gradient of each rsample checked against the implicit reparameterisation gradient
``dx/dtheta = -(dF/dtheta)(x) / p(x)`` that torch's cdf and log_prob give at our sample."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D

from .cases import CATEGORICAL, UNIVARIATE, make

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _pair(torch, name, params, grad=False):
    ours = make(D, name, params, tt.float64)
    theirs = make(torch.distributions, name, params, torch.float64)
    return ours, theirs


def _close(a, b, rtol=1e-10, atol=1e-12):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


PROPS = ["mean", "mode", "variance", "stddev"]


@pytest.mark.parametrize(
    "name, params, values", UNIVARIATE + CATEGORICAL, ids=lambda v: str(v)[:20]
)
def test_values_match_torch(torch, name, params, values):
    ours, theirs = _pair(torch, name, params)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    dtype_ours = tt.int64 if name == "Categorical" else tt.float64
    v_ours = tt.tensor(np.asarray(values), dtype=dtype_ours)
    v_theirs = torch.tensor(
        np.asarray(values), dtype=torch.int64 if name == "Categorical" else torch.float64
    )
    _close(ours.log_prob(v_ours), theirs.log_prob(v_theirs))
    try:
        expected_entropy = theirs.entropy()
    except NotImplementedError:  # Poisson: neither library has a closed form
        with pytest.raises(NotImplementedError):
            ours.entropy()
    else:
        _close(ours.entropy(), expected_entropy)
        _close(ours.perplexity(), theirs.perplexity())
    for prop in PROPS:
        _close(getattr(ours, prop), getattr(theirs, prop))
    try:
        expected_cdf = theirs.cdf(v_theirs)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.cdf(v_ours)
    else:
        _close(ours.cdf(v_ours), expected_cdf)
        q = torch.tensor([0.1, 0.5, 0.95], dtype=torch.float64)
        _close(ours.icdf(tt.tensor(q.numpy())), theirs.icdf(q))
    if theirs.has_enumerate_support:
        _close(ours.enumerate_support(), theirs.enumerate_support())
        _close(ours.enumerate_support(expand=False), theirs.enumerate_support(expand=False))
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support


@pytest.mark.parametrize(
    "name, params, values", UNIVARIATE + CATEGORICAL, ids=lambda v: str(v)[:20]
)
def test_log_prob_and_entropy_gradients_match_torch(torch, name, params, values):
    diff = {k: v for k, v in params.items() if isinstance(v, list) and k != "total_count"}
    ours_p = {
        k: tt.tensor(np.asarray(v, dtype=np.float64), dtype=tt.float64, requires_grad=True)
        for k, v in diff.items()
    }
    theirs_p = {
        k: torch.tensor(np.asarray(v, dtype=np.float64), dtype=torch.float64, requires_grad=True)
        for k, v in diff.items()
    }
    rest = {k: v for k, v in params.items() if k not in diff}
    ours = getattr(D, name)(**ours_p, **make_rest(tt, rest))
    theirs = getattr(torch.distributions, name)(**theirs_p, **make_rest(torch, rest))
    int_value = name == "Categorical"
    v_ours = tt.tensor(np.asarray(values), dtype=tt.int64 if int_value else tt.float64)
    v_theirs = torch.tensor(np.asarray(values), dtype=torch.int64 if int_value else torch.float64)
    has_entropy = name != "Poisson"
    (ours.log_prob(v_ours).sum() + (ours.entropy().sum() if has_entropy else 0)).backward()
    (theirs.log_prob(v_theirs).sum() + (theirs.entropy().sum() if has_entropy else 0)).backward()
    for k in diff:
        _close(ours_p[k].grad, theirs_p[k].grad, rtol=1e-9)


def make_rest(mod, rest):
    return {
        k: (
            mod.tensor(np.asarray(v, dtype=np.float64), dtype=mod.float64)
            if isinstance(v, list)
            else v
        )
        for k, v in rest.items()
    }


RSAMPLE = [
    case for case in UNIVARIATE if case[0] in ("Normal", "Uniform", "Exponential", "Laplace")
]


@pytest.mark.parametrize("name, params, values", RSAMPLE, ids=lambda v: str(v)[:20])
def test_rsample_gradient_is_the_implicit_gradient(torch, name, params, values):
    ours_p = {
        k: tt.tensor(np.asarray(v), dtype=tt.float64, requires_grad=True) for k, v in params.items()
    }
    m = getattr(D, name)(**ours_p)
    x = m.rsample((64,))
    grads = tt.autograd.grad(x.sum(), list(ours_p.values()))
    # torch: dx/dtheta = -(dF/dtheta) / pdf at each of our samples.
    xt = torch.tensor(x.detach().numpy())
    theirs_p = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True).expand(xt.shape)
        for k, v in params.items()
    }
    leaves = {k: p for k, p in theirs_p.items()}
    for p in leaves.values():
        p.retain_grad()
    tm = getattr(torch.distributions, name)(**leaves, validate_args=False)
    cdf = tm.cdf(xt)
    dcdf = torch.autograd.grad(cdf.sum(), list(leaves.values()))
    pdf = tm.log_prob(xt).exp().detach()
    for g_ours, d in zip(grads, dcdf):
        _close(g_ours, (-d / pdf).sum(0), rtol=1e-8, atol=1e-9)


def test_sampling_shapes_and_dtypes_match_torch(torch):
    for name, params, _ in UNIVARIATE + CATEGORICAL:
        ours, theirs = _pair(torch, name, params)
        a, b = ours.sample((4, 2)), theirs.sample((4, 2))
        assert tuple(a.shape) == tuple(b.shape), name
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name
        e_ours, e_theirs = (
            ours.expand((5,) + tuple(ours.batch_shape)),
            theirs.expand((5,) + tuple(theirs.batch_shape)),
        )
        assert tuple(e_ours.sample().shape) == tuple(e_theirs.sample().shape)


def test_validation_errors_are_torch_classes(torch):
    bad = [
        ("Normal", {"loc": [0.0], "scale": [-1.0]}),
        ("Bernoulli", {"probs": [1.5]}),
        ("Categorical", {"probs": [-0.5, 1.5]}),
        ("Uniform", {"low": [1.0], "high": [0.0]}),
        ("Poisson", {"rate": [-1.0]}),
        ("Exponential", {"rate": [0.0]}),
        ("Laplace", {"loc": [0.0], "scale": [0.0]}),
    ]
    for name, params in bad:
        with pytest.raises(ValueError):
            make(torch.distributions, name, params, torch.float64)
        with pytest.raises(ValueError):
            make(D, name, params, tt.float64)


@pytest.mark.parametrize(
    "p, q",
    [
        (
            ("Normal", {"loc": [0.0, 1.0], "scale": [1.0, 2.0]}),
            ("Normal", {"loc": [1.0, -1.0], "scale": [2.0, 0.5]}),
        ),
        (("Bernoulli", {"probs": [0.3, 0.0]}), ("Bernoulli", {"probs": [0.6, 0.2]})),
        (
            ("Binomial", {"total_count": 5, "probs": [0.3, 0.5]}),
            ("Binomial", {"total_count": 5, "probs": [0.6, 0.2]}),
        ),
        (
            ("Categorical", {"probs": [[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]}),
            ("Categorical", {"probs": [[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]}),
        ),
        (
            ("OneHotCategorical", {"probs": [[0.2, 0.3, 0.5]]}),
            ("OneHotCategorical", {"logits": [[0.5, 0.25, 0.25]]}),
        ),
        (
            ("Uniform", {"low": [0.0, 0.0], "high": [1.0, 1.0]}),
            ("Uniform", {"low": [-1.0, 0.5], "high": [2.0, 2.0]}),
        ),
        (("Exponential", {"rate": [2.0, 0.3]}), ("Exponential", {"rate": [0.5, 1.0]})),
        (
            ("Laplace", {"loc": [0.0, 1.0], "scale": [1.0, 2.0]}),
            ("Laplace", {"loc": [1.0, -1.0], "scale": [2.0, 0.5]}),
        ),
        (("Poisson", {"rate": [2.0, 0.5]}), ("Poisson", {"rate": [3.0, 0.5]})),
        (("Bernoulli", {"probs": [0.3, 0.9]}), ("Poisson", {"rate": [1.7, 0.2]})),
        (("Poisson", {"rate": [1.0]}), ("Bernoulli", {"probs": [0.3]})),
        (("Poisson", {"rate": [1.0]}), ("Binomial", {"total_count": 3, "probs": [0.3]})),
        (
            ("Exponential", {"rate": [1.3, 0.4]}),
            ("Normal", {"loc": [-0.5, 1.0], "scale": [0.7, 2.0]}),
        ),
        (
            ("Laplace", {"loc": [0.3, 1.0], "scale": [1.2, 0.4]}),
            ("Normal", {"loc": [-0.5, 1.0], "scale": [0.7, 2.0]}),
        ),
        (
            ("Uniform", {"low": [-0.5, 0.0], "high": [1.2, 4.0]}),
            ("Normal", {"loc": [-0.5, 1.0], "scale": [0.7, 2.0]}),
        ),
        (
            ("Normal", {"loc": [0.3, 1.0], "scale": [1.2, 0.4]}),
            ("Laplace", {"loc": [-0.5, 1.0], "scale": [0.7, 2.0]}),
        ),
        (
            ("Uniform", {"low": [0.5, -1.0], "high": [1.2, 4.0]}),
            ("Exponential", {"rate": [0.7, 2.0]}),
        ),
        (("Normal", {"loc": [0.0], "scale": [1.0]}), ("Exponential", {"rate": [1.0]})),
        (("Normal", {"loc": [0.0], "scale": [1.0]}), ("Uniform", {"low": [0.0], "high": [1.0]})),
        (("Laplace", {"loc": [0.0], "scale": [1.0]}), ("Exponential", {"rate": [1.0]})),
        (("Laplace", {"loc": [0.0], "scale": [1.0]}), ("Uniform", {"low": [0.0], "high": [1.0]})),
        (("Exponential", {"rate": [1.0]}), ("Uniform", {"low": [0.0], "high": [1.0]})),
    ],
    ids=lambda c: c[0],
)
def test_kl_divergence_matches_torch(torch, p, q):
    ours = D.kl_divergence(make(D, *p, tt.float64), make(D, *q, tt.float64))
    theirs = torch.distributions.kl_divergence(
        make(torch.distributions, *p, torch.float64), make(torch.distributions, *q, torch.float64)
    )
    _close(ours, theirs)
