"""The launcher (``python -m tinytensor.distributed.run``): torchrun's variables reach every
rank; a rank that raises or is killed ends the job quickly with the rank named; Ctrl-C on the
launcher ends every rank. Each case has a hard timeout."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinytensor.distributed.run import parse_args

pytest.importorskip("mpi4py", reason="the mpi extra: pip install -e '.[mpi]'")
pytestmark = pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec not found")

PROGRAM = str(Path(__file__).with_name("launch_program.py"))
ENV = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
LAUNCH = [sys.executable, "-m", "tinytensor.distributed.run", "--nproc-per-node", "2"]


def launch(*args, timeout=60):
    start = time.monotonic()
    proc = subprocess.run([*LAUNCH, PROGRAM, *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def test_every_rank_gets_torchruns_variables_and_the_arguments():
    code, out, _ = launch("ok", "--flag")
    assert code == 0, out
    assert "RANK 0 0 2 2 29500 [1.0, 1.0] ['ok', '--flag']" in out, out
    assert "RANK 1 1 2 2 29500 [1.0, 1.0] ['ok', '--flag']" in out, out


def test_a_rank_that_raises_is_named():
    code, out, took = launch("raise")
    assert code != 0 and took < 30
    assert "tinytensor-run: rank 1 (pid" in out
    assert "exited with code 1: ValueError: rank one broke" in out
    assert "rank 1 failed: ValueError: rank one broke" in out  # what rank 0 was told


def test_a_killed_rank_is_named():
    code, out, took = launch("kill")
    assert code != 0 and took < 30
    assert "tinytensor-run: rank 1 (pid" in out and "was killed" in out, out


def test_ctrl_c_ends_every_rank(tmp_path):
    proc = subprocess.Popen([*LAUNCH, PROGRAM, "sleep"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=ENV)  # fmt: skip
    try:
        seen = 0
        deadline = time.monotonic() + 60
        while seen < 2 and time.monotonic() < deadline:
            # counted, not matched at a line start: the two ranks' lines can arrive merged
            seen += proc.stdout.readline().count("RANK ")
        assert seen == 2
        ranks = subprocess.run(["pgrep", "-f", f"{PROGRAM} sleep"], capture_output=True,
                               text=True).stdout.split()  # fmt: skip
        assert len(ranks) >= 2
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "every rank was stopped" in out
    time.sleep(0.3)
    alive = [p for p in ranks if Path(f"/proc/{p}").exists()]
    assert not alive, f"ranks still running after Ctrl-C: {alive}"


def test_options():
    args = parse_args(["--nproc_per_node", "3", "train.py", "--lr", "0.1"])
    assert args.nproc_per_node == 3 and args.training_script_args == ["--lr", "0.1"]
    with pytest.raises(SystemExit):
        parse_args(["--nnodes", "2", "train.py"])  # other machines need a host file
    with pytest.raises(SystemExit):
        parse_args(["--max-restarts", "2", "train.py"])
