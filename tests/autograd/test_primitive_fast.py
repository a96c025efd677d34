"""A primitive's ``fast`` kernel (tinytensor/autograd/primitive.py): ``apply`` and ``compute``
call the C callable in the declared kernel's place, the tracer sees the same call and result,
a floating-point warning made an error falls back to the declared (quiet) kernel, a kernel
without ``fast`` is never run twice, and NumPy's warnings from a C kernel stay silent under the
default filters while the caller's own NumPy code still warns."""

from __future__ import annotations

import math
import operator
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from call_counting import Counting

import tinytensor as tt
from tinytensor.autograd.primitive import Primitive, set_tracer
from tinytensor.ops.binary import ADD, DIV, MUL, SUB

INF, NAN = math.inf, math.nan


class _Tracer:
    """Records every ``step`` a primitive reports."""

    def __init__(self):
        self.steps = []

    def step(self, prim, inputs, args, attrs, out, scalar=False):
        self.steps.append((prim, inputs, args, attrs, out, scalar))


def _twice_backward(g):
    return (g * 2.0,)


def _quiet_twice(a):
    with np.errstate(all="ignore"):
        return a * 2.0


def test_apply_and_compute_call_fast_in_the_kernels_place():
    kernel, fast = Counting(_quiet_twice), Counting(lambda a: a * 2.0)
    prim = Primitive("Twice", kernel, _twice_backward, fast=fast)
    x = tt.tensor([1.0, -3.0], requires_grad=True)
    y = prim.apply((x,), (x._data,))
    assert (fast.count, kernel.count) == (1, 0)
    np.testing.assert_array_equal(y._data, [2.0, -6.0])
    assert y.grad_fn is not None and repr(y.grad_fn) == "<TwiceBackward>"
    out = prim.compute((x,), (x._data,))
    assert (fast.count, kernel.count) == (2, 0)
    np.testing.assert_array_equal(out, [2.0, -6.0])
    assert prim.kernel is kernel and prim.fast is fast  # what a compiled program replays
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])


def test_a_floating_point_signal_falls_back_to_the_kernel():
    def signalling(a):
        raise FloatingPointError("overflow encountered in multiply")

    kernel = Counting(_quiet_twice)
    prim = Primitive("Twice", kernel, _twice_backward, fast=signalling)
    x = tt.tensor([1e308, 1.0])
    for run in (lambda: prim.apply((x,), (x._data,))._data, lambda: prim.compute((x,), (x._data,))):
        np.testing.assert_array_equal(run(), [INF, 2.0])
    assert kernel.count == 2


def test_a_kernel_without_fast_is_not_run_again():
    def warns(a):
        raise RuntimeWarning("Mean of empty slice")

    kernel = Counting(warns)
    prim = Primitive("Warns", kernel, _twice_backward)
    x = tt.tensor([1.0])
    with pytest.raises(RuntimeWarning, match="empty slice"):
        prim.apply((x,), (x._data,))
    with pytest.raises(RuntimeWarning, match="empty slice"):
        prim.compute((x,), (x._data,))
    assert kernel.count == 2  # once each: the signal was the kernel's own, not retried


def test_the_tracer_sees_the_fast_kernels_call_and_result():
    a, b = tt.tensor([1.0, 2.0]), tt.tensor([3.0, 0.5])
    c, d = tt.tensor(2.0), tt.tensor(3.0)
    tr = _Tracer()
    prev = set_tracer(tr)
    try:
        y = a * b
        s = c + d  # a 0-d result: NumPy's scalar made a 0-d array
    finally:
        set_tracer(prev)
    (p1, in1, args1, attrs1, out1, sc1), (p2, _, _, _, out2, sc2) = tr.steps
    assert p1 is MUL and in1 == (a, b) and attrs1 is None and not sc1
    assert args1[0] is a._data and args1[1] is b._data
    assert out1 is y._data
    assert p2 is ADD and sc2 is True and out2.__class__ is np.ndarray and out2.shape == ()
    assert s._data is out2 and s.item() == 5.0


@pytest.mark.parametrize("prim", [ADD, SUB, MUL, DIV], ids=lambda p: p.name)
def test_fast_equals_the_declared_kernel(prim):
    rng = np.random.default_rng(0)
    vals = np.array([0.0, -0.0, 1.0, -2.5, INF, -INF, NAN, 1e308, -1e-310, 3e38])
    for dt in (np.float32, np.float64):
        a = rng.permutation(vals).astype(dt)
        b = rng.permutation(vals).astype(dt)
        two = np.array(2.0, dt)
        cases = [(a, b), (a.reshape(2, 5), b[:5]), (a[:1].reshape(()), b), (a[3:4], two)]
        for x, y in cases:
            with np.errstate(all="ignore"):
                fast = prim.fast(x, y)
                kernel = prim.kernel(x, y)
            assert fast.dtype == kernel.dtype and np.shape(fast) == np.shape(kernel)
            np.testing.assert_array_equal(fast, kernel)


_SILENT = """
import math, warnings
import numpy as np
import tinytensor as tt
INF = math.inf
with warnings.catch_warnings(record=True) as seen:
    assert (tt.tensor(3e38) * tt.tensor(10.0)).item() == INF
    assert math.isnan((tt.tensor(INF) + tt.tensor(-INF)).item())
    assert math.isnan((tt.tensor(INF) - tt.tensor(INF)).item())
    assert math.isnan((tt.tensor(0.0) / tt.tensor(0.0)).item())
    assert math.isnan((tt.tensor([0.0]) * INF).item())
    np.array(1e300) * np.array(1e300)  # the caller's own NumPy code still warns
print([str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)])
"""


def test_hot_ops_are_silent_under_the_default_filters():
    # A fresh process, with the filters a program has (pytest drops the module filters that an
    # import during collection installs): a C kernel's warning, which NumPy attributes to
    # autograd.primitive, must be dropped there, and only the caller's own one shown.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONWARNINGS")}
    done = subprocess.run(
        [sys.executable, "-c", _SILENT], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['overflow encountered in multiply']", done.stdout


def test_hot_ops_are_quiet_when_warnings_are_errors():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert (tt.tensor(3e38) * tt.tensor(10.0)).item() == INF
        assert math.isnan((tt.tensor(INF) + tt.tensor(-INF)).item())
        assert math.isnan((tt.tensor(0.0) / 0.0).item())
        x = tt.tensor(0.0, requires_grad=True)
        (x / 0.0).backward()
        assert x.grad.item() == INF
    assert operator.mul is MUL.fast and operator.truediv is DIV.fast


@pytest.mark.torch
def test_hot_ops_on_edge_values_as_pytorch():
    torch = pytest.importorskip("torch")
    vals = [0.0, -0.0, 1.0, -2.5, INF, -INF, NAN, 3e38, -1e-40]
    a = np.array(vals, np.float32)
    b = np.roll(a, 3)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for name in ("add", "sub", "mul", "div"):
            ours = getattr(tt, name)(tt.tensor(a), tt.tensor(b)).numpy()
            theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=name)
