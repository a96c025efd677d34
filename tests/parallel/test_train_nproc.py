"""``tinytensor train --nproc 2`` equals one process on the same global batches: the same
metrics and, up to float32 rounding of the sums' order, the same weights."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt

pytest.importorskip("mpi4py", reason="the mpi extra: pip install -e '.[mpi]'")
pytestmark = pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec not found")


def _train(out, *extra):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    cmd = [sys.executable, "-m", "tinytensor", "train", "--arch", "mlp", "--epochs", "1",
           "--batch-size", "50", "--no-progress", "--out", str(out), *extra]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads((out / "metrics.json").read_text()), tt.load(
        str(out / "checkpoint.npz"))  # fmt: skip


def test_two_processes_equal_one(tmp_path):
    out1, m1, c1 = _train(tmp_path / "one")
    out2, m2, c2 = _train(tmp_path / "two", "--nproc", "2")
    assert out2.count("training 1 epoch") == 1  # rank 0 alone prints
    np.testing.assert_allclose(m2["final_test_loss"], m1["final_test_loss"], rtol=1e-5)
    assert m2["final_test_accuracy"] == m1["final_test_accuracy"]
    for k, w in c1["state_dict"].items():  # the wrapped model's keys, no "module." prefix
        np.testing.assert_allclose(c2["state_dict"][k].numpy(), w.numpy(), atol=1e-5)
    h1, h2 = m1["epochs"][-1], m2["epochs"][-1]
    np.testing.assert_allclose(h2["train_loss"], h1["train_loss"], rtol=1e-5)
    assert h2["train_accuracy"] == h1["train_accuracy"]
    np.testing.assert_allclose(m2["step_losses"], m1["step_losses"], rtol=1e-4)  # every step
