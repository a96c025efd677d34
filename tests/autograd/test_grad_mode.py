"""Grad modes nest: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode``,
as context managers and as decorators, in every order, restore the outer mode on a normal exit
and when an exception leaves the block. The mode is per thread.

The state inside a block follows PyTorch 2.13 (checked against it once, written here as a rule):
``no_grad`` and ``set_grad_enabled(b)`` set grad mode and leave inference mode alone;
``inference_mode()`` turns grad off and inference on; ``inference_mode(False)`` turns grad on and
inference off.
"""

from __future__ import annotations

import itertools
import threading

import pytest

import tinytensor as tt

#: name -> (make the context manager, the state inside it given the outer state)
MODES = {
    "no_grad": (lambda: tt.no_grad(), lambda g, i: (False, i)),
    "enable_grad": (lambda: tt.enable_grad(), lambda g, i: (True, i)),
    "set_grad_enabled_false": (lambda: tt.set_grad_enabled(False), lambda g, i: (False, i)),
    "set_grad_enabled_true": (lambda: tt.set_grad_enabled(True), lambda g, i: (True, i)),
    "inference_mode": (lambda: tt.inference_mode(), lambda g, i: (False, True)),
    "inference_mode_false": (lambda: tt.inference_mode(False), lambda g, i: (True, False)),
}

#: name -> (decorate a function, the state inside it given the outer state)
DECORATORS = {
    "no_grad()": (lambda f: tt.no_grad()(f), MODES["no_grad"][1]),
    "no_grad": (lambda f: tt.no_grad(f), MODES["no_grad"][1]),
    "enable_grad()": (lambda f: tt.enable_grad()(f), MODES["enable_grad"][1]),
    "enable_grad": (lambda f: tt.enable_grad(f), MODES["enable_grad"][1]),
    "set_grad_enabled(False)": (
        lambda f: tt.set_grad_enabled(False)(f),
        MODES["set_grad_enabled_false"][1],
    ),
    "set_grad_enabled(True)": (
        lambda f: tt.set_grad_enabled(True)(f),
        MODES["set_grad_enabled_true"][1],
    ),
    "inference_mode()": (lambda f: tt.inference_mode()(f), MODES["inference_mode"][1]),
    "inference_mode": (lambda f: tt.inference_mode(f), MODES["inference_mode"][1]),
    "inference_mode(False)": (
        lambda f: tt.inference_mode(False)(f),
        MODES["inference_mode_false"][1],
    ),
}


#: Modes whose inside state is checked in its own test (so the restore tests stay about restoring).
RULE_TESTED_APART = {"inference_mode_false", "inference_mode(False)"}


def state():
    return (tt.is_grad_enabled(), tt.autograd.grad_mode.is_inference_mode_enabled())


class Boom(Exception):
    pass


@pytest.fixture(autouse=True)
def _default_mode():
    """Each test starts, and must end, with grad on and inference off."""
    assert state() == (True, False)
    yield
    assert state() == (True, False), "a test left the grad mode changed"


def _nestings(depth):
    return [
        pytest.param(names, id="-in-".join(reversed(names)))
        for names in itertools.product(MODES, repeat=depth)
    ]


def _run_nested(names, raise_inside):
    """Enter the modes in order; check the state inside each, and that each exit restores."""
    expected = [state()]
    try:
        _enter(names, expected, raise_inside)
    except Boom:
        assert raise_inside
    assert state() == expected[0]


def _enter(names, expected, raise_inside):
    if not names:
        if raise_inside:
            raise Boom
        return
    make, rule = MODES[names[0]]
    outer = state()
    try:
        with make():
            if names[0] not in RULE_TESTED_APART:
                assert state() == rule(*outer), f"inside {names[0]} (outer {outer})"
            expected.append(state())
            _enter(names[1:], expected, raise_inside)
    finally:
        assert state() == outer, f"{names[0]} did not restore {outer}"


@pytest.mark.parametrize("names", _nestings(2))
@pytest.mark.parametrize("raise_inside", [False, True], ids=["exit", "exception"])
def test_two_modes_nested_restore_the_outer_mode(names, raise_inside):
    _run_nested(names, raise_inside)


def test_three_modes_nested_in_every_order_restore_the_outer_mode():
    for names in itertools.product(MODES, repeat=3):
        for raise_inside in (False, True):
            _run_nested(names, raise_inside)
            assert state() == (True, False), names


def test_an_exception_caught_between_two_blocks_restores_the_middle_mode():
    with tt.inference_mode():
        with tt.enable_grad():
            try:
                with tt.no_grad():
                    raise Boom
            except Boom:
                pass
            assert state() == (True, True)
        assert state() == (False, True)


@pytest.mark.parametrize("outer", list(MODES), ids=lambda n: f"in-{n}")
@pytest.mark.parametrize("name", list(DECORATORS))
def test_decorators_set_the_mode_and_restore_it_on_return_and_on_exception(name, outer):
    decorate, rule = DECORATORS[name]
    seen = []

    @decorate
    def f(fail):
        seen.append(state())
        if fail:
            raise Boom
        return 7

    with MODES[outer][0]():
        before = state()
        assert f(False) == 7
        assert state() == before
        with pytest.raises(Boom):
            f(True)
        assert state() == before
    if name not in RULE_TESTED_APART:
        assert seen == [rule(*before)] * 2


@pytest.mark.parametrize("outer", list(MODES), ids=lambda n: f"in-{n}")
def test_inference_mode_false_turns_grad_on_and_inference_off_like_pytorch(outer):
    """PyTorch 2.13: ``inference_mode(False)`` inside ``no_grad`` or ``inference_mode()`` gives
    ``is_grad_enabled() == True`` and ``is_inference_mode_enabled() == False``."""

    @tt.inference_mode(False)
    def f():
        return state()

    with MODES[outer][0]():
        with tt.inference_mode(False):
            inside = state()
        decorated = f()
    assert (inside, decorated) == ((True, False), (True, False))


def test_decorated_function_is_reentrant_and_keeps_its_name():
    @tt.no_grad()
    def depth(n):
        assert not tt.is_grad_enabled()
        with tt.enable_grad():
            assert tt.is_grad_enabled()
            return n if n == 0 else depth(n - 1) + 1

    assert depth(5) == 5 and depth.__name__ == "depth"
    assert tt.is_grad_enabled()


def test_one_context_manager_object_used_twice_nested():
    ctx = tt.no_grad()
    with ctx:
        with tt.enable_grad():
            with ctx:
                assert not tt.is_grad_enabled()
            assert tt.is_grad_enabled()
        assert not tt.is_grad_enabled()
    assert tt.is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call_takes_effect_at_once():
    tt.set_grad_enabled(False)
    try:
        assert not tt.is_grad_enabled()
        with tt.enable_grad():
            assert tt.is_grad_enabled()
        assert not tt.is_grad_enabled()
    finally:
        tt.set_grad_enabled(True)
    assert tt.is_grad_enabled()


def test_modes_decide_whether_ops_record():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    with tt.no_grad():
        assert not (x * 2).requires_grad
        with tt.enable_grad():
            assert (x * 2).requires_grad
    with tt.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


@pytest.mark.parametrize("name", list(MODES))
def test_a_new_thread_starts_with_grad_on_and_leaves_this_thread_alone(name):
    seen = {}

    def worker():
        seen["start"] = state()
        with tt.no_grad():
            seen["inside"] = state()
            barrier.wait()  # the main thread checks its own mode while this one is in no_grad
            barrier.wait()

    barrier = threading.Barrier(2, timeout=10)
    with MODES[name][0]():
        mine = state()
        t = threading.Thread(target=worker)
        t.start()
        barrier.wait()
        assert state() == mine  # the worker's no_grad did not reach this thread
        barrier.wait()
        t.join(10)
    assert seen == {"start": (True, False), "inside": (False, False)}
