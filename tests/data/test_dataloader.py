"""DataLoader, default_collate, TensorDataset, Subset and random_split."""

from collections import namedtuple

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Plain(Dataset):
    """Samples like a TensorDataset's, but without the fast batching path."""

    def __init__(self, *arrays):
        self.arrays = arrays

    def __getitem__(self, i):
        return tuple(tt.tensor(a[i]) for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])


def _data(n=23):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3, 2)).astype(np.float32), rng.integers(0, 5, n)


def _labels(loader):
    return np.concatenate([y.numpy() for _, y in loader])


@pytest.mark.parametrize("batch_size", [1, 4, 7, 23, 50])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_in_order_cover_dataset(batch_size, drop_last):
    x, y = _data()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(b[1]) for b in batches]
    if drop_last:
        assert sizes == [batch_size] * (23 // batch_size)
    else:
        assert sum(sizes) == 23 and all(s == batch_size for s in sizes[:-1])
    n = sum(sizes)
    if n == 0:  # drop_last with a batch larger than the dataset
        return
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x[:n])
    np.testing.assert_array_equal(_labels(loader), y[:n])


def test_fast_path_matches_sample_by_sample_collate():
    x, y = _data()
    fast = list(
        DataLoader(
            TensorDataset(x, y), batch_size=5, shuffle=True, generator=tt.Generator().manual_seed(4)
        )
    )
    slow = list(
        DataLoader(Plain(x, y), batch_size=5, shuffle=True, generator=tt.Generator().manual_seed(4))
    )
    assert len(fast) == len(slow)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_shuffle_is_seeded_by_global_seed():
    x, y = _data()
    ds = TensorDataset(x, np.arange(23))
    tt.manual_seed(7)
    a = [_labels(DataLoader(ds, batch_size=4, shuffle=True)) for _ in range(2)]
    tt.manual_seed(7)
    b = [_labels(DataLoader(ds, batch_size=4, shuffle=True)) for _ in range(2)]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])  # each pass draws a new permutation
    assert sorted(a[0].tolist()) == list(range(23))


def test_generator_is_independent_of_global_seed():
    ds = TensorDataset(np.arange(30))
    tt.manual_seed(1)
    first = _first(
        DataLoader(ds, batch_size=30, shuffle=True, generator=tt.Generator().manual_seed(5))
    )
    tt.manual_seed(2)
    second = _first(
        DataLoader(ds, batch_size=30, shuffle=True, generator=tt.Generator().manual_seed(5))
    )
    np.testing.assert_array_equal(first, second)


def _first(loader):
    return next(iter(loader))[0].numpy()


def test_custom_collate_fn_gets_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return sum(int(s[1]) for s in samples)

    ds = TensorDataset(np.zeros((10, 2), np.float32), np.arange(10))
    assert list(DataLoader(ds, batch_size=4, collate_fn=collate)) == [6, 22, 17]
    assert seen == [4, 4, 2]


def test_overridden_getitem_disables_fast_path():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    ds = Doubled(np.ones((6, 2), np.float32), np.arange(6))
    x, _ = next(iter(DataLoader(ds, batch_size=3)))
    np.testing.assert_array_equal(x.numpy(), np.full((3, 2), 2.0))


def test_subset_of_tensor_dataset_batches_through_indices():
    x, y = _data()
    sub = Subset(TensorDataset(x, y), [5, 3, 9])
    ((xb, yb),) = list(DataLoader(sub, batch_size=3))
    np.testing.assert_array_equal(xb.numpy(), x[[5, 3, 9]])
    np.testing.assert_array_equal(yb.numpy(), y[[5, 3, 9]])


def test_batch_size_none_yields_samples():
    ds = TensorDataset(np.arange(3))
    assert [int(s[0]) for s in DataLoader(ds, batch_size=None)] == [0, 1, 2]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.arange(3)), batch_size=bad)


def test_default_collate_types():
    Point = namedtuple("Point", "x y")
    batch = default_collate([{"a": 1, "b": 2.5, "s": "u", "p": Point(1, 2)}] * 3)
    assert batch["a"].dtype == tt.int64 and batch["a"].tolist() == [1, 1, 1]
    assert batch["b"].dtype == tt.float64  # as in PyTorch
    assert batch["s"] == ["u", "u", "u"]
    assert isinstance(batch["p"], Point) and batch["p"].y.tolist() == [2, 2, 2]
    pair = default_collate([(np.zeros(2, np.float32), True), (np.ones(2, np.float32), False)])
    assert isinstance(pair, list) and pair[0].shape == (2, 2) and pair[0].dtype == tt.float32
    assert pair[1].dtype == tt.bool
    assert default_collate([np.int32(3), np.int32(4)]).dtype == tt.int32


def test_default_collate_stacks_tensors_keeping_grad():
    a = tt.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="same number of fields"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([tt.zeros(2), tt.zeros(3)])


def test_tensor_dataset_validates():
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    ds = TensorDataset(tt.arange(4), np.arange(4) * 10)
    assert len(ds) == 4 and [int(v) for v in ds[2]] == [2, 20]


def test_concat_dataset():
    ds = TensorDataset(np.arange(3)) + TensorDataset(np.arange(10, 12))
    assert isinstance(ds, ConcatDataset) and len(ds) == 5
    assert [int(ds[i][0]) for i in range(5)] == [0, 1, 2, 10, 11]
    assert int(ds[-1][0]) == 11
    with pytest.raises(IndexError):
        ds[5]


@pytest.mark.parametrize(
    "n, lengths, expected",
    [
        (10, [3, 7], [3, 7]),
        (10, [0.3, 0.3, 0.4], [3, 3, 4]),
        (11, [0.5, 0.5], [6, 5]),
        (7, [0.1, 0.2, 0.7], [1, 2, 4]),  # floors 0, 1, 4; leftovers to the first parts
        (5, [1.0, 0.0], [5, 0]),
    ],
)
def test_random_split_lengths(n, lengths, expected):
    parts = random_split(TensorDataset(np.arange(n)), lengths)
    assert [len(p) for p in parts] == expected
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(n))  # disjoint and covering


@pytest.mark.torch
def test_random_split_lengths_match_torch():
    torch = pytest.importorskip("torch")
    for n, fr in [(11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (103, [0.33, 0.33, 0.34])]:
        ours = [len(p) for p in random_split(TensorDataset(np.arange(n)), fr)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), fr)]
        assert ours == theirs


def test_random_split_is_seeded():
    ds = TensorDataset(np.arange(20))
    a = random_split(ds, [10, 10], generator=tt.Generator().manual_seed(3))
    b = random_split(ds, [10, 10], generator=tt.Generator().manual_seed(3))
    np.testing.assert_array_equal(a[0].indices, b[0].indices)
    tt.manual_seed(0)
    c = random_split(ds, [10, 10])
    tt.manual_seed(0)
    d = random_split(ds, [10, 10])
    np.testing.assert_array_equal(c[1].indices, d[1].indices)


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [-1, 11], [], [0.5, "a"]])
def test_random_split_bad_lengths(lengths):
    with pytest.raises((ValueError, TypeError)):
        random_split(TensorDataset(np.arange(10)), lengths)
