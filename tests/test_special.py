"""tinytensor.special: every name, its accuracy against SciPy over wide float64 ranges (tails
included), the aliases, and agreement with torch.special. Gradients are checked by the op table
(tests/ops/optable/special.py)."""

import numpy as np
import pytest
import scipy.special as sp

import tinytensor as tt

RNG = np.random.default_rng(0)


def _rel_err(ours, ref):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), "NaN positions differ"
    finite = np.isfinite(ref)
    assert np.array_equal(ours[~finite], ref[~finite], equal_nan=True), "infinities differ"
    # Relative error, except near a root (logit(0.5), lgamma(1)) where it is absolute.
    return np.max(np.abs(ours[finite] - ref[finite]) / np.maximum(np.abs(ref[finite]), 1e-3))


def _wide(lo, hi, n=2000):
    return np.concatenate([RNG.uniform(lo, hi, n), np.linspace(lo, hi, 101)])


TAIL = 1.0 - 10.0 ** -RNG.uniform(0, 15.9, 500)
ACCURACY = [
    # (name, tinytensor function, SciPy reference, inputs, relative tolerance)
    ("erf", tt.special.erf, sp.erf, _wide(-7, 7), 1e-15),
    ("erfc", tt.special.erfc, sp.erfc, _wide(-5, 26), 1e-13),
    ("erfcx", tt.special.erfcx, sp.erfcx, np.concatenate([_wide(-5, 30), [1e3, 1e8]]), 1e-12),
    ("erfinv", tt.special.erfinv, sp.erfinv, np.concatenate([_wide(-1, 1), TAIL, -TAIL]), 1e-14),
    (
        "ndtri",
        tt.special.ndtri,
        sp.ndtri,
        np.concatenate([_wide(0, 1), 10.0 ** -RNG.uniform(1, 300, 300)]),
        1e-13,
    ),  # noqa: E501
    ("log_ndtr", tt.special.log_ndtr, sp.log_ndtr, _wide(-60, 8), 1e-13),
    (
        "gammaln",
        tt.special.gammaln,
        sp.gammaln,
        np.concatenate([_wide(0.01, 1e4), [0.0, -1.0]]),
        1e-13,
    ),  # noqa: E501
    ("digamma", tt.special.digamma, sp.digamma, _wide(0.01, 1e4), 1e-13),
    ("digamma_negative", tt.special.psi, sp.psi, _wide(-9.97, -0.03), 1e-12),
    ("i0", tt.special.i0, sp.i0, _wide(-50, 50), 1e-14),
    ("i1", tt.special.i1, sp.i1, _wide(-50, 50), 1e-14),
    ("entr", tt.special.entr, sp.entr, np.concatenate([_wide(0, 10), [0.0, -1.0]]), 1e-15),
    ("expit", tt.special.expit, sp.expit, _wide(-40, 40), 1e-15),
    ("logit", tt.special.logit, sp.logit, _wide(0.001, 0.999), 1e-12),
    ("sinc", tt.special.sinc, np.sinc, _wide(-10, 10), 1e-13),
    # ndtr is torch's composite (1 + erf(x/sqrt 2))/2, which loses relative accuracy far left.
    ("ndtr", tt.special.ndtr, sp.ndtr, _wide(-3, 8), 1e-12),
]


@pytest.mark.parametrize(("fn", "ref", "x", "rtol"), [a[1:] for a in ACCURACY],
                         ids=[a[0] for a in ACCURACY])  # fmt: skip
def test_accuracy_against_scipy_in_float64(fn, ref, x, rtol):
    with np.errstate(all="ignore"):
        expected = ref(x)
    assert _rel_err(fn(tt.tensor(x)).numpy(), expected) <= rtol


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_and_multigammaln_against_scipy(n):
    x = _wide(0.05, 50.0)
    assert _rel_err(tt.special.polygamma(n, tt.tensor(x)).numpy(), sp.polygamma(n, x)) < 1e-13
    x = _wide(2.6, 40.0)
    ours = tt.special.multigammaln(tt.tensor(x), n).numpy()
    assert _rel_err(ours, np.vectorize(sp.multigammaln)(x, n)) < 1e-13


def test_binary_functions_and_their_zero_rules():
    x = tt.tensor([0.0, 0.0, 2.0, 3.0], dtype=tt.float64)
    y = tt.tensor([0.0, float("nan"), 0.5, -0.5], dtype=tt.float64)
    np.testing.assert_array_equal(tt.special.xlogy(x, y).numpy(), sp.xlogy(x.numpy(), y.numpy()))
    np.testing.assert_array_equal(
        tt.special.xlog1py(x, y).numpy(), sp.xlog1py(x.numpy(), y.numpy())
    )


def test_aliases_and_reductions():
    x = tt.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    assert tt.special.gammaln is tt.lgamma and tt.special.psi is tt.digamma
    assert tt.special.expit is tt.sigmoid and tt.special.multigammaln is tt.mvlgamma
    np.testing.assert_allclose(tt.special.softmax(x, 1).numpy(), sp.softmax(x.numpy(), 1))
    np.testing.assert_allclose(tt.special.log_softmax(x, 0).numpy(), sp.log_softmax(x.numpy(), 0))
    np.testing.assert_allclose(tt.special.logsumexp(x, 1).numpy(), sp.logsumexp(x.numpy(), 1))
    np.testing.assert_allclose(tt.special.exp2(x).numpy(), np.exp2(x.numpy()))
    np.testing.assert_allclose(tt.special.expm1(x).numpy(), np.expm1(x.numpy()))
    np.testing.assert_allclose(tt.special.log1p(x.abs()).numpy(), np.log1p(np.abs(x.numpy())))
    assert tt.special.round(tt.tensor([0.5, 1.5, 2.4])).tolist() == [0.0, 2.0, 2.0]


def test_float32_stays_float32_and_integers_become_float():
    for name in ["erf", "erfc", "erfinv", "gammaln", "digamma", "i0", "i1", "ndtr", "log_ndtr"]:
        fn = getattr(tt.special, name)
        assert fn(tt.tensor([0.25], dtype=tt.float32)).dtype is tt.float32, name
        assert fn(tt.tensor([0])).dtype is tt.float32, name
    assert tt.special.erf(tt.tensor([0.5], dtype=tt.float16)).dtype is tt.float16


def test_special_values():
    inf, nan = float("inf"), float("nan")
    out = tt.special.erfinv(tt.tensor([1.0, -1.0, 2.0, nan, 0.0])).tolist()
    assert out[:2] == [inf, -inf] and np.isnan(out[2]) and np.isnan(out[3]) and out[4] == 0.0
    assert tt.special.ndtri(tt.tensor([0.0, 1.0, 0.5])).tolist() == [-inf, inf, 0.0]
    assert tt.special.gammaln(tt.tensor([0.0, -2.0])).tolist() == [inf, inf]
    d = tt.special.digamma(tt.tensor([0.0, -1.0])).tolist()
    assert d[0] == -inf and np.isnan(d[1])
    assert tt.special.erfcx(tt.tensor([inf])).tolist() == [0.0]


@pytest.mark.torch
@pytest.mark.parametrize(
    "name",
    ["erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "i0", "i1",
     "sinc", "entr", "ndtr", "ndtri", "log_ndtr", "erfcx", "exp2", "expm1", "log1p", "round"],
)  # fmt: skip
def test_unary_names_match_torch_special(name):
    torch = pytest.importorskip("torch")
    x = np.concatenate([RNG.uniform(0.05, 0.95, 20), [0.5]])
    ours = getattr(tt.special, name)(tt.tensor(x)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.torch
def test_every_planned_name_exists():
    pytest.importorskip("torch")
    planned = [
        "erf", "erfc", "erfinv", "expit", "logit", "xlogy", "gammaln", "digamma", "psi",
        "polygamma", "multigammaln", "log_softmax", "softmax", "logsumexp", "i0", "sinc", "entr",
        "log1p", "expm1", "exp2", "ndtr", "ndtri", "log_ndtr", "round", "xlog1py", "erfcx", "i1",
    ]  # fmt: skip
    missing = [n for n in planned if not hasattr(tt.special, n)]
    assert not missing
