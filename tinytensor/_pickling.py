"""Pickled objects inside a ``tt.save`` file, and the ``weights_only`` rules for reading them.

``tt.save`` keeps its pickle-free format for what it can describe (tensors, arrays, numbers,
strings and containers of them). Anything else (a whole module, an optimizer, a custom class)
is pickled as PyTorch does, into the same kind of ``.npz`` archive: the pickle bytes are one
member and every tensor and numeric array in the object is an ``.npy`` member the pickle points
to by a persistent id, so no tensor data goes through pickle.

``tt.load(..., weights_only=True)`` (the default) reads such a pickle with an unpickler that
looks up no global outside a small allowlist (containers, dtypes, ``Size``, ``device``) plus
what the user allowed with ``add_safe_globals`` / ``safe_globals``: anything else is refused
with PyTorch's message before it is called, so a hostile file runs no code.
``weights_only=False`` unpickles normally, for files from a trusted source.
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools

from tinytensor._dtype import _by_name
from tinytensor.core import wrap
from tinytensor.core.device import device
from tinytensor.core.size import Size
from tinytensor.nn.parameter import Parameter
from tinytensor.tensor import Tensor

# Globals a weights-only load may call: each builds plain data and allocates nothing large
# from a small argument (no bytearray(n), no codecs).
_DEFAULT_SAFE = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "tinytensor._dtype._by_name": _by_name,
    "tinytensor.core.size.Size": Size,
    "tinytensor.core.device.device": device,
}
_TENSOR_KINDS = {"Tensor": Tensor, "Parameter": Parameter}

_user_safe: dict[str, object] = {}  # "module.qualname" -> object
_user_entries: list = []  # as given, for get_safe_globals()


def _global_name(obj) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if module is None or qualname is None:
        raise TypeError(
            f"add_safe_globals: {obj!r} has no __module__/__qualname__; give it as a tuple "
            "(obj, 'module.name')"
        )
    return f"{module}.{qualname}"


def add_safe_globals(safe_globals) -> None:
    """Allow ``tt.load(weights_only=True)`` to use these classes and functions.

    Each entry is a class or function, or a ``(obj, "module.name")`` tuple naming it as the
    checkpoint does. Only add what you trust: an allowed class is called while loading.
    """
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f"add_safe_globals expects a list, got {type(safe_globals).__name__}")
    for entry in safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise ValueError(
                    f"add_safe_globals: a tuple entry must be (obj, 'module.name'), got {entry!r}"
                )
            _user_safe[entry[1]] = entry[0]
        else:
            _user_safe[_global_name(entry)] = entry
        _user_entries.append(entry)


def get_safe_globals() -> list:
    """The entries added with ``add_safe_globals`` (or an active ``safe_globals`` block)."""
    return list(_user_entries)


def clear_safe_globals() -> None:
    """Forget every entry added with ``add_safe_globals``."""
    _user_safe.clear()
    _user_entries.clear()


class safe_globals:
    """Context manager: ``with safe_globals([MyNet]): tt.load(f)`` allows those globals for
    the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._saved = (dict(_user_safe), list(_user_entries))
        add_safe_globals(self.safe_globals)
        return self

    def __exit__(self, *exc):
        _user_safe.clear()
        _user_safe.update(self._saved[0])
        _user_entries[:] = self._saved[1]
        return False


def _unsupported_global(full: str) -> str:
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint.\n\t(1) "
        "Re-running `tt.load` with `weights_only` set to `False` will likely succeed, but it "
        "can result in arbitrary code execution. Do it only if you got the file from a trusted "
        "source.\n\t(2) Alternatively, to load with `weights_only=True` please check the "
        "recommended steps in the following error message.\n\tWeightsUnpickler error: "
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`tinytensor.serialization.add_safe_globals([{full}])` or the "
        f"`tinytensor.serialization.safe_globals([{full}])` context manager to allowlist this "
        "global if you trust this class/function."
    )


# --- save -------------------------------------------------------------------------------------


class _Pickler(pickle.Pickler):
    """Pickles ``obj`` with its Tensors, Parameters and numeric arrays replaced by persistent
    ids naming archive members (``store(array) -> key``)."""

    def __init__(self, file, store):
        super().__init__(file, protocol=4)
        self._store = store
        self._keys = {}  # id(obj) -> key: one member per object, identity restored on load
        self._alive = []  # keep the objects alive so their ids stay unique while pickling

    def persistent_id(self, obj):
        cls = type(obj)
        if cls is Tensor or cls is Parameter:
            key = self._key(obj, obj._data)
            leaf_grad = bool(obj._requires_grad)
            return ("tensor", key, cls.__name__, leaf_grad)
        if cls.__module__ == "numpy" and cls.__name__ == "ndarray" and obj.dtype.kind in "biuf":
            return ("ndarray", self._key(obj, obj))
        return None

    def _key(self, obj, arr):
        key = self._keys.get(id(obj))
        if key is None:
            key = self._keys[id(obj)] = self._store(arr)
            self._alive.append(obj)
        return key


def dumps(obj, store) -> bytes:
    """The pickle of ``obj`` (tensors and arrays go through ``store``); a pickling failure is
    re-raised with ``tt.save`` named, before anything is written."""
    buf = io.BytesIO()
    try:
        _Pickler(buf, store).dump(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        raise type(e)(
            f"tt.save: cannot pickle the object ({type(obj).__name__}): {e}; save its "
            "state_dict() instead"
        ) from e
    return buf.getvalue()


# --- load -------------------------------------------------------------------------------------


class _Unpickler(pickle.Unpickler):
    def __init__(self, data, load_array, weights_only):
        super().__init__(io.BytesIO(data))
        self._load_array = load_array
        self._weights_only = weights_only
        self._cache = {}

    def find_class(self, module, name):
        if not self._weights_only:
            return super().find_class(module, name)
        full = f"{module}.{name}"
        if full in _DEFAULT_SAFE:
            return _DEFAULT_SAFE[full]
        if full in _user_safe:
            return _user_safe[full]
        raise pickle.UnpicklingError(_unsupported_global(full))

    def persistent_load(self, pid):
        ok = isinstance(pid, tuple) and len(pid) in (2, 4) and isinstance(pid[1], str)
        if ok and pid[0] == "tensor" and len(pid) == 4:
            ok = pid[2] in _TENSOR_KINDS and isinstance(pid[3], bool)
        elif ok:
            ok = pid[0] == "ndarray" and len(pid) == 2
        if not ok:
            raise pickle.UnpicklingError(f"unsupported persistent id {str(pid)[:80]!r}")
        if pid in self._cache:
            return self._cache[pid]
        arr = self._load_array(pid[1]).copy()
        if pid[0] == "ndarray":
            out = arr
        else:
            out = wrap(arr)
            if pid[2] == "Parameter":
                out = Parameter(out, requires_grad=False)
            if pid[3] and arr.dtype.kind == "f":
                out.requires_grad_(True)
        self._cache[pid] = out
        return out


def loads(data: bytes, load_array, weights_only: bool):
    """Unpickle ``data``; ``load_array(key)`` reads an archive member (checked)."""
    return _Unpickler(data, load_array, weights_only).load()


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
               "BINSTRING", "SHORT_BINSTRING"}  # fmt: skip


def globals_in(data: bytes) -> list[str]:
    """Every ``module.name`` global the pickle ``data`` refers to, read without running it."""
    found, strings, memo, last = [], [], {}, None
    for op, arg, _ in pickletools.genops(data):
        name = op.name
        if name in _STRING_OPS:
            last = arg
            strings.append(arg)
        elif name == "MEMOIZE":
            memo[len(memo)] = last
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = last
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            last = memo.get(arg)
            strings.append(last)
        elif name in ("GLOBAL", "INST"):
            found.append(".".join(str(arg).split(" ", 1)))
        elif name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
        else:
            last = None
    return list(dict.fromkeys(found))


def unsafe_globals(data: bytes) -> list[str]:
    """The globals of ``data`` that a weights-only load would refuse."""
    return [g for g in globals_in(data) if g not in _DEFAULT_SAFE and g not in _user_safe]
