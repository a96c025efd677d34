"""A checkpoint write that fails halfway (disk full, Ctrl-C, a crash) leaves the previous
checkpoint and metrics.json whole and loadable, and no temporary file behind: the run folder's
files are written to a temporary name and moved into place with ``os.replace``."""

from __future__ import annotations

import errno
import io
import json
import os
import signal

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.cli import rundir
from tinytensor.cli.rundir import CHECKPOINT, METRICS, write_checkpoint, write_metrics


def _blob(value):
    return {"state_dict": {"w": tt.full((64, 64), float(value))}, "epoch": value}


def _failing_save(real_save):
    """A ``tt.save`` that writes the first half of the real bytes to its target, then fails."""

    def save(obj, f):
        buf = io.BytesIO()
        real_save(obj, buf)
        data = buf.getvalue()
        with open(f, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device (injected)")

    return save


def test_failed_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / CHECKPOINT
    write_checkpoint(path, _blob(1), {"epoch": 1})
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setattr(rundir.tt, "save", _failing_save(tt.save))
    with pytest.raises(OSError, match="injected"):
        write_checkpoint(path, _blob(2), {"epoch": 2})
    monkeypatch.undo()
    loaded = tt.load(path)
    assert loaded["epoch"] == 1
    np.testing.assert_array_equal(loaded["state_dict"]["w"].numpy(), np.ones((64, 64)))
    assert json.loads((tmp_path / METRICS).read_text()) == {"epoch": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left
    write_checkpoint(path, _blob(3), {"epoch": 3})  # and the next write still works
    assert tt.load(path)["epoch"] == 3
    assert json.loads((tmp_path / METRICS).read_text()) == {"epoch": 3}


def test_failed_metrics_write_keeps_the_previous_metrics(tmp_path, monkeypatch):
    path = tmp_path / METRICS
    write_metrics(path, {"loss": [1.0, 0.5]})

    def half_dump(obj, f, **kw):
        f.write(json.dumps(obj)[:5])
        raise OSError(errno.EIO, "I/O error (injected)")

    monkeypatch.setattr(rundir.json, "dump", half_dump)
    with pytest.raises(OSError, match="injected"):
        write_metrics(path, {"loss": [1.0, 0.5, 0.25]})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"loss": [1.0, 0.5]}
    assert [p.name for p in tmp_path.iterdir()] == [METRICS]


def test_ctrl_c_during_a_checkpoint_write_waits_for_it_then_interrupts(tmp_path, monkeypatch):
    """SIGINT arriving while the checkpoint is written is held back: the new checkpoint is
    complete on disk, and KeyboardInterrupt is raised once the write is done."""
    path = tmp_path / CHECKPOINT
    write_checkpoint(path, _blob(1), {"epoch": 1})
    real_save, handler = tt.save, signal.getsignal(signal.SIGINT)

    def save_with_ctrl_c(obj, f):
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C mid-write
        real_save(obj, f)

    monkeypatch.setattr(rundir.tt, "save", save_with_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        write_checkpoint(path, _blob(2), {"epoch": 2})
    monkeypatch.undo()
    assert tt.load(path)["epoch"] == 2
    assert json.loads((tmp_path / METRICS).read_text()) == {"epoch": 2}
    assert signal.getsignal(signal.SIGINT) is handler  # the caller's handler is back
