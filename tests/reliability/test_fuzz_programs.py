"""Random programs, run in tinytensor and in PyTorch, must agree on every value and gradient.

The fuzzer lives in ``progfuzz.py`` (engine) and ``progfuzz_table.py`` (the op table, with
generators in ``progfuzz_ops.py`` and ``progfuzz_shapes.py``). More examples:
``TT_FUZZ_EXAMPLES=10000 HYPOTHESIS_PROFILE=dev python -m pytest
tests/reliability/test_fuzz_programs.py``.
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from progfuzz import generate  # noqa: E402

import tinytensor as tt  # noqa: E402

_N = os.environ.get("TT_FUZZ_EXAMPLES")
_SETTINGS = settings(max_examples=int(_N)) if _N else settings()


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_match_pytorch(data):
    generate(data)


def _as_function(steps):
    """The fuzzed program as a function of its leaves (tinytensor only)."""
    from progfuzz import _apply

    def program(*leaves):
        pool, given = [], iter(leaves)
        for op, inputs, params in steps:
            if op == "leaf":
                pool.append(next(given))
                continue
            out = _apply(tt, op, [pool[i] for i in inputs], params)
            if out is not None:
                pool.append(out)
        return tuple(pool)

    return program


def _run(fn, leaf_params):
    from progfuzz import leaf_values

    leaves = [
        tt.tensor(leaf_values(p["shape"], p["seed"]), dtype=tt.float64, requires_grad=p["grad"])
        for p in leaf_params
    ]
    outs = fn(*leaves)
    values = [o.detach().numpy().copy() for o in outs]
    loss = None
    for k, o in enumerate(outs):
        if o.requires_grad:
            w = tt.tensor(np.random.default_rng(10_000 + k).uniform(0.5, 1.5, tuple(o.shape)))
            term = (o * w).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    grads = [None if t.grad is None else t.grad.numpy().copy() for t in leaves]
    return values, grads


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_compiled_equal_eager(data):
    """The same random programs through tt.compile: traced, then replayed, every value equal
    to eager's bitwise, every gradient within rounding (a leaf that is also an output gets its
    gradient's terms summed in another order) (a program with a graph break runs eagerly)."""
    r = generate(data)
    leaf_params = [p for op, _, p in r.steps if op == "leaf"]
    fn = _as_function(r.steps)
    want = _run(fn, leaf_params)
    compiled = tt.compile(fn)
    for _ in range(2):
        got = _run(compiled, leaf_params)
        for a, b in zip(got[0], want[0]):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        for a, b in zip(got[1], want[1]):
            if a is None or b is None:
                assert a is None and b is None
            else:
                assert a.shape == b.shape
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True)
