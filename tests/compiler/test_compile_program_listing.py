"""tt.compile's program listing (compiler/program.py): how constants and attributes are shown,
where the listing cuts them, and the program's repr. Tests written for mutmut's survivors of
compiler/program.py; all without PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from compiler.helpers import dynamic_program, rows, same


def _listing_lines(f):
    return [line for line in str(f.program).splitlines() if " = " in line]


def test_an_index_of_four_is_listed_in_full_and_one_of_five_by_dtype_and_shape():
    def four(x):
        return x[np.array([0, 2, 4, 1])]

    def five(x):
        return x[np.array([0, 2, 4, 1, 3])]

    x = tt.arange(5.0)
    f4, f5 = tt.compile(four), tt.compile(five)
    assert same(f4(x), four(x)) and same(f5(x), five(x))
    assert _listing_lines(f4) == ["  v1 = Index(x0, [[0, 2, 4, 1]])    # float32[4]"]
    assert _listing_lines(f5) == ["  v1 = Index(x0, [<int64[5]>])    # float32[5]"]


def test_an_attribute_of_forty_characters_is_listed_whole_and_a_longer_one_cut():
    eq40 = "abcdefghijklmnopqr->abcdefghijklmnopqr"  # repr: 40 characters
    eq41 = "abcdefghijklmnopqrs->abcdefghijklmnopqr"  # repr: 41

    def h(x):
        return tt.einsum(eq40, x.reshape([1] * 18)), tt.einsum(eq41, x.reshape([1] * 19))

    f = tt.compile(h)
    x = tt.ones(1)
    f(x)
    lines = [line.split("    #")[0] for line in _listing_lines(f) if "Einsum" in line]
    assert lines == [
        f"  v2 = Einsum(v1, equation={eq40!r}, dtype=float32)",
        "  v4 = Einsum(v3, equation='abcdefghijklmnopqrs->abcdefghijklmno..., dtype=float32)",
    ]


def test_a_programs_repr_counts_its_kernel_calls():
    f = tt.compile(lambda x: (x * 2).exp().sum())
    x = tt.ones(3, requires_grad=True)
    f(x)
    p = f.program
    phases = [step[0] for step in p.steps]  # one entry per kernel call
    assert (p.n_forward, p.n_backward) == (phases.count("forward"), phases.count("backward"))
    assert p.n_forward == 3 and p.n_backward > 0
    assert repr(p) == f"<Program: 3 forward and {p.n_backward} backward kernel calls>"
    g = tt.compile(lambda x: x * 2)
    g(tt.ones(2))  # nothing requires grad: no backward
    q = g.program
    assert repr(q) == "<Program: 1 forward and 0 backward kernel calls>"
    assert q.backward is None and q.backward_source == "" and q.gradients == ()
    assert "backward(" not in str(q) and q.dynamic is False


def test_the_generated_source_writes_literals_frees_values_and_unpacks_several_outputs():
    # None, bools and ints are written as literals, a float32 scalar through the namespace;
    # each value no later line reads is deleted after its last read; a step with two outputs
    # unpacks a tuple; what the forward returns is never deleted.
    def h(x):
        v, i = x.max(dim=0)
        y = v.reshape(3) * 2.0
        return y.clamp(min=None, max=2.5), i

    f = tt.compile(h)
    x = rows(2)
    f(x)
    assert f.program.forward_source.splitlines() == [
        "def forward(x0):",
        "    (v1, v2,) = f0(x0, dim=0, keepdim=False)",
        "    v3 = f1(v1, (3,))",
        "    del v1",
        "    v4 = f2(v3, k4)",
        "    del v3",
        "    v5 = f3(v4, min=None, max=k6)",
        "    del v4",
        "    return (v5, v2, ), ()",
    ]
    lines = _listing_lines(f)
    assert lines[0] == "  v1, v2 = Max(x0, dim=0, keepdim=False)    # float32[3], int64[3]"
    assert same(f(x)[0], h(x)[0]) and same(f(x)[1], h(x)[1])


def test_the_generated_source_of_a_dynamic_program_writes_symbolic_sizes():
    def h(x):
        return x.reshape(x.shape[0] * 3, 1) + tt.zeros(x.shape[0] * 3, 2)

    f = tt.compile(h)
    for n in (2, 3):
        f(rows(n))
    p = dynamic_program(f)
    assert p.forward_source.splitlines() == [
        "def forward(x0):",
        "    B = x0.shape[0]",
        "    v1 = f0(x0, (B*3, 1))",
        "    v2 = f1(shape=(B*3, 2), dtype=k3)",
        "    v3 = f2(v1, v2)",
        "    del v1, v2",
        "    return (v3, ), (B, )",
    ]
    assert same(f(rows(5)), h(rows(5))) and f.traces == 2


def test_a_value_guard_is_listed_without_a_target_and_a_program_without_outputs_returns_nothing():
    def h(x):
        return x * 2 if x.sum() > 0 else x

    f = tt.compile(h)
    f(tt.ones(2))
    assert "  ExpectBool(v2, expected=True)" in str(f.program).splitlines()
    g = tt.compile(lambda x: x.shape[0])
    assert g(tt.ones(2)) == 2
    assert str(g.program).splitlines()[-1] == "  return ()"


def test_an_error_in_a_replayed_kernel_names_the_generated_program():
    import traceback

    f = tt.compile(lambda x, i: x[i])
    x = tt.arange(3.0)
    f(x, tt.tensor([0, 1]))
    with pytest.raises(IndexError) as info:
        f(x, tt.tensor([0, 7]))  # the same shape: the program replays, and its kernel raises
    files = [frame.filename for frame in traceback.extract_tb(info.value.__traceback__)]
    assert "<tinytensor.compile forward>" in files


def test_an_output_of_a_step_nothing_reads_is_deleted_right_after_it():
    # max(dim=0) makes values and indices; only the values are read, so the indices (never
    # read, not returned) are freed on the next line.
    f = tt.compile(lambda x: x.max(dim=0)[0] * 2)
    x = rows(2)
    f(x)
    src = f.program.forward_source.splitlines()
    assert src[1:3] == ["    (v1, v2,) = f0(x0, dim=0, keepdim=False)", "    del v2"]
    assert same(f(x), x.max(dim=0)[0] * 2)
