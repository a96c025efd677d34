"""Shared machinery of the bad-input matrix: rows, state snapshots and the "clear error" check.

A row is ``Bad(id, call, *must)``: ``call(env)`` makes one bad call on objects from a fresh
``env``; it must raise an exception that

* is one of ``RuntimeError, TypeError, ValueError, IndexError`` (or a subclass a row names),
  is not a NumPy exception class, and was raised by tinytensor's own code (the innermost
  traceback frame is inside the ``tinytensor`` package, not inside NumPy);
* has a message naming every string in ``must`` (the op, the shapes/dtypes involved), where a
  shape ``(2, 3)`` may also be written ``[2, 3]``; ``a|b`` accepts either;

and every tensor, ``.grad``, module and optimizer in ``env`` must be exactly as before the call.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field

import numpy as np

import tinytensor as tt

ALLOWED = (RuntimeError, TypeError, ValueError, IndexError)
PKG_DIR = os.path.dirname(os.path.abspath(tt.__file__))


@dataclass
class Bad:
    id: str
    call: object
    must: tuple = ()
    raises: tuple = ALLOWED
    marks: list = field(default_factory=list)

    def __init__(self, id, call, *must, raises=ALLOWED, marks=()):
        self.id, self.call, self.must, self.raises, self.marks = id, call, must, raises, list(marks)


# --- snapshots --------------------------------------------------------------------------------


def _tensor_state(t):
    g = t.grad
    return (
        t.shape,
        t.dtype,
        t.detach().numpy().copy(),
        None if g is None else (g.shape, g.detach().numpy().copy()),
        t.requires_grad,
        t.grad_fn,
        t._version,
    )


def _arrays_equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_arrays_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_arrays_equal(a[k], b[k]) for k in a)
    if isinstance(a, tt.Tensor) and isinstance(b, tt.Tensor):
        return _arrays_equal(_tensor_state(a), _tensor_state(b))
    return a is b or a == b


def _module_state(m):
    return (
        m.training,
        [(n, _tensor_state(p)) for n, p in m.named_parameters()],
        [(n, None if b is None else _tensor_state(b)) for n, b in m.named_buffers()],
        [(n, type(c), c.training) for n, c in m.named_modules()],
    )


def _plain(obj, depth=0):
    """A comparable deep copy: tensors become arrays, plain objects their attribute dicts."""
    if depth > 20:
        return ("deep", id(obj))
    if isinstance(obj, tt.Tensor):
        return ("tensor", obj.detach().numpy().copy(), obj.dtype)
    if isinstance(obj, dict):
        return {k: _plain(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v, depth + 1) for v in obj)
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if hasattr(obj, "__dict__") and not isinstance(obj, type) and not callable(obj):
        return ("object", type(obj), _plain(vars(obj), depth + 1))
    if isinstance(obj, (int, float, str, bool, bytes, type(None), complex)):
        return obj
    return ("opaque", type(obj), id(obj))


def snapshot(env):
    """Everything observable about the objects in ``env`` (a dict)."""
    from tinytensor import nn, optim

    out = {}
    for k, v in env.items():
        if isinstance(v, tt.Tensor):
            out[k] = ("tensor", _tensor_state(v))
        elif isinstance(v, nn.Module):
            out[k] = ("module", _module_state(v))
        elif isinstance(v, optim.Optimizer):
            groups = [
                {key: (val if key != "params" else [id(p) for p in val]) for key, val in g.items()}
                for g in v.param_groups
            ]
            state = {id(p): _plain(s) for p, s in v.state.items()}
            out[k] = ("optim", (_plain(groups), state))
        elif isinstance(v, (list, tuple)) and v and isinstance(v[0], tt.Tensor):
            out[k] = ("tensors", [_tensor_state(t) for t in v])
        else:
            out[k] = ("other", _plain(v) if not callable(v) else id(v))
    out["__grad_mode__"] = ("mode", (tt.is_grad_enabled(), tt.get_default_dtype()))
    return out


def assert_unchanged(before, after, row_id):
    for k in before:
        if not _arrays_equal(before[k], after[k]):
            raise AssertionError(f"{row_id}: the failed call changed {k!r}")


# --- the clear-error check --------------------------------------------------------------------


def _shape_alternatives(token):
    m = re.fullmatch(r"\(([\d, ]*)\)", token)
    if not m:
        return [token]
    inner = m.group(1).rstrip(",").strip()
    return [token, f"[{inner}]", f"({inner})", "x".join(p.strip() for p in inner.split(","))]


def message_names(msg, token):
    low = msg.lower()
    for alt in token.split("|"):
        if any(a.lower() in low for a in _shape_alternatives(alt)):
            return True
    return False


def check_clear_error(row, exc):
    """Raise AssertionError unless ``exc`` is a clear, tinytensor-raised error for ``row``."""
    if not isinstance(exc, row.raises):
        raise AssertionError(f"{row.id}: {type(exc).__name__} is not one of {row.raises}: {exc}")
    mod = type(exc).__module__
    if mod.startswith("numpy"):
        raise AssertionError(f"{row.id}: a NumPy exception leaked: {type(exc).__name__}: {exc}")
    frames = traceback.extract_tb(exc.__traceback__)
    last = os.path.abspath(frames[-1].filename) if frames else ""
    if not last.startswith(PKG_DIR):
        raise AssertionError(
            f"{row.id}: raised from {last}:{frames[-1].lineno if frames else '?'} "
            f"(not tinytensor's own check): {type(exc).__name__}: {exc}"
        )
    msg = str(exc)
    missing = [t for t in row.must if not message_names(msg, t)]
    if missing:
        raise AssertionError(f"{row.id}: message {msg!r} does not name {missing}")


def run_row(row, make_env):
    env = make_env()
    before = snapshot(env)
    try:
        result = row.call(env)
    except Exception as exc:  # noqa: BLE001 - the point is to inspect whatever was raised
        check_clear_error(row, exc)
    else:
        raise AssertionError(f"{row.id}: no error; returned {result!r}")
    assert_unchanged(before, snapshot(env), row.id)
