"""nn.functional under ``tt.compile``: what a replay must recompute, not bake in.

Dropout draws a fresh mask on every call and its backward multiplies by that call's mask;
batch norm's running statistics are updated on every call; cross_entropy's ignored targets
are found in the kernels (a replay with a new target vector), not by a Python branch taken
once at trace time.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt
import tinytensor.nn as nn
import tinytensor.nn.functional as F


def test_compiled_dropout_draws_a_fresh_mask_and_backward_uses_it():
    tt.manual_seed(0)
    fn = tt.compile(lambda x: F.dropout(x, 0.5), fullgraph=True)
    masks = []
    for _ in range(4):
        z = tt.ones(3, 8, requires_grad=True)
        out = fn(z)
        (g,) = tt.autograd.grad(out.sum(), z)
        np.testing.assert_array_equal(out.detach().numpy(), g.numpy())  # this call's mask
        assert set(np.unique(g.numpy())) <= {0.0, 2.0}
        masks.append(g.numpy())
    assert any(not np.array_equal(masks[0], m) for m in masks[1:])


def test_compiled_batch_norm_updates_the_running_stats_every_call_as_eager():
    x = tt.tensor(np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32))
    eager, compiled = nn.BatchNorm1d(3), nn.BatchNorm1d(3)

    def step(bn):
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, True)

    fn = tt.compile(lambda: step(compiled))
    for _ in range(3):
        np.testing.assert_array_equal(step(eager).detach().numpy(), fn().detach().numpy())
        np.testing.assert_array_equal(eager.running_mean.numpy(), compiled.running_mean.numpy())
        np.testing.assert_array_equal(eager.running_var.numpy(), compiled.running_var.numpy())


def test_compiled_cross_entropy_skips_the_ignored_targets_of_each_call():
    rng = np.random.default_rng(3)
    x = tt.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    fn = tt.compile(F.cross_entropy, fullgraph=True)
    for targets in ([0, 1, 2, 3], [0, -100, 2, -100], [4, 4, -100, 1]):
        t = tt.tensor(np.array(targets))
        (g1,) = tt.autograd.grad(F.cross_entropy(x, t), x)
        loss = fn(x, t)
        (g2,) = tt.autograd.grad(loss, x)
        np.testing.assert_array_equal(loss.item(), F.cross_entropy(x, t).item())
        np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_compiled_batch_norm_layer_counts_its_batches_every_call():
    x = tt.tensor(np.random.default_rng(4).standard_normal((4, 3, 2, 2)).astype(np.float32))
    eager, compiled = nn.BatchNorm2d(3), nn.BatchNorm2d(3)
    fn = tt.compile(compiled)
    for _ in range(3):
        np.testing.assert_array_equal(eager(x).detach().numpy(), fn(x).detach().numpy())
    assert int(compiled.num_batches_tracked.item()) == int(eager.num_batches_tracked.item()) == 3
    np.testing.assert_array_equal(eager.running_var.numpy(), compiled.running_var.numpy())


def test_compiled_batch_norm_with_cumulative_average_matches_eager_every_call():
    # momentum=None averages with 1/num_batches_tracked: a value the compiled call must read
    # each time (a graph break), not bake in from the trace.
    x = tt.tensor(np.random.default_rng(5).standard_normal((4, 3, 2, 2)).astype(np.float32))
    eager, compiled = nn.BatchNorm2d(3, momentum=None), nn.BatchNorm2d(3, momentum=None)
    fn = tt.compile(compiled)
    for i in range(4):
        np.testing.assert_array_equal(eager(x * (i + 1)).detach().numpy(),
                                      fn(x * (i + 1)).detach().numpy())  # fmt: skip
        np.testing.assert_array_equal(eager.running_var.numpy(), compiled.running_var.numpy())
