"""Six checks that each kill a planted mutant the rest of the suite let through (issue #25).

NumPy-only and deterministic; the PyTorch numbers quoted were read once from torch 2.13.
"""

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.func import vmap

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop")


def test_cummax_cummin_ties_take_the_last_index_and_route_the_gradient_there():
    # torch.cummax(tensor([1., 3., 3., 2., 3.]), 0).indices == [0, 1, 2, 2, 4]
    x = tt.tensor([1.0, 3.0, 3.0, 2.0, 3.0], requires_grad=True)
    v, i = tt.cummax(x, 0)
    np.testing.assert_array_equal(v.detach().numpy(), [1.0, 3.0, 3.0, 3.0, 3.0])
    np.testing.assert_array_equal(i.numpy(), [0, 1, 2, 2, 4])
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 2.0, 0.0, 1.0])
    # torch.cummin(tensor([3., 1., 1., 2., 1.]), 0).indices == [0, 1, 2, 2, 4]
    y = tt.tensor([3.0, 1.0, 1.0, 2.0, 1.0], requires_grad=True)
    v, i = tt.cummin(y, 0)
    np.testing.assert_array_equal(v.detach().numpy(), [3.0, 1.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(i.numpy(), [0, 1, 2, 2, 4])
    v.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0, 2.0, 0.0, 1.0])


def _np_softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_sparse_softmax_over_a_dense_dim_of_a_hybrid_coo():
    rng = np.random.default_rng(7)
    idx = np.array([[0, 1, 2, 2], [3, 0, 1, 2]])
    vals = rng.standard_normal((4, 5))
    s = tt.sparse_coo_tensor(idx, vals, (3, 4, 5))
    assert s.sparse_dim() == 2 and s.dense_dim() == 1
    for dim in (2, -1):
        got = tt.sparse.softmax(s, dim).coalesce()
        np.testing.assert_array_equal(got.indices().numpy(), idx)
        np.testing.assert_allclose(got.values().numpy(), _np_softmax(vals, 1), rtol=1e-12)
        got = tt.sparse.log_softmax(s, dim).coalesce()
        np.testing.assert_allclose(
            got.values().numpy(), np.log(_np_softmax(vals, 1)), rtol=1e-12, atol=1e-12
        )


def test_vmap_out_dims_accepts_minus_n_plus_one_and_rejects_beyond():
    rng = np.random.default_rng(23)
    for fn in (tt.sin, lambda t: t * t + 1.0):
        for shape in ((3, 4), (2, 3, 4)):
            x = tt.tensor(rng.standard_normal(shape))
            n = x.dim() - 1  # per-sample ndim
            want = np.stack([fn(x[i]).numpy() for i in range(x.shape[0])])
            got = vmap(fn, out_dims=-(n + 1))(x)
            np.testing.assert_allclose(got.numpy(), np.moveaxis(want, 0, 0), rtol=1e-12)
            got = vmap(fn, out_dims=n)(x)
            np.testing.assert_allclose(got.numpy(), np.moveaxis(want, 0, n), rtol=1e-12)
            with pytest.raises(IndexError):
                vmap(fn, out_dims=-(n + 2))(x)
            with pytest.raises(IndexError):
                vmap(fn, out_dims=n + 1)(x)


def test_binomial_mode_is_floor_of_n_plus_one_times_p_and_the_pmf_argmax():
    d = tt.distributions.Binomial(total_count=7, probs=tt.tensor([0.3, 0.5, 0.9]))
    np.testing.assert_array_equal(d.mode.numpy(), [2.0, 4.0, 7.0])
    ks = tt.tensor(np.arange(8.0)[:, None] * np.ones((1, 3)))
    pmf = np.exp(d.log_prob(ks).numpy())
    # p = 0.5 ties k = 3 and k = 4; (n + 1) * p = 4 picks the upper one, as PyTorch does
    np.testing.assert_allclose(pmf[3, 1], pmf[4, 1], rtol=1e-12)
    np.testing.assert_array_equal(d.mode.numpy()[[0, 2]], pmf.argmax(0)[[0, 2]])


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_smooth_l1_and_huber_match_the_numpy_formula(beta):
    dnp = np.linspace(-3.0, 3.0, 25)
    a = np.abs(dnp)
    sl1 = np.where(a < beta, 0.5 * dnp**2 / beta, a - 0.5 * beta)
    sl1_g = np.where(a < beta, dnp / beta, np.sign(dnp))
    hub = np.where(a < beta, 0.5 * dnp**2, beta * (a - 0.5 * beta))
    hub_g = np.where(a < beta, dnp, beta * np.sign(dnp))
    target = tt.zeros(25, dtype=tt.float64)
    for fn, kw, want, want_g in (
        (F.smooth_l1_loss, {"beta": beta}, sl1, sl1_g),
        (F.huber_loss, {"delta": beta}, hub, hub_g),
    ):
        x = tt.tensor(dnp, requires_grad=True)
        out = fn(x, target, reduction="none", **kw)
        np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-15)
        out.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), want_g, rtol=1e-12, atol=1e-15)
        x = tt.tensor(dnp, requires_grad=True)
        np.testing.assert_allclose(fn(x, target, **kw).item(), want.mean(), rtol=1e-12)


def test_ceil_mode_pool1d_drops_a_last_window_starting_in_the_right_padding():
    x = tt.arange(1.0, 6.0).reshape(1, 1, 5)
    # torch: max_pool1d -> [1, 3, 5]; avg_pool1d -> [0.5, 2.5, 4.5]; exclude-pad -> [1, 2.5, 4.5]
    np.testing.assert_array_equal(
        F.max_pool1d(x, 2, 2, 1, ceil_mode=True).numpy(), [[[1.0, 3.0, 5.0]]]
    )
    np.testing.assert_allclose(
        F.avg_pool1d(x, 2, 2, 1, ceil_mode=True).numpy(), [[[0.5, 2.5, 4.5]]]
    )
    np.testing.assert_allclose(
        F.avg_pool1d(x, 2, 2, 1, ceil_mode=True, count_include_pad=False).numpy(),
        [[[1.0, 2.5, 4.5]]],
    )
    # (length, kernel, stride, padding) -> PyTorch's ceil_mode output length
    table = [(5, 2, 2, 1, 3), (5, 2, 2, 0, 3), (6, 3, 2, 1, 4), (7, 3, 3, 1, 3),
             (4, 2, 2, 1, 3), (10, 3, 4, 1, 3)]  # fmt: skip
    for n, k, s, p, want in table:
        z = tt.zeros(1, 1, n)
        assert F.max_pool1d(z, k, s, p, ceil_mode=True).shape[-1] == want, (n, k, s, p)
        assert F.avg_pool1d(z, k, s, p, ceil_mode=True).shape[-1] == want, (n, k, s, p)
