"""A tensor given a new array outside any kernel (``t.data = ...``, an in-place shape change
such as ``unsqueeze_``) inside a compiled function: a replay runs no Python and would neither
repeat the change nor read the new array, so the call breaks and runs as eager does."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


def _eager_and_compiled(make, calls):
    """Results (and the captured tensor after each call) of fresh eager and compiled runs."""
    runs = []
    for compiled in (False, True):
        fn, state = make()
        f = tt.compile(fn) if compiled else fn
        runs.append([(f(tt.tensor(x)).tolist(), state.tolist()) for x in calls])
    return runs


def test_assigning_data_of_a_captured_tensor_runs_every_call():
    def make():
        w = tt.tensor([1.0, 2.0])

        def f(x):
            y = x * w
            w.data = w.detach() + 1.0
            return y + w

        return f, w

    eager, compiled = _eager_and_compiled(make, [[1.0, 1.0]] * 3)
    assert compiled == eager
    assert eager[-1] == ([7.0, 9.0], [4.0, 5.0])


def test_assigning_data_from_numpy_runs_every_call():
    def make():
        w = tt.tensor([1.0, 2.0])

        def f(x):
            y = x * w
            w.data = tt.from_numpy(np.array([7.0, 7.0]))
            return y + w

        return f, w

    eager, compiled = _eager_and_compiled(make, [[1.0, 1.0]] * 3)
    assert compiled == eager


def test_an_in_place_shape_change_of_a_captured_tensor_runs_every_call():
    def make():
        w = tt.ones(2)

        def f(x):
            w.unsqueeze_(0)
            return x * w

        return f, w

    eager, compiled = _eager_and_compiled(make, [[1.0, 2.0]] * 3)
    assert compiled == eager
    assert np.array(eager[-1][1]).shape == (1, 1, 1, 2)


def test_the_break_names_the_call():
    w = tt.ones(2)

    def f(x):
        w.data = x * 2
        return x * w

    with pytest.raises(tt.compiler.Unsupported, match=r"assignment to \.data replaces"):
        tt.compile(f, fullgraph=True)(tt.ones(2))
    report = str(tt.compiler.explain(lambda x: x.unsqueeze_(0) * w)(tt.ones(2)))
    assert "unsqueeze_ replaces a tensor's storage" in report  # the caller's argument
    v = tt.ones(2)
    report = str(tt.compiler.explain(lambda x: v.squeeze_() * x)(tt.ones(2)))
    assert "squeeze_ replaces a tensor's storage outside any kernel" in report


def test_an_in_place_shape_change_of_the_calls_own_result_still_compiles():
    def f(x):
        y = x + 1
        y.unsqueeze_(0)
        return y * 2

    c = tt.compile(f, fullgraph=True)
    for v in ([1.0, 2.0], [3.0, 4.0]):
        assert c(tt.tensor(v)).tolist() == f(tt.tensor(v)).tolist()
