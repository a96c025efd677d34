"""Runs survive: --out checked first, a checkpoint every epoch, Ctrl-C keeps work, --resume."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.cli import main

pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")

SMALL = "conv(4,3,padding=1) relu dropout(0.2) maxpool(2) flatten linear(10)"
# A recipe that touches every generator and every piece of saved state.
RECIPE = ["--arch", SMALL, "--augment", "--schedule", "step", "--val-split", "0.1"]
RECIPE += ["--weight-decay", "1e-4", "--no-progress"]


def _env(tmp_path):
    env = dict(os.environ)
    env["TINYTENSOR_DATA"] = str(tmp_path / "no-data")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(tt.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    return env


def _train(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "tinytensor", "train", *args],
        capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=300,
    )  # fmt: skip


def _numbers(run: Path):
    """Everything a run computed, without the wall-clock times."""
    metrics = json.loads((run / "metrics.json").read_text())
    rows = [{k: v for k, v in r.items() if k != "seconds"} for r in metrics["epochs"]]
    blob = tt.load(run / "checkpoint.npz")
    weights = {k: v.numpy() for k, v in blob["state_dict"].items()}
    return rows, metrics["step_losses"], weights


def test_sigint_keeps_the_last_epoch_and_resume_matches_a_straight_run(tmp_path):
    epochs = "20"
    interrupted = tmp_path / "interrupted"
    env = _env(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinytensor", "train", *RECIPE, "--epochs", epochs,
         "--out", str(interrupted)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("epoch  2/"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, "".join(seen) + out + err
    kept = json.loads((interrupted / "metrics.json").read_text())
    assert kept["status"] == "interrupted"
    done = len(kept["epochs"])
    assert 2 <= done < int(epochs)
    assert tt.load(interrupted / "checkpoint.npz")["epoch"] == done
    assert f"interrupted during epoch {done + 1}/{epochs}" in err
    assert f"tinytensor train --resume {interrupted}" in err
    assert (interrupted / "curves.png").is_file() and (interrupted / "filters.png").is_file()
    assert not [p.name for p in interrupted.iterdir() if p.name.endswith(".tmp")]

    resumed = _train(tmp_path, "--resume", str(interrupted), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {interrupted} after epoch {done}" in resumed.stdout
    straight = _train(tmp_path, *RECIPE, "--epochs", epochs, "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr
    rows_a, steps_a, weights_a = _numbers(interrupted)
    rows_b, steps_b, weights_b = _numbers(tmp_path / "straight")
    assert rows_a == rows_b and steps_a == steps_b
    assert weights_a.keys() == weights_b.keys()
    for k in weights_a:
        np.testing.assert_array_equal(weights_a[k], weights_b[k])
    summary = [
        done.stdout.strip().splitlines()[-2].split(" in ")[0] for done in (resumed, straight)
    ]
    assert summary[0] == summary[1] and summary[0].startswith("test accuracy: ")


def test_checkpoint_after_every_epoch_holds_what_resume_needs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *RECIPE, "--epochs", "2", "--out", str(out)]) == 0
    blob = tt.load(out / "checkpoint.npz")
    assert blob["epoch"] == 2 and blob["status"] == "finished"
    assert {"state_dict", "optimizer", "scheduler", "rng", "history", "config"} <= set(blob)
    assert set(blob["rng"]) == {"global", "shuffle", "augment"}
    assert blob["optimizer"]["param_groups"][0]["weight_decay"] == pytest.approx(1e-4)
    assert blob["scheduler"]["last_epoch"] == 2
    assert set(blob["meta"]["normalize"]) == {"mean", "std"}
    assert blob["initial_state_dict"].keys() == blob["state_dict"].keys()
    metrics = json.loads((out / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["epochs"]] == [1, 2]
    assert {"val_loss", "val_accuracy", "test_loss", "lr"} <= set(metrics["epochs"][0])

    # A finished run resumes only to go further; --epochs is the total to reach.
    assert main(["train", "--resume", str(out)]) == 2
    assert "already finished its 2 epochs; pass --epochs N with N > 2" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--epochs", "3", "--no-progress"]) == 0
    assert "after 3 epochs" in capsys.readouterr().out
    assert tt.load(out / "checkpoint.npz")["epoch"] == 3


def test_resume_refuses_a_new_recipe(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["train", "--arch", "mlp", "--epochs", "1", "--no-progress", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--lr", "0.1", "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "--lr cannot be given with it" in err and "--out NEW_FOLDER" in err
    assert main(["train", "--resume", str(tmp_path / "nope")]) == 2
    assert "--resume" in capsys.readouterr().err


def test_out_that_is_a_file_fails_before_data_and_names_the_flag(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["train", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"--out {target}: this is a file" in err
    assert "dataset" not in capsys.readouterr().out
    assert main(["train", "--out", str(target / "below")]) == 2
    assert "--out" in capsys.readouterr().err and not (target / "below").exists()


def test_non_empty_out_is_refused_pointing_at_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["train", "--arch", "mlp", "--epochs", "1", "--no-progress", "--out", str(out)]) == 0
    )
    before = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    assert main(["train", "--arch", "cnn", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"tinytensor train --resume {out}" in err and "new folder" in err
    assert sorted(p.name for p in out.iterdir()) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["train", "--out", str(other)]) == 2
    assert "not a tinytensor run" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes")
def test_read_only_out_fails_at_once(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["train", "--out", str(locked / "run")]) == 2
        assert "--out" in capsys.readouterr().err
        assert not (locked / "run").exists()
    finally:
        locked.chmod(0o700)


def test_a_failure_before_the_first_epoch_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "deep" / "run"
    code = main(["train", "--arch", "conv(4,3) relu flaten linear(10)", "--out", str(out)])
    assert code == 2 and "unknown layer 'flaten'" in capsys.readouterr().err
    assert not (tmp_path / "deep").exists()


def test_early_stopping_keeps_the_best_weights(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--arch", "flatten linear(64) relu linear(10)", "--lr", "0.03"]
    argv += ["--val-split", "0.3", "--patience", "1", "--epochs", "40", "--no-progress"]
    assert main(argv + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "early stop: the validation loss has not improved for 1 epoch;" in text
    metrics = json.loads((out / "metrics.json").read_text())
    rows = metrics["epochs"]
    best = min(range(len(rows)), key=lambda i: rows[i]["val_loss"])
    assert metrics["status"] == "stopped early" and len(rows) < 40
    assert metrics["best_epoch"] == rows[best]["epoch"] == len(rows) - 1
    assert main(["train", "--resume", str(out), "--epochs", "50"]) == 2
    assert "stopped early" in capsys.readouterr().err


@pytest.mark.parametrize("schedule, optim", [("onecycle", "sgd"), ("cosine", "rmsprop")])
def test_resume_matches_for_every_schedule(tmp_path, capsys, monkeypatch, schedule, optim):
    """Ctrl-C simulated at the start of epoch 2, in process; the schedule's state must resume."""
    from tinytensor.cli import train as trainmod

    argv = ["train", "--arch", "mlp", "--epochs", "3", "--schedule", schedule, "--optim", optim]
    argv += ["--no-progress"]
    assert main(argv + ["--out", str(tmp_path / "straight")]) == 0
    real = trainmod.Trainer._one_epoch

    def interrupted(self, epoch):
        if epoch == 2:
            raise KeyboardInterrupt
        return real(self, epoch)

    monkeypatch.setattr(trainmod.Trainer, "_one_epoch", interrupted)
    assert main(argv + ["--out", str(tmp_path / "cut")]) == 130
    monkeypatch.setattr(trainmod.Trainer, "_one_epoch", real)
    assert "interrupted during epoch 2/3" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "cut"), "--no-progress"]) == 0
    a, b = _numbers(tmp_path / "straight"), _numbers(tmp_path / "cut")
    assert a[0] == b[0] and a[1] == b[1]
    for k in a[2]:
        np.testing.assert_array_equal(a[2][k], b[2][k])
