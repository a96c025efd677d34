"""Closed forms of the families written out with math/NumPy (no torch): log_prob, cdf/icdf,
entropy, mean/variance, and validation errors. A planted bug in a formula fails here."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D

F64 = tt.float64


def t(x):
    return tt.tensor(np.asarray(x, dtype=np.float64), dtype=F64)


def n(x):
    return x.detach().numpy()


LGAMMA = np.vectorize(math.lgamma)


def test_normal_closed_forms():
    loc, scale, x = np.array([0.0, 1.5]), np.array([1.0, 0.5]), np.array([0.3, -1.0])
    m = D.Normal(t(loc), t(scale))
    ref = -((x - loc) ** 2) / (2 * scale**2) - np.log(scale) - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(n(m.log_prob(t(x))), ref, rtol=1e-13)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(
        n(m.cdf(t(x))), 0.5 * (1 + erf((x - loc) / (scale * 2**0.5))), rtol=1e-13
    )
    np.testing.assert_allclose(n(m.icdf(m.cdf(t(x)))), x, rtol=1e-10)
    np.testing.assert_allclose(n(m.entropy()), 0.5 + 0.5 * math.log(2 * math.pi) + np.log(scale))
    np.testing.assert_allclose(n(m.variance), scale**2)
    np.testing.assert_allclose(n(m.stddev), scale)
    np.testing.assert_allclose(n(m.mean), loc)


def test_uniform_closed_forms():
    lo, hi = np.array([0.0, -1.0]), np.array([1.0, 3.0])
    m = D.Uniform(t(lo), t(hi))
    np.testing.assert_allclose(n(m.log_prob(t([0.5, 2.0]))), -np.log(hi - lo))
    np.testing.assert_allclose(n(m.cdf(t([0.25, 0.0]))), [0.25, 0.25])
    np.testing.assert_allclose(n(m.icdf(t([0.25, 0.75]))), [0.25, 2.0])
    np.testing.assert_allclose(n(m.mean), (lo + hi) / 2)
    np.testing.assert_allclose(n(m.variance), (hi - lo) ** 2 / 12)
    np.testing.assert_allclose(n(m.entropy()), np.log(hi - lo))
    # Outside [low, high) the density is zero (log -inf), with validation off.
    off = D.Uniform(t(lo), t(hi), validate_args=False)
    assert np.isneginf(n(off.log_prob(t([1.0, -2.0])))).all()


def test_exponential_laplace_closed_forms():
    rate, x = np.array([0.5, 4.0]), np.array([0.3, 2.0])
    m = D.Exponential(t(rate))
    np.testing.assert_allclose(n(m.log_prob(t(x))), np.log(rate) - rate * x)
    np.testing.assert_allclose(n(m.cdf(t(x))), 1 - np.exp(-rate * x))
    np.testing.assert_allclose(n(m.icdf(t([0.5, 0.9]))), -np.log1p(-np.array([0.5, 0.9])) / rate)
    np.testing.assert_allclose(n(m.entropy()), 1 - np.log(rate))
    np.testing.assert_allclose(n(m.variance), rate**-2.0)
    loc, b = np.array([0.0, 1.0]), np.array([2.0, 0.5])
    lap = D.Laplace(t(loc), t(b))
    np.testing.assert_allclose(n(lap.log_prob(t(x))), -np.log(2 * b) - np.abs(x - loc) / b)
    cdf = np.where(x < loc, 0.5 * np.exp((x - loc) / b), 1 - 0.5 * np.exp(-(x - loc) / b))
    np.testing.assert_allclose(n(lap.cdf(t(x))), cdf)
    np.testing.assert_allclose(n(lap.icdf(t(cdf))), x, rtol=1e-12)
    np.testing.assert_allclose(n(lap.entropy()), 1 + np.log(2 * b))
    np.testing.assert_allclose(n(lap.variance), 2 * b**2)


def test_bernoulli_binomial_poisson_closed_forms():
    p = np.array([0.1, 0.5, 0.8])
    m = D.Bernoulli(probs=t(p))
    np.testing.assert_allclose(
        n(m.log_prob(t([1.0, 0.0, 0.0]))), np.log([0.1, 0.5, 0.2]), rtol=1e-12
    )
    np.testing.assert_allclose(
        n(m.entropy()), -(p * np.log(p) + (1 - p) * np.log(1 - p)), rtol=1e-12
    )
    np.testing.assert_allclose(
        n(D.Bernoulli(logits=t([0.0, 2.0])).probs), [0.5, 1 / (1 + math.exp(-2))]
    )
    mode = n(m.mode)
    assert mode[0] == 0 and np.isnan(mode[1]) and mode[2] == 1
    b = D.Binomial(10, probs=t(p))
    k = np.array([0.0, 5.0, 9.0])
    ref = LGAMMA(11) - LGAMMA(k + 1) - LGAMMA(11 - k) + k * np.log(p) + (10 - k) * np.log1p(-p)
    np.testing.assert_allclose(n(b.log_prob(t(k))), ref, rtol=1e-10)
    ks = np.arange(11.0)[:, None]
    pmf = np.exp(
        LGAMMA(11) - LGAMMA(ks + 1) - LGAMMA(11 - ks) + ks * np.log(p) + (10 - ks) * np.log1p(-p)
    )
    np.testing.assert_allclose(n(b.entropy()), -(pmf * np.log(pmf)).sum(0), rtol=1e-10)
    np.testing.assert_allclose(n(b.mode), np.minimum(np.floor(11 * p), 10))
    np.testing.assert_allclose(n(b.variance), 10 * p * (1 - p))
    rate = np.array([0.5, 12.0])
    po = D.Poisson(t(rate))
    np.testing.assert_allclose(
        n(po.log_prob(t([0.0, 15.0]))), [-0.5, 15 * np.log(12) - 12 - math.lgamma(16)], rtol=1e-12
    )


def test_categorical_closed_forms():
    probs = np.array([[1.0, 2.0, 7.0], [5.0, 2.5, 2.5]])  # unnormalised: Categorical divides
    m = D.Categorical(probs=t(probs))
    pn = probs / probs.sum(-1, keepdims=True)
    np.testing.assert_allclose(n(m.probs), pn)
    np.testing.assert_allclose(n(m.log_prob(tt.tensor([2, 1]))), np.log([0.7, 0.25]), rtol=1e-12)
    np.testing.assert_allclose(n(m.entropy()), -(pn * np.log(pn)).sum(-1), rtol=1e-12)
    assert m.batch_shape == (2,) and m.event_shape == ()
    assert n(m.mode).tolist() == [2, 0]
    assert m.enumerate_support().shape == (3, 2)
    ml = D.Categorical(logits=t([[0.0, math.log(3.0)]]))
    np.testing.assert_allclose(n(ml.probs), [[0.25, 0.75]], rtol=1e-12)
    np.testing.assert_allclose(n(ml.logits), np.log([[0.25, 0.75]]), rtol=1e-12)
    oh = D.OneHotCategorical(probs=t(probs))
    np.testing.assert_allclose(
        n(oh.log_prob(t([[0, 0, 1], [0, 1, 0]]))), np.log([0.7, 0.25]), rtol=1e-12
    )
    assert oh.event_shape == (3,) and oh.enumerate_support().shape == (3, 2, 3)


def test_shapes_expand_and_sample_shapes():
    m = D.Normal(t([[0.0], [1.0]]), t([1.0, 2.0, 3.0]))
    assert m.batch_shape == (2, 3)
    assert m.sample((4, 5)).shape == (4, 5, 2, 3)
    e = m.expand((7, 2, 3))
    assert e.batch_shape == (7, 2, 3) and e.rsample().shape == (7, 2, 3)
    assert D.Normal(0.0, 1.0).batch_shape == () and D.Normal(0.0, 1.0).sample().dtype == tt.float32
    c = D.Categorical(probs=t([0.2, 0.8])).expand((4,))
    assert c.batch_shape == (4,) and c.sample((3,)).shape == (3, 4)
    assert D.OneHotCategorical(probs=t([0.2, 0.8])).sample((3,)).shape == (3, 2)


def test_rsample_gradients_location_scale():
    loc = tt.tensor([0.5, -1.0], dtype=F64, requires_grad=True)
    scale = tt.tensor([2.0, 0.5], dtype=F64, requires_grad=True)
    x = D.Normal(loc, scale).rsample((1000,))
    x.sum().backward()
    np.testing.assert_allclose(n(loc.grad), [1000.0, 1000.0])
    np.testing.assert_allclose(n(scale.grad), ((n(x) - n(loc)) / n(scale)).sum(0), rtol=1e-10)
    rate = tt.tensor([2.0], dtype=F64, requires_grad=True)
    y = D.Exponential(rate).rsample((50,))
    y.sum().backward()
    np.testing.assert_allclose(n(rate.grad), -(n(y) / 2.0).sum(0), rtol=1e-10)


def test_sample_respects_manual_seed():
    m = D.Normal(t([0.0, 1.0]), t([1.0, 2.0]))
    tt.manual_seed(3)
    a = n(m.sample((5,)))
    tt.manual_seed(3)
    np.testing.assert_array_equal(a, n(m.sample((5,))))
    c = D.Categorical(probs=t([0.2, 0.3, 0.5]))
    tt.manual_seed(4)
    a = n(c.sample((50,)))
    tt.manual_seed(4)
    np.testing.assert_array_equal(a, n(c.sample((50,))))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: D.Normal(t([0.0]), t([-1.0])), "scale"),
        (lambda: D.Normal(t([float("nan")]), t([1.0])), "loc"),
        (lambda: D.Bernoulli(probs=t([1.5])), "probs"),
        (lambda: D.Bernoulli(probs=t([0.5]), logits=t([0.0])), "not both"),
        (lambda: D.Bernoulli(), "not both"),
        (lambda: D.Categorical(probs=t(0.5)), "one-dimensional"),
        (lambda: D.Categorical(probs=t([-0.5, 1.5])), "probs"),
        (lambda: D.Uniform(t([1.0]), t([0.0])), "low>= high"),
        (lambda: D.Exponential(t([0.0])), "rate"),
        (lambda: D.Poisson(t([-1.0])), "rate"),
        (lambda: D.Binomial(t([2.5]), probs=t([0.5])), "total_count"),
    ],
)
def test_argument_validation_raises_value_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_sample_validation_and_switch():
    m = D.Normal(t([0.0]), t([1.0]))
    with pytest.raises(ValueError, match="must be a Tensor"):
        m.log_prob(0.5)
    with pytest.raises(ValueError, match="support"):
        D.Bernoulli(probs=t([0.5])).log_prob(t([0.5]))
    with pytest.raises(ValueError, match="support"):
        D.Exponential(t([1.0])).log_prob(t([-1.0]))
    with pytest.raises(ValueError, match="broadcastable"):
        D.Normal(t([0.0, 1.0]), t([1.0, 1.0])).log_prob(t([0.0, 1.0, 2.0]))
    assert np.isfinite(n(D.Exponential(t([1.0]), validate_args=False).log_prob(t([-1.0])))).all()
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(t([0.0]), t([-1.0]))  # accepted without validation
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_kl_closed_forms_numpy():
    p, q = D.Normal(t([0.0, 1.0]), t([1.0, 2.0])), D.Normal(t([1.0, -1.0]), t([2.0, 0.5]))
    mp, sp, mq, sq = (
        np.array([0.0, 1.0]),
        np.array([1.0, 2.0]),
        np.array([1.0, -1.0]),
        np.array([2.0, 0.5]),
    )
    ref = np.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5
    np.testing.assert_allclose(n(D.kl_divergence(p, q)), ref, rtol=1e-12)
    pc, qc = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])
    kl = D.kl_divergence(D.Categorical(probs=t(pc)), D.Categorical(probs=t(qc)))
    np.testing.assert_allclose(n(kl), (pc * np.log(pc / qc)).sum(), rtol=1e-12)
    kb = D.kl_divergence(D.Bernoulli(probs=t([0.3])), D.Bernoulli(probs=t([0.6])))
    np.testing.assert_allclose(n(kb), 0.3 * np.log(0.5) + 0.7 * np.log(0.7 / 0.4), rtol=1e-12)
    ku = D.kl_divergence(
        D.Uniform(t([0.0, 0.0]), t([1.0, 1.0])), D.Uniform(t([-1.0, 0.5]), t([2.0, 2.0]))
    )
    assert n(ku)[0] == pytest.approx(math.log(3.0)) and math.isinf(n(ku)[1])
    ke = D.kl_divergence(D.Exponential(t([2.0])), D.Exponential(t([0.5])))
    np.testing.assert_allclose(n(ke), math.log(4.0) + 0.25 - 1, rtol=1e-12)
    kp = D.kl_divergence(D.Poisson(t([2.0])), D.Poisson(t([3.0])))
    np.testing.assert_allclose(n(kp), 2 * math.log(2 / 3) - 2 + 3, rtol=1e-12)


def test_kl_registry_dispatch_and_errors():
    class MyNormal(D.Normal):
        pass

    p = MyNormal(t([0.0]), t([1.0]))
    np.testing.assert_allclose(n(D.kl_divergence(p, D.Normal(t([0.0]), t([1.0])))), [0.0])

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return tt.full(tuple(p.batch_shape), 42.0, dtype=F64)

    assert n(D.kl_divergence(p, D.Normal(t([0.0]), t([1.0])))).tolist() == [42.0]
    # The plain pair still uses the closed form.
    assert n(
        D.kl_divergence(D.Normal(t([0.0]), t([1.0])), D.Normal(t([0.0]), t([1.0])))
    ).tolist() == [0.0]
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Poisson(t([1.0])), D.Normal(t([0.0]), t([1.0])))
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)
