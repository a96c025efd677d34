"""The global switches of the torch namespace: determinism (``use_deterministic_algorithms``,
the deterministic debug mode), float32 matmul precision, ``set_warn_always``,
``set_flush_denormal`` and ``set_anomaly_enabled``. On NumPy most of them change nothing but
are remembered, so a program that sets one reads back what it set.
"""

from __future__ import annotations

from tinytensor.autograd.node import _Anomaly


class _Switches:
    deterministic = False
    warn_only = False
    matmul_precision = "highest"
    warn_always = False


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Accepted and remembered: every tinytensor kernel is already deterministic on the CPU."""
    _Switches.deterministic = bool(mode)
    _Switches.warn_only = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in force (every tinytensor kernel is
    deterministic either way).

    >>> tt.use_deterministic_algorithms(True)
    >>> tt.are_deterministic_algorithms_enabled()
    True
    >>> tt.use_deterministic_algorithms(False)"""
    return _Switches.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms`` was last called with ``warn_only=True``."""
    return _Switches.warn_only


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/'default', 1/'warn' or 2/'error', as ``use_deterministic_algorithms`` sets it."""
    modes = {"default": 0, "warn": 1, "error": 2}
    mode = modes.get(debug_mode, debug_mode)
    if mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1 or 2, got {debug_mode}")
    use_deterministic_algorithms(mode > 0, warn_only=mode == 1)


def get_deterministic_debug_mode() -> int:
    """The deterministic debug mode as a number: 0 (off), 1 (warn: deterministic with
    ``warn_only``) or 2 (error); see ``set_deterministic_debug_mode``.

    >>> tt.set_deterministic_debug_mode("warn")
    >>> tt.get_deterministic_debug_mode()
    1
    >>> tt.set_deterministic_debug_mode(0)"""
    if not _Switches.deterministic:
        return 0
    return 1 if _Switches.warn_only else 2


def set_float32_matmul_precision(precision) -> None:
    """Accepted and remembered ('highest', 'high', 'medium'); NumPy's float32 matmul is full
    precision whatever it says."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: use 'highest', 'high' or 'medium'")
    _Switches.matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set with ``set_float32_matmul_precision``:
    ``'highest'`` (the default), ``'high'`` or ``'medium'``. NumPy computes at full precision
    whatever it says.

    >>> tt.set_float32_matmul_precision("high")
    >>> tt.get_float32_matmul_precision()
    'high'
    >>> tt.set_float32_matmul_precision("highest")"""
    return _Switches.matmul_precision


def set_flush_denormal(mode) -> bool:
    """Not supported on NumPy: returns False, as PyTorch does on CPUs without the feature."""
    return False


def set_warn_always(b) -> None:
    """Remember whether warnings that PyTorch gives once per process should be given every
    time (``b`` is True or False); read it back with ``is_warn_always_enabled``."""
    _Switches.warn_always = bool(b)


def is_warn_always_enabled() -> bool:
    """Whether ``set_warn_always(True)`` is in force.

    >>> tt.set_warn_always(True)
    >>> tt.is_warn_always_enabled()
    True
    >>> tt.set_warn_always(False)"""
    return _Switches.warn_always


def set_anomaly_enabled(enabled, check_nan=True) -> None:
    """Switch anomaly detection on or off for the whole process (``detect_anomaly`` scoped)."""
    _Anomaly.enabled = bool(enabled)
    _Anomaly.check_nan = bool(check_nan)
