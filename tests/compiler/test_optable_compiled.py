"""Every row of the op table through tt.compile: forward and backward equal eager, bitwise.

One fixed sample per row (drawn with a derandomized hypothesis search). The compiled function is
called twice: the first call traces (eager results), the second replays the program (or, where
the row cannot be traced, runs eagerly again); both must give eager's values and gradients.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from ops.optable import ALL_CASES

import tinytensor as tt

# Rows whose replay is checked to be a real program (no graph break): the families the compiler's
# benchmarks stand on. The other rows must equal eager whether they replay or not.
MUST_REPLAY = (
    "add", "sub", "mul", "div", "neg", "exp", "log", "tanh", "sigmoid", "relu", "sqrt",
    "sum", "mean", "reshape", "permute", "transpose", "matmul_2d_2d", "matmul_batched",
)  # fmt: skip


def draw(case):
    found = []

    @settings(max_examples=1, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case.inputs)
    def pick(sample):
        found.append(sample)

    pick()
    return found[0]


def run(fn, sample):
    args = sample.leaves()
    out = fn(*args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if isinstance(o, tt.Tensor)]
    values = [o.detach().numpy().copy() for o in outs]
    diff = [o for o in outs if o.requires_grad]
    grads = []
    if diff:
        loss = sum((o * (k + 1.0)).sum() for k, o in enumerate(diff))
        loss.backward()
        grads = [
            None if a.grad is None else a.grad.numpy().copy()
            for a in args
            if isinstance(a, tt.Tensor) and a.requires_grad
        ]
    return values, grads


def equal(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_row_through_compile_equals_eager(case):
    sample = draw(case)
    kwargs = sample.kwargs

    def fn(*xs):
        return case.fn(*xs, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tt.manual_seed(0)
        want = run(fn, sample)
        compiled = tt.compile(fn)
        for _ in range(2):
            tt.manual_seed(0)
            got = run(compiled, sample)
            assert len(got[0]) == len(want[0]) and len(got[1]) == len(want[1])
            for a, b in zip(got[0] + got[1], want[0] + want[1]):
                assert equal(a, b), case.name
    if case.name in MUST_REPLAY:
        assert compiled.program is not None, compiled.entries[0].breaks
