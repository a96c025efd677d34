"""tt.compile's guards (compiler/guards.py): arguments, keywords, globals, closures, modules
and their hooks, captured tensors, the modules and writes found through called functions, and
each guard's reason. Tests written for the mutmut survivors of compiler/guards.py
(tools/mutation_samples/README.md); all without PyTorch.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from compiler.helpers import dynamic, rows, same

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


class _Factor:
    """An argument a guard can only tell apart by identity."""

    def __init__(self, k):
        self.k = k


def test_an_object_guarded_by_identity_is_kept_alive_so_its_id_cannot_be_reused():
    import gc
    import weakref

    f = tt.compile(lambda s, x: x * s.k)
    x = tt.tensor([1.0, 2.0])
    s = _Factor(2.0)
    ref = weakref.ref(s)
    np.testing.assert_array_equal(f(s, x).numpy(), [2.0, 4.0])
    del s
    gc.collect()
    assert ref() is not None  # held by the guard: a new object cannot take its id
    for k in (3.0, 4.0, 5.0, 6.0):  # temporaries, each freed before the next is made
        np.testing.assert_array_equal(f(_Factor(k), x).numpy(), [k, 2.0 * k])
