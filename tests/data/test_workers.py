"""DataLoader with worker processes: same batches as in-process loading, errors, shutdown,
persistent workers, IterableDataset sharding. At most two workers and tiny datasets."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)


class Squares(Dataset):
    """Sample i is (tensor([i, i*i]), i, {"pid": worker pid}); optionally slow or failing."""

    def __init__(self, n=13, fail_at=None, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"sample {i} is corrupt")
        if self.delay:
            time.sleep(self.delay)
        return tt.tensor([float(i), float(i * i)]), i, {"pid": os.getpid()}


class Shards(IterableDataset):
    """range(start, end), each worker reading its own contiguous share (PyTorch's docs recipe)."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per = -(-(self.end - self.start) // info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))


def _children_gone(pids, wait=5.0):
    """True once none of ``pids`` is a live child of this process."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        alive = {p.pid for p in multiprocessing.active_children()}
        if not alive & set(pids):
            return True
        time.sleep(0.05)
    return False


def _flatten(batches):
    return [(x.numpy().tolist(), y.tolist()) for x, y, _ in batches]


@pytest.mark.parametrize("num_workers", [1, 2])
def test_seeded_shuffle_gives_the_same_batches_as_in_process(num_workers):
    ds = Squares()
    runs = []
    for workers in (0, num_workers):
        tt.manual_seed(11)
        epochs = [_flatten(DataLoader(ds, batch_size=3, shuffle=True, num_workers=workers))
                  for _ in range(2)]  # fmt: skip
        runs.append(epochs)
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[0][1]  # a new permutation each pass
    assert sorted(y for _, ys in runs[0][0] for y in ys) == list(range(13))


def test_generator_seeded_loader_matches_and_workers_really_load():
    ds = Squares(n=8)

    def load(workers):
        loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=workers,
                            generator=tt.Generator().manual_seed(3))  # fmt: skip
        return list(loader)

    inline, workers = load(0), load(2)
    assert _flatten(inline) == _flatten(workers)
    assert {int(p) for b in inline for p in b[2]["pid"]} == {os.getpid()}
    worker_pids = {int(p) for b in workers for p in b[2]["pid"]}
    assert os.getpid() not in worker_pids and len(worker_pids) == 2


def test_tensor_dataset_fast_path_in_workers():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    ds = TensorDataset(x, np.arange(20))
    tt.manual_seed(5)
    a = [(xb.numpy(), yb.numpy()) for xb, yb in DataLoader(ds, batch_size=6, shuffle=True)]
    tt.manual_seed(5)
    b = [(xb.numpy(), yb.numpy()) for xb, yb in DataLoader(ds, batch_size=6, shuffle=True,
                                                            num_workers=2)]  # fmt: skip
    assert len(a) == len(b) == 4
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_worker_error_is_reraised_naming_worker_and_workers_end():
    loader = DataLoader(Squares(fail_at=4), batch_size=2, num_workers=2)
    it = iter(loader)
    pids = it.worker_pids
    with pytest.raises(ValueError) as info:
        for _ in it:
            pass
    message = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0" in message  # batch [4, 5]: worker 0
    assert "Traceback" in message and "sample 4 is corrupt" in message
    assert "__getitem__" in message
    assert _children_gone(pids)


def test_worker_init_fn_error_is_reraised():
    def init(worker_id):
        raise KeyError(f"no config for worker {worker_id}")

    with pytest.raises(KeyError, match="in DataLoader worker process"):
        list(DataLoader(Squares(), batch_size=2, num_workers=1, worker_init_fn=init))


def test_unpicklable_batch_is_an_error_not_a_hang():
    def collate(samples):
        return lambda: samples  # a closure cannot cross the process boundary

    loader = DataLoader(Squares(n=4), batch_size=2, num_workers=1, collate_fn=collate, timeout=30)
    with pytest.raises(Exception, match="sending the batch"):
        next(iter(loader))


def test_garbage_collected_iterator_shuts_workers_down():
    it = iter(DataLoader(Squares(n=40), batch_size=2, num_workers=2))
    next(it)
    pids = it.worker_pids
    assert not _children_gone(pids, wait=0.2)  # alive mid-pass
    del it
    gc.collect()
    assert _children_gone(pids)


def test_ctrl_c_in_the_main_process_shuts_workers_down():
    it = iter(DataLoader(Squares(n=6, delay=3.0), batch_size=1, num_workers=2))
    pids = it.worker_pids
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(it)
    finally:
        timer.cancel()
    assert it.is_shut_down
    assert _children_gone(pids)


def test_timeout_raises_and_shuts_down():
    it = iter(DataLoader(Squares(n=2, delay=3.0), batch_size=1, num_workers=1, timeout=0.2))
    pids = it.worker_pids
    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        next(it)
    assert _children_gone(pids)


def test_worker_killed_is_reported():
    it = iter(DataLoader(Squares(n=6, delay=3.0), batch_size=1, num_workers=1))
    os.kill(it.worker_pids[0], signal.SIGKILL)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        next(it)


def test_persistent_workers_are_reused_across_passes():
    loader = DataLoader(Squares(n=6), batch_size=2, num_workers=2, persistent_workers=True)
    first = list(loader)
    it = loader._iterator
    pids = it.worker_pids
    second = list(loader)
    assert loader._iterator is it and it.worker_pids == pids and not it.is_shut_down
    assert _flatten(first) == _flatten(second)
    assert {int(p) for b in second for p in b[2]["pid"]} == set(pids)
    partial = iter(loader)
    next(partial)  # abandon this pass half-way: the next one starts clean
    assert _flatten(list(loader)) == _flatten(first)
    it._shutdown_workers()
    assert _children_gone(pids)


def test_non_persistent_workers_end_after_each_pass():
    it = iter(DataLoader(Squares(n=4), batch_size=2, num_workers=2))
    pids = it.worker_pids
    assert len(list(it)) == 2
    assert it.is_shut_down and _children_gone(pids)


def _tag_worker(worker_id):
    info = get_worker_info()
    assert info.id == worker_id and info.num_workers == 2
    info.dataset.tag = f"w{worker_id}"


class TaggedShards(Shards):
    tag = "main"

    def __iter__(self):
        for v in super().__iter__():
            yield v, self.tag


@pytest.mark.parametrize("persistent", [False, True])
def test_iterable_dataset_sharded_by_worker_info(persistent):
    ds = TaggedShards(0, 11)
    loader = DataLoader(ds, batch_size=2, num_workers=2, worker_init_fn=_tag_worker,
                        persistent_workers=persistent)  # fmt: skip
    for _ in range(2 if persistent else 1):
        batches = list(loader)
        values = sorted(v for b in batches for v in b[0].tolist())
        assert values == list(range(11))  # each sample exactly once across the two workers
        tags = {t for b in batches for t in b[1]}
        assert tags == {"w0", "w1"}
        first_batches = [b[0].tolist() for b in batches[:2]]
        assert first_batches == [[0, 1], [6, 7]]  # round-robin: worker 0, then worker 1
    assert ds.tag == "main"  # workers changed their own copies
    assert get_worker_info() is None


def test_iterable_dataset_drop_last_per_worker():
    batches = list(DataLoader(Shards(0, 10), batch_size=2, num_workers=2, drop_last=True))
    assert sorted(b.tolist() for b in batches) == [[0, 1], [2, 3], [5, 6], [7, 8]]


def test_iterable_dataset_without_sharding_is_duplicated_as_in_pytorch():
    class Whole(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    values = sorted(v for b in DataLoader(Whole(), batch_size=None, num_workers=2) for v in [b])
    assert values == [0, 0, 1, 1, 2, 2]


def test_worker_seeds_differ_and_are_reproducible():
    class Draw(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return tt.rand(1).item(), get_worker_info().seed

    def run():
        tt.manual_seed(0)
        return [b for b in DataLoader(Draw(), batch_size=None, num_workers=2)]

    a, b = run(), run()
    assert a == b
    seeds = [s for _, s in a]
    assert seeds[0] + 1 == seeds[1]  # base_seed + worker_id
    assert a[0][0] != a[1][0]


@pytest.mark.parametrize("method", ["spawn"])
def test_other_start_methods_carry_tensors(method):
    ds = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    loader = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context=method)
    (x0, y0), (x1, y1) = list(loader)
    assert y0.tolist() == [0, 1, 2, 3] and y1.tolist() == [4, 5]
    np.testing.assert_array_equal(x1.numpy(), [[8, 9], [10, 11]])


def test_out_of_order_delivery_gives_every_batch():
    loader = DataLoader(Squares(n=9), batch_size=2, num_workers=2, in_order=False)
    assert sorted(y for _, ys in _flatten(list(loader)) for y in ys) == list(range(9))


def test_prefetch_factor_bounds_tasks_in_flight():
    it = iter(DataLoader(Squares(n=20), batch_size=1, num_workers=2, prefetch_factor=3))
    assert it._outstanding == 6
    next(it)
    assert it._outstanding <= 6
    it._shutdown_workers()


def test_dropping_a_persistent_loader_ends_its_workers():
    loader = DataLoader(Squares(n=4), batch_size=2, num_workers=1, persistent_workers=True)
    assert len(list(loader)) == 2
    pids = loader._iterator.worker_pids
    del loader  # no reference cycle: workers end without waiting for the cyclic collector
    assert _children_gone(pids)
