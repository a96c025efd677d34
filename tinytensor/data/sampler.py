"""Samplers: the order in which a DataLoader visits a map-style dataset, as PyTorch has them.

Randomness comes from a ``tt.Generator`` passed as ``generator=``, else from the global generator
seeded by ``tt.manual_seed``; a sampler without its own generator draws one seed from the
global generator when its iteration starts (as PyTorch's ``RandomSampler`` does), so the order
is reproducible and the same in the main process and in worker processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

import tinytensor as tt

_SEED_HIGH = 2**63 - 1


def draw_seed(generator=None) -> int:
    """One 63-bit integer drawn from ``generator`` (or the global generator)."""
    return int(tt.randint(0, _SEED_HIGH, (1,), generator=generator).item())


def _positive_int(value, cls: str, name: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"{cls}: {name} should be a positive integer value, but got {name}={value!r}"
        )
    return int(value)


def _as_bool(value, cls: str, name: str, error=ValueError) -> bool:
    if not isinstance(value, bool):
        raise error(f"{cls}: {name} should be a boolean value, but got {name}={value!r}")
    return value


class Sampler:
    """Base class of samplers: ``__iter__`` yields dataset indices (or lists of them).

    Subclasses write ``__iter__`` and, where the count is known, ``__len__``.
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a fresh permutation each pass, or with ``replacement=True``
    ``num_samples`` independent uniform draws.

    ``num_samples`` (default ``len(data_source)``) may exceed the dataset size: without
    replacement, whole permutations are concatenated and the last one is cut.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = _as_bool(replacement, "RandomSampler", "replacement", TypeError)
        self._num_samples = num_samples
        self.generator = generator
        _positive_int(self.num_samples, "RandomSampler", "num_samples")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = tt.Generator().manual_seed(draw_seed())
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from tt.randint(0, n, (32,), generator=generator).tolist()
            rest = self.num_samples % 32
            if rest:
                yield from tt.randint(0, n, (rest,), generator=generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from tt.randperm(n, generator=generator).tolist()
        yield from tt.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a random order drawn afresh each pass."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in tt.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn with probability
    proportional to ``weights[i]`` (weights need not sum to one).

    Without replacement an index is drawn at most once (weighted sampling without replacement,
    by exponential keys), so ``num_samples`` may not exceed the number of non-zero weights.
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        self.num_samples = _positive_int(num_samples, "WeightedRandomSampler", "num_samples")
        self.replacement = _as_bool(replacement, "WeightedRandomSampler", "replacement")
        if isinstance(weights, tt.Tensor):
            weights = weights.detach().numpy()
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                "WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                f"shape {tuple(w.shape)}"
            )
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RuntimeError(
                "WeightedRandomSampler: weights must be finite, non-negative and not all zero, "
                f"got {w.tolist() if w.size <= 8 else f'{w.size} weights'}"
            )
        if not replacement and self.num_samples > np.count_nonzero(w):
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw num_samples={self.num_samples} without "
                f"replacement from {np.count_nonzero(w)} non-zero weights; lower num_samples or "
                "pass replacement=True"
            )
        self.weights = tt.from_numpy(w)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        w = self.weights.numpy()
        u = tt.rand(
            self.num_samples if self.replacement else len(w),
            dtype=tt.float64,
            generator=self.generator,
        ).numpy()
        if self.replacement:
            cdf = np.cumsum(w)
            picks = np.searchsorted(cdf, u * cdf[-1], side="right")
            picks = np.minimum(picks, len(w) - 1)
        else:  # smallest -log(u)/w first: a weighted permutation (Efraimidis-Spirakis)
            with np.errstate(divide="ignore"):
                keys = -np.log1p(-u) / w
            picks = np.argsort(keys, kind="stable")[: self.num_samples]
        return iter(picks.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; ``drop_last`` drops a
    final short list.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        self.batch_size = _positive_int(batch_size, "BatchSampler", "batch_size")
        self.drop_last = _as_bool(drop_last, "BatchSampler", "drop_last")
        self.sampler = sampler

    def __iter__(self) -> Iterator[list]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: the index stream of an IterableDataset, which picks its own samples."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None
