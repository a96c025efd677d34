"""Workers answering out of order: sample 0 waits until sample 1 has been loaded by the other
worker (a flag file, then half a second more for that batch to travel), so the second worker's
batch arrives first. With ``in_order=True`` (the default) the loader still yields the sampler's
order; with ``in_order=False`` it yields batches as they arrive (there sample 0 waits for the
main process to have received sample 1, so the order does not rest on timing at all)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import tinytensor as tt
from tinytensor.data import DataLoader, Dataset


class FirstWaitsForSecond(Dataset):
    """Sample i is i; loading sample 0 blocks until ``flag`` exists (up to 20 s), then waits
    ``after`` seconds more. Loading sample 1 creates ``flag`` unless ``main_sets_flag``."""

    def __init__(self, n, flag: Path, after=0.5, main_sets_flag=False):
        self.n, self.flag, self.after, self.main_sets_flag = n, str(flag), after, main_sets_flag

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == 1 and not self.main_sets_flag:
            Path(self.flag).touch()
        if i == 0:
            deadline = time.monotonic() + 20
            while not Path(self.flag).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(self.after)
        return i


def _values(loader):
    return [int(v) for batch in loader for v in (batch.reshape(-1).tolist())]


@pytest.mark.parametrize("batch_size", [1, 2])
def test_in_order_yields_the_samplers_order_when_the_first_batch_is_slow(tmp_path, batch_size):
    ds = FirstWaitsForSecond(9, tmp_path / "second-loaded")
    # batch_size 2: sample 1 is in batch 0 too, so make batch 0 wait for batch 1's sample 2
    if batch_size == 2:
        ds = _Offset(ds)
    loader = DataLoader(ds, batch_size=batch_size, num_workers=2)
    assert _values(loader) == list(range(9))


class _Offset(Dataset):
    """Sample i of ``inner`` maps 1 -> 2 and 2 -> 1, so the waiting sample 0 (batch 0) waits
    for a sample of batch 1."""

    def __init__(self, inner):
        self.inner = inner

    def __len__(self):
        return len(self.inner)

    def __getitem__(self, i):
        j = {1: 2, 2: 1}.get(i, i)
        self.inner[j]
        return i


def test_in_order_with_a_seeded_shuffle_keeps_the_samplers_order(tmp_path):
    ds = FirstWaitsForSecond(10, tmp_path / "second-loaded")
    g = tt.Generator().manual_seed(4)
    order = [int(i) for i in tt.randperm(10, generator=tt.Generator().manual_seed(4))]
    loader = DataLoader(ds, batch_size=1, shuffle=True, generator=g, num_workers=2)
    got = _values(loader)
    assert got == order
    assert sorted(got) == list(range(10))


def test_out_of_order_delivery_really_happens_with_in_order_false(tmp_path):
    """With in_order=False the second worker's batch comes first: sample 0 is only loaded once
    this process has received sample 1. This is what the in-order tests above guard against."""
    flag = tmp_path / "main-received-1"
    ds = FirstWaitsForSecond(6, flag, after=0.0, main_sets_flag=True)
    got = []
    for batch in DataLoader(ds, batch_size=1, num_workers=2, in_order=False):
        got.append(int(batch.item()))
        if got[-1] == 1:
            flag.touch()
    assert sorted(got) == list(range(6))
    assert got.index(1) < got.index(0)
