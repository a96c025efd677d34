"""Anomaly mode: find the forward call behind a NaN/inf (or an error) in backward.

While it is on, every node records the stack of the forward call that created it (slow: use
it to debug, not to train), and backward checks each gradient a node returns. The first NaN or
inf raises an error naming the op and showing the user's source line that created it.
"""

from __future__ import annotations

import functools

from tinytensor.autograd.node import _Anomaly


def is_anomaly_enabled() -> bool:
    """True while anomaly mode is on: inside ``detect_anomaly``, or after
    ``set_detect_anomaly(True)``."""
    return _Anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks each gradient for NaN/inf (its ``check_nan`` flag)."""
    return _Anomaly.check_nan


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly mode on for the forward and backward
    passes inside it.

    >>> x = tinytensor.tensor([0.0, 4.0], requires_grad=True)
    >>> with tinytensor.autograd.detect_anomaly():
    ...     y = x.sqrt().sum()   # x has a 0: d sqrt/dx is inf there
    ...     y.backward()
    Traceback (most recent call last):
    ...
    RuntimeError: Function 'SqrtBackward' returned nan or inf ...
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = bool(check_nan)
        self._prev = []

    def __enter__(self):
        self._prev.append((_Anomaly.enabled, _Anomaly.check_nan))
        _Anomaly.enabled, _Anomaly.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns anomaly mode on at once; as a context manager it
    restores the previous setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled, _Anomaly.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev
        return False
