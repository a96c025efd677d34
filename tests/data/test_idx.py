"""IDX files written by the tests: good ones read back exactly, bad ones fail naming the file."""

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from tinytensor.data.datasets import IDXError, read_idx, write_idx


def _raw_header(type_code, shape):
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def _write(path, payload: bytes):
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_roundtrip_every_idx_type(tmp_path, suffix, dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((5, 3, 4)) * 50).astype(dtype)
    path = tmp_path / f"x-idx3{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = tmp_path / "labels-idx2-ubyte"  # no .gz, but gzipped
    write_idx(path, a, compress=True)
    np.testing.assert_array_equal(read_idx(path), a)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_payload_names_file_and_sizes(tmp_path, suffix):
    payload = _raw_header(0x08, (10, 28, 28)) + bytes(10 * 28 * 28 - 100)
    path = _write(tmp_path / f"train-images-idx3-ubyte{suffix}", payload)
    with pytest.raises(IDXError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value) and "(10, 28, 28)" in str(info.value)


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "images.gz"
    write_idx(path, np.random.default_rng(1).integers(0, 255, (50, 28, 28), dtype=np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IDXError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_trailing_bytes_are_an_error(tmp_path, suffix):
    path = _write(tmp_path / f"l{suffix}", _raw_header(0x08, (4,)) + bytes(6))
    with pytest.raises(IDXError, match="unexpected bytes"):
        read_idx(path)


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"\x1f\x8b", "truncated|corrupt"),  # gzip magic then nothing
        (b"PK\x03\x04" + bytes(20), "not an IDX file"),  # a zip file
        (b"\x00\x00\x08", "too short"),
        (b"\x00\x00\x07\x01" + bytes(8), "unknown IDX element type"),
        (b"\x00\x00\x08\x00", "zero dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "inside its header"),
    ],
)
def test_wrong_magic_and_broken_headers(tmp_path, payload, match):
    path = tmp_path / "bad-idx"
    path.write_bytes(payload)
    with pytest.raises(IDXError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_lying_header_does_not_allocate(tmp_path, suffix):
    # Claims 4e9 x 4e9 x 255 float64 values (far beyond any memory) over a few bytes of data.
    payload = _raw_header(0x0E, (4_000_000_000, 4_000_000_000, 255)) + bytes(64)
    path = _write(tmp_path / f"liar{suffix}", payload)
    tracemalloc.start()
    try:
        with pytest.raises(IDXError) as info:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak traced allocation {peak} bytes"
    assert str(path) in str(info.value)


def test_expectations_checked(tmp_path):
    path = tmp_path / "x"
    write_idx(path, np.zeros((2, 3), np.int16))
    with pytest.raises(IDXError, match="dimensions"):
        read_idx(path, expect_ndim=3)
    with pytest.raises(IDXError, match="values"):
        read_idx(path, expect_type=0x08)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store"):
        write_idx(tmp_path / "x", np.zeros(3, np.uint16))
