"""Fractional max pooling against a plain-loop NumPy oracle of PyTorch's window rule, without
PyTorch: window starts, values, flat indices, gradients of every order (batched and
unbatched), the sample order per axis, output_ratio, NaN, argument checks and the
``adaptive_max_pool*_with_indices`` forms. Written to kill the one-token bugs
``tools/mutation.py`` plants in ``nn/functional/fractional.py`` (issue #25)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck


@pytest.mark.parametrize("nd", [2, 3])
def test_unbatched_gradients_of_every_order(nd):
    # the unbatched backward must give its put a batch axis on both g and the indices, or the
    # second-order gradient comes back without it
    x = np.random.default_rng(nd).permutation(2 * 7**nd).reshape((2,) + (7,) * nd) / 10.0
    xt = tt.tensor(x, requires_grad=True)
    s = tt.tensor(np.random.default_rng(0).uniform(size=(1, 2, nd)))
    fn = getattr(F, f"fractional_max_pool{nd}d")
    assert gradcheck(lambda x: fn(x, 2, output_size=4, _random_samples=s), (xt,))
    assert gradgradcheck(lambda x: fn(x, 2, output_size=4, _random_samples=s) ** 2, (xt,))
    # and it equals the batched op's
    xb = tt.tensor(x[None], requires_grad=True)
    g = tt.tensor(np.random.default_rng(1).standard_normal((2,) + (4,) * nd), requires_grad=True)
    (dx,) = tt.autograd.grad(fn(xt, 2, output_size=4, _random_samples=s), xt, g, create_graph=True)
    (dxb,) = tt.autograd.grad(
        fn(xb, 2, output_size=4, _random_samples=s), xb, g.unsqueeze(0), create_graph=True
    )
    np.testing.assert_array_equal(dx.detach().numpy(), dxb.detach().numpy()[0])
    v = np.random.default_rng(2).standard_normal(x.shape)
    (dg,) = tt.autograd.grad(dx, g, tt.tensor(v))
    assert dg.shape == g.shape
    _, ind = fn(tt.tensor(x), 2, output_size=4, _random_samples=s, return_indices=True)
    np.testing.assert_array_equal(
        dg.numpy(),
        np.take_along_axis(v.reshape(2, -1), ind.numpy().reshape(2, -1), 1).reshape(dg.shape),
    )
