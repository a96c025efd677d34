"""Shared-memory blocks that NumPy arrays live in, so another process can map the same bytes.

Two strategies, named as PyTorch names its sharing strategies:

- ``"file_descriptor"`` (the default where ``os.memfd_create`` exists, i.e. Linux): a block is
  an anonymous memory file; it has no name anywhere, so nothing can outlive the processes that
  map it. Another process receives a duplicate of its file descriptor (``multiprocessing``'s
  descriptor passing) and maps it.
- ``"file_system"``: a block is a named ``multiprocessing.shared_memory.SharedMemory`` segment
  (``/dev/shm`` on Linux). Another process maps it by name. The process that made a segment
  unlinks it when its last array there is freed, or, once a handle to it was sent, when that
  process exits; a segment a killed process leaves is unlinked by ``multiprocessing``'s
  resource tracker when the program ends. A segment sent with ``transfer=True`` (DataLoader
  batches) is unlinked by the receiver once mapped.

An array is shared when its memory lies in a block; :func:`share_array` copies one in and
:func:`handle` / :func:`from_handle` carry it to another process.
"""

from __future__ import annotations

import mmap
import os
import weakref

import numpy as np

STRATEGIES = ("file_descriptor", "file_system")
_strategy = ["file_descriptor" if hasattr(os, "memfd_create") else "file_system"]

# id(root array) -> Block, for every block mapped in this process (entries leave with the root)
_BLOCKS: dict[int, Block] = {}


def get_sharing_strategy() -> str:
    """The strategy new blocks are made with: ``"file_descriptor"`` or ``"file_system"``."""
    return _strategy[0]


def set_sharing_strategy(new_strategy: str) -> None:
    """Make new blocks with ``new_strategy`` (one of :data:`STRATEGIES`)."""
    if new_strategy not in STRATEGIES:
        raise ValueError(
            f"set_sharing_strategy: unknown strategy {new_strategy!r}; "
            f"choose one of {list(STRATEGIES)}"
        )
    if new_strategy == "file_descriptor" and not hasattr(os, "memfd_create"):
        raise ValueError(
            "set_sharing_strategy: 'file_descriptor' needs os.memfd_create (Linux); "
            "use 'file_system' on this platform"
        )
    _strategy[0] = new_strategy
    if new_strategy == "file_system":
        prepare_for_children()


def prepare_for_children():
    """With the ``file_system`` strategy, start ``multiprocessing``'s resource tracker now, so
    processes started from here on share it: a segment made in a child and unlinked in the
    parent is then tracked once. Call it before starting processes that send tensors."""
    if _strategy[0] != "file_system":
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


def get_all_sharing_strategies() -> set:
    """The strategies this platform supports."""
    return {s for s in STRATEGIES if s != "file_descriptor" or hasattr(os, "memfd_create")}


class Block:
    """One shared mapping in this process: a memory file (``fd``) or a named segment (``shm``)."""

    __slots__ = (
        "strategy", "nbytes", "fd", "mm", "shm", "name", "owner", "pid", "sent", "__weakref__",
    )  # fmt: skip

    def __init__(self, strategy, nbytes, fd=None, mm=None, shm=None, owner=False):
        self.strategy = strategy
        self.nbytes = nbytes
        self.fd, self.mm, self.shm = fd, mm, shm
        self.name = shm.name if shm is not None else None
        self.owner = owner  # this process made the named segment and unlinks it
        self.pid = os.getpid()  # a forked child inherits the entry but never unlinks it
        self.sent = False  # a handle to this named segment went to another process
        if owner and shm is not None:
            _hook_exit()

    def buffer(self):
        return self.mm if self.shm is None else self.shm.buf

    def release(self):
        """Unmap (the root array is gone) and, for a segment this process made, unlink it."""
        if self.shm is not None:
            try:
                self.shm.close()
            except BufferError:  # pragma: no cover - an exported buffer still alive
                pass
            if self.owner and self.pid == os.getpid():
                if self.sent:  # a receiver may not have mapped it yet: unlink at exit
                    _SENT.append(self.shm)
                else:
                    _unlink(self.shm)
            self.shm = None
        if self.mm is not None:
            try:
                self.mm.close()
            except BufferError:  # pragma: no cover
                pass
            self.mm = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


_hooked_pid = [None]


def _hook_exit():
    """Unlink this process's named segments at exit. A multiprocessing child leaves through
    ``os._exit`` (no atexit), so its exit runs ``multiprocessing.util``'s finalizers instead."""
    if _hooked_pid[0] == os.getpid():
        return
    _hooked_pid[0] = os.getpid()
    import atexit
    from multiprocessing import util

    atexit.register(_unlink_owned)
    util.Finalize(None, _unlink_owned, exitpriority=0)


# named segments this process made and sent, whose arrays here are gone: unlinked at exit
_SENT: list = []


def _unlink_owned():
    for block in list(_BLOCKS.values()):
        if block.owner and block.pid == os.getpid() and block.shm is not None:
            block.owner = False
            _unlink(block.shm)
    while _SENT:
        _unlink(_SENT.pop())


_segment_cls = []


def _segment_class():
    """``SharedMemory`` whose finalizer tolerates arrays still viewing it at interpreter exit
    (the mapping then ends with the process)."""
    if not _segment_cls:
        from multiprocessing import shared_memory

        class Segment(shared_memory.SharedMemory):
            def __del__(self):
                try:
                    self.close()
                except BufferError:
                    pass

        _segment_cls.append(Segment)
    return _segment_cls[0]


def _unlink(shm):
    try:
        shm.unlink()  # also tells the resource tracker the segment is gone
    except FileNotFoundError:
        pass


def _root_array(block: Block) -> np.ndarray:
    size = max(block.nbytes, 1)
    root = np.frombuffer(block.buffer(), np.uint8, count=size)
    _BLOCKS[id(root)] = block
    weakref.finalize(root, _forget, id(root), block)
    return root


def _forget(key, block):
    _BLOCKS.pop(key, None)
    block.release()


def new_block(nbytes: int, strategy: str | None = None) -> np.ndarray:
    """A fresh shared block of ``nbytes`` bytes, as a uint8 array (the block's root)."""
    strategy = strategy or _strategy[0]
    size = max(int(nbytes), 1)
    if strategy == "file_descriptor":
        fd = os.memfd_create("tinytensor", 0)
        try:
            os.ftruncate(fd, size)
            mm = mmap.mmap(fd, size)
        except BaseException:
            os.close(fd)
            raise
        return _root_array(Block(strategy, size, fd=fd, mm=mm, owner=True))
    prepare_for_children()
    shm = _segment_class()(create=True, size=size)
    return _root_array(Block(strategy, size, shm=shm, owner=True))


def block_of(arr: np.ndarray):
    """``(block, root)`` if ``arr``'s memory lies in a shared block mapped here, else None."""
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    block = _BLOCKS.get(id(root))
    if block is None or block.buffer() is None:
        return None
    return block, root


def is_shared(arr: np.ndarray) -> bool:
    """Whether ``arr``'s memory lies in a shared block."""
    return block_of(arr) is not None


def share_array(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself if already shared, else a C-contiguous copy in a new shared block."""
    if block_of(arr) is not None:
        return arr
    root = new_block(arr.nbytes)
    out = root[: arr.nbytes].view(arr.dtype).reshape(arr.shape)
    np.copyto(out, arr)
    return out


def capacity(arr: np.ndarray) -> int:
    """Bytes of the shared block from ``arr``'s first element to the block's end."""
    found = block_of(arr)
    if found is None:
        raise ValueError("capacity: the array is not in shared memory")
    block, root = found
    start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return block.nbytes - start


def handle(arr: np.ndarray, transfer: bool = False) -> tuple:
    """What crosses to another process for the shared ``arr``: the block's descriptor or name,
    and where ``arr`` lies in it. ``transfer=True`` (a block made for this one send) hands the
    named segment's unlinking to the receiver."""
    found = block_of(arr)
    if found is None:
        raise ValueError("handle: the array is not in shared memory; call share_array first")
    block, root = found
    start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    layout = (start, arr.dtype.str, arr.shape, arr.strides)
    if block.strategy == "file_descriptor":
        from multiprocessing import reduction

        return ("file_descriptor", reduction.DupFd(block.fd), block.nbytes, layout)
    if transfer:
        block.owner = False  # the receiver unlinks it once mapped
    else:
        block.sent = True
    return ("file_system", block.name, block.nbytes, layout, transfer)


def from_handle(h: tuple) -> np.ndarray:
    """The array :func:`handle` described, mapped into this process (same memory)."""
    strategy, ref, nbytes, layout = h[:4]
    if strategy == "file_descriptor":
        try:
            fd = ref.detach()
        except OSError as exc:
            raise RuntimeError(
                "receiving a shared tensor: the process that sent it has exited before it was "
                "received, so its memory could not be reached (the sender must keep running "
                f"until the receiver has the tensor, e.g. wait on an Event): {exc}"
            ) from exc
        try:
            mm = mmap.mmap(fd, nbytes)
        except BaseException:
            os.close(fd)
            raise
        root = _root_array(Block(strategy, nbytes, fd=fd, mm=mm))
    else:
        shm = _segment_class()(name=ref)
        transfer = h[4]
        if transfer:
            _unlink(shm)
        root = _root_array(Block(strategy, nbytes, shm=shm))
    start, dtype, shape, strides = layout
    return np.ndarray(shape, np.dtype(dtype), buffer=root, offset=start, strides=strides)
