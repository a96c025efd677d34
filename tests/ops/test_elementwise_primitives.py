"""The elementwise, math, special and masked families are primitives (issue #20): every op-table
row of theirs replays under ``tt.compile`` as a program of kernels (no graph break), with eager's
values and gradients bitwise; the promotion casts of mixed dtypes are kernels too; ``allclose``
and ``equal`` hand their answer to Python through ``bool()`` (a value guard), so a compiled
branch on them is never stale; a data-dependent shape (masked_select, nonzero) breaks the graph.
NumPy only: the comparison is with eager tinytensor.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import tinytensor as tt
from ops.optable import ALL_CASES

ROWS = """
add sub mul div neg pow square reciprocal exp log log1p sqrt rsqrt abs sign sin cos tanh sigmoid
relu clamp maximum minimum floor ceil round trunc remainder true_divide add_alpha sub_alpha
operators scalar_left pow_scalar rpow clamp_tensor where_method where masked_fill masked_scatter
tan asin acos atan sinh cosh asinh acosh atanh log2 log10 exp2 expm1 sinc logit frac deg2rad
rad2deg nan_to_num sgn signbit isneginf isposinf isreal logit_eps polygamma lerp_scalar
fmod_scalar clamp_min_scalar addcmul addcdiv erf erfc erfinv lgamma lgamma_negative digamma
digamma_negative mvlgamma i0 special.i1 special.erfcx special.ndtr special.ndtri special.log_ndtr
special.entr special.xlog1py atan2 xlogy lerp fmod copysign logaddexp logaddexp2 hypot fmax fmin
clamp_min clamp_max ldexp float_power heaviside nextafter isclose
""".split()
CASES = [c for c in ALL_CASES if c.name in ROWS]


def test_every_listed_row_is_in_the_table():
    assert sorted(c.name for c in CASES) == sorted(ROWS)


def _draw(case):
    found = []

    @settings(max_examples=1, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case.inputs)
    def pick(sample):
        found.append(sample)

    pick()
    return found[0]


def _run(fn, args):
    out = fn(*args)
    outs = [
        o for o in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(o, tt.Tensor)
    ]
    values = [o.detach().numpy().copy() for o in outs]
    diff = [o for o in outs if o.requires_grad]
    grads = []
    if diff:
        sum((o * (k + 1.0)).sum() for k, o in enumerate(diff)).backward()
        for a in args:
            if isinstance(a, tt.Tensor) and a.requires_grad:
                grads.append(None if a.grad is None else a.grad.numpy().copy())
                a.grad = None
    return values, grads


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_row_replays_as_a_program_equal_to_eager(case):
    sample = _draw(case)
    args, kwargs = sample.leaves(), sample.kwargs

    def fn(*xs):
        return case.fn(*xs, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _run(fn, args)
        compiled = tt.compile(fn)
        for _ in range(3):  # the trace, then two replays
            got = _run(compiled, args)
            assert len(got[0]) == len(want[0]) and len(got[1]) == len(want[1])
            assert all(_same(a, b) for a, b in zip(got[0] + got[1], want[0] + want[1]))
    assert compiled.program is not None, [str(b) for b in compiled.entries[0].breaks]
    assert compiled.traces == 1


def test_mixed_dtypes_promote_through_cast_kernels_in_the_program():
    def f(i, x, h):
        return (i + x) * h / i + (i < x).to(tt.float32)

    g = tt.compile(f)
    x = tt.tensor([0.5, 1.5, -2.0], requires_grad=True)
    h = tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64)
    for vals in ([1, 2, 3], [4, -5, 6], [7, 8, -9]):
        i = tt.tensor(vals)
        y = g(i, x, h)
        y.sum().backward()
        got, x.grad = x.grad.numpy().copy(), None
        ye = f(i, x, h)
        ye.sum().backward()
        assert _same(y.detach().numpy(), ye.detach().numpy()) and _same(got, x.grad.numpy())
        x.grad = None
    assert g.program is not None and g.traces == 1
    assert "Cast" in str(g.program)


@pytest.mark.parametrize("check", [tt.allclose, tt.equal])
def test_a_branch_on_allclose_or_equal_is_never_stale(check):
    def f(x, y):
        return x * 2.0 if check(x, y) else x - 1.0

    g = tt.compile(f)
    x = tt.tensor([1.0, 2.0])
    for y in ([1.0, 2.0], [1.0, 3.0], [1.0, 2.0], [0.0, 2.0]):
        y = tt.tensor(y)
        assert _same(g(x, y).numpy(), f(x, y).numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tt.masked_select(x, x > 0) * 2.0,
        lambda x: tt.nonzero(x > 0).to(tt.float32).sum() + x,
    ],
    ids=["masked_select", "nonzero"],
)
def test_a_data_dependent_shape_breaks_the_graph_with_eager_results(fn):
    g = tt.compile(fn)
    for vals in ([1.0, -2.0, 3.0], [-1.0, -2.0, 3.0], [1.0, 2.0, 3.0]):
        x = tt.tensor(vals)
        assert _same(g(x).numpy(), fn(x).numpy())
    assert g.program is None
    report = tt.compiler.explain(fn)(tt.tensor([1.0, -2.0, 3.0]))
    assert "depends on the values" in report.break_reasons[0]
