"""tt.compile's guards on values that can change in place: a list or dict argument, a global or
module attribute that is a tuple holding a list, a NaN global; and a write to an enclosing
function's variable made by a function nested in the compiled one. Each was a stale replay (or
a retrace on every call) before compiler/guards.py kept copies; all without PyTorch.
"""

from __future__ import annotations

import math

import pytest

import tinytensor as tt
from compiler.helpers import same

HOLDS_A_LIST = ([2.0],)
NOT_A_NUMBER = float("nan")


def test_a_list_argument_changed_in_place_retraces():
    def h(x, scales):
        return x * scales[0]

    f = tt.compile(h)
    x, scales = tt.ones(2), [2.0]
    f(x, scales), f(x, scales)
    assert f.traces == 1
    scales[0] = 3.0  # the same list object, another value
    assert same(f(x, scales), h(x, scales)) and same(f(x, scales), x * 3.0)
    assert f.traces == 2


def test_a_dict_argument_changed_in_place_retraces():
    def h(x, named):
        return x * named["a"]

    f = tt.compile(h)
    x, named = tt.ones(2), {"a": 2.0}
    f(x, named), f(x, named)
    named["a"] = 4.0
    assert same(f(x, named), x * 4.0)
    assert f.entries[0].guards.why((x, named), {}) == (
        "an argument's shape, dtype, requires_grad or value changed"
    )


def test_a_list_keyword_argument_changed_in_place_retraces():
    def h(x, *, scales):
        return x * scales[0]

    f = tt.compile(h)
    x, scales = tt.ones(2), [2.0]
    f(x, scales=scales), f(x, scales=scales)
    scales[0] = 5.0
    assert same(f(x, scales=scales), x * 5.0)
    assert f.entries[0].guards.why((x,), {"scales": scales}) == "a keyword argument changed"


def test_a_global_tuple_holding_a_list_changed_in_place_retraces():
    def h(x):
        return x * HOLDS_A_LIST[0][0]

    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    assert f.traces == 1
    HOLDS_A_LIST[0][0] = 5.0
    try:
        assert same(f(x), x * 5.0)
        assert "HOLDS_A_LIST" in f.entries[0].guards.why((x,), {})
    finally:
        HOLDS_A_LIST[0][0] = 2.0


class _TupleAttribute(tt.nn.Module):
    def __init__(self):
        super().__init__()
        self.scales = ([2.0],)

    def forward(self, x):
        return x * self.scales[0][0]


def test_a_module_attribute_tuple_holding_a_list_changed_in_place_retraces():
    m = _TupleAttribute()
    f = tt.compile(m)
    x = tt.ones(2)
    f(x), f(x)
    m.scales[0][0] = 7.0
    assert same(f(x), x * 7.0)


def test_a_nan_global_is_unchanged_and_replays():
    # NaN != NaN: a guard comparing by == alone would call it changed on every call (a new
    # trace each time, then the cache limit).
    def h(x):
        return x * 2 if math.isnan(NOT_A_NUMBER) else x

    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(4):
        assert same(f(x), x * 2)
    assert f.traces == 1 and f.entries[0].guards.why((x,), {}) is None


def test_a_nested_functions_write_to_an_enclosing_variable_is_not_skipped():
    # h's inner function assigns n, a variable of make's call (outside h): a replay would skip
    # it, so the call is a graph break that runs its Python every time.
    def make():
        n = 0

        def h(x):
            def inner():
                nonlocal n
                n += 1

            inner()
            return x * 2

        return h, lambda: n

    h, count = make()
    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x), x * 2)
    assert count() == 3 and f.program is None
    assert "'n'" in tt.compiler.explain(h)(x).break_reasons[0]


def test_a_nested_functions_write_to_the_calls_own_variable_still_compiles():
    # The cell belongs to this call of h: the write ends with the call, nothing to replay.
    def h(x):
        n = 1

        def inner():
            nonlocal n
            n += 1

        inner()
        return x * n

    f = tt.compile(h)
    x = tt.ones(2)
    f(x)
    assert f.program is not None and same(f(x), x * 2)


# Names rebound to another object: a replay would read the old one.

GLOBAL_WEIGHT = tt.ones(2)
MODEL = None
ACTIVATION = tt.relu
FLAGS = {1}


def _times_weight(x):
    return x * GLOBAL_WEIGHT


def test_a_global_tensor_rebound_to_another_tensor_retraces():
    global GLOBAL_WEIGHT
    f = tt.compile(_times_weight)
    x = tt.ones(2)
    f(x), f(x)
    old = GLOBAL_WEIGHT
    try:
        GLOBAL_WEIGHT = tt.full((2,), 3.0)  # same shape and dtype, another tensor
        assert same(f(x), x * 3.0)
        assert f.entries[0].guards.why((x,), {}) == (
            "the global or closure 'GLOBAL_WEIGHT' is another object, or holds another"
        )
        GLOBAL_WEIGHT = old
        assert same(f(x), x) and f.traces == 2  # the first program again
    finally:
        GLOBAL_WEIGHT = old


def test_a_closure_tensor_rebound_to_another_tensor_retraces():
    def make():
        w = tt.ones(2)

        def h(x):
            return x * w

        def rebind(v):
            nonlocal w
            w = v

        return h, rebind

    h, rebind = make()
    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    rebind(tt.full((2,), 5.0))
    assert same(f(x), x * 5.0)


def test_a_global_module_rebound_to_another_module_retraces():
    global MODEL

    def h(x):
        return MODEL(x)

    f = tt.compile(h)
    x = tt.ones(2)
    try:
        MODEL = _TupleAttribute()  # x * 2
        f(x), f(x)
        MODEL = _TupleAttribute()
        MODEL.scales = ([4.0],)
        assert same(f(x), x * 4.0)
    finally:
        MODEL = None


def test_a_global_function_rebound_to_another_function_retraces():
    global ACTIVATION

    def h(x):
        return ACTIVATION(x)

    f = tt.compile(h)
    x = tt.tensor([-1.0, 2.0])
    assert same(f(x), tt.tensor([0.0, 2.0])) and same(f(x), tt.tensor([0.0, 2.0]))
    try:
        ACTIVATION = tt.neg
        assert same(f(x), tt.tensor([1.0, -2.0]))
    finally:
        ACTIVATION = tt.relu


def test_a_global_set_changed_in_place_retraces():
    def h(x):
        return x * (2.0 if 1 in FLAGS else 3.0)

    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    FLAGS.discard(1)
    try:
        assert same(f(x), x * 3.0)
    finally:
        FLAGS.add(1)


class _Held(tt.nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = tt.ones(2)  # a plain tensor attribute: no parameter, no buffer
        self._scale = 2.0  # a private plain attribute
        self.act = tt.relu

    def forward(self, x):
        return self.act(x * self.mask * self._scale)


def test_a_modules_tensor_function_and_private_attributes_are_guarded():
    m = _Held()
    f = tt.compile(m)
    x = tt.tensor([-1.0, 1.0])
    assert same(f(x), tt.tensor([0.0, 2.0])) and same(f(x), tt.tensor([0.0, 2.0]))
    m.mask = tt.full((2,), 3.0)
    assert same(f(x), tt.tensor([0.0, 6.0]))
    m._scale = 1.0
    assert same(f(x), tt.tensor([0.0, 3.0]))
    m.act = tt.neg
    assert same(f(x), tt.tensor([3.0, -3.0]))


def test_an_attribute_added_to_a_module_retraces():
    class Optional(tt.nn.Module):
        def forward(self, x):
            return x * getattr(self, "factor", 1.0)

    m = Optional()
    f = tt.compile(lambda x: m(x))
    x = tt.ones(2)
    f(x), f(x)
    m.factor = 6.0
    assert same(f(x), x * 6.0)
    assert f.entries[0].guards.why((x,), {}) == (
        "a module's training flag, parameters, buffers or attributes changed"
    )


PARAMS = {"w": tt.ones(2), "scale": 2.0}
LAYERS = [_TupleAttribute()]


def test_a_tensor_replaced_in_a_global_dict_retraces():
    def h(x):
        return x * PARAMS["w"] * PARAMS["scale"]

    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    old = PARAMS["w"]
    try:
        PARAMS["w"] = tt.full((2,), 3.0)  # an item by identity
        assert same(f(x), x * 6.0)
        PARAMS["scale"] = 1.0  # a plain item by value
        assert same(f(x), x * 3.0)
        assert f.traces == 3
        PARAMS["extra"] = 0.0  # one more item
        assert f.entries[-1].guards.why((x,), {}) == (
            "the global or closure 'PARAMS' is another object, or holds another"
        )
    finally:
        PARAMS.clear()
        PARAMS.update(w=old, scale=2.0)


def test_a_module_in_a_global_list_is_guarded():
    def h(x):
        return LAYERS[0](x)

    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    old = LAYERS[0]
    try:
        LAYERS[0].scales = ([5.0],)  # an attribute of the module in the list
        assert same(f(x), x * 5.0)
        LAYERS[0] = _TupleAttribute()  # another module in its place
        assert same(f(x), x * 2.0)
    finally:
        LAYERS[0] = old
        old.scales = ([2.0],)


def test_a_tuple_of_tensors_in_a_closure_replays_while_it_holds_the_same_tensors():
    def make():
        pair = (tt.ones(2), tt.full((2,), 2.0))

        def h(x):
            return x * pair[0] + pair[1]

        return h

    f = tt.compile(make())
    x = tt.ones(2)
    for _ in range(3):
        assert same(f(x), tt.full((2,), 3.0))
    assert f.traces == 1


def test_the_items_of_a_guarded_dict_compare_plain_values_by_value_and_others_by_identity():
    class Key:
        pass

    def make():
        key = Key()
        d = {"weight": tt.ones(2), "scale": 2.0, key: 1.0}

        def h(x):
            return x * d["weight"] * d["scale"] * d[key]

        return h, d, key

    h, d, key = make()
    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    w = d["weight"]
    d.clear()  # the same items again, the plain ones (keys too) as equal new objects: a replay
    d["".join(["wei", "ght"])] = w
    d["".join(["sca", "le"])] = float("2.0")
    d[key] = 1.0
    assert all(k is not k0 for k, k0 in zip(d, ("weight", "scale")))
    assert same(f(x), x * 2.0) and f.traces == 1
    d["scale"] = 2  # an equal value of another type: its own trace (eager's result dtype rules)
    assert same(f(x), h(x)) and f.traces == 2
    d["scale"] = 2.0
    del d[key]
    d[Key()] = 1.0  # another key object: h would now raise KeyError, as the call must
    with pytest.raises(KeyError):
        f(x)


def test_modules_in_a_closure_dict_or_tuple_are_guarded():
    def make():
        named = {"a": _TupleAttribute()}
        pair = (_TupleAttribute(),)

        def h(x):
            return named["a"](x) + pair[0](x)

        return h, named["a"], pair[0]

    h, a, b = make()
    f = tt.compile(h)
    x = tt.ones(2)
    f(x), f(x)
    assert len(f.entries[0].guards.modules) == 2
    a.scales = ([3.0],)
    assert same(f(x), x * 5.0)
    b.scales = ([4.0],)
    assert same(f(x), x * 7.0)


def test_a_plain_list_inside_a_guarded_dict_is_copied_and_a_list_of_tensors_is_not():
    def make():
        d = {"w": tt.ones(2), "sizes": [2.0], "parts": [tt.ones(2), tt.full((2,), 3.0)]}

        def h(x):
            return x * d["w"] * d["sizes"][0] + d["parts"][1]

        return h, d

    h, d = make()
    f = tt.compile(h)
    x = tt.ones(2)
    for _ in range(3):  # the list of tensors is the same list of the same tensors: replays
        assert same(f(x), x * 5.0)
    assert f.traces == 1
    d["sizes"][0] = 4.0  # a plain item changed in place
    assert same(f(x), x * 7.0) and f.traces == 2
