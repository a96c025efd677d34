"""DataLoader(num_workers>0) hands large batches back through shared memory: the main
process's batch tensors are shared (only handles were pickled), values equal the dataset's,
small tensors still travel by value, and no named segment is left behind."""

from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.multiprocessing as mp
from tinytensor.data import DataLoader, TensorDataset
from tinytensor.data import worker as W


def _segments():
    shm = Path("/dev/shm")
    return {p.name for p in shm.iterdir() if p.name.startswith("psm_")} if shm.is_dir() else set()


@pytest.mark.parametrize("strategy", sorted(mp.get_all_sharing_strategies()))
def test_large_batches_come_back_shared(strategy):
    old = mp.get_sharing_strategy()
    mp.set_sharing_strategy(strategy)
    before = _segments()
    try:
        x = tt.arange(64 * 4096, dtype=tt.float32).reshape(64, 4096)  # 64 KiB per 4 rows
        y = tt.arange(64)
        loader = DataLoader(TensorDataset(x, y), batch_size=8, num_workers=2, timeout=30)
        seen = 0
        for i, (bx, by) in enumerate(loader):
            assert bx.is_shared(), "a 128 KiB batch should arrive in shared memory"
            assert not by.is_shared()  # 64 bytes: pickled by value
            np.testing.assert_array_equal(bx.numpy(), x.numpy()[8 * i : 8 * i + 8])
            np.testing.assert_array_equal(by.numpy(), np.arange(8 * i, 8 * i + 8))
            seen += 1
        assert seen == 8
        del bx, by, loader
    finally:
        mp.set_sharing_strategy(old)
    assert not (_segments() - before)  # the main process unlinked each one it received


def test_sharing_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(W, "SHARE_MIN_BYTES", 1 << 62)
    x = tt.ones(16, 4096)
    batches = list(DataLoader(TensorDataset(x), batch_size=8, num_workers=1, timeout=30))
    assert len(batches) == 2 and not batches[0][0].is_shared()
