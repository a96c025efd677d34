"""NumPy's floating-point warnings never leak from an op (issue #20): NaN and inf follow IEEE
silently, as in PyTorch. Every op-table row runs forward and backward on edge values (0, -0,
+-1, +-inf, NaN, values near overflow) with warnings turned into errors and NumPy set to raise;
an op may refuse such inputs with an error of its own, never with a NumPy warning."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinytensor as tt
from ops.optable import ALL_CASES

F = tt.nn.functional
INF, NAN = math.inf, math.nan
EDGES = np.array([0.0, -1.0, 2.0, INF, -0.0, NAN, 1e300, -INF, 0.5, -1e300, 1.0, -2.0, 1e-310])
LEAKS = (RuntimeWarning, FloatingPointError)


def _edge_like(t, shift):
    """``t`` with its values replaced by the edge values (cycled from ``shift``)."""
    n = t.numel()
    vals = np.resize(np.roll(EDGES, -shift), n).reshape(tuple(t.shape)).astype(t.dtype.np)
    return tt.tensor(vals, dtype=t.dtype, requires_grad=t.requires_grad)


def _strict(fn):
    """Run ``fn`` with every warning an error and NumPy raising: ``(leak, result)``.

    Errors an op raises on purpose (a domain check, a singular matrix) are not leaks."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        try:
            return None, fn()
        except LEAKS as e:
            return e, None
        except Exception:  # noqa: BLE001 - the op's own refusal of an edge value
            return None, None


def test_the_strict_runner_sees_a_leak():
    assert isinstance(_strict(lambda: np.sqrt(np.array(-1.0)))[0], LEAKS)
    assert isinstance(_strict(lambda: np.array(1e300) * 1e300)[0], LEAKS)
    assert _strict(lambda: tt.sqrt(tt.tensor(4.0)))[0] is None


def _forward_and_backward(case, sample, shift):
    args = tuple(
        _edge_like(a, shift + i) if isinstance(a, tt.Tensor) and a.is_floating_point() else a
        for i, a in enumerate(sample.leaves())
    )
    leak, outs = _strict(lambda: case.fn(*args, **sample.kwargs))
    if leak is not None:
        return f"{case.name} forward: {leak}"
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    diff = [o for o in outs if isinstance(o, tt.Tensor) and o.requires_grad]
    if diff:
        leak, _ = _strict(lambda: sum(o.sum() for o in diff).backward())
        if leak is not None:
            return f"{case.name} backward: {leak}"
    return None


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
@settings(
    max_examples=1,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_op_table_rows_are_quiet_on_edge_values(case, data):
    sample = data.draw(case.inputs)
    for shift in (0, 3, 5, 9):  # every edge value reaches every input position
        problem = _forward_and_backward(case, sample, shift)
        assert problem is None, problem


QUIET_CASES = {
    "sqrt(-1)": lambda: tt.sqrt(tt.tensor(-1.0)),
    "log(0)": lambda: tt.log(tt.tensor(0.0)),
    "log(-1)": lambda: tt.log(tt.tensor(-1.0)),
    "0/0": lambda: tt.tensor(0.0) / tt.tensor(0.0),
    "1/0": lambda: tt.tensor(1.0) / 0,
    "int/0": lambda: tt.tensor([1]) / 0,
    "acos(2)": lambda: tt.acos(tt.tensor(2.0)),
    "pow(0,-1)": lambda: tt.pow(tt.tensor(0.0), -1),
    "pow(-1,0.5)": lambda: tt.tensor(-1.0) ** 0.5,
    "exp(1000)": lambda: tt.exp(tt.tensor(1000.0)),
    "float32 overflow *": lambda: tt.tensor(3e38) * tt.tensor(10.0),
    "inf - inf": lambda: tt.tensor(INF) + tt.tensor(-INF),
    "0 * inf": lambda: tt.tensor(0.0) * INF,
    "sin(inf)": lambda: tt.sin(tt.tensor(INF)),
    "softmax with inf": lambda: tt.softmax(tt.tensor([INF, 1.0]), 0),
    "log_softmax with inf": lambda: tt.log_softmax(tt.tensor([INF, 1.0]), 0),
    "rsqrt(0)": lambda: tt.rsqrt(tt.tensor(0.0)),
    "remainder(1,0)": lambda: tt.remainder(tt.tensor(1.0), 0.0),
    "floor_divide(1,0)": lambda: tt.floor_divide(tt.tensor(1.0), 0.0),
    "log1p(-1)": lambda: tt.log1p(tt.tensor(-1.0)),
    "nan to int": lambda: tt.tensor(NAN).to(tt.int32),
    "norm overflow": lambda: tt.norm(tt.tensor([3e38, 3e38])),
    "sum overflow": lambda: tt.tensor([3e38, 3e38]).sum(),
    "prod overflow": lambda: tt.tensor([3e38, 3e38]).prod(),
    "cumprod overflow": lambda: tt.cumprod(tt.tensor([3e38, 3e38]), 0),
    "matmul overflow": lambda: tt.tensor([[3e38]]) @ tt.tensor([[3e38]]),
    "gelu(-1e30)": lambda: F.gelu(tt.tensor(-1e30)),
    "in-place add_ inf": lambda: tt.tensor([INF]).add_(-INF),
    "in-place mul_ overflow": lambda: tt.tensor([3e38]).mul_(10.0),
    "in-place sqrt_": lambda: tt.tensor([-1.0]).sqrt_(),
    "sqrt backward at 0": lambda: tt.sqrt(tt.tensor(0.0, requires_grad=True)).backward(),
    "log backward at 0": lambda: tt.log(tt.tensor(0.0, requires_grad=True)).backward(),
    "grad of x/0": lambda: tt.autograd.grad(
        tt.tensor(1.0, requires_grad=True) / 0.0, tt.tensor(1.0, requires_grad=True),
        allow_unused=True,
    ),
    "mse on inf": lambda: F.mse_loss(tt.tensor([INF]), tt.tensor([INF])),
    "cross_entropy inf logits": lambda: F.cross_entropy(
        tt.tensor([[INF, 0.0]], requires_grad=True), tt.tensor([1])
    ).backward(),
    "layer_norm constant": lambda: F.layer_norm(tt.tensor([[INF, 1.0]]), (2,)),
    "normalize zeros": lambda: F.normalize(tt.zeros(2, 3)),
    "sigmoid(-1000)": lambda: tt.sigmoid(tt.tensor(-1000.0)),
    "tanh(inf)": lambda: tt.tanh(tt.tensor([INF, -INF, NAN])),
    "relu(nan)": lambda: tt.relu(tt.tensor([NAN])),
    "polygamma at poles": lambda: tt.polygamma(1, tt.tensor([-INF, -1e300, -3.0, 0.0])),
    "digamma backward at -inf": lambda: tt.digamma(tt.tensor(-INF, requires_grad=True)).backward(),
}


@pytest.mark.parametrize("fn", QUIET_CASES.values(), ids=QUIET_CASES.keys())
def test_edge_values_are_silent(fn):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        fn()  # no RuntimeWarning, no FloatingPointError


def test_ieee_results_as_pytorch():
    # The values are IEEE's (NumPy's), without a word: as PyTorch prints them.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(tt.sqrt(tt.tensor(-1.0)).item())
        assert tt.log(tt.tensor(0.0)).item() == -INF
        assert math.isnan((tt.tensor(0.0) / 0.0).item())
        assert (tt.tensor(1.0) / 0.0).item() == INF
        assert math.isnan(tt.acos(tt.tensor(2.0)).item())
        assert tt.pow(tt.tensor(0.0), -1.0).item() == INF
        assert (tt.tensor(3e38) * 10.0).item() == INF
        x = tt.tensor(0.0, requires_grad=True)
        tt.sqrt(x).backward()
        assert x.grad.item() == INF


def test_polygamma_poles_end_and_give_inf():
    # Poles (0, negative integers, every float below -2**52) once looped forever.
    out = tt.polygamma(1, tt.tensor([-INF, -1e300, -3.0, 0.0, -2.5], dtype=tt.float64))
    assert out.tolist()[:4] == [INF] * 4
    assert out.tolist()[4] == pytest.approx(9.539246644989, rel=1e-9)


def test_the_callers_numpy_settings_are_untouched():
    before = np.geterr()
    tt.sqrt(tt.tensor(-1.0))
    tt.tensor(1.0) / 0.0
    assert np.geterr() == before
    with pytest.warns(RuntimeWarning):
        np.sqrt(np.array(-1.0))  # the caller's own NumPy code still warns as NumPy does
