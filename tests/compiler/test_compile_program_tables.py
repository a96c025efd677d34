"""tt.compile's programs (compiler/program.py): the listing, the program's tables and
generated source, folding and dead-step counts, residuals. Tests written for the mutmut
survivors of compiler/program.py (tools/mutation_samples/README.md); all without PyTorch.
"""

from __future__ import annotations

import pytest

import tinytensor as tt
from compiler.helpers import dynamic, dynamic_program, rows, same


def _dynamic_with_constant_step(x, w):
    y = x.reshape(x.shape[0] * 3) * 2
    z = tt.zeros(x.shape[0] * 3)  # its arguments are constants, its size is 3 B
    return (y + z).exp(), (w * 2).sum()


def test_a_constant_step_whose_size_is_the_batch_size_is_not_folded():
    # tt.zeros(3 B) has only constant arguments, but its shape is symbolic in a dynamic
    # program: folding it would freeze the traced size.
    f = tt.compile(_dynamic_with_constant_step)
    w = tt.ones(2, requires_grad=True)
    for n in (2, 3):
        f(rows(n), w)
    assert dynamic(f) and dynamic_program(f).folded == 0
    for n in (4, 1):
        got = f(rows(n), w)
        want = _dynamic_with_constant_step(rows(n), w)
        assert all(same(a, b) for a, b in zip(got, want))
    assert f.traces == 2


LISTING = """\
forward(x0, x1):
  # x0: argument float32[3, 3]
  # x1: argument float32[2]
  B = x0.shape[0]  # the batch size
  v2 = Reshape(x0, [B*3])    # float32[9]
  v3 = Mul(v2, 2.0)    # float32[9]
  v4 = Zeros(shape=(B*3,), dtype=float32)    # float32[9]
  v5 = Add(v3, v4)    # float32[9]
  v6 = Exp(v5)    # float32[9]
  v7 = Mul(x1, 2.0)    # float32[2]
  v8 = Sum(v7, dim=(0,), keepdim=False)    # float32[]
  return v6, v8

backward(g0, B):
  v10 = Reshape(g0, [1])    # float32[1]
  v11 = Expand(v10, [2])    # float32[2]
  v12 = Mul(v11, 2.0)    # float32[2]
  return v12"""


def test_the_listing_and_the_program_tables_of_a_dynamic_program():
    # What print(program) shows (tt.compiler.show prints it): each kernel call with the names
    # it writes and reads, its attributes, the shapes it made, B where it is read.
    f = tt.compile(_dynamic_with_constant_step)
    w = tt.ones(2, requires_grad=True)
    for n in (2, 3):
        f(rows(n), w)
    p = dynamic_program(f)
    assert str(p) == LISTING
    assert (p.n_forward, p.n_backward, p.folded, p.removed) == (7, 3, 0, 0)
    assert p.inputs == ("x0", "x1", "g0") and p.outputs == ("v6", "v8")
    assert p.gradients == ("v12",) and p.const_outputs == () and p.out_inputs == (None, None)
    assert p.residual_outputs == (None,) and p.residual_inputs == (None,)  # B
    assert p.steps[0] == ("forward", "Reshape", ("v2",), ("x0",), "float32[9]")
    assert p.steps[3] == ("forward", "Add", ("v5",), ("v3", "v4"), "float32[9]")
    assert p.steps[-1] == ("backward", "Mul", ("v12",), ("v11",), "float32[2]")
    assert len(p.steps) == 10
    src = p.forward_source.splitlines()
    # B is read before the first kernel call (which reads it), and a symbolic size tuple
    # stays a tuple (NumPy indexing tells a tuple from a list).
    assert src[1] == "    B = x0.shape[0]"
    assert src[2].endswith("(x0, (B*3,))")
    assert "shape=(B*3,)" in p.forward_source
    assert src[-1] == "    return (v6, v8, ), (B, )"
    assert p.backward_source.splitlines()[0] == "def backward(g0, B):"


def test_dead_steps_are_counted_removed_and_constant_steps_folded():
    def h(x):
        unused = (x * 3, x + 1)  # two dead steps: the result does not need them
        del unused
        c = tt.full((2,), 2.0)  # two steps of constants: folded
        d = tt.ones(2)
        return c * x + d  # a constant as the first argument of a step that writes nothing

    f = tt.compile(h)
    x = tt.ones(2, requires_grad=True)
    f(x).sum().backward()
    p = f.program
    assert p.folded == 2 and p.n_forward == 2
    assert p.removed == 2  # the dead forward steps; the backward is all needed
    assert same(f(x), h(x))


def test_a_residual_that_is_an_output_is_version_checked_in_a_dynamic_program():
    # exp saves its output: changing that output in place before backward is PyTorch's
    # RuntimeError, eager and compiled; and B is a residual the backward reads.
    def h(x):
        return x.reshape(x.shape[0] * 3).exp()

    f = tt.compile(h)
    for n in (2, 3):
        x = rows(n, start=-4.0) / 4
        x.requires_grad_(True)
        f(x).sum().backward()
    p = dynamic_program(f)
    assert p.residual_outputs == (0, None) and p.residual_inputs == (None, None)
    x = (rows(5, start=-4.0) / 4).requires_grad_(True)
    y = f(x)
    y.sum().backward()
    xe = (rows(5, start=-4.0) / 4).requires_grad_(True)
    h(xe).sum().backward()
    assert same(x.grad, xe.grad)
    y = f(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


EQ25 = "abcdefghijklmnopqrstuvwxy->abcdefghijklmnopqrstuvwxy"
ONES25 = ", ".join(["1"] * 25)
EINSUM = "Einsum({}, equation='abcdefghijklmnopqrstuvwxy->abcdefghi..., dtype=float32)"
LISTING_2 = (
    """\
forward(x0, x1, x2, x3, x4, x5):
  # x0: argument float32[2, 4]
  # x1: argument float32[1]
  # x2: argument float32[3]
  # x3: parameter or captured tensor float32[4, 4]
  # x4: parameter or captured tensor float32[4]
  # x5: parameter or captured tensor float32[5]
  v5 = Linear(x0, x3, x4)    # float32[2, 4]
  v6 = Reshape(v5, [1, 1, 1, 1, 1, 1, 2, 4])    # float32[1, 1, 1, 1, 1, 1, 2, 4]
  v7 = Sum(v6, dim=(0, 1, 2, 3, 4, 5, 6, 7), keepdim=False)    # float32[]
  v8 = Reshape(v5, [1, 1, 1, 1, 1, 1, 1, 2, 4])    # float32[1, 1, 1, 1, 1, 1, 1, 2, 4]
  v9 = Sum(v8, dim=<tuple of 9>, keepdim=False)    # float32[]
<RESHAPE>
  v11 = <EINSUM v10>
  v13 = Sum(x5, dim=(0,), keepdim=False)    # float32[]
  v14 = Mul(v9, v13)    # float32[]
  v15 = Add(v7, v14)    # float32[]
  return v15, v11
  # saved for backward: x0, v13

backward(g0, g1, x0, v13):
  v18 = <EINSUM g1>
  v19 = Reshape(v18, [1])    # float32[1]
  v20 = Reshape(g0, [1, 1, 1, 1, 1, 1, 1, 1])    # float32[1, 1, 1, 1, 1, 1, 1, 1]
  v21 = Expand(v20, [1, 1, 1, 1, 1, 1, 2, 4])    # float32[1, 1, 1, 1, 1, 1, 2, 4]
  v22 = Reshape(v21, [2, 4])    # float32[2, 4]
  v23 = Mul(g0, v13)    # float32[]
  v24 = Reshape(v23, [1, 1, 1, 1, 1, 1, 1, 1, 1])    # float32[1, 1, 1, 1, 1, 1, 1, 1, 1]
  v25 = Expand(v24, [1, 1, 1, 1, 1, 1, 1, 2, 4])    # float32[1, 1, 1, 1, 1, 1, 1, 2, 4]
  v26 = Reshape(v25, [2, 4])    # float32[2, 4]
  v27 = Add(v22, v26)    # float32[2, 4]
  v28 = LinearWeightGrad(v27, x0)    # float32[4, 4]
  v29 = BiasGrad(v27, lead=1, trail=0)    # float32[4]
  return v19, None, v28, v29
# buffers reused by every call (values whose lifetimes do not overlap):
#   b0: v5, v27"""
    .replace("<RESHAPE>", f"  v10 = Reshape(x1, [{ONES25}])    # float32[{ONES25}]")
    .replace("<EINSUM v10>", EINSUM.format("v10") + f"    # float32[{ONES25}]")
    .replace("<EINSUM g1>", EINSUM.format("g1") + f"    # float32[{ONES25}]")
)

def test_the_listing_names_parameters_and_shortens_long_attributes():
    # Parameters are inputs after the arguments; a dim tuple of 8 is shown, one of 9 is
    # summarised, a long attribute is cut at 40 characters; an argument that requires grad but
    # gets none returns None from the backward.
    tt.manual_seed(0)
    lin = tt.nn.Linear(4, 4)
    five = tt.arange(5.0)

    def g(x, t, u):
        y = lin(x)
        a = y.reshape(1, 1, 1, 1, 1, 1, 2, 4).sum()
        b = y.reshape(1, 1, 1, 1, 1, 1, 1, 2, 4).sum()
        w = tt.einsum(EQ25, t.reshape([1] * 25))
        return a + b * five.sum(), w

    f = tt.compile(g)
    x, t, u = tt.ones(2, 4), tt.ones(1, requires_grad=True), tt.ones(3, requires_grad=True)
    out = f(x, t, u)
    (out[0] + out[1].sum()).backward()
    p = f.program
    assert str(p) == LISTING_2
    assert p.gradients == ("v19", None, "v28", "v29")
    assert p.backward_source.splitlines()[-1] == "    return (v19, None, v28, v29, )"
    assert p.residual_inputs == (0, None) and p.residual_outputs == (None, None)
    assert p.n_backward == 12
    t.grad = lin.weight.grad = lin.bias.grad = None
    got = f(x, t, u)
    (got[0] + got[1].sum()).backward()
    want_t, want_w = t.grad, lin.weight.grad
    t.grad = lin.weight.grad = lin.bias.grad = None
    eager = g(x, t, u)
    (eager[0] + eager[1].sum()).backward()
    assert same(got[0], eager[0]) and same(got[1], eager[1])
    assert same(want_t, t.grad) and same(want_w, lin.weight.grad) and u.grad is None


def test_a_random_step_of_constants_draws_afresh_on_every_replay():
    # tt.randn(3)'s arguments are all constants, but it is random: never folded, so each
    # replay draws from the generator exactly as eager does.
    def h(x):
        return x + tt.randn(3)

    f = tt.compile(h)
    x = tt.zeros(3)
    tt.manual_seed(0)
    got = [f(x) for _ in range(4)]
    tt.manual_seed(0)
    want = [h(x) for _ in range(4)]
    assert f.program is not None and f.program.folded == 0
    assert all(same(a, b) for a, b in zip(got, want))
    assert not same(got[2], got[3])
