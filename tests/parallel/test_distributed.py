"""tinytensor.distributed on 2 MPI ranks: every collective equals NumPy on every rank for every
op and dtype; mismatched calls, timeouts and a failing rank are reported, never a hang. Each
case launches ``mpiexec -n 2`` with a hard timeout."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="the mpi extra: pip install -e '.[mpi]'")
MPIEXEC = shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (the mpi extra)")

PROGRAM = Path(__file__).with_name("dist_program.py")
ROOT = Path(__file__).parents[2]


def launch(case, n=2, timeout=90):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    cmd = [MPIEXEC, "-n", str(n), sys.executable, str(PROGRAM), case] if n else [
        sys.executable, str(PROGRAM), case]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def test_collectives_equal_numpy_on_every_rank():
    code, out, _ = launch("collectives")  # backend "gloo" (the "mpi" one runs in test_ddp)
    assert code == 0, out
    for rank in (0, 1):
        # Searched anywhere, not at a line start: mpiexec forwards the two ranks' output as it
        # comes, so under load one rank's line can follow another's unfinished text.
        found = re.search(rf"RANK {rank} OK (\d+)", out)
        assert found, out
        assert int(found.group(1)) > 200, out  # every op x dtype was checked


def test_mismatched_calls_are_reported_on_every_rank():
    code, out, _ = launch("mismatch")
    assert code == 0, out
    for rank in (0, 1):
        assert (f"RANK {rank} MISMATCH all_reduce: the ranks made mismatched calls" in out), out
        assert "rank 0: all_reduce(shape=[3], dtype=float32); rank 1: all_reduce(shape=[4]" in out
        assert f"RANK {rank} MISMATCH2" in out and "rank 0: broadcast(shape=[2]" in out
    assert "RANK 1 MISMATCH3 irecv: received 4 elements from rank 0 into a tensor of 3" in out


def test_timeout_is_honoured():
    code, out, took = launch("timeout")
    assert "RANK 0 TIMEOUT" in out and "timed out after 1.5 s on rank 0" in out, out
    waited = float(next(ln for ln in out.splitlines() if "TIMEOUT" in ln).split()[3])
    assert 1.4 <= waited < 4.0, out


def test_a_rank_that_raises_stops_the_others_naming_it():
    code, out, took = launch("raises")
    assert code != 0
    assert "DistError: rank 1 failed: ValueError: rank one gave up" in out, out  # seen by rank 0
    assert "RANK 0 OK" not in out
    assert took < 30


def test_a_killed_rank_ends_the_job():
    code, out, took = launch("killed")
    assert code != 0 and took < 30
    assert "signal 9" in out or "Killed" in out, out


def test_nccl_env_and_uninitialised_are_refused():
    code, out, _ = launch("refusals", n=0)
    assert code == 0, out
    assert out.count("backend 'nccl' is NVIDIA's GPU collective library") == 3
    assert "world_size=5 but MPI started this process as world_size 1" in out
    assert "Default process group has not been initialized" in out
