"""Deep and long: huge chains and wide graphs backpropagate, memory stays flat over long runs,
and graphs are freed by reference counting alone (no cycles that only ``gc`` could break).

RSS is read from ``/proc/self/statm`` (skipped where that does not exist). The measured figures
are printed (``pytest -s``) so a run documents them.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
import weakref

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn, optim
from tinytensor.nn import functional as F


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


needs_statm = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="RSS is read from /proc/self/statm"
)


class no_gc:
    """Collector off: only reference counting may free anything inside."""

    def __enter__(self):
        gc.collect()
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


# --- deep and wide ----------------------------------------------------------------------------


@pytest.mark.slow
def test_million_op_chain_backpropagates_and_frees():
    x = tt.tensor(0.5, dtype=tt.float64, requires_grad=True)
    y = x
    for _ in range(10**6):
        y = y + 1.0
    first = weakref.ref(y.grad_fn)
    y.backward()
    assert y.item() == 10**6 + 0.5
    assert x.grad.item() == 1.0
    with no_gc():
        del y  # a million nested nodes: freed without recursion trouble and without gc
        assert first() is None


def test_deep_chain_of_mixed_ops_is_freed_without_backward():
    x = tt.tensor([0.1, 0.2], dtype=tt.float64, requires_grad=True)
    with no_gc():
        y = x
        for i in range(100_000):
            y = (y * 1.0001).tanh() if i % 2 else y - 0.001
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None


def test_deep_chain_through_autograd_grad_and_retain_graph():
    x = tt.tensor(1.0, dtype=tt.float64, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.00001
    (g,) = tt.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(g.item(), 1.00001**50_000, rtol=1e-9)
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001**50_000, rtol=1e-9)


@pytest.mark.slow
def test_hundred_thousand_parents_into_one_sum():
    leaves = [tt.tensor(float(i), dtype=tt.float64, requires_grad=True) for i in range(10**5)]
    total = tt.stack(leaves).sum()  # one node with 10^5 parents
    total.backward()
    assert total.item() == sum(range(10**5))
    assert all(p.grad.item() == 1.0 for p in leaves)


def test_wide_fan_out_then_long_python_sum():
    x = tt.tensor(2.0, dtype=tt.float64, requires_grad=True)
    terms = [x * float(i) for i in range(20_000)]  # x feeds 20,000 consumers
    total = sum(terms)  # and a 20,000-deep chain of adds gathers them
    total.backward()
    assert x.grad.item() == sum(range(20_000))


# --- flat memory ------------------------------------------------------------------------------


def _leak_check(run, n):
    """Python objects and traced bytes still alive after ``run(n)`` (both should be ~0).

    RSS alone can hide a leak while the allocator reuses memory freed earlier, so the flat-RSS
    tests also count live gc-tracked objects and the bytes tracemalloc sees (NumPy reports its
    array buffers to tracemalloc)."""
    gc.collect()
    objects = len(gc.get_objects())
    tracemalloc.start()
    run(n)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return len(gc.get_objects()) - objects, traced


def _mlp_steps():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = tt.randn(8, 4), tt.randn(8, 2)

    def steps(n):
        for _ in range(n):
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()

    return steps


@needs_statm
@pytest.mark.slow
def test_rss_flat_over_ten_thousand_training_steps():
    steps = _mlp_steps()
    steps(1000)  # warm up allocator pools and caches
    start = rss_mb()
    steps(9000)
    grown = rss_mb() - start
    print(f"\nRSS over 10,000 MLP steps: {start:.1f} MB after 1,000, grew {grown:+.2f} MB")
    assert grown < 4.0
    objects, traced = _leak_check(steps, 500)
    print(f"500 more steps leave {objects} objects and {traced / 1024:.1f} KiB traced")
    assert objects < 50 and traced < 64 * 1024


def test_leak_check_sees_a_real_leak():
    kept = []

    def leaky(n):
        for _ in range(n):
            kept.append(tt.randn(16) * 2)

    objects, traced = _leak_check(leaky, 500)
    assert objects >= 500 and traced > 500 * 16 * 4


@needs_statm
def test_rss_flat_over_ten_thousand_backward_calls():
    x = tt.randn(16, requires_grad=True)
    w = tt.randn(16)

    def calls(n):
        for _ in range(n):
            ((x * w).tanh().sum() + x.exp().mean()).backward()

    calls(1000)
    start = rss_mb()
    calls(9000)
    grown = rss_mb() - start
    print(f"\nRSS over 10,000 backward calls: {start:.1f} MB after 1,000, grew {grown:+.2f} MB")
    assert grown < 2.0
    objects, traced = _leak_check(calls, 1000)
    print(f"1,000 more backward calls leave {objects} objects and {traced / 1024:.1f} KiB traced")
    assert objects < 50 and traced < 64 * 1024
    assert np.all(np.isfinite(x.grad.numpy()))


# --- no reference cycles ----------------------------------------------------------------------


def _graph_refs(*tensors):
    """Weak references to the tensors and to every node reachable from them."""
    refs, seen, stack = [], set(), [t.grad_fn for t in tensors if t.grad_fn is not None]
    refs += [weakref.ref(t) for t in tensors]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        refs.append(weakref.ref(n))
        stack += [e for e in getattr(n, "parents", ()) if not isinstance(e, tt.Tensor)]
    return refs


def _alive(refs):
    return [r() for r in refs if r() is not None]


def _build(x):
    h = (x * 2).tanh()
    y = h.exp() * h  # h reused
    z = y[1:].sum() + y.amax() + (y**2).mean()
    return h, y, z


CASES = {
    "no backward": lambda x, z: None,
    "after backward": lambda x, z: z.backward(),
    "after retain_graph backward": lambda x, z: z.backward(retain_graph=True),
    "after autograd.grad": lambda x, z: tt.autograd.grad(z, x),
}


@pytest.mark.parametrize("what", sorted(CASES))
def test_graph_freed_by_refcount_alone(what):
    x = tt.randn(4, requires_grad=True)
    with no_gc():
        h, y, z = _build(x)
        refs = _graph_refs(h, y, z)
        CASES[what](x, z)
        del h, y, z
        assert not _alive(refs), f"kept alive: {_alive(refs)}"


def test_retain_grad_and_hooks_do_not_make_cycles():
    x = tt.randn(4, requires_grad=True)
    with no_gc():
        h, y, z = _build(x)
        h.retain_grad()
        y.register_hook(lambda g: g * 1.0)
        refs = _graph_refs(h, y, z)
        z.backward()
        del h, y, z
        assert not _alive(refs)


def test_create_graph_grad_freed_when_the_leaf_grad_is_cleared():
    x = tt.randn(4, requires_grad=True)
    with no_gc():
        h, y, z = _build(x)
        z.backward(create_graph=True)
        refs = _graph_refs(h, y, z, x.grad)
        del h, y, z
        # x.grad's graph points back at x (as PyTorch's does): clearing .grad breaks the loop.
        x.grad = None
        assert not _alive(refs)


def test_backward_create_graph_makes_the_one_known_cycle_autograd_grad_does_not():
    # As in PyTorch (which warns about it): x.grad's graph points back at x, so after
    # backward(create_graph=True) only gc frees x. autograd.grad(create_graph=True), the
    # recommended way to build higher-order graphs, leaves no cycle.
    with no_gc():
        x = tt.randn(3, requires_grad=True)
        (x.tanh() * x).sum().backward(create_graph=True)
        ref = weakref.ref(x)
        del x
        assert ref() is not None
    gc.collect()
    assert ref() is None
    with no_gc():
        x = tt.randn(3, requires_grad=True)
        (g,) = tt.autograd.grad((x.tanh() * x).sum(), x, create_graph=True)
        g.sum().backward()  # second order into x.grad, which now holds no graph
        refs = [weakref.ref(x), weakref.ref(g.grad_fn)]
        del x, g
        assert not _alive(refs)


def test_inplace_views_and_multi_output_nodes_are_freed():
    x = tt.randn(3, 4, requires_grad=True)
    with no_gc():
        y = x * 1.0
        v = y[1]
        v.mul_(2.0)  # in place through a view: snapshot of the old values with its history
        parts = y.split(2, dim=1)
        vals, idx = y.max(1)
        s = sum(p.sum() for p in parts) + vals.sum() + y.unbind(0)[2].sum()
        refs = _graph_refs(y, v, *parts, vals, s)
        s.backward()
        del y, v, parts, vals, idx, s
        assert not _alive(refs)


def test_custom_function_saving_its_output_is_freed():
    class Exp(tt.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            out = a.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = tt.randn(3, requires_grad=True)
    with no_gc():
        y = Exp.apply(x)
        z = (y * 2).sum()
        refs = _graph_refs(y, z)
        z.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()), rtol=1e-6)
        del y, z
        assert not _alive(refs), f"kept alive: {_alive(refs)}"


def test_custom_function_output_freed_without_backward():
    class Square(tt.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            out = a * a
            ctx.save_for_backward(a, out)
            return out

        @staticmethod
        def backward(ctx, g):
            a, _ = ctx.saved_tensors
            return 2 * g * a

    x = tt.randn(3, requires_grad=True)
    with no_gc():
        y = Square.apply(x)
        refs = _graph_refs(y)
        del y
        assert not _alive(refs), f"kept alive: {_alive(refs)}"


def test_model_and_optimizer_are_freed_after_training():
    with no_gc():
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = tt.randn(5, 3)
        for _ in range(3):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
        refs = [weakref.ref(model), weakref.ref(opt)] + [weakref.ref(p) for p in model.parameters()]
        del model, opt
        assert not _alive(refs), f"kept alive: {_alive(refs)}"
