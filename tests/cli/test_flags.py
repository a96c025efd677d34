"""Flag mistakes are named, nothing is left behind, and the small things read right."""

import io
import json
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.cli import data as datalib
from tinytensor.cli import main, recipe
from tinytensor.cli.progress import Progress, duration, plural
from tinytensor.cli.train import augmentation, drawing_from


@pytest.mark.parametrize(
    "flag, value, says",
    [
        ("--lr", "inf", "must be a finite number"),
        ("--lr", "nan", "must be a finite number"),
        ("--lr", "0", "> 0"),
        ("--lr", "-1e-3", "> 0"),
        ("--lr", "fast", "expected a number"),
        ("--seed", "-1", "from 0 to"),
        ("--epochs", "0", ">= 1"),
        ("--batch-size", "-3", ">= 1"),
        ("--val-split", "1", "below 1"),
        ("--weight-decay", "-0.1", ">= 0"),
    ],
)
def test_bad_numbers_name_the_flag(tmp_path, capsys, flag, value, says):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as e:
        main(["train", f"{flag}={value}", "--out", str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: " in err and says in err
    assert not out.exists()


def test_patience_needs_a_validation_set(tmp_path, capsys):
    assert main(["train", "--patience", "2", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "--patience" in err and "add --val-split 0.1" in err
    assert not (tmp_path / "run").exists()


def test_explicit_data_that_lacks_the_dataset_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(datalib.FashionMNIST, "system_folders", ())
    out = tmp_path / "run"
    assert main(["train", "--dataset", "fashion-mnist", "--data", str(tmp_path / "no"),
                 "--out", str(out)]) == 2  # fmt: skip
    assert f"--data {tmp_path / 'no'} does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["train", "--dataset", "mnist", "--data", str(tmp_path / "empty"),
                 "--out", str(out)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert f"--data {tmp_path / 'empty'}" in err and "--download" in err
    assert main(["train", "--dataset", "digits", "--data", str(tmp_path / "empty"),
                 "--out", str(out)]) == 2  # fmt: skip
    assert "bundled with scikit-learn and reads no files" in capsys.readouterr().err
    assert not out.exists()


def test_failed_download_leaves_no_empty_folders(tmp_path, capsys, monkeypatch):
    from tinytensor.data.datasets import mnist

    def offline(name, folder, mirrors, sha256, timeout=60.0):
        raise mnist.DownloadError(f"could not fetch {name} (offline)")

    monkeypatch.setattr(mnist, "download_file", offline)
    data = tmp_path / "new" / "data"
    out = tmp_path / "run"
    code = main(["train", "--dataset", "mnist", "--download", "--data", str(data),
                 "--out", str(out)])  # fmt: skip
    assert code == 1 and "offline" in capsys.readouterr().err
    assert not (tmp_path / "new").exists() and not out.exists()


def test_threads_without_threadpoolctl_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    assert main(["train", "--threads", "2", "--out", str(tmp_path / "run")]) == 2
    assert "pip install threadpoolctl" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_threads_with_threadpoolctl_limits_blas(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from tinytensor.cli.threads import blas_threads

    with blas_threads(1):
        infos = threadpoolctl.threadpool_info()
        assert all(i["num_threads"] == 1 for i in infos if i["user_api"] == "blas")


@pytest.mark.parametrize(
    "seconds, text",
    [(0.0004, "0 ms"), (0.0123, "12 ms"), (0.999, "999 ms"), (4.56, "4.6 s"), (125, "2 min 5 s")],
)
def test_durations(seconds, text):
    assert duration(seconds) == text


def test_plurals():
    assert plural(1, "epoch") == "1 epoch" and plural(2, "epoch") == "2 epochs"
    assert plural(0, "epoch") == "0 epochs" and plural(1500, "image") == "1,500 images"


def test_progress_prints_lines_when_not_a_terminal():
    log = io.StringIO()  # not a terminal
    items = list(Progress(range(4), 4, "evaluating", every=0.0, out=log, postfix=lambda: "x"))
    assert items == [0, 1, 2, 3]
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("  evaluating: 1/4 batches (25%") and lines[0].endswith(", x")
    assert len(lines) == 3  # not after the last batch: the caller prints the result
    quiet = io.StringIO()
    list(Progress(range(4), 4, "evaluating", disable=True, every=0.0, out=quiet))
    assert quiet.getvalue() == ""


def test_augment_is_small_seeded_and_leaves_the_global_stream_alone():
    x = np.zeros((6, 1, 12, 12), dtype=np.float32)
    x[:, :, 4:8, 5:7] = 1.0
    augment = augmentation((12, 12), SimpleNamespace(mean=0.0, std=1.0))
    tt.manual_seed(0)
    global_state = tt.get_rng_state()
    runs = []
    for _ in range(2):
        g = tt.Generator().manual_seed(3)
        with drawing_from(g):
            runs.append(augment(tt.from_numpy(x)).numpy())
        with drawing_from(g):
            runs.append(augment(tt.from_numpy(x)).numpy())
    assert tt.get_rng_state() == global_state  # dropout's stream did not move
    a, a_next, b, _ = runs
    assert a.shape == x.shape and a.dtype == x.dtype
    np.testing.assert_array_equal(a, b)  # the same generator state gives the same batch
    assert not np.allclose(a, a_next)  # and the generator moves on
    assert not np.allclose(a, x)
    assert a.min() >= -1e-6 and a.max() <= 1 + 1e-6  # interpolation stays in range
    # small: the mass stays where it was, within a couple of pixels
    for img in a[:, 0]:
        ys, xs = np.nonzero(img > 0.5)
        assert abs(ys.mean() - 5.5) <= 2.5 and abs(xs.mean() - 5.5) <= 2.5


def test_onecycle_warms_up_then_anneals():
    f = [recipe.onecycle_factor(s, 100) for s in range(100)]
    assert f[0] == pytest.approx(1 / 25)
    assert max(f) == pytest.approx(1.0) and int(np.argmax(f)) in (28, 29)
    assert f[-1] == pytest.approx(1 / 25 / 1e4)
    assert all(a <= b for a, b in zip(f[:29], f[1:30]))
    assert all(a >= b for a, b in zip(f[29:], f[30:]))


@pytest.mark.parametrize("schedule", ["step", "cosine", "onecycle"])
def test_schedules_train(tmp_path, capsys, schedule):
    out = tmp_path / "run"
    argv = ["train", "--arch", "mlp", "--epochs", "2", "--schedule", schedule, "--no-progress"]
    assert main(argv + ["--out", str(out)]) == 0
    rows = json.loads((out / "metrics.json").read_text())["epochs"]
    assert rows[-1]["lr"] < 3e-3  # every schedule has lowered the rate by the end
    assert f"{schedule} schedule" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arch, shape, want",
    [
        ("cnn", (1, 8, 8), (1, False)),  # the digits: 4x4 maps, kept whole (cropped: 2x2)
        ("cnn", (1, 28, 28), (1, True)),  # MNIST: 14x14, 12x12 once cropped
        ("conv(4,3) relu conv(4,3) relu conv(4,3) flatten linear(10)", (1, 8, 8), (1, True)),
        ("conv(4,3,padding=1) maxpool(4) conv(4,1) flatten linear(10)", (1, 8, 8), (0, True)),
    ],
)
def test_features_png_shows_maps_of_at_least_4x4(arch, shape, want):
    from tinytensor.cli import arch as archlib
    from tinytensor.cli.plots import feature_layer

    model, _ = archlib.build(arch, shape, num_classes=10)
    assert feature_layer(model, tt.zeros(1, *shape)) == want
