"""tt.compile's guards (compiler/guards.py): how far they reach (helpers a few calls down, through
globals and closures, a module's own forward), what they keep alive, what a deleted name does,
and which names they list. Tests written for mutmut's survivors of compiler/guards.py; all
without PyTorch.
"""

from __future__ import annotations

import gc
import weakref
from collections import Counter

import pytest

import tinytensor as tt
from compiler.helpers import dynamic, rows, same
from tinytensor import is_tensor
from tinytensor.compiler.guards import global_reads, python_writes
from tinytensor.nn.functional import relu

DEEP = 2.0
FORWARD_SCALE = 2.0
MAYBE = None
SHARED = 2.0
WRITES = 0


class _Factor:
    """An object a guard can only tell apart by identity."""

    def __init__(self, k):
        self.k = k


def test_objects_inside_lists_dicts_and_keywords_are_kept_alive():
    # The guard holds each object it describes by identity, wherever it sits in the
    # arguments: a freed one's id could be taken by a new object that would pass for it.
    def h(x, parts, named, *, k):
        return x * parts[0].k * named["a"].k * k.k

    f = tt.compile(h)
    x = tt.tensor([1.0, 2.0])
    objs = [_Factor(2.0), _Factor(3.0), _Factor(5.0)]
    refs = [weakref.ref(o) for o in objs]
    assert same(f(x, [objs[0]], {"a": objs[1]}, k=objs[2]), x * 30.0)
    del objs
    gc.collect()
    assert all(r() is not None for r in refs)
    for v in (7.0, 11.0):  # temporaries, each freed before the next is made
        assert same(f(x, [_Factor(v)], {"a": _Factor(1.0)}, k=_Factor(1.0)), x * v)


def test_a_dynamic_program_masks_tensors_inside_lists_and_dicts():
    # The batch dimension of a tensor in a list or dict argument is symbolic like any other:
    # after two batch sizes, a third replays the dynamic program.
    def h(parts, named):
        a, b = parts[0], named["b"]
        return a.reshape(a.shape[0] * 3) * 2 + b.reshape(b.shape[0] * 3)

    f = tt.compile(h)
    for n in (2, 3):
        f([rows(n)], {"b": rows(n, start=1.0)})
    assert dynamic(f) and f.traces == 2
    parts, named = [rows(5)], {"b": rows(5, start=1.0)}
    assert same(f(parts, named), h(parts, named))
    assert f.traces == 2


class _GlobalScaled(tt.nn.Module):
    def forward(self, x):
        return x * FORWARD_SCALE


def test_a_global_read_by_a_compiled_modules_forward_is_guarded():
    global FORWARD_SCALE
    m = _GlobalScaled()
    f = tt.compile(m)
    x = tt.ones(2)
    assert same(f(x), x * 2.0) and same(f(x), x * 2.0)
    try:
        FORWARD_SCALE = 3.0
        assert same(f(x), x * 3.0)
    finally:
        FORWARD_SCALE = 2.0


def _level3(x):
    return x * DEEP


def _level2(x):
    return _level3(x)


def _level1(x):
    return _level2(x)


def test_a_global_read_three_calls_down_is_guarded():
    global DEEP
    f = tt.compile(lambda x: _level1(x))
    x = tt.ones(2)
    f(x), f(x)
    try:
        DEEP = 4.0
        assert same(f(x), x * 4.0)
    finally:
        DEEP = 2.0


def test_a_closure_value_read_three_closures_down_is_guarded():
    def make():
        k = [2.0]

        def l3(x):
            return x * k[0]

        def l2(x):
            return l3(x)

        def l1(x):
            return l2(x)

        def h(x):
            return l1(x)

        return h, k

    h, k = make()
    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    k[0] = 6.0
    assert same(f(x), x * 6.0)


def _writes3(x):
    global WRITES
    WRITES += 1
    return x


def _writes2(x):
    return _writes3(x)


def _writes1(x):
    return _writes2(x)


class _WritesInForward(tt.nn.Module):
    def forward(self, x):
        return _writes1(x) * 2


def test_a_global_written_three_calls_down_is_found():
    global WRITES
    assert python_writes(lambda x: _writes1(x)) == "a global 'WRITES'"
    f = tt.compile(lambda x: _writes1(x) + 1)
    WRITES = 0
    for _ in range(3):
        f(tt.ones(1))
    assert WRITES == 3 and f.program is None


def test_a_global_written_by_a_helper_of_a_modules_forward_is_found():
    global WRITES
    m = _WritesInForward()
    assert python_writes(m._call_impl, [m]) == "a global 'WRITES'"
    f = tt.compile(m)
    WRITES = 0
    for _ in range(3):
        f(tt.ones(1))
    assert WRITES == 3


def test_a_deleted_global_that_was_none_is_not_replayed():
    # MAYBE was None when traced; once deleted, eager raises NameError, and so must the call.
    def h(x):
        return x if MAYBE is None else x * 2

    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    del globals()["MAYBE"]
    try:
        with pytest.raises(NameError):
            f(x)
    finally:
        globals()["MAYBE"] = None


class _Optional(tt.nn.Module):
    def __init__(self):
        super().__init__()
        self.extra = None

    def forward(self, x):
        return x if self.extra is None else x * 2


def test_a_deleted_module_attribute_that_was_none_is_not_replayed():
    # Another attribute added in its place keeps the attribute count: the guard must still
    # see that ``extra`` is gone (eager raises AttributeError).
    m = _Optional()
    f = tt.compile(m)
    x = tt.ones(2)
    f(x), f(x)
    del m.extra
    m.other = 1.0
    with pytest.raises(AttributeError):
        f(x)


class _Key:
    """A dict key compared by identity."""


KEYED = {_Key(): 2.0}


def test_a_global_dict_with_object_keys_replays():
    # Its keys are no plain values: a copy of it would never equal it (a new trace each call).
    def h(x):
        return x * next(iter(KEYED.values()))

    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x), x * 2.0)
    assert f.traces == 1


class _Plain:
    def __init__(self):
        self.k = 3.0

    def scale(self, x):
        return x * self.k


def test_a_bound_method_of_an_object_that_is_no_module_compiles():
    obj = _Plain()
    f = tt.compile(obj.scale)
    x = tt.ones(2)
    assert same(f(x), x * 3.0) and same(f(x), x * 3.0)
    assert f.traces == 1 and f.entries[0].guards.modules == ()


_GLOBAL_MODULE = _GlobalScaled()


def _calls_the_global_module(x):
    return _GLOBAL_MODULE(x)


def test_a_module_reached_several_ways_is_guarded_once():
    def h(x):  # the module directly and through a helper
        return _GLOBAL_MODULE(x) + _calls_the_global_module(x)

    g = tt.compile(h)
    x = tt.ones(2)
    assert same(g(x), x * 4.0)
    assert g.entries[0].guards.modules == (_GLOBAL_MODULE,)


SMALL = 2  # a small int: the guard's value is the very object the name holds


def test_a_global_that_is_the_same_object_does_not_end_the_checks():
    # The globals are checked before the closure cells: an unchanged global must not stop
    # the check of a closure value read after it.
    def make():
        c = [1.0]

        def h(x):
            return x * SMALL * c[0]

        return h, c

    h, c = make()
    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    c[0] = 3.0
    assert f.entries[0].guards.why((x,), {}) == "the global or closure value 'c' changed"
    assert same(f(x), x * 6.0)


def _reads_shared_a(x):
    return x * SHARED


def _reads_shared_b(x):
    return _reads_shared_a(x) + SHARED


def test_the_global_guards_list_each_user_name_once_and_no_library_names():
    # Library functions are not followed (their globals are not the user's); each function
    # is read once however many paths reach it; Python modules are not guarded.
    def h(x):
        return relu(_reads_shared_a(x) + _reads_shared_b(x)) if is_tensor(x) else tt.zeros(1)

    names = Counter(name for _, name, _ in global_reads(h))
    # one entry per function that reads a name: _reads_shared_a is read by h and by
    # _reads_shared_b, SHARED by both helpers
    want = ["relu", "is_tensor", "_reads_shared_b"] + ["_reads_shared_a", "SHARED"] * 2
    assert names == Counter(want)
