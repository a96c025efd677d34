"""One call's outcome in tinytensor and in PyTorch, compared: the dtype's name and the values
it returned, or the class of the exception it raised (for the edge-case oracle tests)."""

from __future__ import annotations

import numpy as np


def outcome(call):
    """``(dtype name, values)`` of ``call()``, or the class of the exception it raised."""
    try:
        out = call()
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e)
    if isinstance(out, bool):
        return "bool", np.array(out)
    return str(out.dtype).split(".")[1], out.numpy()


def assert_same_outcome(got, want, *, rtol=None, subclass=False):
    """``got`` (tinytensor's ``outcome``) equals ``want`` (PyTorch's): the same exception class
    (or, with ``subclass``, one derived from it), or the same dtype and values (exactly, or
    within ``rtol``)."""
    if isinstance(want, type):
        if subclass:
            assert isinstance(got, type) and issubclass(got, want), (got, want)
        else:
            assert got is want
        return
    assert not isinstance(got, type), got
    assert got[0] == want[0]
    if rtol is None:
        np.testing.assert_array_equal(got[1], want[1])
    else:
        np.testing.assert_allclose(got[1], want[1], rtol=rtol)
