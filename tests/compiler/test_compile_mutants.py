"""tt.compile: the rules a planted bug slipped past (tools/mutation_samples/sample6.json and
sample7.json, and mutmut's survivors in compiler/dynamic.py).

Each test names the rule it guards; all of them run without PyTorch, and compare a compiled
call bitwise with the eager call it must equal.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from compiler.helpers import dynamic, dynamic_program, rows, same


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


# --- mutmut survivors in compiler/dynamic.py ------------------------------------------------


def test_a_dynamic_program_still_folds_the_constant_steps_that_do_not_depend_on_b():
    def k(x):
        # float(...) is a fresh float object on each trace, equal in both
        return (x * tt.full((3,), float(x.shape[1]))).reshape(x.shape[0] * 3)

    f = tt.compile(k)
    for n in (2, 3):
        f(rows(n))
    p = dynamic_program(f)
    assert p.folded == 1 and p.n_forward == 2
    for n in (4, 7):
        assert same(f(rows(n)), k(rows(n)))
    assert f.traces == 2


def test_values_that_change_with_b_but_are_no_multiple_of_it_are_not_generalised():
    # A float made from B, and the index B - 1: two traces differ, but not by k * B.
    def by_float(x):
        return x.reshape(x.shape[0] * 3) + tt.full((1,), float(x.shape[0]))

    def by_index(x):
        return x[[0, x.shape[0] - 1]] * 2

    for fn in (by_float, by_index):
        f = tt.compile(fn)
        for n in (2, 3, 4, 5):
            assert same(f(rows(n)), fn(rows(n)))
        assert not dynamic(f) and f.traces == 4


# --- sample 7's survivors (tools/mutation_samples/sample7.json) -----------------------------


class _BreaksInForward(tt.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = tt.nn.Linear(3, 3)

    def forward(self, x):
        y = self.lin(x)
        return y * float(y.abs().max().item() >= 0)  # a value read in Python: a break


def test_after_a_piece_that_breaks_the_next_module_is_still_a_piece_of_the_outer_call():
    # The outer call breaks; its first module breaks too (pieces of its own); once that one
    # returns, the outer call's later module is again a piece of the outer call.
    from tinytensor.compiler import pieces

    tt.compiler.reset()
    tt.manual_seed(0)
    first, second = _BreaksInForward(), tt.nn.Linear(3, 2)

    def step(x):
        h = first(x)
        if h.sum().item() > 1e9:  # the outer call's own break
            h = h * 0
        return second(h)

    c = tt.compile(step)
    for i in range(4):  # a trace of the call; then in pieces: first traces, then replays
        x = rows(2) * (i + 1)
        assert same(c(x), step(x))
    try:
        assert second in pieces.of and pieces.of[second].program is not None
        # second's piece: traced in call 2 (right after first's trace), replayed in 3 and 4
        # (right after first ran in pieces of its own)
        assert pieces.of[second].traces == 1 and pieces.of[second].entries[0].hits == 2
        assert first.lin in pieces.of  # the breaking module's own piece
    finally:
        tt.compiler.reset()


class _Flat(tt.nn.Module):
    def forward(self, x):
        return (x * 2).reshape(x.shape[0] * 3)  # 3 B: a dynamic program generalises it


def test_pieces_take_the_outer_calls_dynamic_setting():
    from tinytensor.compiler import pieces

    flat = _Flat()

    def step(x):
        if x.sum().item() > 1e9:  # a break: flat runs as a piece
            x = x * 0
        return flat(x)

    try:
        for setting in (False, None):
            tt.compiler.reset()
            c = tt.compile(step, dynamic=setting)
            for n in (2, 3, 4, 5):  # each size: a trace of the call, then a run in pieces
                assert same(c(rows(n)), step(rows(n))) and same(c(rows(n)), step(rows(n)))
            piece = pieces.of[flat]
            gen = any(e.program is not None and e.program.dynamic for e in piece.entries)
            assert gen is (setting is None)  # dynamic=False: a program per batch size
            assert piece.dynamic is setting
    finally:
        tt.compiler.reset()


def test_a_constant_written_through_a_view_of_a_view_starts_fresh_on_every_replay():
    def h(x):
        c = tt.ones(2, 2, 2)
        c[0][1].add_(x)  # a view of a view of the constant
        return c * 2

    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x), h(x))
    assert f.program is not None and f.program.folded == 0


def test_a_call_that_broke_leaves_no_program_behind():
    def h(x, log):
        if log:
            float(x.sum().item())  # a graph break for this argument value only
        return x * 2

    f = tt.compile(h)
    x = tt.ones(2)
    f(x, False)
    f(x, True)
    assert f.program is None
    f(x, False)
    assert f.program is not None  # replayed
    f(x, True)  # the broken entry: Python runs
    assert f.program is None


def test_a_multi_output_kernels_numpy_scalars_are_arrays_an_in_place_write_can_reach():
    # aminmax of a vector: its kernel returns two NumPy scalars, which the primitive (and so
    # the program) makes 0-d arrays; an in-place write into each must land there.
    def h(x):
        lo, hi = tt.aminmax(x)
        lo.add_(1)
        hi.mul_(2)
        v, i = x.max(0)  # one multi-output kernel: both results NumPy scalars
        v.sub_(1)
        i.add_(1)
        return lo, hi, v, i

    f = tt.compile(h)
    for k in range(3):
        x = tt.tensor([1.0, -2.0, 3.0 + k])
        got, want = f(x), h(x)
        assert all(same(a, b) for a, b in zip(got, want))
    assert f.program is not None
