"""Grad mode: whether operations record the graph. The mode is per thread."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    # threading.local re-runs __init__ in each new thread, so each thread starts with grad on.
    def __init__(self):
        self.enabled = True
        self.inference = False


# The grad mode of the calling thread: ops read ``grad_state.enabled`` (is recording on?) and
# ``grad_state.inference``; only the context managers below and the engine write them.
grad_state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded in this thread."""
    return grad_state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (in this thread): no graph is recorded and no version
    counters are checked."""
    return grad_state.inference


class _Mode:
    """Base for context managers that are also usable as decorators (with or without ``()``)."""

    _target = True

    def __init__(self, *args):
        self._saved = []
        # Used bare as a decorator: @no_grad
        self._wrapped = args[0] if len(args) == 1 and callable(args[0]) else None
        if self._wrapped is not None:
            functools.update_wrapper(self, self._wrapped)

    def _set(self):
        grad_state.enabled = self._target

    def __enter__(self):
        self._saved.append((grad_state.enabled, grad_state.inference))
        self._set()
        return self

    def __exit__(self, *exc):
        grad_state.enabled, grad_state.inference = self._saved.pop()
        return False

    def __call__(self, *args, **kwargs):
        if self._wrapped is not None:
            with self.__class__():
                return self._wrapped(*args, **kwargs)
        fn = args[0]

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with self.__class__():
                return fn(*a, **k)

        return wrapper


class no_grad(_Mode):
    """Context manager / decorator: operations inside record no graph."""

    _target = False


class enable_grad(_Mode):
    """Context manager / decorator: turn recording back on inside a ``no_grad`` block."""

    _target = True


class inference_mode(_Mode):
    """Like ``no_grad``, for code that never backprops. ``inference_mode(False)`` turns
    recording on and inference mode off inside the block, as in PyTorch."""

    def __init__(self, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            super().__init__(mode)
            self._on = True
        else:
            super().__init__()
            self._on = bool(mode)

    def _set(self):
        grad_state.enabled = not self._on
        grad_state.inference = self._on

    def __call__(self, *args, **kwargs):
        if self._wrapped is not None:
            with inference_mode(self._on):
                return self._wrapped(*args, **kwargs)
        fn, on = args[0], self._on

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with inference_mode(on):
                return fn(*a, **k)

        return wrapper


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` switches recording off: a call, a context or a decorator."""

    def __init__(self, mode: bool):
        super().__init__()
        self._target = bool(mode)
        # Like PyTorch, calling it as a plain function takes effect at once.
        self._prev = (grad_state.enabled, grad_state.inference)
        grad_state.enabled = self._target

    def __enter__(self):
        self._saved.append(self._prev)
        return self

    def __call__(self, fn):
        mode = self._target
        grad_state.enabled, grad_state.inference = self._prev

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with set_grad_enabled(mode):
                return fn(*a, **k)

        return wrapper
