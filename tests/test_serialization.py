"""tt.save / tt.load: round trips of nested state, and safe failure on bad files."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.serialization import SerializationError


def _model():
    tt.manual_seed(0)
    return tt.nn.Sequential(tt.nn.Conv2d(1, 2, 3), tt.nn.BatchNorm2d(2), tt.nn.Flatten(),
                            tt.nn.Linear(8, 3))  # fmt: skip


def test_module_and_optimizer_state_round_trip(tmp_path):
    model = _model()
    opt = tt.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9), amsgrad=True)
    model(tt.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    path = tmp_path / "checkpoint.tt"
    tt.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)
    assert path.exists() and not (tmp_path / "checkpoint.tt.npz").exists()  # exact path
    ck = tt.load(path)
    assert ck["epoch"] == 3
    assert list(ck["model"]) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert isinstance(ck["model"][k], tt.Tensor)
        assert ck["model"][k].dtype == v.dtype and ck["model"][k].shape == v.shape
        np.testing.assert_array_equal(ck["model"][k].numpy(), v.numpy())
    assert ck["optim"]["param_groups"][0]["betas"] == (0.8, 0.9)
    assert sorted(ck["optim"]["state"]) == [0, 1, 2, 3, 4, 5]  # int keys survive
    fresh = _model()
    fresh.load_state_dict(ck["model"])
    opt2 = tt.optim.Adam(fresh.parameters())
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["amsgrad"] is True


VALUES = [
    None, True, False, 0, -7, 2**62, 1.5, float("inf"), float("-inf"), "text ü",
    [1, [2, None]], (1, "a", (2.0,)), {"a": {"b": {"c": 1}}}, {1: "int key", "s": 2, None: 3},
    np.arange(6, dtype=np.int32).reshape(2, 3), np.array(True), np.float32(2.5), np.int64(4),
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_plain_values_round_trip_exactly(value, tmp_path):
    tt.save({"v": value}, tmp_path / "v.tt")
    got = tt.load(tmp_path / "v.tt")["v"]
    if isinstance(value, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == value.dtype
        np.testing.assert_array_equal(got, value)
    else:
        assert got == value and type(got) is type(value.item() if hasattr(value, "item") else value)


def test_nan_and_tensor_dtypes_round_trip(tmp_path):
    obj = {
        "nan": float("nan"),
        "f16": tt.ones(2, dtype=tt.float16),
        "f64": tt.randn(3, dtype=tt.float64),
        "i64": tt.arange(4),
        "b": tt.tensor([True, False]),
        "scalar": tt.tensor(3.0),
        "leaf": tt.ones(2, requires_grad=True),
        "empty": tt.zeros(0, 3),
    }
    buf = io.BytesIO()
    tt.save(obj, buf)
    buf.seek(0)
    got = tt.load(buf)
    assert np.isnan(got["nan"])
    for k in ("f16", "f64", "i64", "b", "scalar", "empty"):
        assert got[k].dtype == obj[k].dtype and got[k].shape == obj[k].shape, k
        np.testing.assert_array_equal(got[k].numpy(), obj[k].numpy(force=True))
    assert got["leaf"].requires_grad and got["scalar"].shape == ()


@pytest.mark.parametrize("bad", [{"f": lambda: 1}, [_model(), lambda: 2]])
def test_unpicklable_objects_are_refused_before_writing(bad, tmp_path):
    path = tmp_path / "x.tt"
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError), match="tt.save"):
        tt.save(bad, path)
    assert not path.exists()


@pytest.mark.parametrize("value", [object, {(1, 2): 3}, np.array([1, "a"], dtype=object),
                                   {"dt": tt.float64, "shape": tt.Size([2]), "z": 1 + 2j}])
def test_other_picklable_objects_round_trip_through_pickle(value, tmp_path):
    tt.save(value, tmp_path / "p.tt")
    got = tt.load(tmp_path / "p.tt", weights_only=False)
    if isinstance(value, np.ndarray):
        assert got.tolist() == value.tolist()
    else:
        assert got == value


def test_plain_data_keeps_the_pickle_free_format(tmp_path):
    tt.save({"w": tt.ones(2), "n": [1, 2.5, None]}, tmp_path / "s.tt")
    with zipfile.ZipFile(tmp_path / "s.tt") as z:
        manifest = json.loads(np.load(z.open("__manifest__.npy")).tobytes())
    assert manifest["root"]["type"] == "dict"
    tt.save(_model(), tmp_path / "m.tt")
    with zipfile.ZipFile(tmp_path / "m.tt") as z:
        manifest = json.loads(np.load(z.open("__manifest__.npy")).tobytes())
    assert manifest["root"]["type"] == "pickle"


def _write(path, data):
    path.write_bytes(data)
    return path


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def _bad_files(tmp_path):
    good = tmp_path / "good.tt"
    tt.save({"w": tt.randn(50, 50)}, good)
    raw = good.read_bytes()
    files = {
        "truncated": _write(tmp_path / "trunc.tt", raw[: len(raw) // 2]),
        "empty": _write(tmp_path / "empty.tt", b""),
        "garbage": _write(tmp_path / "garbage.tt", b"\x00\x01 not a checkpoint" * 10),
        "pickle": _write(tmp_path / "pickle.tt", pickle.dumps({"x": _Boom()})),
    }
    # a zip whose manifest is fine but whose array member is a pickled object array
    p = tmp_path / "objarray.tt"
    np.savez(p, __manifest__=np.frombuffer(json.dumps(
        {"format": "tinytensor", "version": 1, "root": {"type": "ndarray", "array": "a0"}}
    ).encode(), np.uint8), a0=np.array([_Boom()], dtype=object))  # fmt: skip
    os.replace(str(p) + ".npz", p)
    files["object array"] = p
    manifests = {
        "no manifest": None,
        "bad json": b"{not json",
        "wrong format": json.dumps({"format": "other", "version": 1, "root": {}}).encode(),
        "wrong version": json.dumps({"format": "tinytensor", "version": 99, "root": {}}).encode(),
        "missing array": json.dumps(
            {"format": "tinytensor", "version": 1, "root": {"type": "tensor", "array": "a9"}}
        ).encode(),
        "unknown type": json.dumps(
            {"format": "tinytensor", "version": 1, "root": {"type": "pickle", "value": "x"}}
        ).encode(),
        "bad int": json.dumps(
            {"format": "tinytensor", "version": 1, "root": {"type": "int", "value": "1"}}
        ).encode(),
    }
    for name, manifest in manifests.items():
        path = tmp_path / (name.replace(" ", "_") + ".tt")
        with zipfile.ZipFile(path, "w") as z:
            with z.open("a0.npy", "w") as f:
                np.lib.format.write_array(f, np.zeros(3))
            if manifest is not None:
                with z.open("__manifest__.npy", "w") as f:
                    np.lib.format.write_array(f, np.frombuffer(manifest, np.uint8))
        files[name] = path
    return files


@pytest.mark.parametrize(
    "case",
    ["truncated", "empty", "garbage", "pickle", "object array", "no manifest", "bad json",
     "wrong format", "wrong version", "missing array", "unknown type", "bad int"],
)  # fmt: skip
def test_bad_files_raise_a_clear_error_naming_the_file_and_run_no_code(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _bad_files(tmp_path)[case]
    with pytest.raises(SerializationError) as err:
        tt.load(path)
    assert str(path) in str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert not (tmp_path / "pwned.txt").exists()


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        tt.load(tmp_path / "nope.tt")


def test_load_accepts_torch_style_keywords(tmp_path):
    tt.save([1, 2], tmp_path / "l.tt")
    assert tt.load(tmp_path / "l.tt", map_location="cpu", weights_only=True) == [1, 2]
