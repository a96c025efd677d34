"""``tinytensor.compile``'s ``name`` and ``recompile_limit`` (PyTorch 2.13's keywords): the
limit counts this call's programs, the name appears in its messages, and with
``fullgraph=True`` reaching the limit raises ``FailOnRecompileLimitHit``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn


def _calls(f, sizes):
    return [f(tt.ones(n)).numpy() for n in sizes]


def test_recompile_limit_caps_this_calls_programs_then_runs_eagerly():
    def f(x):
        return x * 2.0

    c = tt.compile(f, dynamic=False, recompile_limit=2, name="doubler")
    _calls(c, [1, 2])
    assert c.traces == 2
    with pytest.warns(UserWarning, match=r"doubler was traced 2 times \(recompile_limit\)"):
        out = c(tt.ones(3))
    np.testing.assert_array_equal(out.numpy(), [2.0, 2.0, 2.0])
    assert c.traces == 2 and c.program is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once only
        c(tt.ones(4))


def test_the_default_limit_is_the_config_one():
    c = tt.compile(lambda x: x + 1.0, dynamic=False)
    limit = tt.compiler.config.cache_size_limit
    _calls(c, range(1, limit + 1))
    assert c.traces == limit
    with pytest.warns(UserWarning, match=r"config\.cache_size_limit"):
        c(tt.ones(limit + 1))


def test_fullgraph_raises_at_the_limit():
    c = tt.compile(lambda x: x - 1.0, fullgraph=True, dynamic=False, recompile_limit=1)
    c(tt.ones(2))
    with pytest.raises(tt.compiler.FailOnRecompileLimitHit, match="fullgraph=True"):
        c(tt.ones(3))
    np.testing.assert_array_equal(c(tt.ones(2)).numpy(), [0.0, 0.0])  # the kept one replays


def test_a_limit_of_zero_runs_eagerly():
    c = tt.compile(lambda x: x * 3.0, recompile_limit=0)
    with pytest.warns(UserWarning, match="none was kept"):
        np.testing.assert_array_equal(c(tt.ones(2)).numpy(), [3.0, 3.0])
    assert c.traces == 0


def test_a_module_takes_them_too():
    m = nn.Linear(2, 2)
    c = tt.compile(m, dynamic=False, recompile_limit=1, name="head")
    c(tt.ones(1, 2))
    with pytest.warns(UserWarning, match="head was traced 1 times"):
        c(tt.ones(3, 2))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "8"])
def test_a_bad_limit_is_a_type_error(bad):
    with pytest.raises(TypeError, match="recompile_limit must be None or a non-negative int"):
        tt.compile(lambda x: x, recompile_limit=bad)


def test_a_bad_name_is_a_type_error():
    with pytest.raises(TypeError, match="name must be None or a str"):
        tt.compile(lambda x: x, name=3)


def test_the_decorator_form_passes_them_on():
    @tt.compile(recompile_limit=1, dynamic=False)
    def f(x):
        return x * 4.0

    f(tt.ones(1))
    with pytest.warns(UserWarning, match="recompile_limit"):
        f(tt.ones(2))
