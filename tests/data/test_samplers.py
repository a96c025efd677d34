"""Samplers, the DataLoader's argument rules, datasets added for #12 and default_convert; NumPy
oracles everywhere, PyTorch's where the result does not depend on random streams."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
)


def _gen(seed):
    return tt.Generator().manual_seed(seed)


def test_sequential_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5


@pytest.mark.parametrize("n", [1, 7, 50])
def test_random_sampler_is_a_permutation_and_seeded(n):
    a = list(RandomSampler(range(n), generator=_gen(1)))
    assert sorted(a) == list(range(n))
    assert a == list(RandomSampler(range(n), generator=_gen(1)))
    tt.manual_seed(4)
    b = list(RandomSampler(range(n)))
    tt.manual_seed(4)
    assert b == list(RandomSampler(range(n)))


def test_random_sampler_num_samples_beyond_length_concatenates_permutations():
    s = list(RandomSampler(range(5), num_samples=12, generator=_gen(0)))
    assert len(s) == 12
    assert sorted(s[:5]) == sorted(s[5:10]) == list(range(5))
    assert len(set(s[10:])) == 2


def test_random_sampler_with_replacement_is_uniform():
    s = np.array(list(RandomSampler(range(4), replacement=True, num_samples=4000,
                                    generator=_gen(2))))  # fmt: skip
    counts = np.bincount(s, minlength=4)
    assert s.min() >= 0 and s.max() <= 3
    np.testing.assert_allclose(counts / 4000, 0.25, atol=0.03)
    assert len(RandomSampler(range(4), replacement=True, num_samples=33)) == 33


def test_subset_random_sampler_permutes_the_subset():
    idx = [10, 20, 30, 40]
    s = list(SubsetRandomSampler(idx, generator=_gen(3)))
    assert sorted(s) == idx and len(SubsetRandomSampler(idx)) == 4


def test_weighted_sampler_frequencies_match_weights():
    w = [1.0, 3.0, 0.0, 6.0]
    s = np.array(list(WeightedRandomSampler(w, 20000, generator=_gen(5))))
    np.testing.assert_allclose(np.bincount(s, minlength=4) / 20000, [0.1, 0.3, 0.0, 0.6],
                               atol=0.015)  # fmt: skip


def test_weighted_sampler_without_replacement_draws_each_once_heavy_first():
    w = tt.tensor([1.0, 1000.0, 1.0, 1.0, 2000.0])
    s = list(WeightedRandomSampler(w, 5, replacement=False, generator=_gen(6)))
    assert sorted(s) == [0, 1, 2, 3, 4]
    firsts = [list(WeightedRandomSampler(w, 2, replacement=False, generator=_gen(k)))
              for k in range(30)]  # fmt: skip
    assert sum(set(f) == {1, 4} for f in firsts) >= 27


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(weights=[1.0, 2.0], num_samples=0), ValueError, "num_samples"),
        (dict(weights=[[1.0, 2.0]], num_samples=2), ValueError, "1d sequence"),
        (dict(weights=[1.0, -1.0], num_samples=2), RuntimeError, "non-negative"),
        (dict(weights=[1.0, 0.0], num_samples=2, replacement=False), RuntimeError, "replacement"),
        (dict(weights=[1.0], num_samples=1, replacement=1), ValueError, "replacement"),
    ],
    ids=["zero-samples", "2d-weights", "negative", "too-many-without-replacement", "int-flag"],
)
def test_weighted_sampler_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        WeightedRandomSampler(**kwargs)


@pytest.mark.parametrize(
    "n, bs, drop", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]
)
def test_batch_sampler(n, bs, drop):
    batches = list(BatchSampler(range(n), bs, drop))
    expected = [list(range(i, min(i + bs, n))) for i in range(0, n, bs)]
    if drop:
        expected = [b for b in expected if len(b) == bs]
    assert batches == expected and len(BatchSampler(range(n), bs, drop)) == len(expected)


@pytest.mark.torch
@pytest.mark.parametrize("n, bs, drop", [(10, 3, False), (10, 3, True), (1, 4, False)])
def test_sequential_and_batch_samplers_match_torch(n, bs, drop):
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    ours = list(BatchSampler(SequentialSampler(range(n)), bs, drop))
    theirs = list(tu.BatchSampler(tu.SequentialSampler(range(n)), bs, drop))
    assert ours == theirs and len(BatchSampler(range(n), bs, drop)) == len(theirs)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: BatchSampler(range(3), 0, False), "batch_size"),
        (lambda: BatchSampler(range(3), 2, 1), "drop_last"),
        (lambda: RandomSampler(range(0)), "num_samples"),
    ],
    ids=["batch-size-zero", "drop-last-int", "empty-dataset"],
)
def test_sampler_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_loader_with_sampler_and_batch_sampler():
    ds = TensorDataset(np.arange(10))
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=4, sampler=[9, 8, 7, 6, 5])]
    assert got == [[9, 8, 7, 6], [5]]
    got = [b[0].tolist() for b in DataLoader(ds, batch_sampler=[[1, 2], [0]])]
    assert got == [[1, 2], [0]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_workers=-1), "num_workers"),
        (dict(prefetch_factor=2), "prefetch_factor"),
        (dict(persistent_workers=True), "persistent_workers"),
        (dict(timeout=-1), "timeout"),
        (dict(sampler=[0], shuffle=True), "mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option"),
        (dict(batch_size=None, drop_last=True), "drop_last"),
        (dict(multiprocessing_context="fork"), "num_workers > 0"),
        (dict(multiprocessing_context="bogus", num_workers=1), "start method"),
    ],
    ids=["workers-negative", "prefetch-without-workers", "persistent-without-workers",
         "timeout-negative", "sampler-and-shuffle", "batch-sampler-and-size",
         "no-batching-drop-last", "context-without-workers", "context-unknown"],
)  # fmt: skip
def test_loader_argument_errors_match_pytorch(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(TensorDataset(np.arange(3)), **kwargs)


def test_loader_attributes_frozen_after_init():
    loader = DataLoader(TensorDataset(np.arange(3)))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 4
    loader.num_workers = 0  # other attributes stay settable, as in PyTorch


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_iterable_dataset_in_process_and_rules():
    assert [b.tolist() for b in DataLoader(Count(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Count(5), batch_size=2, drop_last=True)] == [
        [0, 1], [2, 3]]  # fmt: skip
    assert len(DataLoader(Count(5), batch_size=2)) == 3
    for bad in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            DataLoader(Count(3), **bad)


def test_chain_concat_and_stack_datasets():
    chained = Count(2) + Count(3)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 0, 1, 2]
    assert len(chained) == 5
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Count(2)])
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(3) * 10)
    pair = StackDataset(a, b)
    assert [int(v[0]) for v in pair[2]] == [2, 20] and len(pair) == 3
    named = StackDataset(x=a, y=b)
    assert int(named[1]["y"][0]) == 10
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset(a, TensorDataset(np.arange(4)))


def test_default_convert():
    Point = namedtuple("Point", "x y")
    out = default_convert(
        {"a": np.arange(3), "b": (np.float32(1.5), "s"), "p": Point(np.ones(2), 1)}
    )
    assert isinstance(out["a"], tt.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"], list) and out["b"][1] == "s" and out["b"][0].dtype == tt.float32
    assert isinstance(out["p"], Point) and isinstance(out["p"].x, tt.Tensor) and out["p"].y == 1
    batches = list(DataLoader(TensorDataset(np.arange(2)), batch_size=None))
    assert [int(s[0]) for s in batches] == [0, 1]


@pytest.mark.torch
def test_default_collate_structure_matches_torch():
    torch = pytest.importorskip("torch")
    Point = namedtuple("Point", "x y")
    samples = [
        {"img": np.full((2, 2), i, np.float32), "label": i, "w": 0.5 * i, "name": f"s{i}",
         "flag": bool(i % 2), "pt": Point(i, np.int16(i)), "pair": (i, [i, i])}
        for i in range(3)
    ]  # fmt: skip

    def shape(obj):
        if hasattr(obj, "dtype") and hasattr(obj, "shape"):
            return ("T", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
        if isinstance(obj, dict):
            return {k: shape(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return (type(obj).__name__, [shape(v) for v in obj])
        return obj

    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    assert shape(ours) == shape(theirs)
    assert shape(default_convert(samples[0])) == shape(torch.utils.data.default_convert(samples[0]))
