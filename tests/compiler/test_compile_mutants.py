"""tt.compile: the rules a planted bug slipped past (tools/mutation_samples/sample6.json).

Each test names the rule it guards; all of them run without PyTorch, and compare a compiled
call bitwise with the eager call it must equal.
"""

from __future__ import annotations

import numpy as np
import pytest

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


# --- mutmut survivors in compiler/program.py (tools/mutation.py, see the samples README) ----


def dynamic_program(f):
    """The program ``f`` replays for every batch size."""
    return next(e.program for e in f.entries if e.program is not None and e.program.dynamic)


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
  v29 = Sum(v27, dim=(0,), keepdim=True)    # float32[1, 4]
  v30 = Reshape(v29, [4])    # float32[4]
  return v19, None, v28, v30"""
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
    assert p.gradients == ("v19", None, "v28", "v30")
    assert p.backward_source.splitlines()[-1] == "    return (v19, None, v28, v30, )"
    assert p.residual_inputs == (0, None) and p.residual_outputs == (None, None)
    assert p.n_backward == 13
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


# --- mutmut survivors in compiler/guards.py ------------------------------------------------

SCALE = 2.0
NESTED = [[2.0]]
IN_HELPER = 2.0
IN_COMPREHENSION = 2.0


def test_keyword_arguments_are_guarded_by_value_and_shape():
    def h(x, *, k=1.0, y=None):
        return x * k if y is None else x * k + y

    f = tt.compile(h)
    x = rows(2)
    for k in (2.0, 3.0, 2.0):
        assert same(f(x, k=k), h(x, k=k))
    for y in (tt.ones(3), tt.ones(2, 3), tt.ones(2, 1)):
        assert same(f(x, k=2.0, y=y), h(x, k=2.0, y=y))
    assert f.traces == 5  # k=2 replays; each y shape is a trace of its own
    assert f.entries[0].guards.why((x,), {"k": 5.0}) == "a keyword argument changed"


def test_a_dynamic_program_guards_its_keyword_tensors_beyond_the_batch_dimension():
    def h(x, *, y):
        return x * 2, y.reshape(y.shape[0] * y.shape[1])

    f = tt.compile(h)
    for n in (2, 3):
        f(rows(n), y=rows(n))
    assert dynamic(f)
    for y in (rows(4), rows(4, width=5)):  # the second: its width is no longer 3
        got, want = f(rows(4), y=y), h(rows(4), y=y)
        assert all(same(a, b) for a, b in zip(got, want))
    dyn = next(e for e in f.entries if e.program is not None and e.program.dynamic)
    assert dyn.guards.why((rows(4),), {"y": rows(4, width=5)}) == (
        "an argument's shape (beyond the batch dimension), dtype or value changed"
    )
    assert dyn.guards.why((rows(4),), {"y": rows(5)}) == (
        "the batched arguments' first dimensions differ"
    )


class _Scale:
    def __init__(self, v):
        self.v = v


def test_containers_and_objects_as_arguments_are_guarded():
    # Tensors inside a list or a dict by shape; any other object by identity.
    def h(x, parts, named, obj):
        # reshape(numel) bakes each tensor's size into the program
        return x * obj.v + parts[0].reshape(parts[0].numel()).sum() + named["a"].sum()

    f = tt.compile(h)
    x = tt.ones(2)
    two = _Scale(2.0)  # one object: only the tensors change in the first three calls
    calls = [
        ([tt.ones(2)], {"a": tt.ones(2)}, two),
        ([tt.ones(3)], {"a": tt.ones(2)}, two),
        ([tt.ones(3)], {"a": tt.ones(4)}, two),
        ([tt.ones(3)], {"a": tt.ones(4)}, _Scale(5.0)),
    ]
    for parts, named, obj in calls:
        assert same(f(x, parts, named, obj), h(x, parts, named, obj))
    keep = _Scale(3.0)
    f(x, [tt.ones(1)], {"a": tt.ones(1)}, keep)
    n = f.traces
    assert same(f(x, [tt.ones(1)], {"a": tt.ones(1)}, keep), x * 3.0 + 2.0)
    assert f.traces == n  # the same object: a replay


def test_a_nested_global_list_changed_in_place_retraces():
    def h(x):
        return x * NESTED[0][0]

    f = tt.compile(h)
    x = tt.ones(2)
    assert same(f(x), x * 2.0) and same(f(x), x * 2.0)
    assert f.traces == 1
    NESTED[0][0] = 5.0
    try:
        assert same(f(x), x * 5.0)
        assert "NESTED" in f.entries[0].guards.why((x,), {})
    finally:
        NESTED[0][0] = 2.0


def _helper(x):
    return x * IN_HELPER


def test_globals_read_after_an_attribute_by_a_helper_or_in_a_comprehension_are_guarded():
    global SCALE, IN_HELPER, IN_COMPREHENSION

    def after_attribute(x):
        # 'reshape', 'abs', ... are no globals: the names after them (in the code's name set,
        # in whatever order) are still guarded
        return x.reshape(-1).abs().neg().neg().sqrt().square().floor() * SCALE

    def through_helper(x):
        return _helper(x) + 1

    def in_comprehension(x):
        return tt.stack([x * IN_COMPREHENSION for _ in range(2)])

    def beside_a_comprehension(x):
        y = x * SCALE  # the outer code's name, beside a nested code object's
        return tt.stack([y for _ in range(2)])

    fns = (after_attribute, through_helper, in_comprehension, beside_a_comprehension)
    fs = [tt.compile(g) for g in fns]
    x = tt.ones(2)
    for f in fs:
        f(x), f(x)
        assert f.traces == 1  # nothing changed: replays
    try:
        SCALE, IN_HELPER, IN_COMPREHENSION = 3.0, 4.0, 5.0
        assert same(fs[0](x), x * 3.0)
        assert same(fs[1](x), x * 4.0 + 1)
        assert same(fs[2](x), tt.stack([x * 5.0, x * 5.0]))
        assert same(fs[3](x), tt.stack([x * 3.0, x * 3.0]))
    finally:
        SCALE = IN_HELPER = IN_COMPREHENSION = 2.0


class _Doubler(tt.nn.Module):
    def forward(self, x):
        return x * 2


def test_a_global_of_the_function_is_guarded_beside_a_module_it_calls():
    global SCALE
    m = _Doubler()

    def h(x):
        return m(x) * SCALE

    f = tt.compile(h)
    x = tt.ones(2)
    f(x)
    try:
        SCALE = 7.0
        assert same(f(x), x * 14.0)
    finally:
        SCALE = 2.0


class _Scaled(tt.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x):
        return x * self.scale


def test_module_attributes_and_hooks_are_guarded():
    m = _Scaled()
    f = tt.compile(lambda x: m(x))
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x), x * 2.0)
    m.scale = float("2.0")  # an equal value: still a replay
    f(x)
    assert f.traces == 1
    m.scale = 3.0
    assert same(f(x), x * 3.0) and f.traces == 2
    handle = m.register_forward_hook(lambda mod, args, out: out + 100)
    assert same(f(x), x * 3.0 + 100)
    handle.remove()
    assert same(f(x), x * 3.0)


def test_a_captured_tensor_changing_requires_grad_or_shape_retraces():
    w = tt.ones(2, 3)

    def h(x):
        return x * 2, w.reshape(w.shape[0] * w.shape[1]) * 2

    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    w.requires_grad_(True)
    _, y = f(x)
    assert y.requires_grad
    y.sum().backward()
    assert same(w.grad, tt.full((2, 3), 2.0))
    w.requires_grad_(False)
    w.data = tt.ones(3, 3)
    _, y = f(x)
    assert same(y, tt.full((9,), 2.0))
    assert f.entries[0].guards.why((x,), {}) == (
        "a parameter or captured tensor changed shape, dtype or requires_grad"
    )


def test_each_guard_names_why_it_failed():
    m = _Scaled()
    f = tt.compile(lambda x: m(x))
    x = tt.ones(2)
    f(x)
    g = f.entries[0].guards
    assert g.why((x,), {}) is None
    with tt.no_grad():
        assert g.why((x,), {}) == "grad mode changed"
        assert not g.check_arguments((x,), {})
    assert g.check_arguments((x,), {})
    assert g.why((tt.ones(3),), {}) == (
        "an argument's shape, dtype, requires_grad or value changed"
    )
    m.scale = 4.0
    assert g.why((x,), {}) == (
        "a module's training flag, parameters, buffers or attributes changed"
    )


# Modules and writes the compiler finds through globals, closures and called functions.

WRITES = 0


def _writes_a_global(x):
    global WRITES
    WRITES += 1
    return x * 2


def _scaled_through_a_global(x):
    return _scaled_two_deep(x)


def _scaled_two_deep(x):  # two helpers down from the compiled function
    return _GLOBAL_MODULE(x)


_GLOBAL_MODULE = _Scaled()


def test_modules_reached_through_globals_closures_helpers_and_bound_methods_are_guarded():
    closed = _Scaled()

    def via_helper(x):  # a helper reading a module global
        return _scaled_through_a_global(x)

    def via_closure(x):
        return closed(x)

    bound = _Scaled()
    fs = {
        "helper": (tt.compile(via_helper), _GLOBAL_MODULE),
        "closure": (tt.compile(via_closure), closed),
        "bound": (tt.compile(bound.forward), bound),
    }
    x = tt.ones(2)
    for f, m in fs.values():
        assert same(f(x), x * 2.0) and same(f(x), x * 2.0)
        assert f.traces == 1
        m.scale = 3.0
        try:
            assert same(f(x), x * 3.0) and f.traces == 2
        finally:
            m.scale = 2.0


def test_writes_through_called_functions_are_graph_breaks_not_skipped():
    global WRITES
    count = [0]

    def make():
        n = 0

        def bump():
            nonlocal n
            n += 1
            count[0] = n

        def h(x):
            bump()  # a closure writing its enclosing call's cell: outlives the call
            return x * 2

        return h

    def through_global_helper(x):
        return _writes_a_global(x) + 1

    f, g = tt.compile(make()), tt.compile(through_global_helper)
    WRITES = 0
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x), x * 2) and same(g(x), x * 2 + 1)
    assert count[0] == 3 and WRITES == 3
    assert f.program is None and g.program is None


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
