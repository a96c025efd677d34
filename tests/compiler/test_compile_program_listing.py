"""tt.compile's program listing (compiler/program.py): how constants and attributes are shown,
where the listing cuts them, and the program's repr. Tests written for mutmut's survivors of
compiler/program.py; all without PyTorch.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from compiler.helpers import same


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
