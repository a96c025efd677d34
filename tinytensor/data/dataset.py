"""Datasets: map-style (``__getitem__`` and ``__len__``) and iterable (``__iter__``), plus the
ways to combine and split them.

A ``TensorDataset`` holds whole arrays; the ``DataLoader`` notices that and cuts a batch with one
fancy-indexing call per tensor instead of stacking ``batch_size`` separate samples.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

import numpy as np

import tinytensor as tt


class Dataset:
    """A map-style dataset: ``dataset[i]`` returns the i-th sample, ``len(dataset)`` their number.

    Subclass it and write ``__getitem__`` and ``__len__`` (the default samplers need the length;
    as in PyTorch the base class leaves it undefined); ``a + b`` concatenates two datasets.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclass it and write ``__iter__``.

    In a ``DataLoader`` with worker processes each worker holds its own copy and iterates it
    whole, so split the work with :func:`get_worker_info`, as in PyTorch::

        class Range(IterableDataset):
            def __init__(self, start, end):
                self.start, self.end = start, end

            def __iter__(self):
                info = get_worker_info()
                if info is None:  # loading in the main process
                    return iter(range(self.start, self.end))
                per = -(-(self.end - self.start) // info.num_workers)
                lo = self.start + info.id * per
                return iter(range(lo, min(lo + per, self.end)))

    ``a + b`` chains two iterable datasets.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index):
        raise TypeError(
            f"{type(self).__name__} is an IterableDataset: it has no indexing; iterate over it"
        )

    def __add__(self, other) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another, chained lazily."""

    def __init__(self, datasets: Iterable) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset only supports IterableDataset, got {type(d).__name__}; use "
                    "ConcatDataset for map-style datasets"
                )
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Several equally long datasets side by side: ``StackDataset(a, b)[i] == (a[i], b[i])``,
    or with keywords ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError(
                "StackDataset: supported either tuple-like (positional) or dict-like (keyword) "
                "input/output, but both types are given"
            )
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("StackDataset: at least one dataset should be passed")
        lengths = [len(d) for d in datasets]
        if len(set(lengths)) != 1:
            raise ValueError(f"StackDataset: size mismatch between datasets: lengths {lengths}")
        self._length = lengths[0]
        self.datasets = args if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class TensorDataset(Dataset):
    """Samples are rows of equally long tensors: ``TensorDataset(x, y)[i] == (x[i], y[i])``.

    NumPy arrays are accepted and wrapped (sharing memory).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        tensors = tuple(tt.as_tensor(t) for t in tensors)
        for t in tensors:
            if t.ndim == 0:
                raise ValueError("TensorDataset: tensors must have a first (sample) dimension")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: first dimensions are {sizes}; "
                "every tensor needs one row per sample"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _get_batch(self, indices: np.ndarray) -> list:
        """Rows ``indices`` of every tensor, as the default collate would have built them."""
        return [
            t[tt.from_numpy(indices)] if t.requires_grad else tt.from_numpy(t.numpy()[indices])
            for t in self.tensors
        ]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(
            indices.numpy() if isinstance(indices, tt.Tensor) else indices, dtype=np.int64
        ).reshape(-1)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray, tt.Tensor)):
            return [self.dataset[int(self.indices[i])] for i in np.asarray(index).reshape(-1)]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def _get_batch(self, indices: np.ndarray) -> list:
        return _fast_batcher(self.dataset)(self.indices[indices])


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError(
                    "ConcatDataset does not support IterableDataset; use ChainDataset to chain "
                    "iterable datasets"
                )
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)}")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _fast_batcher(dataset):
    """``dataset._get_batch`` when the dataset can cut a whole batch at once, else None.

    A subclass that overrides ``__getitem__`` loses the fast path, so its own logic still runs.
    """
    get_batch = getattr(dataset, "_get_batch", None)
    if get_batch is None:
        return None
    owner = next(c for c in type(dataset).__mro__ if "_get_batch" in c.__dict__)
    if type(dataset).__getitem__ is not owner.__getitem__:
        return None
    if isinstance(dataset, Subset) and _fast_batcher(dataset.dataset) is None:
        return None
    if not getattr(dataset, "_fast_ok", True):  # e.g. a dataset with a transform
        return None
    return get_batch


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1 (each
    part gets ``floor(fraction * n)`` and the leftover samples go one each to the first parts,
    as PyTorch does). The permutation comes from ``generator`` or the global seed.
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts):
            raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    elif math.isclose(sum(float(x) for x in lengths), 1.0, abs_tol=1e-6):
        if any(not 0 <= float(x) <= 1 for x in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {lengths}")
        counts = [math.floor(n * float(f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(
            f"random_split: lengths {lengths} are neither integer counts nor fractions summing to 1"
        )
    if sum(counts) != n:
        raise ValueError(
            f"random_split: the lengths add up to {sum(counts)} but the dataset has {n} samples"
        )
    order = tt.randperm(n, generator=generator).numpy()
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
