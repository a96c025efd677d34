"""scatter_reduce (ops/scatter.py) branch by branch, NumPy only: the identities of every dtype
kind without self, integer floor means, inf/NaN sources, a src larger than the index, the
argument checks, and the gradients (sum/mean counts, prod with zeros against a loop oracle, tied
amax/amin sharing). Hand-derived values, each checked once against PyTorch 2.13 (mutmut
survivors of issue #25)."""

import warnings

import numpy as np
import pytest

import tinytensor as tt


def _f(*values):
    return tt.tensor(np.array(values, dtype=np.float64))


def _i(*values):
    return tt.tensor(np.array(values, dtype=np.int64))


def _np(t):
    return t.detach().numpy()


# --- scatter_reduce: forward -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_reduce_include_self_false_float_identities(dtype):
    x = tt.tensor(np.array([5.0, 5.0, 5.0, 5.0], dtype))
    idx = _i(0, 0, 1)
    src = tt.tensor(np.array([-3.0, -4.0, 7.0], dtype))
    expect = {
        "sum": [-7.0, 7.0, 5.0, 5.0],
        "prod": [12.0, 7.0, 5.0, 5.0],
        "mean": [-3.5, 7.0, 5.0, 5.0],
        "amax": [-3.0, 7.0, 5.0, 5.0],
        "amin": [-4.0, 7.0, 5.0, 5.0],
    }
    for reduce, want in expect.items():
        out = tt.scatter_reduce(x, 0, idx, src, reduce, include_self=False)
        assert out.dtype == x.dtype, reduce
        np.testing.assert_array_equal(_np(out), np.array(want, dtype), err_msg=reduce)


def test_scatter_reduce_infinite_and_nan_sources_without_self():
    x = tt.zeros(2, dtype=tt.float64)
    inf = float("inf")
    out = tt.scatter_reduce(x, 0, _i(0), _f(-inf), "amax", include_self=False)
    np.testing.assert_array_equal(_np(out), [-inf, 0.0])  # the identity is -inf, not -max
    out = tt.scatter_reduce(x, 0, _i(0), _f(inf), "amin", include_self=False)
    np.testing.assert_array_equal(_np(out), [inf, 0.0])
    out = tt.scatter_reduce(x, 0, _i(0, 0), _f(np.nan, 1.0), "amax", include_self=False)
    assert np.isnan(_np(out)[0]) and _np(out)[1] == 0.0  # NaN propagates, as PyTorch
    # overflow and inf - inf give IEEE results silently (no NumPy warning), as PyTorch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = tt.tensor(np.array([1e30, 1.0], np.float32))
        out = tt.scatter_reduce(big, 0, _i(0), tt.tensor(np.array([1e30], np.float32)), "prod")
        assert np.isinf(_np(out)[0])
        out = tt.scatter_reduce(_f(inf, 0.0), 0, _i(0), _f(-inf), "sum")
        assert np.isnan(_np(out)[0])


def test_scatter_reduce_include_self_true_values():
    x = _f(5.0, 1.0, 2.0)
    idx, src = _i(0, 0, 2), _f(-3.0, 4.0, 6.0)
    want = {
        "sum": [6.0, 1.0, 8.0],
        "prod": [-60.0, 1.0, 12.0],
        "mean": [2.0, 1.0, 4.0],
        "amax": [5.0, 1.0, 6.0],
        "amin": [-3.0, 1.0, 2.0],
    }
    for reduce, w in want.items():
        np.testing.assert_array_equal(_np(tt.scatter_reduce(x, 0, idx, src, reduce)), w, reduce)


def test_scatter_reduce_integer_identities_and_floor_mean():
    x = _i(5, 5, -7, 7)
    idx, src = _i(0, 1, 1), _i(-3, -9, 2)
    out = tt.scatter_reduce(x, 0, idx, src, "amax", include_self=False)
    np.testing.assert_array_equal(_np(out), [-3, 2, -7, 7])  # not max(0, ...) nor max(5, ...)
    out = tt.scatter_reduce(x, 0, idx, src, "amin", include_self=False)
    np.testing.assert_array_equal(_np(out), [-3, -9, -7, 7])
    big = _i(0, 0)
    out = tt.scatter_reduce(big, 0, _i(0), _i(2**40), "amin", include_self=False)
    assert int(out[0]) == 2**40  # the identity is int64's max, not a float or int32 bound
    out = tt.scatter_reduce(x, 0, _i(2, 3), _i(2, 2), "mean")
    # (-7 + 2) / 2 = -2.5 floors to -3, (7 + 2) / 2 = 4.5 floors to 4 (PyTorch's integer mean)
    np.testing.assert_array_equal(_np(out), [5, 5, -3, 4])
    assert out.dtype == tt.int64
    out = tt.scatter_reduce(x, 0, _i(2, 2), _i(3, 4), "mean", include_self=False)
    np.testing.assert_array_equal(_np(out), [5, 5, 3, 7])  # 7 // 2; untouched stay
    out = tt.scatter_reduce(x, 0, _i(0, 0), _i(2, 3), "prod", include_self=False)
    np.testing.assert_array_equal(_np(out), [6, 5, -7, 7])


def test_scatter_reduce_bool_identities():
    x = tt.tensor(np.array([True, False, True]))
    src = tt.tensor(np.array([False, True]))
    out = tt.scatter_reduce(x, 0, _i(0, 1), src, "amax", include_self=False)
    np.testing.assert_array_equal(_np(out), [False, True, True])
    out = tt.scatter_reduce(x, 0, _i(0, 1), src, "amin", include_self=False)
    np.testing.assert_array_equal(_np(out), [False, True, True])
    out = tt.scatter_reduce(
        x, 0, _i(1, 1), tt.tensor(np.array([True, True])), "amin", include_self=False
    )
    np.testing.assert_array_equal(_np(out), [True, True, True])


def test_scatter_reduce_mean_counts_per_position_2d():
    x = tt.tensor(np.arange(6.0).reshape(2, 3))
    idx = _i(0, 0, 2, 0).reshape(2, 2)
    src = tt.tensor(np.array([[10.0, 20.0], [30.0, 40.0]]))
    out = tt.scatter_reduce(x, 1, idx, src, "mean")
    # row 0: position 0 gets 0, 10, 20 -> 10; row 1: position 2 gets 5, 30 -> 17.5,
    # position 0 gets 3, 40 -> 21.5
    np.testing.assert_array_equal(_np(out), [[10.0, 1.0, 2.0], [21.5, 4.0, 17.5]])
    out = tt.scatter_reduce(x, 1, idx, src, "mean", include_self=False)
    np.testing.assert_array_equal(_np(out), [[15.0, 1.0, 2.0], [40.0, 4.0, 30.0]])


def test_scatter_reduce_larger_src_is_cut_to_the_index():
    src = tt.tensor(np.arange(12.0).reshape(3, 4))
    out = tt.scatter_reduce(tt.zeros(2, 2, dtype=tt.float64), 0, _i(1, 0).reshape(1, 2), src, "sum")
    np.testing.assert_array_equal(_np(out), [[0.0, 1.0], [0.0, 0.0]])


def test_scatter_reduce_errors():
    x = tt.zeros(3, dtype=tt.float64)
    with pytest.raises(
        RuntimeError,
        match="^scatter_reduce: reduce argument must be one of sum, "
        "prod, mean, amax, amin, got 'max'",
    ):
        tt.scatter_reduce(x, 0, _i(0), _f(1.0), "max")
    with pytest.raises(
        RuntimeError,
        match="^scatter_reduce: expected self and src to have the "
        r"same dtype, got .*float64 \(self\) and .*float32 \(src\)",
    ):
        tt.scatter_reduce(x, 0, _i(0), tt.ones(1, dtype=tt.float32), "sum")
    with pytest.raises(
        RuntimeError,
        match=r"^scatter_reduce: src \(1,\) must be at least as "
        r"large as index \(2,\)",
    ):
        tt.scatter_reduce(x, 0, _i(0, 1), _f(1.0), "sum")
    with pytest.raises(RuntimeError, match=r"^scatter_reduce: src \(1, 2\) must be at least"):
        tt.scatter_reduce(x, 0, _i(0, 1), tt.ones(1, 2, dtype=tt.float64), "sum")
    # src exactly the index's size, and larger, are fine
    tt.scatter_reduce(x, 0, _i(0, 1), _f(1.0, 2.0), "sum")
    tt.scatter_reduce(x, 0, _i(0, 1), _f(1.0, 2.0, 3.0), "sum")


# --- scatter_reduce: gradients -----------------------------------------------------------------


def _grads(fn, *inputs):
    leaves = [tt.tensor(_np(t), requires_grad=True) for t in inputs]
    fn(*leaves).backward(tt.tensor(np.array([1.0, 10.0, 100.0, 1000.0])))
    return [_np(t.grad) for t in leaves]


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_sum_mean_gradients(include_self):
    x, src, idx = _f(1.0, 2.0, 3.0, 4.0), _f(5.0, 6.0, 7.0), _i(0, 0, 2)

    def run(reduce):
        return _grads(
            lambda a, s: tt.scatter_reduce(a, 0, idx, s, reduce, include_self=include_self), x, src
        )

    ga, gs = run("sum")
    keep = 1.0 if include_self else 0.0
    np.testing.assert_array_equal(ga, [keep, 10.0, 100.0 * keep, 1000.0])
    np.testing.assert_array_equal(gs, [1.0, 1.0, 100.0])
    ga, gs = run("mean")
    n0, n2 = (3.0, 2.0) if include_self else (2.0, 1.0)
    np.testing.assert_allclose(ga, [keep / n0, 10.0, 100.0 * keep / n2, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(gs, [1 / n0, 1 / n0, 100.0 / n2], rtol=1e-15)


def _prod_oracle(x, src, idx, include_self, g):
    """d out[t] / d member = product of the group's other members (a loop, no division)."""
    ga, gs = np.zeros_like(x), np.zeros_like(src)
    for t in range(len(x)):
        members = [("a", t)] if include_self else []
        members += [("s", k) for k in range(len(idx)) if idx[k] == t]
        if not any(m[0] == "s" for m in members):
            ga[t] = g[t]
            continue
        for m in members:
            others = [x[j] if kind == "a" else src[j] for kind, j in members if (kind, j) != m]
            (ga if m[0] == "a" else gs)[m[1]] += g[t] * np.prod(others)
    return ga, gs


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros(include_self):
    # group 0: self 2 and src (0, 4), one zero; group 1: self 0 and src (5, 0), two zeros;
    # group 2: self 0 and src 3, the self zero alone; group 3: untouched
    x = np.array([2.0, 0.0, 0.0, 4.0])
    src = np.array([0.0, 4.0, 5.0, 0.0, 3.0])
    idx = np.array([0, 0, 1, 1, 2])
    g = np.array([1.0, 10.0, 100.0, 1000.0])
    ga, gs = _grads(
        lambda a, s: tt.scatter_reduce(a, 0, tt.tensor(idx), s, "prod", include_self=include_self),
        tt.tensor(x),
        tt.tensor(src),
    )
    ra, rs = _prod_oracle(x, src, idx, include_self, g)
    np.testing.assert_allclose(ga, ra, rtol=1e-15)
    np.testing.assert_allclose(gs, rs, rtol=1e-15)


def test_scatter_reduce_amax_ties_share_the_gradient():
    x, src, idx = _f(3.0, 1.0, 2.0, 0.0), _f(3.0, 3.0, -5.0), _i(0, 0, 2)
    ga, gs = _grads(lambda a, s: tt.scatter_reduce(a, 0, idx, s, "amax"), x, src)
    # position 0: self 3 and the two src 3s tie, a third each; position 2: self 2 beats -5
    np.testing.assert_allclose(ga, [1 / 3, 10.0, 100.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(gs, [1 / 3, 1 / 3, 0.0], rtol=1e-15)
    ga, gs = _grads(
        lambda a, s: tt.scatter_reduce(a, 0, idx, s, "amax", include_self=False), x, src
    )
    # without self: the two 3s share position 0, -5 alone takes position 2
    np.testing.assert_allclose(ga, [0.0, 10.0, 0.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(gs, [0.5, 0.5, 100.0], rtol=1e-15)


def test_scatter_reduce_amin_ties_share_the_gradient():
    x, src, idx = _f(3.0, 1.0, 2.0, 0.0), _f(1.0, 4.0, -5.0), _i(1, 1, 2)
    ga, gs = _grads(lambda a, s: tt.scatter_reduce(a, 0, idx, s, "amin"), x, src)
    # position 1: self 1 ties src 1 (half each), 4 loses; position 2: src -5 beats self 2
    np.testing.assert_allclose(ga, [1.0, 5.0, 0.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(gs, [5.0, 0.0, 100.0], rtol=1e-15)
    ga, gs = _grads(
        lambda a, s: tt.scatter_reduce(a, 0, idx, s, "amin", include_self=False), x, src
    )
    np.testing.assert_allclose(ga, [1.0, 0.0, 0.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(gs, [10.0, 0.0, 100.0], rtol=1e-15)
