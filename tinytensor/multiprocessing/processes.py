"""``spawn``/``start_processes``: run ``fn(i, *args)`` in ``nprocs`` processes and wait for them
(PyTorch's ``torch.multiprocessing.spawn``). A child that raises writes its traceback to a file
the parent reads; the first failure stops the others and is raised in the parent as
:class:`ProcessRaisedException` (with the child's traceback) or
:class:`ProcessExitedException` (a non-zero exit code or a signal).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import time
import traceback

from tinytensor.multiprocessing.reductions import init_reductions


class ProcessException(Exception):
    """A child process of :func:`spawn` failed: ``error_index`` is its index, ``pid`` its id."""

    def __init__(self, msg: str, error_index: int, pid: int):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child raised an exception; the message holds the child's traceback."""


class ProcessExitedException(ProcessException):
    """A child exited with a non-zero code (``exit_code``) or was killed by a signal
    (``signal_name``)."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                            self.signal_name)  # fmt: skip


def _wrap(fn, i, args, error_file):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent sent SIGINT: it is already stopping
    except Exception:
        with open(error_file, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes one :func:`spawn` started; ``join`` waits for them."""

    def __init__(self, processes, error_files):
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        """The process ids, in index order."""
        return [int(p.pid) for p in self.processes]

    def _stop_all(self, grace_period):
        alive = [p for p in self.processes if p.is_alive()]
        for p in alive:
            p.terminate()
        deadline = time.monotonic() + (grace_period if grace_period is not None else 5.0)
        for p in alive:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in alive:
            if p.is_alive():
                p.kill()
                p.join()

    def _cleanup_files(self):
        for f in self.error_files:
            if os.path.exists(f):
                os.unlink(f)

    def join(self, timeout=None, grace_period=None) -> bool:
        """Wait up to ``timeout`` seconds (None: forever) for the processes. True once every
        process has ended successfully; False while some still run. The first failure
        terminates the others (SIGTERM, then SIGKILL after ``grace_period`` seconds) and is
        raised here."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        error_index = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            p = self.processes[index]
            p.join()
            if p.exitcode != 0:
                error_index = index
                break
        if error_index is None:
            if self.sentinels:
                return False
            self._cleanup_files()
            return True
        self._stop_all(grace_period)
        self.sentinels.clear()
        p = self.processes[error_index]
        error_file = self.error_files[error_index]
        try:
            if os.path.exists(error_file) and os.path.getsize(error_file):
                with open(error_file, encoding="utf-8") as fh:
                    original = fh.read()
                msg = f"\n\n-- Process {error_index} terminated with the following error:\n"
                raise ProcessRaisedException(msg + original, error_index, p.pid)
            if p.exitcode < 0:
                name = signal.Signals(-p.exitcode).name
                raise ProcessExitedException(
                    f"process {error_index} terminated with signal {name}",
                    error_index, p.pid, p.exitcode, name,
                )  # fmt: skip
            raise ProcessExitedException(
                f"process {error_index} terminated with exit code {p.exitcode}",
                error_index, p.pid, p.exitcode,
            )  # fmt: skip
        finally:
            self._cleanup_files()


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)`` (``i`` the index) with
    ``start_method``; with ``join`` wait for all of them and return None, else return the
    :class:`ProcessContext`."""
    if isinstance(nprocs, bool) or not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"start_processes: nprocs must be a positive int, got {nprocs!r}")
    init_reductions()
    ctx = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    try:
        for i in range(nprocs):
            fd, error_file = tempfile.mkstemp(prefix="tinytensor-spawn-", suffix=".err")
            os.close(fd)
            error_files.append(error_file)
            p = ctx.Process(target=_wrap, args=(fn, i, args, error_file), daemon=daemon)
            p.start()
            processes.append(p)
    except BaseException:
        for p in processes:
            p.kill()
        for f in error_files:
            os.unlink(f)
        raise
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    try:
        while not context.join():
            pass
    except KeyboardInterrupt:
        context._stop_all(1.0)
        context._cleanup_files()
        raise
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """PyTorch's ``torch.multiprocessing.spawn``: :func:`start_processes` (``fn`` must be
    picklable by reference, i.e. defined at a module's top level, for the ``spawn`` method)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
