"""DistributedSampler: PyTorch's index order for the same seed and epoch (against torch, and
against an order pinned from PyTorch 2.13 for the NumPy-only run), padding, drop_last,
set_epoch, bad ranks; and the torch.utils.data submodule paths."""

import itertools

import pytest

from tinytensor.data.distributed import DistributedSampler, torch_randperm


def test_order_pinned_from_pytorch():
    # torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist() in PyTorch 2.13
    assert torch_randperm(10, 0) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    assert torch_randperm(10, 2**32 + 7) == torch_randperm(10, 7)  # 32-bit seeding, as torch
    s = DistributedSampler(range(10), num_replicas=3, rank=0, seed=0)
    assert list(s) == [4, 5, 0, 2]  # padded with the first shuffled index (4)
    assert list(DistributedSampler(range(10), num_replicas=3, rank=2, seed=0)) == [7, 9, 6, 1]
    s.set_epoch(1)
    assert list(s) == [5, 2, 9, 4]


@pytest.mark.parametrize("n,replicas", [(10, 3), (7, 2), (2, 5), (12, 4)])
def test_ranks_partition_the_padded_order(n, replicas):
    shares = [list(DistributedSampler(range(n), replicas, r, seed=3)) for r in range(replicas)]
    assert all(len(s) == len(DistributedSampler(range(n), replicas, 0)) for s in shares)
    merged = [x for group in itertools.zip_longest(*shares) for x in group if x is not None]
    order = torch_randperm(n, 3)
    padded = (order * (1 + replicas))[: len(merged)]
    assert merged == padded  # rank r takes every replicas-th index from r
    assert set(merged) == set(range(n))


def test_drop_last_and_no_shuffle():
    s = [list(DistributedSampler(range(10), 3, r, shuffle=False, drop_last=True)) for r in range(3)]
    assert s == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert len(DistributedSampler(range(10), 3, 0, drop_last=True)) == 3
    assert list(DistributedSampler(range(5), 2, 1, shuffle=False)) == [1, 3, 0]


def test_set_epoch_changes_the_order_on_every_rank_alike():
    a, b = DistributedSampler(range(50), 2, 0), DistributedSampler(range(50), 2, 1)
    first = (list(a), list(b))
    a.set_epoch(1)
    b.set_epoch(1)
    assert (list(a), list(b)) != first
    assert sorted(list(a) + list(b)) == list(range(50))


def test_bad_rank_and_missing_group():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(RuntimeError, match="init_process_group first or pass them"):
        DistributedSampler(range(4))


@pytest.mark.torch
@pytest.mark.parametrize("n,replicas,seed,epoch,shuffle,drop_last", [
    (10, 3, 0, 0, True, False), (10, 3, 5, 2, True, True), (101, 4, 42, 7, True, False),
    (3, 5, 1, 0, True, False), (64, 2, 0, 3, False, False), (1000, 3, 2**33 + 1, 1, True, True),
])  # fmt: skip
def test_matches_pytorch(n, replicas, seed, epoch, shuffle, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle, seed, drop_last)
        theirs = torch_data.DistributedSampler(range(n), replicas, rank, shuffle, seed, drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_torch_utils_data_paths():
    import tinytensor.utils.data as U
    from tinytensor.utils.data.distributed import DistributedSampler as D
    from tinytensor.utils.data.sampler import RandomSampler, Sampler

    assert D is DistributedSampler and U.DistributedSampler is DistributedSampler
    assert issubclass(RandomSampler, Sampler) and U.sampler.Sampler is Sampler
    assert U.dataset.TensorDataset is U.TensorDataset and U.dataloader.DataLoader is U.DataLoader
