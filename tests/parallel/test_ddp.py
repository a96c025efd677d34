"""DistributedDataParallel on 2 MPI ranks equals one process on the concatenated batch
(float64, within 1e-12) for an MLP, a CNN with BatchNorm (each rank normalises its half, as in
PyTorch), the same CNN with SyncBatchNorm (the global batch's statistics, running statistics
included) and an LSTM; no_sync, unused parameters, reductions overlapping
backward. DataParallel/data_parallel are single-device wrappers (tested in-process)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.nn.parallel import DataParallel, DistributedDataParallel, data_parallel

PROGRAM = Path(__file__).with_name("ddp_program.py")
ROOT = Path(__file__).parents[2]
MPIEXEC = shutil.which("mpiexec")


CASES = ["mlp", "cnn_bn", "cnn_syncbn", "lstm", "no_sync", "unused"]


def test_ddp_on_two_ranks():
    pytest.importorskip("mpi4py", reason="the mpi extra: pip install -e '.[mpi]'")
    if MPIEXEC is None:
        pytest.skip("mpiexec not found (the mpi extra)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(PROGRAM), *CASES],
                          capture_output=True, text=True, timeout=180, env=env)  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for case in CASES:
        assert f"RANK 0 {case} OK" in out and f"RANK 1 {case} OK" in out, out


def test_ddp_needs_a_process_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(tt.nn.Linear(2, 2))


def test_data_parallel_is_the_module_on_the_cpu():
    tt.manual_seed(0)
    m = tt.nn.Linear(3, 2)
    dp = DataParallel(m)
    x = tt.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), m(x).detach().numpy())
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    assert [p is q for p, q in zip(dp.parameters(), m.parameters())] == [True, True]
    np.testing.assert_array_equal(data_parallel(m, x).detach().numpy(), m(x).detach().numpy())
    with pytest.raises(ValueError, match="tinytensor computes on the CPU only"):
        DataParallel(m, device_ids=[0, 1])
    with pytest.raises(ValueError, match="tinytensor computes on the CPU only"):
        data_parallel(m, x, output_device=1)
    assert tt.nn.DataParallel is DataParallel and tt.nn.parallel.data_parallel is data_parallel

