"""`tinytensor train` end to end: exit codes, printed accuracy, and every file it writes."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.cli import data as datalib
from tinytensor.cli import main
from tinytensor.cli.arch import build
from tinytensor.cli.evaluate import evaluate
from tinytensor.cli.rundir import UsageError
from tinytensor.cli.train import load_model
from tinytensor.data.datasets import Digits, write_idx

pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")

REPO = Path(__file__).resolve().parents[2]
SHARED_MNIST = (
    Path(os.environ.get("TINYTENSOR_SHARED_DATA") or REPO / ".." / "shared" / "data") / "mnist"
)


def _cli(*args, env_extra=None, cwd=None):
    env = dict(os.environ)
    env["TINYTENSOR_DATA"] = str(Path(cwd or REPO) / "no-such-data-root")
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tinytensor", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The README's first command on the bundled digits, once for the whole module."""
    out = tmp_path_factory.mktemp("run") / "out"
    done = _cli("train", "--out", str(out), cwd=out.parent)
    return done, out


def test_default_run_reaches_95_percent(default_run):
    done, out = default_run
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "dataset digits: 1,438 train / 359 test" in text
    assert "model (preset cnn)" in text and "parameters" in text
    epochs = re.findall(
        r"epoch +(\d+)/10 +train loss ([\d.]+) +train acc +([\d.]+)% +test loss ([\d.]+) +"
        r"test acc +([\d.]+)% +\((\d+ ms|[\d.]+ s)\)",
        text,
    )
    assert [int(e[0]) for e in epochs] == list(range(1, 11))
    assert float(epochs[-1][1]) < float(epochs[0][1])  # it learned
    acc = float(re.search(r"test accuracy: ([\d.]+)%", text).group(1))
    assert acc >= 95.0
    assert "after 10 epochs in " in text
    assert f"wrote {out}" in text


def test_default_run_files(default_run):
    done, out = default_run
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.npz",
        "confusion.png",
        "curves.png",
        "features.png",
        "filters.png",
        "metrics.json",
        "mistakes.png",
    ]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["dataset"] == "digits" and len(metrics["epochs"]) == 10
    assert metrics["status"] == "finished"
    first = metrics["epochs"][0]
    assert {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"} <= set(first)
    assert metrics["epochs"][-1]["test_loss"] < first["test_loss"]
    assert len(metrics["step_losses"]) == 10 * 23  # ceil(1438 / 64) batches per epoch
    printed = float(re.search(r"test accuracy: ([\d.]+)%", done.stdout).group(1))
    assert metrics["final_test_accuracy"] * 100 == pytest.approx(printed, abs=0.006)
    image = pytest.importorskip("matplotlib.image")
    pictures = [("curves.png", (250, 600)), ("filters.png", (400, 600))]
    pictures += [("features.png", (150, 400)), ("confusion.png", (300, 300))]
    for name, min_size in pictures + [("mistakes.png", (100, 300))]:
        pixels = image.imread(out / name)
        assert pixels.ndim == 3 and pixels.shape[0] >= min_size[0]
        assert pixels.shape[1] >= min_size[1]
        assert pixels.std() > 0.05  # not a blank canvas


def test_checkpoint_reloads_into_fresh_model_with_same_accuracy(default_run):
    _, out = default_run
    blob = tt.load(out / "checkpoint.npz")
    meta = blob["meta"]
    model, _ = build(meta["arch"], meta["input_shape"], num_classes=len(meta["classes"]))
    model.load_state_dict(blob["state_dict"])
    x, y = Digits(train=False).arrays()
    x = (x - np.float32(meta["normalize"]["mean"])) / np.float32(meta["normalize"]["std"])
    acc = evaluate(model, x, y).accuracy
    metrics = json.loads((out / "metrics.json").read_text())
    assert acc == metrics["final_test_accuracy"] == meta["test_accuracy"]
    again, meta2 = load_model(out)
    assert not again.training and meta2["arch"] == meta["arch"]
    assert evaluate(again, x, y).accuracy == acc


def test_help_lists_presets_and_layer_syntax():
    done = _cli("train", "--help")
    assert done.returncode == 0
    for word in ["presets", "mlp", "cnn", "conv(out_channels, kernel_size", "maxpool", "lstm"]:
        assert word in done.stdout
    for flag in ["--arch", "--loss", "--optim", "--lr", "--epochs", "--batch-size", "--seed"]:
        assert flag in done.stdout
    for flag in ["--dataset", "--data", "--download", "--out", "--resume", "--weight-decay"]:
        assert flag in done.stdout
    script = shutil.which("tinytensor")
    if script is not None:  # the console script declared in pyproject.toml
        via_script = subprocess.run([script, "train", "--help"], capture_output=True, text=True)
        assert via_script.returncode == 0 and "presets" in via_script.stdout


def test_bad_architecture_exits_2_with_caret(capsys):
    code = main(["train", "--arch", "conv(8,3) relu flaten linear(10)", "--out", "unused"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown layer 'flaten' (did you mean 'flatten'?)" in err
    lines = err.rstrip().splitlines()
    assert lines[-1].strip() == "^^^^^^" and lines[-2].strip().startswith("conv(8,3)")


@pytest.mark.parametrize(
    "loss, optim, arch",
    [
        ("mse", "sgd", "mlp"),
        ("hinge", "rmsprop", "flatten linear(32) tanh dropout(0.1) batchnorm linear(10)"),
        ("cross_entropy", "sgd", "conv(4,3) batchnorm relu avgpool(2) flatten linear(10)"),
    ],
)
def test_losses_and_optimizers_train(tmp_path, capsys, loss, optim, arch):
    out = tmp_path / "o"
    argv = ["train", "--arch", arch, "--loss", loss, "--optim", optim, "--epochs", "2"]
    code = main(argv + ["--no-progress", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    acc = float(re.search(r"test accuracy: ([\d.]+)%", text).group(1))
    assert acc > 50.0  # far above the 10% of guessing, after two epochs
    assert (out / "checkpoint.npz").is_file() and (out / "curves.png").is_file()
    assert (out / "filters.png").is_file() == ("conv" in arch)
    assert (out / "confusion.png").is_file() and (out / "mistakes.png").is_file()
    if "conv" not in arch:
        assert "no conv layer" in text


def _fake_mnist(folder, n=60, seed=0):
    """A tiny MNIST lookalike (test split plus train labels, like the shared copy)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
    for i, c in enumerate(labels):  # a bright bar whose row encodes the class
        images[i, 2 + 2 * c : 4 + 2 * c, 4:24] = 250
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels.astype(np.uint8))


def test_auto_with_only_test_images_splits_and_says_so(tmp_path, capsys):
    _fake_mnist(tmp_path / "data" / "mnist")
    argv = ["train", "--dataset", "auto", "--data", str(tmp_path / "data"), "--arch", "mlp"]
    code = main(argv + ["--epochs", "3", "--no-progress", "--out", str(tmp_path / "o")])
    text = capsys.readouterr().out
    assert code == 0
    assert "dataset auto: picked mnist (MNIST found in" in text
    assert "48 train / 12 test" in text
    assert "splitting its 60 test images into 48 for training and 12 for testing" in text
    meta = tt.load(tmp_path / "o" / "checkpoint.npz")["meta"]
    assert meta["config"]["dataset"] == "mnist"


def test_auto_choice_order(tmp_path, monkeypatch):
    monkeypatch.setattr(datalib.FashionMNIST, "system_folders", ())
    monkeypatch.setenv("TINYTENSOR_DATA", str(tmp_path))
    assert datalib.choose("auto")[0] == "digits"
    assert "digits bundled" in datalib.choose("auto")[1]
    with pytest.raises(UsageError, match="--data .*holds neither MNIST nor Fashion-MNIST"):
        datalib.choose("auto", tmp_path)  # an explicit --data never falls back quietly
    fashion = tmp_path / "fashion-mnist"
    _fake_mnist(fashion)
    (fashion / "train-images-idx3-ubyte.gz").write_bytes(
        (fashion / "t10k-images-idx3-ubyte.gz").read_bytes()
    )
    assert datalib.choose("auto", tmp_path)[0] == "fashion-mnist"
    _fake_mnist(tmp_path / "mnist")
    assert datalib.choose("auto", tmp_path)[0] == "mnist"
    assert datalib.choose("digits", tmp_path) == ("digits", None)


def test_missing_dataset_is_a_clear_error_in_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(datalib.FashionMNIST, "system_folders", ())
    monkeypatch.setenv("TINYTENSOR_DATA", str(tmp_path / "nothing"))
    out = tmp_path / "o"
    code = main(["train", "--dataset", "fashion-mnist", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "--dataset fashion-mnist" in err and "--download" in err and "--data" in err
    assert "download=True" not in err and "root=" not in err
    assert not out.exists()  # the run folder made at the start is gone again


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="shared MNIST copy not found")
def test_real_mnist_test_split(tmp_path):
    done = _cli(
        "train",
        "--dataset",
        "mnist",
        "--data",
        str(SHARED_MNIST),
        "--arch",
        "mlp",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "o"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "8,000 train / 2,000 test" in done.stdout
    assert "splitting its 10,000 test images" in done.stdout
    acc = float(re.search(r"test accuracy: ([\d.]+)%", done.stdout).group(1))
    assert acc > 85.0
