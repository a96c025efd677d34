"""tinytensor.utils.tensorboard.SummaryWriter: event files read back with TensorBoard's own
reader, compared with what torch.utils.tensorboard writes for the same calls."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

import tinytensor as tt

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from tinytensor.utils.tensorboard import SummaryWriter  # noqa: E402

RNG = np.random.default_rng(0)
VALUES = RNG.standard_normal(1000).astype(np.float32)
IMG = RNG.random((3, 5, 7)).astype(np.float32)
BATCH = RNG.random((3, 1, 4, 4)).astype(np.float32)
LABELS = RNG.integers(0, 2, 50)
PREDS = RNG.random(50).astype(np.float32)
MAT = RNG.standard_normal((5, 3)).astype(np.float32)
BATCH_5 = RNG.random((5, 3, 2, 3)).astype(np.float32)


def _read(path):
    ea = EventAccumulator(str(path), size_guidance={k: 0 for k in
                          ("scalars", "histograms", "images", "tensors", "graph")})  # fmt: skip
    ea.Reload()
    return ea


def _log(writer_cls, lib, path):
    with writer_cls(log_dir=str(path)) as w:
        for step in range(3):
            w.add_scalar("loss/train", lib.tensor(1.0 / (step + 1)), step)
            w.add_scalar("lr", 0.1 * step, step)
        w.add_histogram("weights", lib.tensor(VALUES), 5)
        w.add_histogram("auto", VALUES, 6, bins="auto")
        w.add_image("img", lib.tensor(IMG), 1)
        w.add_image("img_hwc", (IMG.transpose(1, 2, 0) * 255).astype(np.uint8), 2,
                    dataformats="HWC")  # fmt: skip
        w.add_images("batch", lib.tensor(BATCH), 3)
        w.add_text("note", "**bold** text", 4)
        w.add_scalars("run", {"a": 1.0, "b": 2.0}, 7)
        w.add_hparams({"lr": 0.1, "opt": "sgd", "nesterov": True, "bs": 32},
                      {"hparam/acc": 0.9}, run_name="hp")  # fmt: skip
        w.add_pr_curve("pr", lib.tensor(LABELS), lib.tensor(PREDS), 8)
        w.add_pr_curve("pr_coarse", LABELS, PREDS, 9, num_thresholds=11)
        w.add_embedding(lib.tensor(MAT), metadata=[f"p{i}" for i in range(5)],
                        label_img=lib.tensor(BATCH_5), global_step=2, tag="emb/a")  # fmt: skip
        w.add_embedding(MAT[:, :2], metadata=[[i, i % 2] for i in range(5)],
                        metadata_header=["id", "odd"], tag="plain")  # fmt: skip


def _png_pixels(data):
    """Decode an 8-bit, unfiltered or Paeth/Sub/Up/Average-filtered PNG (what encoders write)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color = head[:4]
    c = {0: 1, 2: 3, 6: 4}[color]
    raw = zlib.decompress(idat)
    rows, prev, stride = [], np.zeros(w * c, np.int64), w * c
    for y in range(h):
        f, line = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1)
        cur = line.astype(np.int64).copy()
        for i in range(stride):
            a = cur[i - c] if i >= c else 0
            b, d = prev[i], prev[i - c] if i >= c else 0
            if f == 1:
                cur[i] = (cur[i] + a) % 256
            elif f == 2:
                cur[i] = (cur[i] + b) % 256
            elif f == 3:
                cur[i] = (cur[i] + (a + b) // 2) % 256
            elif f == 4:
                p = a + b - d
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - d)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else d)) % 256
        rows.append(cur)
        prev = cur
    return np.array(rows).reshape(h, w, c)


def test_summary_writer_numpy(tmp_path):
    _log(SummaryWriter, tt, tmp_path)
    ea = _read(tmp_path)
    s = ea.Scalars("loss/train")
    assert [e.step for e in s] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in s], [1.0, 0.5, 1 / 3], rtol=1e-6)
    h = ea.Histograms("weights")[0].histogram_value
    assert h.num == 1000 and sum(h.bucket) == 1000
    np.testing.assert_allclose([h.min, h.max, h.sum, h.sum_squares],
                               [VALUES.min(), VALUES.max(), VALUES.astype(float).sum(),
                                (VALUES.astype(float) ** 2).sum()], rtol=1e-6)  # fmt: skip
    assert h.bucket_limit[-1] >= VALUES.max()
    img = ea.Images("img")[0]
    assert (img.width, img.height) == (7, 5)
    px = _png_pixels(img.encoded_image_string)
    np.testing.assert_array_equal(px, (IMG.transpose(1, 2, 0) * 255).astype(np.uint8))
    grid = _png_pixels(ea.Images("batch")[0].encoded_image_string)
    assert grid.shape == (4, 12, 3)  # three 4x4 grey images in a row, as RGB
    np.testing.assert_array_equal(grid[:, 4:8, 1], (BATCH[1, 0] * 255).astype(np.uint8))
    txt = ea.Tensors("note/text_summary")[0].tensor_proto.string_val[0].decode()
    assert txt == "**bold** text"
    sub = _read(tmp_path / "run_a")
    assert [e.value for e in sub.Scalars("run")] == [1.0]
    hp = _read(tmp_path / "hp")
    content = hp.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hps = start.session_start_info.hparams
    assert hps["lr"].number_value == 0.1 and hps["opt"].string_value == "sgd"
    assert hps["nesterov"].number_value == 1.0 and hps["bs"].number_value == 32  # as PyTorch
    assert hp.Scalars("hparam/acc")[0].value == pytest.approx(0.9)
    pr = ea.Tensors("pr")[0].tensor_proto
    rows = np.array(pr.float_val).reshape(6, 127)
    tp, fp = rows[0], rows[1]
    assert tp[0] == LABELS.sum() and fp[0] == len(LABELS) - LABELS.sum()  # threshold 0: all
    above = np.floor(PREDS * 126) >= 64  # threshold 64/126 counts its bucket and those above
    assert tp[64] == (LABELS[above] == 1).sum() and fp[64] == (LABELS[above] == 0).sum()
    emb = tmp_path / "00002" / "emb%2fa"
    rows = [r.split("\t") for r in (emb / "tensors.tsv").read_text().splitlines()]
    np.testing.assert_allclose(np.array(rows, float), MAT, rtol=1e-6)
    assert (emb / "metadata.tsv").read_text().split() == [f"p{i}" for i in range(5)]
    sprite = _png_pixels((emb / "sprite.png").read_bytes())
    assert sprite.shape == (9, 9, 3)  # 3 per row of 3x2 images, padded square
    np.testing.assert_array_equal(sprite[2:4, 3:6], np.uint8(BATCH_5[4].transpose(1, 2, 0) * 255))
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "emb/a:00002"' in config and "plain/tensors.tsv" in config
    assert (tmp_path / "00000" / "plain" / "metadata.tsv").read_text().splitlines()[0] == "id\todd"


@pytest.mark.torch
def test_summary_writer_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    _log(SummaryWriter, tt, tmp_path / "tt")
    _log(TorchWriter, torch, tmp_path / "torch")
    for sub in ("", "run_a", "run_b", "hp"):
        a, b = _read(tmp_path / "tt" / sub), _read(tmp_path / "torch" / sub)
        assert a.Tags()["scalars"] == b.Tags()["scalars"]
        for tag in b.Tags()["scalars"]:
            assert [(e.step, e.value) for e in a.Scalars(tag)] == [
                (e.step, e.value) for e in b.Scalars(tag)
            ]
        assert a.Tags()["histograms"] == b.Tags()["histograms"]
        for tag in b.Tags()["histograms"]:
            assert a.Histograms(tag)[0].histogram_value == b.Histograms(tag)[0].histogram_value
        assert a.Tags()["images"] == b.Tags()["images"]
        for tag in b.Tags()["images"]:
            ia, ib = a.Images(tag)[0], b.Images(tag)[0]
            assert (ia.width, ia.height, ia.step) == (ib.width, ib.height, ib.step)
            np.testing.assert_array_equal(_png_pixels(ia.encoded_image_string),
                                          _png_pixels(ib.encoded_image_string))  # fmt: skip
        assert a.Tags()["tensors"] == b.Tags()["tensors"]
        for tag in b.Tags()["tensors"]:
            assert a.Tensors(tag)[0].tensor_proto == b.Tensors(tag)[0].tensor_proto
        assert _hparams(a) == _hparams(b)  # the very same serialized plugin data
    for f in ("projector_config.pbtxt", "00002/emb%2fa/tensors.tsv", "00002/emb%2fa/metadata.tsv",
              "00000/plain/metadata.tsv", "00000/plain/tensors.tsv"):  # fmt: skip
        assert (tmp_path / "tt" / f).read_text() == (tmp_path / "torch" / f).read_text(), f
    sprite = "00002/emb%2fa/sprite.png"
    np.testing.assert_array_equal(
        _png_pixels((tmp_path / "tt" / sprite).read_bytes()),
        _png_pixels((tmp_path / "torch" / sprite).read_bytes()),
    )


def _hparams(ea):
    try:
        return ea.PluginTagToContent("hparams")
    except KeyError:
        return None


def test_add_graph_from_the_tape(tmp_path):
    model = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.ReLU(), tt.nn.Linear(4, 2))
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, tt.randn(5, 3))
    g = _read(tmp_path).Graph()
    ops = [n.op for n in g.node]
    names = {n.name: n for n in g.node}
    assert ops.count("Linear") == 2 and ops.count("Relu") == 1
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "input/0", "output/0"} <= set(names)
    relu = next(n for n in g.node if n.op == "Relu")
    first = names[relu.input[0]]
    assert first.op == "Linear" and "0.weight" in first.input and "input/0" in first.input
    out = names["output/0"]
    assert [d.size for d in out.attr["_output_shapes"].list.shape[0].dim] == [5, 2]


def test_add_graph_runs_in_eval_mode_and_restores_the_modes(tmp_path):
    model = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.BatchNorm1d(4), tt.nn.Dropout(0.5))
    model[2].eval()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, tt.randn(5, 3))
    assert int(model[1].num_batches_tracked) == 0  # statistics untouched
    assert model.training and model[1].training and not model[2].training
    assert {n.op for n in _read(tmp_path).Graph().node} >= {"Linear", "NativeBatchNorm"}


def test_purge_step_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, purge_step=3)
    w.add_scalar("x", 1.0, 3)
    w.close()
    w.add_scalar("x", 2.0, 4)  # a closed writer opens a new file
    w.close()
    assert [e.value for e in _read(tmp_path).Scalars("x")] == [1.0, 2.0]


def test_bad_input_is_a_clear_error(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="one value"):
            w.add_scalar("x", tt.ones(3))
        with pytest.raises(ValueError, match="NaN"):
            w.add_histogram("h", np.array([1.0, np.nan]))
        with pytest.raises(ValueError, match="dataformats"):
            w.add_image("i", np.zeros((2, 2)), dataformats="CHW")
        with pytest.raises(TypeError, match="dictionar"):
            w.add_hparams([("lr", 1)], {})
        with pytest.raises(ValueError, match="input_to_model"):
            w.add_graph(tt.nn.Linear(1, 1))


def test_missing_tensorboard_says_how_to_install():
    code = (
        "import sys; sys.modules['tensorboard'] = None\n"
        "try:\n    import tinytensor.utils.tensorboard\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "pip install tensorboard" in out and ".[tensorboard]" in out
