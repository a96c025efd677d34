"""Tensor.register_post_accumulate_grad_hook: called on a leaf after its .grad has accumulated
(the optimizer-in-backward pattern), refused on non-leaves and tensors without gradient."""

import copy
import gc
import os
import pathlib
import subprocess
import sys
import weakref

import numpy as np
import pytest

import tinytensor as tt


def test_post_accumulate_grad_hook_sees_accumulated_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(seen[1], [5.0, 7.0])  # 3 + 2x: called after accumulating
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_grad_hook_can_step_and_clear():
    """The optimizer-in-backward pattern: update the leaf and drop its grad in the hook."""
    x = tt.tensor([1.0, 2.0], requires_grad=True)

    def step(t):
        with tt.no_grad():
            t.sub_(0.5 * t.grad)
        t.grad = None

    x.register_post_accumulate_grad_hook(step)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.detach().numpy(), [0.0, 0.0])
    assert x.grad is None


def test_post_accumulate_grad_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tt.ones(2).register_post_accumulate_grad_hook(print)
    y = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.register_post_accumulate_grad_hook(print)


@pytest.mark.torch
def test_post_accumulate_grad_hook_matches_torch():
    torch = pytest.importorskip("torch")
    calls = {}
    for lib in (tt, torch):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        log = calls.setdefault(lib.__name__, [])
        x.register_post_accumulate_grad_hook(lambda t, log=log: log.append(t.grad.tolist()))
        y = (x * x).sum()
        lib.autograd.backward([y, (x * 2).sum()])
        (x.exp()).sum().backward()
    assert np.allclose(calls["tinytensor"], calls["torch"])


# --- where the hooks live: on the leaf, so they go with it --------------------------------------


def _leaf_with_a_hook(log, closure):
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    if closure:  # the hook's closure holds the leaf: a cycle only gc can break
        x.register_post_accumulate_grad_hook(lambda t: log.append(x.grad.tolist()))
    else:
        x.register_post_accumulate_grad_hook(lambda t: log.append(t.grad.tolist()))
    return weakref.ref(x)


@pytest.mark.parametrize("closure", [False, True])
def test_a_dropped_leaf_takes_its_hooks_with_it(closure):
    log = []
    ref = _leaf_with_a_hook(log, closure)
    gc.collect()
    assert ref() is None  # nothing outside the tensor kept it (or its hooks) alive
    for _ in range(50):  # new leaves (some reusing the dead one's id) run no old hook
        y = tt.tensor([3.0, 4.0], requires_grad=True)
        (y * 2).sum().backward()
        del y
    assert log == []


def test_hooks_run_in_order_once_per_accumulation():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    h1 = x.register_post_accumulate_grad_hook(lambda t: calls.append(("a", t.grad.tolist())))
    x.register_post_accumulate_grad_hook(lambda t: calls.append(("b", t.grad.tolist())))
    (x * 2 + x * 3).sum().backward()  # x used twice: one accumulation, each hook once
    assert calls == [("a", [5.0, 5.0]), ("b", [5.0, 5.0])]
    (x * x).sum().backward()
    assert calls[2:] == [("a", [7.0, 9.0]), ("b", [7.0, 9.0])]
    h1.remove()
    h1.remove()  # removing twice is harmless
    tt.autograd.grad((x * 2).sum(), x)  # grad() accumulates nothing: no hook
    assert len(calls) == 4
    (x * 1).sum().backward()
    assert calls[4:] == [("b", [8.0, 10.0])]


def test_hooks_stay_on_their_own_leaf():
    x = tt.ones(2, requires_grad=True)
    y = tt.ones(2, requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t is x))
    (y * 2).sum().backward()
    assert seen == []
    (x * y).sum().backward()
    assert seen == [True]
    assert y.detach().requires_grad is False and copy.deepcopy(x).grad is not None
    (copy.deepcopy(x) * 2).sum().backward()  # a copy has no hooks, as in PyTorch
    assert seen == [True]


def test_no_error_is_printed_at_interpreter_exit():
    code = (
        "import tinytensor as tt\n"
        "x = tt.ones(2, requires_grad=True)\n"
        "x.register_post_accumulate_grad_hook(lambda t: x)\n"
        "(x * 2).sum().backward()\n"
    )
    root = pathlib.Path(tt.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.torch
def test_order_and_count_match_torch():
    torch = pytest.importorskip("torch")
    calls = {}
    for lib in (tt, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        log = calls.setdefault(lib.__name__, [])
        handles = [
            x.register_post_accumulate_grad_hook(
                lambda t, k=k, log=log: log.append((k, t.grad.tolist()))
            )
            for k in range(3)
        ]
        (x * 2 + x * 3).sum().backward()
        handles[1].remove()
        (x * x).sum().backward()
        lib.autograd.grad((x * 2).sum(), x)
    assert calls["tinytensor"] == calls["torch"]
