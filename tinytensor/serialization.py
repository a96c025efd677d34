"""``tt.save`` / ``tt.load``: nested containers of tensors in a NumPy ``.npz`` with a JSON manifest.

The file is an ordinary zip of ``.npy`` arrays (``a0``, ``a1``, ...) plus ``__manifest__``,
a UTF-8 JSON document (stored as a uint8 array) describing the structure::

    {"format": "tinytensor", "version": 1,
     "root": {"type": "dict", "items": [[{"type": "str", "value": "fc.weight"},
                                          {"type": "tensor", "array": "a0", ...}], ...]}}

Nothing is pickled: arrays are read with ``allow_pickle=False`` and the manifest is plain
JSON, so loading an untrusted file cannot run code. Supported values: Tensors (and
Parameters, loaded as Tensors), NumPy arrays of bool/int/float dtype, Python ``bool``, ``int``,
``float``, ``str``, ``None``, NumPy scalars, and dicts (any of those scalar keys), lists and
tuples nesting them.

Any other picklable object (a whole module, an optimizer, a custom class) is saved as PyTorch
does, pickled, in the same kind of archive: its tensors and numeric arrays are ``.npy`` members
and the pickle refers to them (see ``tinytensor._pickling``). Loading such a file with the
default ``weights_only=True`` calls no global outside an allowlist (extend it with
``add_safe_globals`` / ``safe_globals``); ``weights_only=False`` unpickles it normally, for a
file from a trusted source.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np

from tinytensor import _pickling
from tinytensor._pickling import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from tinytensor.core import wrap
from tinytensor.nn.parameter import Parameter
from tinytensor.tensor import Tensor

__all__ = [
    "SerializationError",
    "WeightsOnlyUnpicklingError",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "load",
    "safe_globals",
    "save",
]

FORMAT = "tinytensor"
VERSION = 1
_MANIFEST = "__manifest__"
_KINDS = "biuf"
# Deflate cannot expand data by more than about 1032:1: a zip member claiming more is lying.
_MAX_DEFLATE_RATIO = 1100


class SerializationError(RuntimeError):
    """A file that ``tt.load`` cannot read: corrupt, truncated, foreign or unsafe."""


class WeightsOnlyUnpicklingError(SerializationError, pickle.UnpicklingError):
    """A pickled object that ``tt.load(weights_only=True)`` refuses (a global outside the
    allowlist) or cannot read; also a ``pickle.UnpicklingError``, as PyTorch raises."""


def _name(f):
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    return getattr(f, "name", None) or f"<{type(f).__name__}>"


# --- save -------------------------------------------------------------------------------------


class _Writer:
    def __init__(self):
        self.arrays = {}

    def array(self, arr, where):
        if arr.dtype.kind not in _KINDS:
            raise TypeError(
                f"tt.save: cannot save an array of dtype {arr.dtype} at {where}; only bool, "
                "integer and floating arrays are supported"
            )
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def encode(self, obj, where):
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, (bool, np.bool_)):
            return {"type": "bool", "value": bool(obj)}
        if isinstance(obj, (int, np.integer)):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, (float, np.floating)):
            return {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, Tensor):
            if type(obj) is not Tensor and type(obj) is not Parameter:
                # a lazy module's placeholder or a user's subclass: pickled, as PyTorch
                # saves them (class and attributes kept)
                raise TypeError(f"tt.save: {where} is a {type(obj).__name__}")
            return {
                "type": "tensor",
                "array": self.array(obj._data, where),
                "requires_grad": bool(obj._requires_grad and obj._grad_fn is None),
            }
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "array": self.array(obj, where)}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, (str, int, float, bool, type(None))):
                    raise TypeError(
                        f"tt.save: dict key {k!r} at {where} has type {type(k).__name__}; keys "
                        "must be str, int, float, bool or None"
                    )
                items.append([self.encode(k, where), self.encode(v, f"{where}[{k!r}]")])
            return {"type": "dict", "items": items}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {
                "type": kind,
                "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)],
            }
        raise TypeError(
            f"tt.save: cannot save an object of type {type(obj).__name__} at {where}; supported "
            "are tensors, NumPy arrays, numbers, strings, None and dicts/lists/tuples of them "
            "(save a module's or optimizer's state_dict(), not the object itself)"
        )


def save(obj, f, pickle_module=None, pickle_protocol=2, **kwargs):
    """Write ``obj`` (e.g. ``model.state_dict()``, or a whole model) to the path or file ``f``.

    The exact path is used (no ``.npz`` suffix is added). Tensors, arrays, numbers, strings,
    None and dicts/lists/tuples of them are written without pickle; any other object is
    pickled (its tensors stored as arrays beside the pickle), and an object that cannot be
    pickled raises pickle's error before anything is written. ``pickle_module`` and
    ``pickle_protocol`` are accepted for PyTorch compatibility.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError("tt.save: only the standard pickle module is supported")
    writer = _Writer()
    try:
        root = writer.encode(obj, "root")
    except TypeError:  # not plain data: pickle it, its arrays beside it
        writer = _Writer()
        data = _pickling.dumps(obj, lambda arr: writer.array(arr, "root"))
        root = {"type": "pickle", "array": writer.array(np.frombuffer(data, np.uint8), "root")}
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays = dict(writer.arrays)
    arrays[_MANIFEST] = np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        with open(f, "wb") as fh:
            fh.write(buf.getvalue())
    else:
        np.savez(f, **arrays)


# --- load -------------------------------------------------------------------------------------


def _fail(name, why):
    raise SerializationError(f"tt.load: cannot read {name!r}: {why}")


def _check_member(archive, key, name):
    """Check a member's sizes and .npy header before NumPy allocates anything for it, so a
    header declaring a huge shape is an error, never a huge allocation."""
    zf = archive.zip
    member = key if key in zf.namelist() else key + ".npy"
    try:
        info = zf.getinfo(member)
        if info.file_size > max(info.compress_size, 1) * _MAX_DEFLATE_RATIO:
            _fail(name, f"array {key!r} claims to expand beyond what its compressed size allows")
        with zf.open(member) as fp:
            version = np.lib.format.read_magic(fp)
            readers = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }
            if version not in readers:
                _fail(name, f"array {key!r} has unsupported .npy version {version}")
            shape, _, dtype = readers[version](fp)
    except SerializationError:
        raise
    except Exception as e:
        _fail(name, f"array {key!r} is not a valid .npy array ({type(e).__name__}: {e})")
    if dtype.kind not in _KINDS:
        _fail(name, f"array {key!r} has unsupported dtype {dtype} (tt.load never unpickles)")
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n  # Python ints: no overflow, however large the header claims
    if nbytes > info.file_size:
        _fail(
            name,
            f"array {key!r} declares shape {shape} ({nbytes} bytes) but its zip member holds "
            f"only {info.file_size} bytes: the file is corrupt or truncated",
        )


class _Reader:
    def __init__(self, archive, name):
        self.archive = archive
        self.name = name
        self.used = set()

    def array(self, key):
        if not isinstance(key, str) or key == _MANIFEST or key not in self.archive.files:
            _fail(self.name, f"the manifest refers to a missing array {key!r}")
        _check_member(self.archive, key, self.name)
        try:
            arr = self.archive[key]
        except ValueError as e:  # e.g. an object array, which would need pickle
            _fail(self.name, f"array {key!r} cannot be loaded safely ({e})")
        except Exception as e:
            _fail(self.name, f"array {key!r} is corrupt or truncated ({type(e).__name__}: {e})")
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in _KINDS:
            _fail(self.name, f"array {key!r} is not a bool, integer or floating .npy array")
        self.used.add(key)
        return arr

    def decode(self, node, depth=0):
        if depth > 200:
            _fail(self.name, "the manifest is nested too deeply")
        if not isinstance(node, dict) or "type" not in node:
            _fail(self.name, f"malformed manifest entry {str(node)[:80]!r}")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            expect = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expect:
                _fail(self.name, f"manifest entry of type {kind} holds {value!r}")
            return value
        if kind == "float":
            try:
                return float(node["value"])
            except (KeyError, TypeError, ValueError):
                _fail(self.name, f"bad float in the manifest: {node.get('value')!r}")
        if kind == "tensor":
            t = wrap(np.array(self.array(node.get("array"))))
            if node.get("requires_grad") is True and t._data.dtype.kind == "f":
                t.requires_grad = True
            return t
        if kind == "ndarray":
            return np.array(self.array(node.get("array")))
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                _fail(self.name, f"manifest {kind} without a list of items")
            out = [self.decode(v, depth + 1) for v in items]
            return out if kind == "list" else tuple(out)
        if kind == "dict":
            items = node.get("items")
            if not isinstance(items, list) or not all(
                isinstance(kv, list) and len(kv) == 2 for kv in items
            ):
                _fail(self.name, "manifest dict without a list of [key, value] pairs")
            out = {}
            for k, v in items:
                key = self.decode(k, depth + 1)
                if not isinstance(key, (str, int, float, bool, type(None))):
                    _fail(self.name, f"dict key of unsupported type {type(key).__name__}")
                out[key] = self.decode(v, depth + 1)
            return out
        _fail(self.name, f"unknown manifest entry type {kind!r}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Read an object written by ``tt.save`` from a path or binary file.

    Arrays are read with ``allow_pickle=False``. A pickled object (a whole module) is read,
    with ``weights_only=True`` (the default), by an unpickler that calls no global outside the
    allowlist (containers, dtypes; add yours with ``add_safe_globals`` or ``safe_globals``):
    anything else raises ``WeightsOnlyUnpicklingError`` naming it. ``weights_only=False``
    unpickles it normally: only for files you trust. A missing, corrupt, truncated or foreign
    file raises ``SerializationError`` (a RuntimeError) naming the file. ``map_location`` is
    accepted (everything loads on the CPU).
    """
    if weights_only is None:
        weights_only = True
    name = _name(f)
    if isinstance(f, (str, os.PathLike)) and not os.path.exists(f):
        raise FileNotFoundError(f"tt.load: no such file: {name!r}")
    try:
        archive = np.load(f, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        _fail(name, f"not a tinytensor checkpoint (not a valid .npz zip archive: {e})")
    except ValueError:
        _fail(
            name,
            "it is not an .npz archive (a pickle or another format?); tt.load never unpickles, "
            "so only files written by tt.save can be read",
        )
    except Exception as e:  # e.g. NotImplementedError for a corrupt zip version field
        _fail(name, f"not a valid .npz zip archive ({type(e).__name__}: {e})")
    if not isinstance(archive, np.lib.npyio.NpzFile):
        _fail(name, "it holds a single .npy array, not a tinytensor checkpoint (.npz)")
    with archive:
        if _MANIFEST not in archive.files:
            _fail(name, "no __manifest__ entry; it was not written by tt.save")
        _check_member(archive, _MANIFEST, name)
        try:
            raw = archive[_MANIFEST]
        except Exception as e:
            _fail(name, f"the manifest is corrupt or truncated ({type(e).__name__}: {e})")
        if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
            _fail(name, "the manifest is not a byte array")
        try:
            manifest = json.loads(raw.tobytes().decode("utf-8"))
        except (ValueError, RecursionError) as e:  # bad UTF-8 or JSON, absurd nesting or ints
            _fail(name, f"the manifest is not valid JSON ({type(e).__name__}: {str(e)[:200]})")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            _fail(name, "the manifest does not describe a tinytensor checkpoint")
        if manifest.get("version") != VERSION:
            _fail(
                name,
                f"unsupported checkpoint version {manifest.get('version')!r} "
                f"(this tinytensor reads version {VERSION})",
            )
        if "root" not in manifest:
            _fail(name, "the manifest has no root entry")
        reader = _Reader(archive, name)
        root = manifest["root"]
        if isinstance(root, dict) and root.get("type") == "pickle":
            return _load_pickle(reader, root, weights_only)
        return reader.decode(root)


def _pickle_bytes(reader, root):
    raw = reader.array(root.get("array"))
    if raw.dtype != np.uint8 or raw.ndim != 1:
        _fail(reader.name, "the pickled object is not stored as a byte array")
    return raw.tobytes()


def _load_pickle(reader, root, weights_only):
    data = _pickle_bytes(reader, root)
    if not weights_only:
        try:
            return _pickling.loads(data, reader.array, False)
        except (pickle.UnpicklingError, EOFError) as e:
            _fail(reader.name, f"the pickled object is corrupt ({type(e).__name__}: {e})")
    try:
        return _pickling.loads(data, reader.array, True)
    except SerializationError as e:
        raise WeightsOnlyUnpicklingError(str(e)) from None
    except pickle.UnpicklingError as e:
        why = str(e)
    except Exception as e:  # an allowed global given bad arguments, a truncated pickle, ...
        why = f"the pickled object is corrupt or unsupported ({type(e).__name__}: {e})"
    raise WeightsOnlyUnpicklingError(f"tt.load: cannot read {reader.name!r}: {why}") from None


def get_unsafe_globals_in_checkpoint(f):
    """The ``module.name`` globals in a ``tt.save`` file that ``weights_only=True`` would
    refuse, read without running anything: pass the trusted ones to ``add_safe_globals``."""
    name = _name(f)
    try:
        archive = np.load(f, allow_pickle=False)
    except Exception as e:
        _fail(name, f"not a tinytensor checkpoint ({type(e).__name__}: {e})")
    if not isinstance(archive, np.lib.npyio.NpzFile) or _MANIFEST not in archive.files:
        _fail(name, "not a tinytensor checkpoint (no __manifest__ entry)")
    with archive:
        _check_member(archive, _MANIFEST, name)
        try:
            manifest = json.loads(archive[_MANIFEST].tobytes().decode("utf-8"))
        except Exception as e:
            _fail(name, f"the manifest is not valid JSON ({type(e).__name__})")
        root = manifest.get("root") if isinstance(manifest, dict) else None
        if not (isinstance(root, dict) and root.get("type") == "pickle"):
            return []  # the pickle-free format: no globals at all
        try:
            return _pickling.unsafe_globals(_pickle_bytes(_Reader(archive, name), root))
        except SerializationError:
            raise
        except Exception as e:
            _fail(name, f"the pickled object is corrupt ({type(e).__name__}: {e})")
