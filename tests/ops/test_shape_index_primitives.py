"""What declaring the shape, index and scatter ops as primitives changed or made checkable:
indexing by a 0-d integer tensor (a view whose index a compiled program reads on every
call), unbind's 0-d pieces as views, repeat_interleave's ``output_size``, index_fill's
value gradient over repeated indices, and each op's result being the very array its kernel
returned (what the compiler's tracer needs)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd.primitive import set_tracer
from tinytensor.compiler.trace import Tracer
from tinytensor.core import set_watcher

# --- indexing by a 0-d integer tensor --------------------------------------------------------


def test_zero_dim_tensor_index_is_a_view_with_its_gradient():
    x = tt.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    i = tt.tensor(1)
    y = x[i, 1:3]
    np.testing.assert_array_equal(y.detach().numpy(), [5.0, 6.0])
    i += 1  # the index changes after the forward: backward still uses the forward's value
    (y * tt.tensor([1.0, 2.0])).sum().backward()
    want = np.zeros((3, 4))
    want[1, 1:3] = [1.0, 2.0]
    np.testing.assert_array_equal(x.grad.numpy(), want)

    z = tt.tensor(np.arange(12.0).reshape(3, 4))
    with tt.no_grad():
        z[tt.tensor(2)].add_(100.0)  # writes through the view
    np.testing.assert_array_equal(z.numpy()[2], [108.0, 109.0, 110.0, 111.0])


def test_zero_dim_tensor_index_mixed_with_a_list_and_in_setitem():
    z = tt.tensor(np.arange(12.0).reshape(3, 4))
    # PyTorch applies the int first: shape (2,), not NumPy's advanced broadcast.
    np.testing.assert_array_equal(z[tt.tensor(0), [0, 2]].numpy(), [0.0, 2.0])
    w = tt.zeros(3, 4)
    w[tt.tensor(-1)] = 5.0
    np.testing.assert_array_equal(w.numpy(), [[0.0] * 4, [0.0] * 4, [5.0] * 4])


def test_compiled_zero_dim_tensor_index_reads_its_value_each_call():
    def f(x, i):
        return (x[i] * 2.0).sum()

    compiled = tt.compile(f, fullgraph=True)
    x = tt.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    for k in (0, 2, 1):
        got = compiled(x, tt.tensor(k))
        assert got.item() == 2.0 * np.arange(12.0).reshape(3, 4)[k].sum()
        got.backward()
        want = np.zeros((3, 4))
        want[k] = 2.0
        np.testing.assert_array_equal(x.grad.numpy(), want)
        x.grad = None


@pytest.mark.torch
def test_zero_dim_tensor_index_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(24.0).reshape(2, 3, 4)
    for k in (tt.tensor(1), tt.tensor(-1)):
        got = tt.tensor(a)[k, None, [0, 0]].numpy()
        want = torch.tensor(a)[torch.tensor(int(k.item())), None, [0, 0]].numpy()
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


# --- unbind ------------------------------------------------------------------------------------


def test_unbind_of_a_vector_gives_zero_dim_views():
    x = tt.tensor([1.0, 2.0, 3.0])
    with tt.no_grad():
        pieces = x.unbind()
        pieces[1].add_(10.0)
    assert pieces[1].shape == ()
    np.testing.assert_array_equal(x.numpy(), [1.0, 12.0, 3.0])


@pytest.mark.torch
def test_unbind_of_a_vector_matches_torch():
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, 2.0, 3.0])
    x = tt.tensor([1.0, 2.0, 3.0])
    with torch.no_grad():
        t.unbind()[2].mul_(4.0)
    with tt.no_grad():
        x.unbind()[2].mul_(4.0)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


# --- repeat_interleave's output_size -----------------------------------------------------------


def test_repeat_interleave_output_size_checked():
    x = tt.tensor([1.0, 2.0, 3.0])
    reps = tt.tensor([1, 2, 0])
    np.testing.assert_array_equal(
        tt.repeat_interleave(x, reps, dim=0, output_size=3).numpy(), [1.0, 2.0, 2.0]
    )
    np.testing.assert_array_equal(tt.repeat_interleave(reps, output_size=3).numpy(), [0, 1, 1])
    np.testing.assert_array_equal(
        x.repeat_interleave(2, output_size=6).numpy(), [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    )
    with pytest.raises(RuntimeError, match="allocated size does not match"):
        tt.repeat_interleave(x, reps, dim=0, output_size=4)
    with pytest.raises(RuntimeError, match="Invalid output_size, expected 6 but got 5"):
        tt.repeat_interleave(x, 2, output_size=5)


def test_repeat_interleave_with_output_size_compiles_without_a_break():
    def f(x, reps):
        return tt.repeat_interleave(x, reps, dim=0, output_size=4) * 3.0

    x = tt.tensor([1.0, 2.0, 3.0])
    compiled = tt.compile(f, fullgraph=True)
    for reps in ([1, 2, 1], [0, 1, 3]):
        r = tt.tensor(reps)
        np.testing.assert_array_equal(compiled(x, r).numpy(), np.repeat([3.0, 6.0, 9.0], reps))
    with pytest.raises(Exception, match="depends on the values"):
        tt.compile(lambda x, r: tt.repeat_interleave(x, r, dim=0), fullgraph=True)(x, r)


@pytest.mark.torch
def test_repeat_interleave_output_size_matches_torch():
    torch = pytest.importorskip("torch")
    x, reps = [1.0, 2.0, 3.0], [2, 0, 1]
    got = tt.repeat_interleave(tt.tensor(x), tt.tensor(reps), output_size=3).numpy()
    want = torch.repeat_interleave(torch.tensor(x), torch.tensor(reps), output_size=3).numpy()
    np.testing.assert_array_equal(got, want)
    with pytest.raises(RuntimeError):
        torch.repeat_interleave(torch.tensor(x), torch.tensor(reps), output_size=4)
    with pytest.raises(RuntimeError):
        tt.repeat_interleave(tt.tensor(x), tt.tensor(reps), output_size=4)


# --- index_fill's value gradient ---------------------------------------------------------------


def test_index_fill_value_gradient_counts_each_slice_once():
    a = tt.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    v = tt.tensor(0.5, requires_grad=True)
    out = tt.index_fill(a, 1, tt.tensor([2, 0, 2]), v)
    g = np.arange(12.0).reshape(3, 4) + 1.0
    g[:, 3] = np.inf  # outside the filled columns: must not reach the value's gradient
    out.backward(tt.tensor(g))
    assert v.grad.item() == g[:, [0, 2]].sum()
    want = g.copy()
    want[:, [0, 2]] = 0.0
    np.testing.assert_array_equal(a.grad.numpy(), want)


# --- every result is the array its kernel returned ---------------------------------------------

_CALLS = {
    "reshape": lambda x: x.reshape(4, 3),
    "permute": lambda x: x.permute(1, 0),
    "expand": lambda x: x[:1].expand(5, 4),
    "getitem": lambda x: x[1:, None, 2],
    "getitem_list": lambda x: x[[0, 2, 2]],
    "cat": lambda x: tt.cat([x, x * 2.0], 1),
    "split": lambda x: x.split(1, 0),
    "unbind": lambda x: x.unbind(1),
    "gather": lambda x: x.gather(1, tt.tensor([[0, 3], [1, 1], [2, 0]])),
    "index_select": lambda x: x.index_select(0, tt.tensor([2, 0])),
    "scatter_add": lambda x: x.scatter_add(1, tt.tensor([[0], [1], [3]]), x[:, :1]),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 1),
    "repeat": lambda x: x.repeat(2, 1),
    "tril": lambda x: x.tril(),
    "pad": lambda x: tt.nn.functional.pad(x, (1, 2), mode="replicate"),
    "unfold": lambda x: x.unfold(1, 2, 1),
    "index_put": lambda x: x.index_put(
        (tt.tensor([0, 0]),), tt.tensor(1.0, dtype=x.dtype), accumulate=True
    ),
    "scatter_reduce": lambda x: x.scatter_reduce(
        1, tt.tensor([[0], [1], [1]]), x[:, :1], "mean"
    ),
}


@pytest.mark.parametrize("name", sorted(_CALLS))
def test_results_and_gradients_come_from_kernels(name):
    """Traced forward and backward (with create_graph): no graph break, every result known."""
    x = tt.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    eager = _CALLS[name](x)
    seeds = [tt.tensor(np.ones(o.shape)) for o in (eager if isinstance(eager, tuple) else (eager,))]
    tr = Tracer()
    tr.add_argument(x, 0)
    prev, prevw = set_tracer(tr), set_watcher(tr)
    try:
        out = _CALLS[name](x)
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            assert tr.output_slot(o) is not None
        tr.phase = "backward"
        for k, seed in enumerate(seeds):  # the backward program's arguments
            tr.add_grad_input(seed, k)
        (grad,) = tt.autograd.grad(outs, x, seeds, create_graph=True)
        assert tr.output_slot(grad) is not None
    finally:
        set_tracer(prev)
        set_watcher(prevw)
    assert not tr.breaks, [str(b) for b in tr.breaks]
