"""DataLoader: batches from a dataset, in this process or in worker processes, as PyTorch's."""

from __future__ import annotations

import multiprocessing
import sys

import numpy as np

from tinytensor.data.collate import default_collate, default_convert
from tinytensor.data.dataset import IterableDataset
from tinytensor.data.multiprocess import MultiProcessIter
from tinytensor.data.sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    _InfiniteConstantSampler,
    draw_seed,
)
from tinytensor.data.worker import make_fetcher

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def _default_context():
    """Fork on Linux (cheap, and the dataset need not pickle), else the platform default."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class DataLoader:
    """Iterate over ``dataset`` in batches, with PyTorch's arguments and defaults.

    - Order: ``shuffle=True`` draws a new permutation every pass (from ``generator``, a
      ``tt.Generator``, else from the global generator that ``tt.manual_seed`` seeds); or give
      a ``sampler`` of indices, or a ``batch_sampler`` of index lists.
    - Batching: ``batch_size`` samples are merged by ``collate_fn`` (default
      :func:`default_collate`); ``drop_last`` drops a final short batch; ``batch_size=None``
      yields single samples passed through :func:`default_convert`.
    - Workers: ``num_workers > 0`` loads in that many processes (``multiprocessing_context``,
      default fork on Linux), each first seeded with ``base_seed + worker_id`` (tinytensor,
      NumPy and ``random``) and given ``worker_init_fn(worker_id)``. Each keeps up to
      ``prefetch_factor`` batches in flight (default 2); batches come back in sampler order, the
      same batches as ``num_workers=0``. ``persistent_workers`` keeps the processes between
      passes; ``timeout`` (seconds, 0 = wait forever) bounds the wait for one batch. An error in
      a worker is raised here naming the worker, with its original traceback, and the workers
      are shut down; so they are on Ctrl-C and when the iterator is garbage collected.
    - ``pin_memory`` and ``pin_memory_device`` are accepted and do nothing (CPU only).

    A ``TensorDataset`` (or a ``Subset`` of one, or a built-in dataset without a transform)
    with the default ``collate_fn`` is cut one indexing call per tensor per batch, much faster
    than collating samples one by one.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        iterable = isinstance(dataset, IterableDataset)
        if not iterable and not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: dataset must support len() and indexing (a Dataset) or iteration "
                f"(an IterableDataset), got {type(dataset).__name__}"
            )
        if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                f"multiprocessing (got num_workers={num_workers!r})"
            )
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got timeout={timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(
                f"prefetch_factor option should be non-negative, got {prefetch_factor!r}"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}"
            )
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError("DataLoader: worker_init_fn must be callable (called with worker_id)")

        if iterable:
            for name, value, unset in (
                ("shuffle", shuffle, shuffle in (None, False)),
                ("sampler", sampler, sampler is None),
                ("batch_sampler", batch_sampler, batch_sampler is None),
            ):
                if not unset:
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value!r}"
                    )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))  # checks batch_size

        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn or (
            default_collate if batch_sampler is not None else default_convert
        )
        self.persistent_workers = bool(persistent_workers)
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in _FROZEN:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is "
                "initialized; make a new DataLoader instead"
            )
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self):
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method in "
                        f"{methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            elif not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a string "
                    f"specifying the start method, but got {context!r}"
                )
        self._mp_context = context

    @property
    def _iterable(self) -> bool:
        return isinstance(self.dataset, IterableDataset)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _context(self):
        return self._mp_context or _default_context()

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return MultiProcessIter(self)
        if self._iterator is None or self._iterator.is_shut_down:
            self._iterator = MultiProcessIter(self)
        else:
            self._iterator.reset(self)
        return self._iterator

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # a TypeError names the dataset when it has no length
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
            f"sampler={type(self.sampler).__name__}, num_workers={self.num_workers}, "
            f"drop_last={self.drop_last})"
        )


class _SingleProcessIter:
    """One pass over the loader in this process."""

    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)
        # drawn as in the worker case, so both consume the generator alike (same batches)
        self._base_seed = draw_seed(loader.generator)
        self._fetcher = make_fetcher(
            loader._iterable, loader.dataset, loader._auto_collation, loader.collate_fn,
            loader.drop_last,
        )  # fmt: skip

    def __iter__(self):
        return self

    def __next__(self):
        index = next(self._sampler_iter)
        return self._fetcher.fetch(index)

    def __len__(self) -> int:
        return len(self._loader)
