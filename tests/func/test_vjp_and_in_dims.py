"""Two ``torch.func`` details checked without torch: ``vjp_fn``'s ``create_graph`` (a graph of
the products only where something outside tracks the primals, as in PyTorch) and ``vmap``'s
negative ``in_dims`` down to ``-x.dim()``."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.func import vjp, vmap

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop")


def cube(t):
    return t**3


def test_vjp_fn_create_graph_false_detaches_even_when_the_primal_is_tracked():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out, fn = vjp(cube, x)
    assert out.requires_grad  # the primal is tracked: the output keeps its graph
    (g,) = fn(tt.ones(3))  # create_graph=None follows the primal: kept
    assert g.requires_grad
    (g,) = fn(tt.ones(3), create_graph=False)
    assert not g.requires_grad and g.grad_fn is None
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0, 27.0])


def test_vjp_fn_create_graph_true_differentiates_again():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    _, fn = vjp(cube, x)
    (g,) = fn(tt.tensor([1.0, 0.5, 2.0]), create_graph=True)
    (gg,) = tt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [6.0, 6.0, 36.0])  # d/dx (c * 3x^2) = 6 c x


def test_vjp_fn_create_graph_true_with_an_untracked_primal_gives_no_grad():
    # torch.func.vjp(lambda t: t**3, torch.tensor([1., 2., 3.]))[1](torch.ones(3),
    #     create_graph=True)[0].requires_grad is False (torch 2.13)
    _, fn = vjp(cube, tt.tensor([1.0, 2.0, 3.0]))
    (g,) = fn(tt.ones(3), create_graph=True)
    assert not g.requires_grad
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0, 27.0])


@pytest.mark.parametrize("d,want_dim", [(-1, 1), (-2, 0), (0, 0), (1, 1)])
def test_vmap_negative_in_dims_down_to_minus_ndim(d, want_dim):
    a = tt.arange(12.0).reshape(3, 4)

    def total(r):
        return r.sum()

    got = vmap(total, in_dims=d)(a)
    np.testing.assert_allclose(got.numpy(), a.numpy().sum(1 - want_dim))
    # the same through a function with a batching rule (tt.sin), and -3 is refused
    np.testing.assert_allclose(vmap(tt.sin, in_dims=d)(a).numpy(),
                               np.moveaxis(np.sin(a.numpy()), want_dim, 0))  # fmt: skip
    with pytest.raises(ValueError, match="in_dim=-3"):
        vmap(total, in_dims=-3)(a)
