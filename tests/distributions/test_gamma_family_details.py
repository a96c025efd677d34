"""Details of the Gamma family that a mutation run of ``distributions/gamma.py`` found
unguarded (no torch needed): dtypes follow the parameters, ``Gamma.cdf`` is quiet at 0 and
differentiates in the concentration alone, ``Beta.log_prob`` stacks on the last dim of a 2-D
batch, and ``log_prob`` of a Python number keeps float64 precision."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.distributions import Beta, Dirichlet, Gamma


@pytest.mark.parametrize("dtype", [tt.float32, tt.float64])
def test_dtypes_follow_the_parameters(dtype):
    tt.manual_seed(0)
    c = tt.tensor([0.7, 2.5], dtype=dtype, requires_grad=True)
    r = tt.tensor([1.5, 0.5], dtype=dtype)
    g = Gamma(c, r)
    x = g.rsample((3,))
    assert x.dtype == dtype and g.sample().dtype == dtype
    x.sum().backward()
    assert c.grad.dtype == dtype
    assert g.cdf(tt.tensor([0.5, 2.0], dtype=dtype)).dtype == dtype
    assert g.log_prob(tt.tensor([0.5, 2.0], dtype=dtype)).dtype == dtype
    d = Dirichlet(tt.tensor([0.5, 1.0, 3.0], dtype=dtype))
    assert d.rsample((2,)).dtype == dtype
    b = Beta(tt.tensor([0.5, 2.0], dtype=dtype), tt.tensor([3.0, 1.0], dtype=dtype))
    assert b.rsample().dtype == dtype


def test_cdf_and_its_gradients_are_quiet_at_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide/invalid RuntimeWarning from log(0)
        for a in (0.5, 1.0, 2.0):
            c = tt.tensor([a, a], dtype=tt.float64, requires_grad=True)
            v = tt.tensor([0.0, 0.7], dtype=tt.float64, requires_grad=True)
            p = Gamma(c, tt.tensor([1.5, 1.5], dtype=tt.float64)).cdf(v)
            p.sum().backward()
            # P(a, 0) = 0 for every a, so its concentration derivative there is 0
            assert p[0].item() == 0.0 and c.grad[0].item() == 0.0
            assert np.isfinite(c.grad.numpy()).all()


def test_cdf_value_gradient_is_the_density_and_zero_at_the_origin():
    a, rate = 2.0, 1.5
    v = tt.tensor([0.0, 0.7, 3.0], dtype=tt.float64, requires_grad=True)
    Gamma(tt.tensor(a, dtype=tt.float64), tt.tensor(rate, dtype=tt.float64)).cdf(v).sum().backward()
    x = np.array([0.0, 0.7, 3.0])
    density = rate**a * x ** (a - 1) * np.exp(-rate * x) / math.gamma(a)
    np.testing.assert_allclose(v.grad.numpy(), density, rtol=1e-12, atol=0)


def test_cdf_differentiates_in_the_concentration_alone():
    # only the concentration requires grad: d/da P(a, rate * v) by central differences
    rate, v = 1.5, np.array([0.3, 1.2, 4.0])
    a = tt.tensor([0.8, 2.0, 3.5], dtype=tt.float64, requires_grad=True)
    Gamma(a, tt.tensor(rate, dtype=tt.float64)).cdf(tt.tensor(v)).sum().backward()
    assert a.grad is not None

    def cdf(av):
        return Gamma(tt.tensor(av), tt.tensor(rate, dtype=tt.float64)).cdf(tt.tensor(v)).numpy()

    h = 1e-6
    an = a.detach().numpy()
    fd = (cdf(an + h) - cdf(an - h)) / (2 * h)
    np.testing.assert_allclose(a.grad.numpy(), fd, rtol=1e-6)


def test_beta_log_prob_on_a_2d_batch():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.5, 3.0, (2, 3)), rng.uniform(0.5, 3.0, (2, 3))
    x = rng.uniform(0.05, 0.95, (2, 3))
    lbeta = np.vectorize(lambda p, q: math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q))
    want = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - lbeta(a, b)
    got = Beta(tt.tensor(a), tt.tensor(b)).log_prob(tt.tensor(x))
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_gamma_log_prob_of_a_python_number_keeps_float64():
    a, rate, x = 2.3, 0.7, 1.2345678901234567
    g = Gamma(
        tt.tensor([a], dtype=tt.float64), tt.tensor([rate], dtype=tt.float64), validate_args=False
    )  # fmt: skip (validation refuses a non-tensor value)
    got = g.log_prob(x)
    want = a * math.log(rate) + (a - 1) * math.log(x) - rate * x - math.lgamma(a)
    assert got.dtype == tt.float64
    np.testing.assert_allclose(got.numpy(), [want], rtol=1e-14)


def test_python_number_parameters_give_an_empty_batch_shape():
    g = Gamma(2.0, 0.5)
    assert g.batch_shape == () and g.event_shape == ()
    np.testing.assert_allclose(g.mean.numpy(), 4.0)
    mixed = Gamma(2.0, tt.tensor([0.5, 1.0]))
    assert mixed.batch_shape == (2,)
    np.testing.assert_allclose(mixed.mean.numpy(), [4.0, 2.0])
    b = Beta(2.0, 3.0)
    assert b.batch_shape == () and b.event_shape == ()
    np.testing.assert_allclose(b.mean.numpy(), 0.4)
    np.testing.assert_allclose(Beta(2.0, tt.tensor([3.0, 6.0])).mean.numpy(), [0.4, 0.25])
    np.testing.assert_allclose(Beta(tt.tensor([3.0, 6.0]), 2.0).mean.numpy(), [0.6, 0.75])
    b2 = Beta(tt.ones(2, 3), tt.ones(2, 3))
    assert b2.batch_shape == (2, 3) and b2.sample((4,)).shape == (4, 2, 3)


def test_dirichlet_shapes_and_its_error():
    d = Dirichlet(tt.ones(2, 3, 4))
    assert d.batch_shape == (2, 3) and d.event_shape == (4,)
    assert d.sample().shape == (2, 3, 4)
    with pytest.raises(
        ValueError, match=r"^`concentration` parameter must be at least one-dimensional\.$"
    ):
        Dirichlet(tt.tensor(1.0))


def test_validate_args_is_passed_on():
    bad = tt.tensor([-1.0, 2.0])
    for make in (
        lambda v: Gamma(bad, tt.ones(2), validate_args=v),
        lambda v: Dirichlet(bad, validate_args=v),
        lambda v: Beta(bad, tt.ones(2), validate_args=v),
    ):
        make(False)  # no check asked for
        with pytest.raises(ValueError):
            make(True)
    previous = tt.distributions.Distribution._validate_args
    tt.distributions.Distribution.set_default_validate_args(True)
    try:
        Gamma(bad, tt.ones(2), validate_args=False)
        Beta(bad, tt.ones(2), validate_args=False)
        Dirichlet(bad, validate_args=False)
    finally:
        tt.distributions.Distribution.set_default_validate_args(previous)


def test_dirichlet_entropy_of_a_batch_is_each_rows_entropy():
    conc = np.array([[0.5, 1.0, 3.0], [2.0, 2.0, 2.0], [1.0, 4.0, 0.7]])
    batched = Dirichlet(tt.tensor(conc)).entropy().numpy()
    rows = [Dirichlet(tt.tensor(c)).entropy().item() for c in conc]
    np.testing.assert_allclose(batched, rows, rtol=1e-12)
    # the uniform Dirichlet(1, 1, 1) on the 2-simplex has entropy -log(2) (density 2)
    np.testing.assert_allclose(
        Dirichlet(tt.ones(3, dtype=tt.float64)).entropy().item(), -math.log(2)
    )


FAMILIES = {
    "Gamma": (lambda v=None: Gamma(tt.tensor([2.0, 0.7]), tt.tensor([1.5, 0.5]), validate_args=v),
              tt.tensor([0.8, 2.5])),
    "Beta": (lambda v=None: Beta(tt.tensor([2.0, 0.7]), tt.tensor([1.5, 3.0]), validate_args=v),
             tt.tensor([0.3, 0.6])),
    "Dirichlet": (lambda v=None: Dirichlet(tt.tensor([[2.0, 0.7, 1.0], [0.5, 3.0, 1.5]]),
                                           validate_args=v),
                  tt.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),
}  # fmt: skip


@pytest.mark.parametrize("name", list(FAMILIES))
def test_expand_broadcasts_the_batch(name):
    make, value = FAMILIES[name]
    d = make()
    e = d.expand((4, 2))
    assert type(e) is type(d)
    assert e.batch_shape == (4, 2) and e.event_shape == d.event_shape
    want = np.broadcast_to(d.log_prob(value).numpy(), (4, 2))
    np.testing.assert_allclose(e.log_prob(value).numpy(), want, rtol=1e-12)
    want = np.broadcast_to(d.mean.numpy(), (4,) + tuple(d.mean.shape))
    np.testing.assert_allclose(e.mean.numpy(), want)
    assert e.sample().shape == (4,) + tuple(d.sample().shape)
    # validate_args is carried over: an expanded validating distribution still checks values
    with pytest.raises(ValueError):
        make(True).expand((4, 2)).log_prob(value * 0 - 1)
    make(False).expand((4, 2)).log_prob(value * 0 - 1)  # not checked


@pytest.mark.parametrize("name", list(FAMILIES))
def test_expand_of_an_unchecked_invalid_distribution_does_not_validate(name):
    cls = {"Gamma": Gamma, "Beta": Beta, "Dirichlet": Dirichlet}[name]
    neg = tt.tensor([-1.0, 2.0])
    bad = {"Gamma": (neg, tt.ones(2)), "Beta": (neg, tt.ones(2)), "Dirichlet": (neg[None],)}[name]
    previous = tt.distributions.Distribution._validate_args
    tt.distributions.Distribution.set_default_validate_args(True)
    try:
        d = cls(*bad, validate_args=False)
        d.expand((3,) + tuple(d.batch_shape))  # must not validate the parameters
    finally:
        tt.distributions.Distribution.set_default_validate_args(previous)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_expand_of_a_subclass_uses_the_given_instance(name):
    base = {"Gamma": Gamma, "Beta": Beta, "Dirichlet": Dirichlet}[name]
    make, value = FAMILIES[name]
    proto = make()

    class Sub(base):
        def __init__(self, inner):  # a different signature: expand must be given _instance
            self.__dict__.update(inner.__dict__)

        def expand(self, batch_shape, _instance=None):
            new = self._get_checked_instance(Sub, _instance)
            return super().expand(batch_shape, _instance=new)

    e = Sub(proto).expand((5,) + tuple(proto.batch_shape))
    assert type(e) is Sub and e.batch_shape == (5,) + tuple(proto.batch_shape)
    np.testing.assert_allclose(
        e.log_prob(value).numpy()[0], proto.log_prob(value).numpy(), rtol=1e-12
    )
