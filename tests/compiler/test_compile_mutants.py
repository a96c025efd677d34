"""tt.compile: the rules a planted bug slipped past (tools/mutation_samples/sample6.json).

Each test names the rule it guards; all of them run without PyTorch, and compare a compiled
call bitwise with the eager call it must equal.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt


def same(a, b):
    a = a.detach().numpy() if isinstance(a, tt.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, tt.Tensor) else np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def rows(n, width=3, start=0.0):
    return tt.arange(n * width, dtype=tt.float32).reshape(n, width) + start


def dynamic(f):
    """Whether ``f`` holds a program whose batch size B is read on each call."""
    return any(e.program is not None and e.program.dynamic for e in f.entries)


def test_a_returned_constant_is_a_fresh_array_on_every_replay():
    # The program folds tt.ones(2) into a constant; a replay must hand out a copy of it, so
    # changing one call's result in place leaves the next calls alone.
    f = tt.compile(lambda x: (x + 1, tt.ones(2)))
    x = tt.ones(2)
    f(x)  # the trace
    _, c = f(x)
    assert f.program is not None and f.program.const_outputs == (1,)
    c.add_(5)
    _, c2 = f(x)
    assert same(c2, tt.ones(2))
    assert not np.shares_memory(c.numpy(), c2.numpy())


def test_changing_the_traced_calls_constant_result_leaves_replays_alone():
    f = tt.compile(lambda x: (x + 1, tt.ones(2)))
    x = tt.ones(2)
    _, c0 = f(x)  # the trace: eager results
    c0.add_(1)
    _, c = f(x)
    assert same(c, tt.ones(2))


def test_dynamic_program_refuses_batched_arguments_of_different_sizes():
    # After two batch sizes one program serves every B, read from the first batched argument;
    # arguments whose first dimensions differ from each other must not replay it (they trace
    # again: eager's result, or eager's error).
    def h(x, y):
        return x.reshape(x.shape[0] * 3) * 2, y.reshape(y.shape[0] * 3) * 3

    f = tt.compile(h)
    for n in (2, 3):
        f(rows(n), rows(n, start=1.0))
    assert f.traces == 2 and dynamic(f)
    x, y = rows(4), rows(5, start=1.0)
    got = f(x, y)
    want = h(x, y)
    assert all(same(a, b) for a, b in zip(got, want))
    assert f.traces == 3


def test_dynamic_program_reads_the_batch_size_from_a_batched_argument():
    # The first argument keeps its shape (a weight); the second is the batch. B must be read
    # from the second one, not from argument 0.
    def h(w, x):
        return (x @ w).reshape(x.shape[0] * 3)

    f = tt.compile(h)
    w = rows(3) / 10
    for n in (2, 4):
        f(w, rows(n))
    assert f.traces == 2 and dynamic(f)
    for n in (5, 1, 7):
        x = rows(n)
        assert same(f(w, x), h(w, x))
    assert f.traces == 2  # one program for every batch size


def test_an_integer_not_proportional_to_the_batch_size_is_not_made_symbolic():
    # The reshape's n * n rows are 4 at B = 2 and 16 at B = 4: multiples of each batch size,
    # but not the same multiple (2 B, then 4 B). It is no k * B, so the two traces do not
    # generalise, and every batch size gets eager's values.
    def h(x):
        n = x.shape[0]
        return x.repeat(n, 1).reshape(n * n, 3) * 2

    f = tt.compile(h)
    for n in (2, 4, 3, 5):
        x = rows(n)
        assert same(f(x), h(x))
    assert not dynamic(f) and f.traces == 4
