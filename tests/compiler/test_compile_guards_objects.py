"""Guards on objects of the user's, and on calls that change process-wide state: a compiled
call never returns a result computed from an attribute value that has since changed (a
config object read from a global or closure, an object passed as an argument, the owner of a
compiled bound method), follows helpers many calls deep, and treats a call such as
``tt.manual_seed`` as a graph break (a replay would skip it). Unchanged objects replay."""

import types

import numpy as np

import tinytensor as tt

CFG = types.SimpleNamespace(scale=2.0)
K = 2.0


class Config:
    def __init__(self, scale):
        self.scale = scale
        self.weight = tt.ones(2)


CONF = Config(3.0)


def _v(t):
    return t.detach().numpy().tolist()


def test_a_global_config_attribute_change_retraces_and_a_steady_one_replays():
    @tt.compile
    def f(x):
        return x * CFG.scale + x * CONF.scale

    x = tt.ones(2)
    try:
        assert _v(f(x)) == [5.0, 5.0]
        assert _v(f(x)) == [5.0, 5.0] and f.traces == 1
        CFG.scale = 9.0
        assert _v(f(x)) == [12.0, 12.0]
        CONF.scale = 1.0
        assert _v(f(x)) == [10.0, 10.0] and f.traces == 3
    finally:
        CFG.scale, CONF.scale = 2.0, 3.0


def test_an_attribute_rebound_to_another_tensor_retraces():
    @tt.compile
    def f(x):
        return x + CONF.weight

    x = tt.zeros(2)
    old = CONF.weight
    try:
        assert _v(f(x)) == [1.0, 1.0]
        CONF.weight = tt.full((2,), 4.0)
        assert _v(f(x)) == [4.0, 4.0]
    finally:
        CONF.weight = old


def test_an_added_attribute_is_a_change():
    ns = types.SimpleNamespace(a=1.0)

    def f(x):
        return x * ns.a * getattr(ns, "b", 1.0)

    c = tt.compile(f)
    x = tt.ones(2)
    assert _v(c(x)) == [1.0, 1.0]
    ns.b = 3.0
    assert _v(c(x)) == [3.0, 3.0]


def test_an_object_argument_is_guarded_by_its_attributes():
    @tt.compile
    def f(x, cfg):
        return x * cfg.scale

    c, x = Config(3.0), tt.ones(2)
    assert _v(f(x, c)) == [3.0, 3.0]
    assert _v(f(x, c)) == [3.0, 3.0] and f.traces == 1
    c.scale = 7.0
    assert _v(f(x, c)) == [7.0, 7.0]
    c.weight = tt.zeros(2)  # a non-plain attribute: by identity
    assert f(x, c) is not None and f.traces == 3


def test_a_compiled_bound_method_sees_its_owner_change():
    class Owner:
        def __init__(self):
            self.k = 2.0

        def run(self, x):
            return x * self.k

    o = Owner()
    g = tt.compile(o.run)
    x = tt.ones(2)
    assert _v(g(x)) == [2.0, 2.0]
    o.k = 5.0
    assert _v(g(x)) == [5.0, 5.0]


def test_a_global_read_many_helper_calls_deep_is_guarded():
    def d1(x):
        return d2(x)

    def d2(x):
        return d3(x)

    def d3(x):
        return d4(x)

    def d4(x):
        return d5(x)

    def d5(x):
        return x * K

    global K
    k = tt.compile(d1)
    x = tt.ones(2)
    try:
        assert _v(k(x)) == [2.0, 2.0]
        K = 4.0
        assert _v(k(x)) == [4.0, 4.0]
    finally:
        K = 2.0


def test_manual_seed_inside_is_a_graph_break_so_every_call_reseeds():
    def f(x):
        tt.manual_seed(0)
        return tt.rand(3) + x

    c = tt.compile(f)
    x = tt.zeros(3)
    eager = _v(f(x))
    assert _v(c(x)) == eager and _v(c(x)) == eager and _v(c(x)) == eager
    explained = tt.compiler.explain(f)(x)
    assert "manual_seed" in str(explained)


def test_set_default_dtype_inside_runs_on_every_call():
    def f(x):
        tt.set_default_dtype(tt.float64)
        return x + 1

    c = tt.compile(f)
    try:
        for _ in range(2):
            tt.set_default_dtype(tt.float32)
            c(tt.ones(2))
            assert tt.get_default_dtype() == tt.float64
    finally:
        tt.set_default_dtype(tt.float32)


def test_values_match_eager_for_a_steady_config():
    w = np.arange(4.0).reshape(2, 2)

    def f(x):
        return (x @ tt.tensor(w)) * CFG.scale

    c = tt.compile(f)
    x = tt.ones(3, 2, dtype=tt.float64)
    for _ in range(3):
        np.testing.assert_array_equal(c(x).numpy(), f(x).numpy())
