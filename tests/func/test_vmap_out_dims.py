"""vmap's out_dims on the batching-rule path, against a stacked loop and movedim (issue #25)."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.func import vmap

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop")


def _loop(fn, x, out_dim):
    return np.moveaxis(np.stack([fn(x[i]).numpy() for i in range(x.shape[0])]), 0, out_dim)


def test_rule_ops_honour_out_dims():
    rng = np.random.default_rng(25)
    x4 = tt.tensor(rng.standard_normal((2, 3, 4, 5)))
    got = vmap(tt.sin, out_dims=2)(x4)
    np.testing.assert_allclose(got.numpy(), _loop(tt.sin, x4, 2), rtol=1e-12)
    assert tuple(got.shape) == (3, 4, 2, 5)

    def s(t):
        return tt.sum(t, dim=0)

    got = vmap(s, out_dims=2)(x4)
    assert tuple(got.shape) == (4, 5, 2)
    np.testing.assert_allclose(got.numpy(), _loop(s, x4, 2), rtol=1e-12)

    x3 = tt.tensor(rng.standard_normal((2, 3, 4, 5)))
    got = vmap(tt.sin, out_dims=-1)(x3)
    np.testing.assert_allclose(got.numpy(), _loop(tt.sin, x3, -1), rtol=1e-12)
    x = tt.tensor(rng.standard_normal((2, 3, 4)))
    got = vmap(tt.cos, out_dims=-1)(x)
    np.testing.assert_allclose(got.numpy(), _loop(tt.cos, x, -1), rtol=1e-12)
