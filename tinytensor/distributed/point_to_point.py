"""PyTorch's point-to-point calls on the MPI process group: ``send``/``recv`` and their
non-blocking forms ``isend``/``irecv``, which return a ``Work``. A message longer or shorter than
the receiving tensor is an error naming the sender, not a crash or a silent truncation.
"""

from __future__ import annotations

import numpy as np

from tinytensor.distributed.process_group import DistError, _mpi, as_array, resolve
from tinytensor.distributed.wire import Work, group_root, store, wire, wire_empty


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; ``wait()`` the returned Work."""
    what = "isend"
    g = resolve(group, what)
    peer = group_root(g, dst, group_dst, what, "dst")
    send = wire(as_array(tensor, what)).copy()
    return Work(g.comm.Isend(send, peer, tag), g, what, None, [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` and wait until it has gone."""
    isend(tensor, dst, group, tag, group_dst).wait()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (None: any) without waiting."""
    what = "irecv"
    g = resolve(group, what)
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else group_root(
        g, src, group_src, what, "src")  # fmt: skip
    arr = as_array(tensor, what)
    recv = wire_empty(arr.shape, arr.dtype)
    status = MPI.Status()
    # one element more than expected: a longer message shows as a count, not a crash
    room = np.empty(recv.size + 1, recv.dtype)
    req = g.comm.Irecv(room, peer, tag)

    def finish():
        count = status.Get_count(MPI.BYTE) // recv.itemsize
        source = g.ranks[status.Get_source()]
        if count != recv.size:
            raise DistError(
                f"{what}: received {count} elements from rank {source} into a tensor of "
                f"{recv.size} ({list(arr.shape)} {arr.dtype}): the sender's shape differs"
            )
        store(tensor, room[:-1])
        work.source = source

    work = Work(_StatusRequest(req, status), g, what, finish, [tensor])
    work.source = None
    return work


class _StatusRequest:
    """An Irecv request whose Test fills a Status (its source and count)."""

    def __init__(self, req, status):
        self._req, self._status = req, status

    def Test(self):
        return self._req.Test(self._status)

    def Cancel(self):
        self._req.Cancel()


def recv(tensor, src=None, group=None, tag=0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (None: any); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source
