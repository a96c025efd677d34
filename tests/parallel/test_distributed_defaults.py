"""The collectives' default roots on 2 MPI ranks: ``gather``/``reduce`` with ``dst`` left out
and ``broadcast``/``scatter``/``broadcast_object_list`` with ``src`` left out use rank 0, as
PyTorch's do (checked against NumPy on every rank; no torch needed)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="the mpi extra: pip install -e '.[mpi]'")
MPIEXEC = shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (the mpi extra)")

PROGRAM = Path(__file__).with_name("dist_defaults_program.py")
ROOT = Path(__file__).parents[2]


def test_collectives_default_to_rank_0():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(PROGRAM)],
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for rank in (0, 1):
        found = re.search(rf"RANK {rank} OK (\d+)", out)
        assert found, out
        # rank 0 checks the gathered slots too (2 more than rank 1)
        assert int(found.group(1)) == (6 if rank == 0 else 4), out
