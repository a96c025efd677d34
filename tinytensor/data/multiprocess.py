"""The DataLoader iterator that loads in worker processes (PyTorch's design, simplified).

The main process sends ``(task_id, index)`` round-robin to the workers' index queues, keeping
``prefetch_factor * num_workers`` tasks in flight, and hands batches out in task order (or as
they come with ``in_order=False``). Workers answer on one result queue. Shutdown (end of pass,
error, Ctrl-C, garbage collection) sets a shared event, sends ``None`` to every worker, joins
them briefly and terminates any still running.
"""

from __future__ import annotations

import itertools
import queue
import time
import weakref

from tinytensor.core import sharedmem as SM
from tinytensor.data.sampler import draw_seed
from tinytensor.data.worker import (
    POLL_INTERVAL,
    ExceptionWrapper,
    IterableStop,
    Packed,
    ResumeIteration,
    dumps,
    loads,
    worker_loop,
)

_JOIN_TIMEOUT = 2.0  # seconds a worker gets to exit by itself before it is terminated
_ABORT_JOIN_TIMEOUT = 0.3  # the same after an error or Ctrl-C, when it may be mid-sample


class MultiProcessIter:
    """One pass (or, with persistent workers, every pass) over a loader, in worker processes."""

    def __init__(self, loader):
        # weak: a loader keeps its persistent iterator, which must not keep the loader alive
        self._loader = weakref.ref(loader)
        self._num_workers = loader.num_workers
        self._prefetch = max(1, loader.prefetch_factor or 0) * self._num_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._iterable = loader._iterable
        self._base_seed = draw_seed(loader.generator)
        self._shutdown = False
        self._epoch = 0
        ctx = loader._context()
        SM.prepare_for_children()  # workers send batches through shared memory
        shared = (loader.dataset, loader.collate_fn, loader.worker_init_fn)
        if ctx.get_start_method() != "fork":  # the child cannot inherit: send tensors as arrays
            shared = (Packed(dumps(shared)), None, None)
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=worker_loop,
                    args=(
                        self._iterable, shared[0], index_queue, self._result_queue,
                        self._done_event, loader._auto_collation, shared[1], loader.drop_last,
                        self._base_seed, shared[2], worker_id, self._num_workers,
                    ),
                    daemon=True,
                )  # fmt: skip
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._start_pass(loader)

    # ----- the pass --------------------------------------------------------------------------
    def _start_pass(self, loader):
        self._sampler_iter = iter(loader._index_sampler)
        self._send_idx = 0  # id of the next task to send
        self._rcvd_idx = 0  # id of the next task to hand out
        self._task_info = {}  # task id -> (worker_id,) while pending, (worker_id, payload) once in
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch):
            self._try_put_index()

    def reset(self, loader):
        """Start a new pass with the same (persistent) workers, discarding what is in flight."""
        self._epoch += 1
        for q in self._index_queues:
            q.put(ResumeIteration(self._epoch))
        acks = 0
        while acks < self._num_workers:
            task_id, _ = self._get_data()
            if isinstance(task_id, ResumeIteration) and task_id.epoch == self._epoch:
                acks += 1
        self._start_pass(loader)

    def _try_put_index(self):
        if self._outstanding >= self._prefetch:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._cycle)
            if self._active[worker_id]:
                break
        else:
            return  # every worker is done (IterableDataset)
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        """The next ``(task_id, payload)`` from any worker, checking they are alive meanwhile."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = POLL_INTERVAL
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [w for i, w in enumerate(self._workers) if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                raise RuntimeError(
                    f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) "
                    f"{codes}); run with num_workers=0 to see the error in this process"
                )
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(
                    f"DataLoader timed out after {self._timeout} seconds waiting for a batch; "
                    "raise timeout= or make the dataset faster"
                )

    def _retire(self, worker_id):
        """Worker ``worker_id``'s IterableDataset copy is exhausted: stop giving it tasks."""
        self._active[worker_id] = False
        for task_id, info in list(self._task_info.items()):
            if info[0] == worker_id and len(info) == 1:  # it will never answer these
                del self._task_info[task_id]
                self._outstanding -= 1
        if not self._persistent:
            self._index_queues[worker_id].put(None)

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx and self._rcvd_idx not in self._task_info:
                self._rcvd_idx += 1  # skipped: retired worker's task, or handed out early
            if self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            task_id, payload = self._get_data()
            if isinstance(task_id, ResumeIteration):
                continue  # a late acknowledgement of an earlier reset
            self._outstanding -= 1
            if isinstance(payload, IterableStop):
                self._retire(payload.worker_id)
                self._try_put_index()
                continue
            if task_id not in self._task_info:
                continue  # stale: from before a reset
            if task_id == self._rcvd_idx or not self._in_order:
                del self._task_info[task_id]
                if task_id == self._rcvd_idx:
                    self._rcvd_idx += 1
                return self._process(payload)
            self._task_info[task_id] = (self._task_info[task_id][0], payload)

    def _process(self, payload):
        self._try_put_index()
        if isinstance(payload, ExceptionWrapper):
            payload.reraise()
        return loads(payload)

    # ----- the iterator protocol ---------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self):
        if self._shutdown:
            raise StopIteration
        try:
            return self._next_data()
        except StopIteration:
            raise
        except BaseException:  # a worker's error, a timeout, Ctrl-C: workers must not linger
            self._shutdown_workers(_ABORT_JOIN_TIMEOUT)
            raise

    def __len__(self) -> int:
        loader = self._loader()
        if loader is None:
            raise TypeError("the DataLoader of this iterator is gone, so its length is unknown")
        return len(loader)

    @property
    def is_shut_down(self) -> bool:
        return self._shutdown

    @property
    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    def _shutdown_workers(self, join_timeout: float = _JOIN_TIMEOUT):
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for q in self._index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + join_timeout
            for w in self._workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._result_queue.cancel_join_thread()
            self._result_queue.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=_JOIN_TIMEOUT)

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # at interpreter exit the modules may already be gone
            pass

    def __getstate__(self):
        raise TypeError(f"{type(self).__name__} cannot be pickled")
