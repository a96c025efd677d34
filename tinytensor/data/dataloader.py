"""DataLoader: batches of samples, in order or shuffled, from a map-style dataset."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from tinytensor.data.dataset import _fast_batcher
from tinytensor.ops.creation import _rng, tensor
from tinytensor.ops.shape import stack
from tinytensor.tensor import Tensor, _wrap


def default_collate(batch: list):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate`` does.

    Tensors and NumPy arrays are stacked along a new first dimension; Python ints become an
    int64 tensor, floats a float64 tensor, bools a bool tensor; strings stay a list; dicts are
    collated key by key and tuples/lists position by position (returned as a list).
    """
    if not batch:
        raise ValueError("default_collate: cannot collate an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            raise TypeError(f"default_collate: cannot batch NumPy arrays of dtype {elem.dtype}")
        return _wrap(np.stack(batch))
    if isinstance(elem, np.generic):
        return _wrap(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, numbers.Integral):
        return tensor(batch, dtype=np.int64)
    if isinstance(elem, numbers.Real):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError(
                "default_collate: every sample in a batch must have the same number of fields; "
                f"got lengths {sorted({len(s) for s in batch})}"
            )
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        f"default_collate: samples must be tensors, NumPy arrays, numbers, strings, dicts or "
        f"sequences of those; found {type(elem).__name__}. Pass collate_fn= to batch them yourself"
    )


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``shuffle=True`` draws a fresh permutation at the start of every pass, from ``generator``
    (a ``tinytensor.Generator``) or else the global generator seeded by ``manual_seed``, so runs
    are repeatable. ``drop_last`` drops a final batch smaller than ``batch_size``;
    ``batch_size=None`` yields single samples. ``collate_fn`` merges a list of samples into a
    batch (default: :func:`default_collate`). Loading happens in this process;
    ``num_workers`` and ``pin_memory`` are accepted for PyTorch compatibility and ignored.

    When ``dataset`` is a ``TensorDataset`` (or a ``Subset`` of one, or a built-in dataset
    without a transform) and no ``collate_fn`` is given, each batch is cut with one indexing
    call per tensor, which is much faster than collating samples one by one.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn=None,
        generator=None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ):
        if batch_size is not None and (
            not isinstance(batch_size, (int, np.integer))
            or isinstance(batch_size, bool)
            or batch_size <= 0
        ):
            raise ValueError(
                f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}"
            )
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(
                f"DataLoader: dataset must support len() and indexing, got {type(dataset).__name__}"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("DataLoader: collate_fn must be callable")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return _rng(self.generator).permutation(n)
        return np.arange(n)

    def __iter__(self):
        order = self._order()
        if self.batch_size is None:
            for i in order:
                sample = self.dataset[int(i)]
                yield sample if self.collate_fn is None else self.collate_fn(sample)
            return
        fast = _fast_batcher(self.dataset) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            idx = order[start : start + self.batch_size]
            if fast is not None:
                yield fast(idx)
            else:
                yield collate([self.dataset[int(i)] for i in idx])

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
