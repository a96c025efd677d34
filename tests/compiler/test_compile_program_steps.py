"""tt.compile's programs (compiler/program.py): which steps a program keeps, how it writes
constants and sequences into the generated source. Tests written for mutmut's survivors of
compiler/program.py; all without PyTorch, each a compiled call against the eager one.
"""

from __future__ import annotations

import tinytensor as tt
from compiler.helpers import rows, same


def test_a_random_draw_nothing_reads_is_kept_so_later_draws_match_eager():
    # The first draw is dead code, but it advances the generator: a replay that skipped it
    # would give the second draw eager's first numbers.
    def h(x):
        tt.rand(4)
        return x + tt.rand(3)

    f = tt.compile(h)
    x = tt.zeros(3)
    f(x)
    tt.manual_seed(7)
    got = [f(x) for _ in range(3)]
    tt.manual_seed(7)
    want = [h(x) for _ in range(3)]
    assert all(same(a, b) for a, b in zip(got, want))
    assert f.program.n_forward == 3 and f.program.removed == 0


def test_infinite_and_nan_constants_are_written_as_values_not_names():
    # repr(inf) is 'inf', no Python name: such a float must go into the program's namespace.
    def h(x):
        return x.clamp(min=float("-inf"), max=2.0) + float("inf") * 0 + x * float("nan")

    f = tt.compile(h)
    x = tt.tensor([1.0, 3.0])
    for _ in range(2):
        assert same(f(x), h(x))
    assert f.program is not None and "inf" not in f.program.forward_source
    g = tt.compile(lambda x: x.clamp(max=float("inf")))
    assert same(g(x), x) and same(g(x), x)


def test_a_sequence_of_one_tensor_stays_a_sequence():
    # cat((t,)) concatenates one tensor: written as (t) it would be the array itself.
    def h(x):
        return tt.cat((x * 2,), 0), tt.stack([x + 1]), tt.cat([x, x], 1)

    f = tt.compile(h)
    x = rows(2)
    for _ in range(2):
        got, want = f(x), h(x)
        assert all(same(a, b) for a, b in zip(got, want))
    assert f.program is not None
