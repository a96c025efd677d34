"""Reading IDX files (the format of MNIST and Fashion-MNIST), gzipped or raw, defensively.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32
sizes, then the values in row-major order. The header is checked against the file's real size
*before* any array is allocated, so a corrupt or hostile header is an error, never a huge
allocation.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

# IDX type byte -> big-endian NumPy dtype.
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
# Deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes cannot hold
# more than this many times n bytes; a header claiming more is lying.
_MAX_DEFLATE_RATIO = 1100
_CHUNK = 1 << 22


class IDXError(ValueError):
    """A file that is not a valid IDX file (wrong magic, bad sizes, truncated, trailing data)."""


def _fail(path, why: str):
    raise IDXError(f"{os.fspath(path)}: {why}")


def read_idx_header(f, path) -> tuple[np.dtype, tuple[int, ...], int]:
    """Read and check the header from an open binary stream: (dtype, shape, header bytes)."""
    magic = f.read(4)
    if len(magic) < 4:
        _fail(path, f"file is truncated: {len(magic)} bytes, too short for an IDX header")
    if magic[:2] != b"\x00\x00":
        _fail(
            path,
            f"not an IDX file: it starts with bytes {magic.hex()}, but an IDX magic number "
            "starts with 0000 (e.g. 00000803 for images, 00000801 for labels)",
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        _fail(path, f"unknown IDX element type 0x{type_code:02x} in magic number {magic.hex()}")
    if ndim == 0:
        _fail(path, f"IDX magic number {magic.hex()} declares zero dimensions")
    raw = f.read(4 * ndim)
    if len(raw) < 4 * ndim:
        _fail(path, f"file is truncated inside its header ({ndim} dimensions declared)")
    shape = struct.unpack(f">{ndim}I", raw)
    return IDX_TYPES[type_code], tuple(shape), 4 + 4 * ndim


def read_idx(path, expect_ndim: int | None = None, expect_type: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw; detected from the content, not the name).

    Returns an array in native byte order. Raises :class:`IDXError`, naming the file, when the
    magic number is wrong, a size is inconsistent with the file's length, the file is truncated
    or has bytes left over.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    return (
        _read_gzip(path, expect_ndim, expect_type)
        if gzipped
        else _read_raw(path, expect_ndim, expect_type)
    )


def _check_expectations(path, dtype, shape, expect_ndim, expect_type):
    if expect_type is not None and dtype != IDX_TYPES[expect_type]:
        _fail(path, f"holds {dtype.str} values, expected {IDX_TYPES[expect_type].str}")
    if expect_ndim is not None and len(shape) != expect_ndim:
        _fail(path, f"has {len(shape)} dimensions {shape}, expected {expect_ndim}")


def _payload_bytes(dtype, shape) -> int:
    n = dtype.itemsize
    for s in shape:
        n *= s  # Python ints: no overflow, however large the header claims
    return n


def _read_raw(path, expect_ndim, expect_type) -> np.ndarray:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        dtype, shape, header = read_idx_header(f, path)
        _check_expectations(path, dtype, shape, expect_ndim, expect_type)
        want = _payload_bytes(dtype, shape)
        have = size - header
        if have < want:
            _fail(
                path,
                f"file is truncated: the header declares shape {shape} ({want} bytes of data) "
                f"but only {have} bytes follow it",
            )
        if have > want:
            _fail(
                path,
                f"file has {have - want} unexpected bytes after the {want} bytes of data its "
                f"header declares for shape {shape}",
            )
        data = np.fromfile(f, dtype=dtype, count=int(np.prod(shape)))
    return data.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _read_gzip(path, expect_ndim, expect_type) -> np.ndarray:
    limit = os.path.getsize(path) * _MAX_DEFLATE_RATIO
    try:
        with gzip.open(path, "rb") as f:
            dtype, shape, header = read_idx_header(f, path)
            _check_expectations(path, dtype, shape, expect_ndim, expect_type)
            want = _payload_bytes(dtype, shape)
            if want + header > limit:
                _fail(
                    path,
                    f"the header declares shape {shape} ({want} bytes of data), more than a "
                    f"gzip file of {os.path.getsize(path)} bytes can hold: the file is corrupt "
                    "or truncated",
                )
            # Read in chunks so memory follows the data actually present, not the header.
            chunks, have = [], 0
            while have < want:
                chunk = f.read(min(_CHUNK, want - have))
                if not chunk:
                    break
                chunks.append(chunk)
                have += len(chunk)
            if have < want:
                _fail(
                    path,
                    f"file is truncated: the header declares shape {shape} ({want} bytes of "
                    f"data) but only {have} bytes follow it",
                )
            extra = len(f.read(1 << 16))
            if extra:
                _fail(
                    path,
                    f"file has unexpected bytes after the {want} bytes of data its header "
                    f"declares for shape {shape}",
                )
    except EOFError:
        _fail(path, "gzip stream is truncated (the file ended before the end of the stream)")
    except (gzip.BadGzipFile, zlib.error) as e:
        _fail(path, f"gzip data is corrupt ({e})")
    data = np.frombuffer(b"".join(chunks), dtype=dtype)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzipped when ``compress`` or the name ends in ``.gz``)."""
    array = np.asarray(array)
    codes = {v.newbyteorder("="): k for k, v in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"write_idx: IDX cannot store dtype {array.dtype}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: IDX needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = header + array.astype(IDX_TYPES[codes[native]]).tobytes()
    compress = os.fspath(path).endswith(".gz") if compress is None else compress
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(body)
    else:
        with open(path, "wb") as f:
            f.write(body)
