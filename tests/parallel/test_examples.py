"""The "Many processes" page's programs: shown verbatim on the page, and they run (the DDP
tutorial under the launcher, Hogwild with two processes)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PAGE_DIR = ROOT / "docs" / "many-processes"
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


@pytest.mark.parametrize("name", ["hogwild.py", "elastic_ddp.py"])
def test_page_shows_the_program_verbatim(name):
    page = (PAGE_DIR / "index.md").read_text()
    blocks = re.findall(r"```py\n(.*?)\n```", page, flags=re.S)
    assert (PAGE_DIR / name).read_text().rstrip("\n") in blocks


def test_ddp_tutorial_runs_under_the_launcher():
    pytest.importorskip("mpi4py", reason="the mpi extra: pip install -e '.[mpi]'")
    if shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not found (the mpi extra)")
    proc = subprocess.run(
        [sys.executable, "-m", "tinytensor.distributed.run", "--nnodes=1", "--nproc_per_node=2",
         str(PAGE_DIR / "elastic_ddp.py")],
        capture_output=True, text=True, timeout=120, env=ENV,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for rank in (0, 1):
        assert f"rank {rank}: the ranks' weights agree: True" in out, out
        assert f"Finished running basic DDP example on rank {rank}." in out


def test_hogwild_example_trains_the_shared_model():
    proc = subprocess.run(
        [sys.executable, str(PAGE_DIR / "hogwild.py"), "--num-processes", "2", "--epochs", "1",
         "--batch-size", "64", "--lr", "0.1"],
        capture_output=True, text=True, timeout=240, env=ENV,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    accuracy = float(re.search(r"\(([\d.]+)%\)", proc.stdout).group(1))
    assert accuracy > 50.0, proc.stdout  # chance is 10%: the processes trained the parent's model
