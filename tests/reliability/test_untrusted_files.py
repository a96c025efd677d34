"""Untrusted files: ``tt.load`` and the IDX reader against hostile or broken input.

Every failure must be a clear error (``SerializationError``/``IDXError``, naming the file), must
run no code from the file (a pickle whose ``__reduce__`` would create a marker file is planted
in every place a loader might unpickle it), and must not allocate memory in proportion to a
size a header merely claims (checked with ``tracemalloc``, which sees NumPy's allocations).
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data.datasets.idx import IDXError, read_idx, write_idx
from tinytensor.serialization import SerializationError

MB = 2**20


class _Plant:
    """Unpickling this creates the marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _npy_bytes(arr=None, header=None, data=b""):
    """A .npy member: a real array, or a hand-written header followed by ``data``."""
    buf = io.BytesIO()
    if header is None:
        np.save(buf, arr, allow_pickle=True)
        return buf.getvalue()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + data


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _manifest(root, fmt="tinytensor", version=1):
    doc = json.dumps({"format": fmt, "version": version, "root": root}).encode()
    return _npy_bytes(np.frombuffer(doc, dtype=np.uint8))


TENSOR_A0 = {"type": "tensor", "array": "a0", "requires_grad": False}


def _hostile_files(marker):
    pickled = pickle.dumps(_Plant(marker))
    obj_array = _npy_bytes(np.array([_Plant(marker)], dtype=object))
    good_a0 = _npy_bytes(np.arange(3.0))
    huge = {"descr": "<f8", "fortran_order": False, "shape": (2**31,)}
    return {
        "raw pickle": pickled,
        "pickle with .npy magic stripped": b"\x80\x04" + pickled[2:],
        "object array member": _zip(
            {"a0.npy": obj_array, "__manifest__.npy": _manifest(TENSOR_A0)}
        ),
        "object array manifest": _zip({"__manifest__.npy": obj_array}),
        "pickle as a non-npy manifest member": _zip({"__manifest__": pickled}),
        "pickle as a non-npy array member": _zip(
            {"a0": pickled, "__manifest__.npy": _manifest(TENSOR_A0)}
        ),
        "single .npy object array": obj_array,
        "empty file": b"",
        "not a zip": b"PK\x03\x04" + b"\x00" * 40,
        "zip without manifest": _zip({"a0.npy": good_a0}),
        "manifest not JSON": _zip(
            {"__manifest__.npy": _npy_bytes(np.frombuffer(b"{nope", np.uint8))}
        ),
        "manifest not bytes": _zip({"__manifest__.npy": _npy_bytes(np.arange(3.0))}),
        "manifest 2-D": _zip({"__manifest__.npy": _npy_bytes(np.zeros((2, 2), np.uint8))}),
        "wrong format": _zip({"__manifest__.npy": _manifest(TENSOR_A0, fmt="torch")}),
        "wrong version": _zip({"__manifest__.npy": _manifest(TENSOR_A0, version=99)}),
        "missing root": _zip(
            {
                "__manifest__.npy": _npy_bytes(
                    np.frombuffer(b'{"format": "tinytensor", "version": 1}', np.uint8)
                )
            }
        ),
        "missing array": _zip({"__manifest__.npy": _manifest(TENSOR_A0)}),
        "manifest names itself": _zip(
            {"__manifest__.npy": _manifest({"type": "ndarray", "array": "__manifest__"})}
        ),
        "unknown entry type": _zip({"__manifest__.npy": _manifest({"type": "pickle"})}),
        "bad scalar": _zip({"__manifest__.npy": _manifest({"type": "int", "value": "1"})}),
        "unhashable key": _zip(
            {
                "__manifest__.npy": _manifest(
                    {"type": "dict", "items": [[{"type": "list", "items": []}, {"type": "none"}]]}
                )
            }
        ),
        "deep manifest": _zip({"__manifest__.npy": _manifest(_nest({"type": "none"}, 300))}),
        "JSON nesting bomb": _zip(
            {
                "__manifest__.npy": _npy_bytes(
                    np.frombuffer(b"[" * 200_000 + b"]" * 200_000, np.uint8)
                )
            }
        ),
        "huge JSON int": _zip(
            {
                "__manifest__.npy": _npy_bytes(
                    np.frombuffer(
                        b'{"format": "tinytensor", "version": 1, "root": {"type": "int", '
                        b'"value": ' + b"9" * 50_000 + b"}}",
                        np.uint8,
                    )
                )
            }
        ),
        "string array": _zip(
            {"a0.npy": _npy_bytes(np.array(["x"])), "__manifest__.npy": _manifest(TENSOR_A0)}
        ),
        "structured array": _zip(
            {
                "a0.npy": _npy_bytes(np.zeros(2, dtype=[("a", "<i4")])),
                "__manifest__.npy": _manifest(TENSOR_A0),
            }
        ),
        "complex array": _zip(
            {"a0.npy": _npy_bytes(np.zeros(2, complex)), "__manifest__.npy": _manifest(TENSOR_A0)}
        ),
        "huge declared shape": _zip(
            {
                "a0.npy": _npy_bytes(header=huge, data=b"\x00" * 64),
                "__manifest__.npy": _manifest(TENSOR_A0),
            }
        ),  # fmt: skip
        "huge declared manifest": _zip(
            {
                "__manifest__.npy": _npy_bytes(
                    header={"descr": "|u1", "fortran_order": False, "shape": (2**33,)},
                    data=b"{}",
                )
            }
        ),
        "negative shape": _zip(
            {
                "a0.npy": _npy_bytes(header={**huge, "shape": (-5,)}, data=b"\x00" * 64),
                "__manifest__.npy": _manifest(TENSOR_A0),
            }
        ),  # fmt: skip
        **_hostile_pickled_objects(marker, pickled, obj_array, good_a0),
    }


PICKLE_ROOT = {"type": "pickle", "array": "p"}


class _HugeBytes:
    """Pickles as ``bytearray(2**40)``: a global PyTorch allows, refused here (memory)."""

    def __reduce__(self):
        return (bytearray, (2**40,))


class _BadSize:
    """Pickles as a call of an allowed global (Size) with arguments it refuses."""

    def __reduce__(self):
        return (tt.Size, (["not an int"],))


def _persistent_pickle(pid, inner=None):
    """A pickle of ``[inner, <persistent id pid>]``, as tt.save writes tensors."""

    class _Ref:
        pass

    ref = _Ref()

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return pid if obj is ref else None

    buf = io.BytesIO()
    P(buf, protocol=4).dump([inner, ref])
    return buf.getvalue()


def _hostile_pickled_objects(marker, pickled, obj_array, good_a0):
    """tt.save's pickled-object format (a pickle member beside its arrays), made hostile: every
    case must be refused under the default weights_only=True, running nothing."""

    def archive(pickle_bytes, **arrays):
        members = {"p.npy": _npy_bytes(np.frombuffer(pickle_bytes, np.uint8))}
        members.update({f"{k}.npy": v for k, v in arrays.items()})
        members["__manifest__.npy"] = _manifest(PICKLE_ROOT)
        return _zip(members)

    return {
        "pickled object calling open": archive(pickled),
        "pickled object, protocol 0": archive(pickle.dumps(_Plant(marker), protocol=0)),
        "pickled object, plant inside a list": archive(pickle.dumps([1, {"k": _Plant(marker)}])),
        "pickled object truncated": archive(pickled[: len(pickled) // 2]),
        "pickled object not a pickle": archive(b"\x00garbage" * 10),
        "pickled object empty": archive(b""),
        "pickled object member missing": _zip({"__manifest__.npy": _manifest(PICKLE_ROOT)}),
        "pickled object member is floats": _zip(
            {"p.npy": good_a0, "__manifest__.npy": _manifest(PICKLE_ROOT)}
        ),
        "pickled object member is an object array": _zip(
            {"p.npy": obj_array, "__manifest__.npy": _manifest(PICKLE_ROOT)}
        ),
        "pickled object, tensor id to a missing array": archive(
            _persistent_pickle(("tensor", "a9", "Tensor", False))
        ),
        "pickled object, tensor id to an object array": archive(
            _persistent_pickle(("tensor", "a0", "Tensor", False)), a0=obj_array
        ),
        "pickled object, tensor id of another class": archive(
            _persistent_pickle(("tensor", "a0", "builtins.open", False)), a0=good_a0
        ),
        "pickled object, unknown persistent id": archive(
            _persistent_pickle(("exec", "a0")), a0=good_a0
        ),
        "pickled object, persistent id not a tuple": archive(
            _persistent_pickle("a0", _Plant(marker)), a0=good_a0
        ),
        "pickled object, bytearray of a huge size": archive(pickle.dumps(_HugeBytes())),
        "pickled object, allowed global with bad arguments": archive(pickle.dumps(_BadSize())),
    }


def _nest(leaf, depth):
    for _ in range(depth):
        leaf = {"type": "list", "items": [leaf]}
    return leaf


@pytest.fixture(scope="module")
def marker_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("marker")


CASE_NAMES = sorted(_hostile_files("unused"))


def test_the_planted_pickle_really_runs_code_when_unpickled(tmp_path):
    # Otherwise the marker checks below could never fail.
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Plant(marker))).close()
    assert marker.exists()
    marker.unlink()
    np.load(io.BytesIO(_npy_bytes(np.array([_Plant(marker)], dtype=object))), allow_pickle=True)
    assert marker.exists()


@pytest.mark.parametrize("case", CASE_NAMES)
def test_hostile_checkpoint_is_a_clear_error_and_runs_nothing(case, tmp_path, marker_dir):
    marker = marker_dir / f"{case.replace(' ', '_')}.ran"
    path = tmp_path / "ckpt.tt"
    path.write_bytes(_hostile_files(marker)[case])
    tracemalloc.start()
    try:
        with pytest.raises(SerializationError) as info:
            tt.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value), info.value
    assert not marker.exists(), "code from the file ran"
    assert peak < 64 * MB, f"loading {case!r} allocated {peak / MB:.0f} MB"


def _good_checkpoint():
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.BatchNorm1d(4))
    state = {"model": model.state_dict(), "step": 7, "name": "run", "lr": [0.1, None]}
    buf = io.BytesIO()
    tt.save(state, buf)
    return buf.getvalue(), state


def _same(a, b):
    if isinstance(a, tt.Tensor):
        return isinstance(b, tt.Tensor) and a.dtype == b.dtype and a.equal(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _load_bytes(data, path):
    path.write_bytes(data)
    return tt.load(path)


@pytest.mark.slow
def test_every_truncation_of_a_checkpoint_is_a_clear_error(tmp_path):
    data, _ = _good_checkpoint()
    path = tmp_path / "cut.tt"
    # Every cut within the first and last 512 bytes (headers, manifest, zip directory) and
    # every 5th one in between.
    cuts = sorted(
        set(range(512)) | set(range(len(data) - 512, len(data))) | set(range(0, len(data), 5))
    )
    for n in cuts:
        with pytest.raises(SerializationError):
            _load_bytes(data[:n], path)


def test_corrupted_bytes_give_the_original_or_a_clear_error(tmp_path):
    data, state = _good_checkpoint()
    path = tmp_path / "flip.tt"
    rng = np.random.default_rng(0)
    outcomes = {"same": 0, "error": 0}
    for pos in rng.choice(len(data), size=min(len(data), 300), replace=False):
        for bits in (0x01, 0x80, 0xFF):
            bad = bytearray(data)
            bad[pos] ^= bits
            try:
                got = _load_bytes(bytes(bad), path)
            except SerializationError:
                outcomes["error"] += 1
                continue
            # Bytes the reader never checks (zip timestamps, padding) may change harmlessly,
            # but what loads must be exactly what was saved: never a silently wrong value.
            assert _same(got, state), f"flipping byte {pos} with {bits:#x} changed the values"
            outcomes["same"] += 1
    assert outcomes["error"] > 0


# --- IDX --------------------------------------------------------------------------------------


def _idx_header(type_code, shape):
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


LYING = {
    "images claim 60000x28x28": (0x08, (60000, 28, 28), b"\x00" * 100),
    "max uint32 dims": (0x08, (2**32 - 1, 2**32 - 1, 2**32 - 1), b"\x00" * 100),
    "float64 claim 1e9": (0x0E, (10**9,), b"\x00" * 800),
    "labels claim 4e9": (0x08, (2**32 - 1,), b"\x01" * 10),
    "many dims": (0x08, (2,) * 255, b""),
}


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("case", sorted(LYING))
def test_idx_lying_header_is_refused_without_allocating(case, compress, tmp_path):
    type_code, shape, payload = LYING[case]
    blob = _idx_header(type_code, shape) + payload
    path = tmp_path / ("lie.idx" + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(blob) if compress else blob)
    tracemalloc.start()
    try:
        with pytest.raises(IDXError) as info:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 16 * MB, f"{case}: {peak / MB:.0f} MB allocated for a lying header"


def test_idx_gzip_claiming_more_than_deflate_can_hold_is_refused_before_reading(tmp_path):
    # 100 MB of real zeros (a ~100 KB file) behind a header claiming 2 GB: no honest deflate
    # stream that small can hold 2 GB, so the reader must refuse before reading any of it.
    path = tmp_path / "bomb.idx.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(_idx_header(0x08, (2000, 1000, 1000)))
        chunk = b"\x00" * (1 << 20)
        for _ in range(100):
            f.write(chunk)
    tracemalloc.start()
    try:
        with pytest.raises(IDXError, match="more than a gzip file"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB


def test_idx_every_truncation_is_a_clear_error(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for suffix in ("", ".gz"):
        good = tmp_path / f"good.idx{suffix}"
        write_idx(good, arr)
        data = good.read_bytes()
        np.testing.assert_array_equal(read_idx(good), arr)
        cut = tmp_path / f"cut.idx{suffix}"
        for n in range(len(data)):
            cut.write_bytes(data[:n])
            with pytest.raises(IDXError):
                read_idx(cut)


def test_mnist_with_a_lying_file_names_it(tmp_path):
    from tinytensor.data.datasets import MNIST

    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte").write_bytes(_idx_header(0x08, (10000, 28, 28)) + b"\0")
    write_idx(folder / "t10k-labels-idx1-ubyte", np.zeros(10000, np.uint8))
    tracemalloc.start()
    try:
        with pytest.raises((IDXError, RuntimeError, ValueError)) as info:
            MNIST(tmp_path, train=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "t10k-images" in str(info.value)
    assert peak < 32 * MB
