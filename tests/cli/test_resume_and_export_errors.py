"""Mistakes are named before anything is done: ``export --onnx`` into a missing folder, an
``--arch`` layer missing an argument, ``--resume`` of a finished run (before the data loads),
and ``--resume`` of a damaged checkpoint (refused at load, the run folder left untouched)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tinytensor as tt
from tinytensor.cli import data as datalib
from tinytensor.cli import main

pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")

TINY = ["--arch", "flatten linear(10)", "--no-progress"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A one-epoch adam run on the digits, trained once for the module."""
    run = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(run)]) == 0
    return run


def _snapshot(folder: Path):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _copy(run: Path, to: Path) -> Path:
    to.mkdir()
    for p in run.iterdir():
        (to / p.name).write_bytes(p.read_bytes())
    return to


def test_export_into_a_missing_folder_names_the_flag(tmp_path, capsys):
    code = main(["export", str(tmp_path / "no-run"), "--onnx", "/no/such/dir/m.onnx"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("tinytensor export: --onnx /no/such/dir/m.onnx: folder ")
    assert "does not exist" in err and "Errno" not in err
    (tmp_path / "d.onnx").mkdir()
    assert main(["export", str(tmp_path / "no-run"), "--onnx", str(tmp_path / "d.onnx")]) == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arch, says",
    [
        ("conv(8) relu flatten linear(10)", "conv(8): conv needs kernel_size (usage: conv("),
        ("conv(8,3,size=2) flatten linear(10)", "conv has no argument 'size'"),
        ("maxpool() flatten linear(10)", "maxpool needs kernel_size"),
        (
            "flatten linear(10,True,None,None,3)",
            "linear got more positional arguments than it takes",
        ),
    ],
)
def test_arch_argument_mistakes_say_what_the_layer_needs(tmp_path, capsys, arch, says):
    assert main(["train", "--arch", arch, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert says in err, err
    assert "__init__" not in err and "_Conv" not in err
    assert not (tmp_path / "run").exists()


def test_resume_of_a_finished_run_says_so_before_loading_data(
    finished_run, tmp_path, capsys, monkeypatch
):
    run = _copy(finished_run, tmp_path / "run")
    before = _snapshot(run)

    def no_data(*args, **kwargs):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(datalib, "load", no_data)
    capsys.readouterr()
    assert main(["train", "--resume", str(run)]) == 2
    out, err = capsys.readouterr()
    assert "the run already finished its 1 epoch; pass --epochs N with N > 1" in err
    assert "dataset" not in out
    assert main(["train", "--resume", str(run), "--epochs", "1"]) == 2
    assert _snapshot(run) == before


@pytest.mark.parametrize("damage", ["moment", "weight", "optimizer params"])
def test_resume_refuses_a_damaged_checkpoint_and_leaves_the_run_alone(
    finished_run, tmp_path, capsys, damage
):
    run = _copy(finished_run, tmp_path / "run")
    path = run / "checkpoint.npz"
    blob = tt.load(path)
    if damage == "moment":
        state = blob["optimizer"]["state"][0]
        state["exp_avg"] = tt.zeros(3, 5)  # the weight is (10, 64)
        says = "state 'exp_avg' of parameter 1.weight has shape (3, 5)"
    elif damage == "weight":
        blob["state_dict"]["1.weight"] = tt.zeros(10, 63)
        says = "the saved model does not fit its network"
    else:
        blob["optimizer"]["param_groups"][0]["params"] = [0]
        says = "the saved adam state does not fit the network"
    tt.save(blob, path)
    before = _snapshot(run)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 2
    out, err = capsys.readouterr()
    assert str(path) in err and says in err, err
    assert "dataset" not in out and "resuming" not in out
    assert _snapshot(run) == before


def test_resume_of_an_intact_checkpoint_still_continues(finished_run, tmp_path, capsys):
    run = _copy(finished_run, tmp_path / "run")
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert tt.load(run / "checkpoint.npz")["epoch"] == 2
