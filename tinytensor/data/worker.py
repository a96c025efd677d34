"""What runs inside a DataLoader worker process, and the pieces both sides share.

A worker receives ``(task_id, index)`` on its own index queue, fetches and collates that batch,
and answers ``(task_id, payload)`` on the shared result queue, where the payload is the batch
pickled in the worker, its large tensors moved into shared memory so that only their handles
are pickled (pickling there, so an unpicklable batch becomes an error the main process sees
instead of a silent hang in the queue's feeder thread), an :class:`ExceptionWrapper`, or a
marker.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

import tinytensor as tt
from tinytensor.core import sharedmem as SM
from tinytensor.data.collate import default_collate
from tinytensor.data.dataset import _fast_batcher

POLL_INTERVAL = 1.0  # seconds between liveness checks while waiting on a queue

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True)
class WorkerInfo:
    """Which worker this is: ``id`` in ``[0, num_workers)``, its ``seed`` and its copy of the
    ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process, its :class:`WorkerInfo`; in the main process, ``None``.

    An ``IterableDataset`` uses it in ``__iter__`` to read only its share of the stream, and a
    ``worker_init_fn`` to configure each worker's copy of the dataset.
    """
    return _worker_info


#: A batch's tensors of at least this many bytes go back to the main process through shared
#: memory (only a handle is pickled); smaller ones are pickled by value, which is cheaper there.
SHARE_MIN_BYTES = 1 << 16


def _rebuild_tensor(array, requires_grad):
    t = tt.from_numpy(array)
    return t.requires_grad_() if requires_grad else t


def _rebuild_shared(handle, requires_grad):
    return _rebuild_tensor(SM.from_handle(handle), requires_grad)


class _TensorPickler(pickle.Pickler):
    """Pickles tensors as their NumPy array (tinytensor tensors refuse plain pickling, since
    ``tt.load`` must never unpickle; this stays between a DataLoader and its own workers).
    With ``share``, a large tensor's values move into a shared-memory block made for this one
    send (the receiver maps it, and unlinks a named one) and only the block's handle is
    pickled."""

    share = False

    def reducer_override(self, obj):
        if isinstance(obj, tt.Tensor):
            arr = obj.detach().numpy()
            if self.share and arr.nbytes >= SHARE_MIN_BYTES:
                if SM.is_shared(arr):  # already shared (a shared dataset): send that memory
                    return _rebuild_shared, (SM.handle(arr), obj.requires_grad)
                return _rebuild_shared, (SM.handle(SM.share_array(arr), transfer=True),
                                         obj.requires_grad)  # fmt: skip
            return _rebuild_tensor, (arr, obj.requires_grad)
        return NotImplemented


def dumps(obj, share: bool = False) -> bytes:
    """Bytes for ``obj``, tensors included, to send to or from a worker process; with
    ``share``, large tensors travel through shared memory (see ``SHARE_MIN_BYTES``)."""
    buffer = io.BytesIO()
    pickler = _TensorPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.share = share
    pickler.dump(obj)
    return buffer.getvalue()


def loads(data: bytes):
    return pickle.loads(data)


@dataclass(frozen=True)
class Packed:
    """What a spawned worker gets instead of (dataset, collate_fn, worker_init_fn)."""

    data: bytes


class KeyErrorMessage(str):
    """A message that KeyError shows as is (KeyError repr()s its argument otherwise)."""

    __slots__ = ()

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc_info=None, where: str = "in background"):
        exc_info = sys.exc_info() if exc_info is None else exc_info
        self.exc_type = exc_info[0]
        self.exc_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where
        try:  # a class defined inside a function cannot cross the process boundary
            pickle.dumps(self.exc_type)
        except Exception:
            self.exc_type = RuntimeError

    def reraise(self):
        """Raise the wrapped exception's type here, its message naming the worker and holding
        the original traceback."""
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception class that needs other constructor arguments
            raise RuntimeError(msg) from None
        raise exception


@dataclass(frozen=True)
class IterableStop:
    """A worker's IterableDataset copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Start a new epoch (persistent workers): acknowledged by echoing it back."""

    epoch: int


class MapFetcher:
    """Fetch the samples of a map-style dataset at the given indices and collate them."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.fast = (
            _fast_batcher(dataset) if auto_collation and collate_fn is default_collate else None
        )

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.fast is not None:
            return self.fast(np.asarray(index, dtype=np.int64))
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class IterableFetcher:
    """Take the next samples of an IterableDataset's iterator; ``index`` only gives the count."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        batch = []
        for _ in index:
            try:
                batch.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not batch or (self.drop_last and len(batch) < len(index)):
            raise StopIteration
        return self.collate_fn(batch)


def make_fetcher(iterable: bool, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableFetcher if iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def _seed_everything(seed: int, worker_id: int) -> None:
    """Seed Python's, NumPy's legacy and tinytensor's generators for this worker."""
    random.seed(seed)
    tt.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, seed]).generate_state(4))


def worker_loop(
    iterable, dataset, index_queue, result_queue, done_event, auto_collation, collate_fn,
    drop_last, base_seed, init_fn, worker_id, num_workers,
):  # fmt: skip
    """The body of worker process ``worker_id``: fetch what the main process asks, until told
    to stop (``None``), until ``done_event`` is set, or until the main process is gone."""
    global _worker_info
    parent = os.getppid()
    if isinstance(dataset, Packed):  # spawn/forkserver: pickled by the main process with dumps
        dataset, collate_fn, init_fn = loads(dataset.data)
    try:
        seed = base_seed + worker_id
        _seed_everything(seed, worker_id)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)
        exhausted = False
        while True:
            try:
                task = index_queue.get(timeout=POLL_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent or done_event.is_set():
                    break  # the main process died or gave up without telling us
                continue
            if task is None:
                break
            if isinstance(task, ResumeIteration):
                result_queue.put((task, None))
                exhausted = False
                if init_error is None:
                    try:
                        fetcher = make_fetcher(
                            iterable, dataset, auto_collation, collate_fn, drop_last
                        )
                    except Exception:
                        init_error = ExceptionWrapper(where=where)
                continue
            if done_event.is_set() or exhausted:
                continue
            task_id, index = task
            if init_error is not None:
                payload, init_error = init_error, None
            else:
                payload = _fetch(fetcher, index, iterable, worker_id, where)
                exhausted = isinstance(payload, IterableStop)
            result_queue.put((task_id, payload))
            del payload
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process handles it
    if done_event.is_set():
        result_queue.cancel_join_thread()  # nobody reads any more: do not block on exit
    result_queue.close()


def _fetch(fetcher, index, iterable, worker_id, where):
    try:
        data = fetcher.fetch(index)
    except StopIteration:
        if iterable:
            return IterableStop(worker_id)
        return ExceptionWrapper(where=where)
    except Exception:
        return ExceptionWrapper(where=where)
    try:
        return dumps(data, share=True)
    except Exception:
        return ExceptionWrapper(where=f"{where} while sending the batch to the main process")
