"""Gamma, Beta, Dirichlet, MultivariateNormal, the transformed and relaxed families, and the
transforms, against closed forms in math/NumPy (no torch); samples by goodness of fit and
moments; the implicit Gamma gradient against a finite difference of the inverse CDF."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D
from tinytensor.distributions.gamma_special import gammainc, gammaincc, standard_gamma_grad

from .test_sampling import KS_CRIT, N, ks_statistic

LG = np.vectorize(math.lgamma)
ERF = np.vectorize(math.erf)


def t(x, requires_grad=False):
    return tt.tensor(np.asarray(x, dtype=np.float64), dtype=tt.float64, requires_grad=requires_grad)


def n(x):
    return x.detach().numpy()


def _p_integer(a, x):
    """P(a, x) for integer a: 1 - exp(-x) sum_{k<a} x^k / k!."""
    return 1 - math.exp(-x) * sum(x**k / math.factorial(k) for k in range(a))


def test_gammainc_against_closed_forms():
    for a in (1, 2, 5, 30):
        for x in (1e-3, 0.5, 3.0, 25.0, 60.0):
            # The closed form cancels for small x (P ~ x^a / a!): compare absolutely there.
            assert gammainc(float(a), x) == pytest.approx(_p_integer(a, x), rel=1e-12, abs=1e-15)
            assert gammainc(float(a), x) + gammaincc(float(a), x) == pytest.approx(1.0, rel=1e-14)
    for x in (1e-4, 0.3, 2.0, 9.0):  # P(1/2, x) = erf(sqrt(x))
        assert gammainc(0.5, x) == pytest.approx(math.erf(math.sqrt(x)), rel=1e-13)
    assert gammainc(2.0, 0.0) == 0.0 and gammainc(2.0, math.inf) == 1.0


def _gamma_ppf(a, u):
    lo, hi = 0.0, max(1.0, a * 10 + 50)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gammainc(a, mid) < u else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("a", [0.3, 1.0, 2.5, 12.0, 150.0])
@pytest.mark.parametrize("u", [0.05, 0.5, 0.97])
def test_implicit_gamma_gradient_is_the_inverse_cdf_derivative(a, u):
    x = _gamma_ppf(a, u)
    h = 1e-5 * a
    fd = (_gamma_ppf(a + h, u) - _gamma_ppf(a - h, u)) / (2 * h)
    assert float(standard_gamma_grad(a, x)) == pytest.approx(fd, rel=1e-6)


def test_gamma_closed_forms():
    a, r, x = np.array([0.5, 2.0, 7.0]), np.array([1.0, 2.0, 0.5]), np.array([0.3, 1.0, 10.0])
    m = D.Gamma(t(a), t(r))
    ref = a * np.log(r) + (a - 1) * np.log(x) - r * x - LG(a)
    np.testing.assert_allclose(n(m.log_prob(t(x))), ref, rtol=1e-12)
    euler = 0.5772156649015329
    # digamma(1/2) = -euler - 2 log 2; digamma(n) = H(n - 1) - euler.
    dig = np.array([-euler - 2 * math.log(2), 1 - euler, sum(1 / k for k in range(1, 7)) - euler])
    np.testing.assert_allclose(n(m.entropy()), a - np.log(r) + LG(a) + (1 - a) * dig, rtol=1e-11)
    np.testing.assert_allclose(n(m.mean), a / r)
    np.testing.assert_allclose(n(m.variance), a / r**2)
    np.testing.assert_allclose(n(m.mode), np.maximum((a - 1) / r, 0))
    np.testing.assert_allclose(
        n(D.Gamma(t([2.0]), t([0.5])).cdf(t([3.0]))), [_p_integer(2, 1.5)], rtol=1e-12
    )


def test_gamma_log_prob_gradient_at_concentration_one():
    # d/da log_prob = log(rate) + log(x) - digamma(a); at a = 1 that is log(rate * x) + euler_gamma.
    a = t([1.0], requires_grad=True)
    D.Gamma(a, t([2.0])).log_prob(t([0.7])).sum().backward()
    assert float(a.grad) == pytest.approx(math.log(1.4) + 0.5772156649015329, rel=1e-12)


def test_beta_dirichlet_closed_forms():
    a, b, x = np.array([0.5, 2.0]), np.array([1.5, 3.0]), np.array([0.3, 0.8])
    m = D.Beta(t(a), t(b))
    lbeta = LG(a) + LG(b) - LG(a + b)
    np.testing.assert_allclose(
        n(m.log_prob(t(x))), (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - lbeta, rtol=1e-12
    )
    np.testing.assert_allclose(n(m.mean), a / (a + b))
    np.testing.assert_allclose(n(m.variance), a * b / ((a + b) ** 2 * (a + b + 1)))
    # Beta(2, 3) mode (a - 1) / (a + b - 2) = 1/3.
    np.testing.assert_allclose(n(D.Beta(t([2.0]), t([3.0])).mode), [1 / 3])
    c = np.array([1.0, 2.0, 3.0])
    v = np.array([0.2, 0.3, 0.5])
    d = D.Dirichlet(t(c))
    ref = ((c - 1) * np.log(v)).sum() + math.lgamma(c.sum()) - LG(c).sum()
    assert float(d.log_prob(t(v))) == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(n(d.mean), c / 6)
    np.testing.assert_allclose(n(d.mode), (c - 1) / 3)
    np.testing.assert_allclose(n(D.Dirichlet(t([0.5, 0.9, 0.3])).mode), [0, 1, 0])
    # The uniform Dirichlet on the 3-simplex has density 2 = Gamma(3): entropy -log 2.
    assert float(D.Dirichlet(t([1.0, 1.0, 1.0])).entropy()) == pytest.approx(
        -math.log(2), rel=1e-12
    )


def test_mvn_closed_forms_numpy():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 3))
    cov = A @ A.T + np.eye(3)
    loc = rng.standard_normal(3)
    x = rng.standard_normal((4, 3))
    diff = x - loc
    ref = -0.5 * (
        3 * math.log(2 * math.pi)
        + np.log(np.linalg.det(cov))
        + np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    )
    for kw, mat in [
        ("covariance_matrix", cov),
        ("precision_matrix", np.linalg.inv(cov)),
        ("scale_tril", np.linalg.cholesky(cov)),
    ]:
        m = D.MultivariateNormal(t(loc), **{kw: t(mat)})
        np.testing.assert_allclose(n(m.log_prob(t(x))), ref, rtol=1e-10)
        np.testing.assert_allclose(n(m.covariance_matrix), cov, rtol=1e-10)
        np.testing.assert_allclose(n(m.precision_matrix), np.linalg.inv(cov), rtol=1e-9)
        np.testing.assert_allclose(n(m.variance), np.diag(cov), rtol=1e-10)
        H = 0.5 * (3 * (1 + math.log(2 * math.pi)) + math.log(np.linalg.det(cov)))
        assert float(m.entropy()) == pytest.approx(H, rel=1e-12)
    s = n(D.MultivariateNormal(t(loc), covariance_matrix=t(cov)).sample((20000,)))
    np.testing.assert_allclose(s.mean(0), loc, atol=5 * np.sqrt(np.diag(cov) / 20000).max())
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.15)


def test_mvn_rsample_gradient():
    loc = t([0.5, -1.0], requires_grad=True)
    L = t([[2.0, 0.0], [0.5, 1.0]], requires_grad=True)
    x = D.MultivariateNormal(loc, scale_tril=L).rsample((100,))
    gl, gL = tt.autograd.grad(x.sum(), [loc, L])
    np.testing.assert_allclose(n(gl), [100.0, 100.0])
    eps = np.linalg.solve(n(L), (n(x) - n(loc)).T).T  # the standard normal draws
    # d sum(x) / dL[i, j] = sum over draws of eps_j (each row i of L feeds x_i); L's upper
    # triangle is not used by the factor, and receives the same formula through matmul.
    np.testing.assert_allclose(n(gL), np.tile(eps.sum(0), (2, 1)), rtol=1e-9)


def test_transformed_and_lognormal_closed_forms():
    mu, s, x = np.array([0.0, 1.0]), np.array([1.0, 0.5]), np.array([0.5, 3.0])
    m = D.LogNormal(t(mu), t(s))
    ref = -np.log(x * s * math.sqrt(2 * math.pi)) - (np.log(x) - mu) ** 2 / (2 * s**2)
    np.testing.assert_allclose(n(m.log_prob(t(x))), ref, rtol=1e-12)
    np.testing.assert_allclose(
        n(m.cdf(t(x))), 0.5 * (1 + ERF((np.log(x) - mu) / (s * math.sqrt(2)))), rtol=1e-12
    )
    np.testing.assert_allclose(n(m.mean), np.exp(mu + s**2 / 2))
    np.testing.assert_allclose(
        n(m.variance), (np.exp(s**2) - 1) * np.exp(2 * mu + s**2), rtol=1e-12
    )
    np.testing.assert_allclose(
        n(m.entropy()), mu + 0.5 + np.log(s * math.sqrt(2 * math.pi)), rtol=1e-12
    )
    # y = -x for x ~ Exponential(2): density 2 exp(2 y) on y < 0, cdf exp(2 y).
    neg = D.TransformedDistribution(
        D.Exponential(t([2.0])), [D.transforms.AffineTransform(0.0, -1.0)]
    )
    np.testing.assert_allclose(n(neg.log_prob(t([-0.5]))), [math.log(2) - 1.0], rtol=1e-12)
    np.testing.assert_allclose(n(neg.cdf(t([-0.5]))), [math.exp(-1.0)], rtol=1e-12)
    np.testing.assert_allclose(n(neg.icdf(t([math.exp(-1.0)]))), [-0.5], rtol=1e-12)


@pytest.mark.parametrize(
    "transform, lo, hi",
    [
        (D.transforms.ExpTransform(), -3, 3),
        (D.transforms.SigmoidTransform(), -5, 5),
        (D.transforms.TanhTransform(), -3, 3),
        (D.transforms.SoftplusTransform(), -5, 5),
        (D.transforms.AffineTransform(1.0, -2.5), -3, 3),
        (D.transforms.PowerTransform(t(2.5)), 0.1, 3),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, (int, float)) else str(v),
)
def test_transform_log_det_is_log_derivative(transform, lo, hi):
    x = np.linspace(lo, hi, 13)
    y = n(transform(t(x)))
    h = 1e-6
    deriv = (n(transform(t(x + h))) - n(transform(t(x - h)))) / (2 * h)
    np.testing.assert_allclose(
        n(transform.log_abs_det_jacobian(t(x), t(y))), np.log(np.abs(deriv)), rtol=1e-6, atol=1e-7
    )
    np.testing.assert_allclose(n(transform.inv(t(y))), x, rtol=1e-8, atol=1e-10)


def test_stick_breaking_is_a_bijection_with_its_jacobian():
    sb = D.transforms.StickBreakingTransform()
    x = np.array([0.3, -1.2, 0.5])
    y = n(sb(t(x)))
    assert y.shape == (4,) and abs(y.sum() - 1) < 1e-14 and (y > 0).all()
    np.testing.assert_allclose(n(sb.inv(t(y))), x, rtol=1e-12)
    np.testing.assert_allclose(n(sb(t([0.0, 0.0, 0.0]))), [0.25] * 4, rtol=1e-12)
    # log|det| of the map onto the first K-1 coordinates, by finite differences.
    J = np.empty((3, 3))
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1e-6
        J[:, j] = (n(sb(t(x + e)))[:3] - n(sb(t(x - e)))[:3]) / 2e-6
    assert float(sb.log_abs_det_jacobian(t(x), t(y))) == pytest.approx(
        math.log(abs(np.linalg.det(J))), rel=1e-6
    )


def test_transform_caching_and_compose():
    exp = D.transforms.ExpTransform(cache_size=1)
    x = t([0.5])
    y = exp(x)
    assert exp.inv(y) is x
    comp = D.transforms.ComposeTransform(
        [D.transforms.AffineTransform(1.0, 2.0), D.transforms.ExpTransform()]
    )
    np.testing.assert_allclose(n(comp(t([0.5]))), [math.exp(2.0)])
    np.testing.assert_allclose(
        n(comp.log_abs_det_jacobian(t([0.5]), comp(t([0.5])))), [math.log(2) + 2.0]
    )
    np.testing.assert_allclose(n(comp.inv(t([math.exp(2.0)]))), [0.5])
    assert comp == D.transforms.ComposeTransform(
        [D.transforms.AffineTransform(1.0, 2.0), D.transforms.ExpTransform()]
    )
    assert D.transforms.identity_transform(x) is x
    with pytest.raises(ValueError):
        D.transforms.ExpTransform(cache_size=2)


def test_relaxed_families():
    temp = 0.5
    m = D.RelaxedBernoulli(t(temp), probs=t([0.3]))
    y = n(m.rsample((N,)))[:, 0]
    assert ((y > 0) & (y < 1)).all()
    # P(y > 1/2) = P(logistic + logit(p) > 0) = p, for every temperature.
    assert abs((y > 0.5).mean() - 0.3) < 5 * math.sqrt(0.21 / N)
    # Density: the logistic of (logit y * T - logit p) changed back to y.
    yy = np.array([0.2, 0.9])
    z = np.log(yy) - np.log1p(-yy)
    logit_p = math.log(0.3 / 0.7)
    diff = logit_p - z * temp
    log_pz = math.log(temp) + diff - 2 * np.log1p(np.exp(diff))
    ref = log_pz - np.log(yy * (1 - yy))
    np.testing.assert_allclose(n(m.log_prob(t(yy)))[:, None][:, 0], ref, rtol=1e-10)
    c = D.RelaxedOneHotCategorical(t(temp), probs=t([0.2, 0.3, 0.5]))
    s = n(c.rsample((N,)))
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    # The argmax of a Gumbel-softmax draw is a draw of the categorical.
    freq = np.bincount(s.argmax(-1), minlength=3) / N
    assert np.all(np.abs(freq - [0.2, 0.3, 0.5]) < 5 * np.sqrt(0.25 / N))
    logits = t([0.2, 0.3, 0.5], requires_grad=True)
    out = D.RelaxedOneHotCategorical(t(temp), logits=logits).rsample()
    (g,) = tt.autograd.grad(out[0], [logits])
    assert np.isfinite(n(g)).all() and np.abs(n(g)).sum() > 0


def _beta_cdf_2_3(x):
    # Beta(2, 3): 12 (x^2/2 - 2x^3/3 + x^4/4)
    return 12 * (x**2 / 2 - 2 * x**3 / 3 + x**4 / 4)


@pytest.mark.parametrize("seed", [0, 1])
def test_gamma_beta_lognormal_samples_fit(seed):
    tt.manual_seed(seed)
    g = n(D.Gamma(t(3.0), t(2.0)).sample((N,)))
    assert ks_statistic(g, lambda x: np.array([_p_integer(3, 2 * v) for v in x])) < KS_CRIT
    b = n(D.Beta(t(2.0), t(3.0)).rsample((N,)))
    assert ks_statistic(b, _beta_cdf_2_3) < KS_CRIT
    ln = n(D.LogNormal(t(0.5), t(0.75)).sample((N,)))
    assert (
        ks_statistic(ln, lambda x: 0.5 * (1 + ERF((np.log(x) - 0.5) / (0.75 * math.sqrt(2)))))
        < KS_CRIT
    )
    small = n(D.Gamma(t(0.2), t(1.0)).sample((N,)))  # heavy mass near 0
    assert ks_statistic(small, lambda x: gammainc(0.2, x)) < KS_CRIT
    d = n(D.Dirichlet(t([2.0, 3.0, 5.0])).sample((N,)))
    # Each coordinate of a Dirichlet is Beta(c_i, c0 - c_i): coordinate 0 is Beta(2, 8).
    np.testing.assert_allclose(d.sum(-1), 1.0, rtol=1e-12)
    assert abs(d[:, 0].mean() - 0.2) < 5 * math.sqrt(0.2 * 0.8 / 11 / N)


def test_beta_and_dirichlet_rsample_gradients_are_unbiased():
    tt.manual_seed(0)
    a = t([2.0], requires_grad=True)
    b = t([3.0], requires_grad=True)
    x = D.Beta(a, b).rsample((20000,))
    ga, gb = tt.autograd.grad(x.mean(), [a, b])
    # d/da E[x] = b / (a + b)^2 = 0.12, d/db E[x] = -a / (a + b)^2 = -0.08
    assert float(ga) == pytest.approx(0.12, abs=0.004)
    assert float(gb) == pytest.approx(-0.08, abs=0.004)
    c = t([1.0, 2.0, 3.0], requires_grad=True)
    y = D.Dirichlet(c).rsample((20000,))
    (gc,) = tt.autograd.grad(y[:, 0].mean(), [c])
    # E[y_0] = c_0 / sum(c): gradient (5, -1, -1) / 36.
    np.testing.assert_allclose(n(gc), np.array([5.0, -1.0, -1.0]) / 36, atol=0.004)
    # Gamma: d/da E[x] = 1 / rate exactly, per draw on average.
    conc = t([0.3, 4.0], requires_grad=True)
    gx = D.Gamma(conc, t([2.0, 2.0])).rsample((20000,))
    (gcon,) = tt.autograd.grad(gx.mean(0).sum(), [conc])
    np.testing.assert_allclose(n(gcon), [0.5, 0.5], atol=0.01)


def test_independent_shapes_and_sums():
    base = D.Normal(t(np.zeros((2, 3))), t(np.ones((2, 3))))
    m = D.Independent(base, 1)
    assert m.batch_shape == (2,) and m.event_shape == (3,)
    v = np.linspace(-1, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(n(m.log_prob(t(v))), n(base.log_prob(t(v))).sum(-1))
    np.testing.assert_allclose(n(m.entropy()), n(base.entropy()).sum(-1))
    assert D.Independent(base, 2).event_shape == (2, 3)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(base, 3)
    with pytest.raises(NotImplementedError):
        D.Independent(D.Bernoulli(probs=t([0.5, 0.5])), 1).enumerate_support()
    assert m.expand((4, 2)).sample().shape == (4, 2, 3)


def test_kl_more_closed_forms_numpy():
    kg = D.kl_divergence(D.Gamma(t([2.0]), t([1.0])), D.Gamma(t([2.0]), t([2.0])))
    # Same shape k: k (log(rp/rq) + rq/rp - 1) = 2 (log 0.5 + 1).
    np.testing.assert_allclose(n(kg), [2 * (math.log(0.5) + 1)], rtol=1e-12)
    kd = D.kl_divergence(D.Dirichlet(t([1.0, 1.0])), D.Dirichlet(t([2.0, 1.0])))
    # Uniform vs density 2x on [0, 1]: -E[log 2x] = -(log 2 - 1).
    np.testing.assert_allclose(n(kd), 1 - math.log(2), rtol=1e-12)
    km = D.kl_divergence(
        D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t(np.eye(2))),
        D.MultivariateNormal(t([1.0, 0.0]), covariance_matrix=t(4 * np.eye(2))),
    )
    np.testing.assert_allclose(n(km), 0.5 * (2 * 0.25 + 0.25 - 2 + 2 * math.log(4)), rtol=1e-12)
    kbu = D.kl_divergence(D.Beta(t([1.0]), t([1.0])), D.Uniform(t([-1.0]), t([1.0])))
    np.testing.assert_allclose(n(kbu), [math.log(2)], rtol=1e-12)
    kub = D.kl_divergence(D.Uniform(t([0.0]), t([1.0])), D.Beta(t([2.0]), t([1.0])))
    np.testing.assert_allclose(n(kub), [1 - math.log(2)], rtol=1e-12)
    assert math.isinf(float(D.kl_divergence(D.Normal(t(0.0), t(1.0)), D.Gamma(t(1.0), t(1.0)))))
    with pytest.raises(ValueError, match="event shapes"):
        D.kl_divergence(
            D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t(np.eye(2))),
            D.MultivariateNormal(t([0.0]), covariance_matrix=t(np.eye(1))),
        )
    p = D.LogNormal(t([0.0]), t([1.0]))
    q = D.LogNormal(t([1.0]), t([2.0]))
    np.testing.assert_allclose(
        n(D.kl_divergence(p, q)), n(D.kl_divergence(p.base_dist, q.base_dist))
    )
