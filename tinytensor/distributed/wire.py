"""How tensors travel between the ranks, shared by the collectives, the point-to-point calls and
the object collectives: ``Work`` (an operation in flight), the wire format (contiguous; float16
widened to float32 and bool carried as uint8, since MPI has no such types; values are cast back
exactly on arrival), the root of a call, and ``check_same``, the one small all-gather with which
every call first checks that every rank made the same call on the same shape and dtype.
"""

from __future__ import annotations

import numpy as np

from tinytensor.core import bump_version
from tinytensor.distributed.process_group import DistError, wait_request

_CALLS = ["broadcast", "all_reduce", "reduce", "all_gather", "all_gather_into_tensor", "gather",
          "scatter", "reduce_scatter", "reduce_scatter_tensor", "barrier", "object"]  # fmt: skip
_META = 12  # call, op, dtype, ndim, shape (up to 8 dims; more are folded into a product)


class Work:
    """An operation in flight (``async_op=True``, ``isend``/``irecv``): ``wait()`` finishes it."""

    def __init__(self, req, group, what, finish=None, result=None):
        self._req, self._group, self._what = req, group, what
        self._finish, self._result, self._done = finish, result, False

    def wait(self, timeout=None) -> bool:
        """Block until done (error after ``timeout``, default the group's); True on success."""
        if not self._done:
            wait_request(self._req, self._group, self._what, timeout)
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None

    def is_completed(self) -> bool:
        """Whether the operation has finished (finishing it if it just did)."""
        if not self._done and self._req.Test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        """Whether it finished without error."""
        return self.is_completed()

    def result(self):
        """The tensors the operation wrote."""
        return self._result


def run_work(req, group, what, finish, result, async_op):
    """Wait for ``req`` and finish it, or return it as a Work if ``async_op``."""
    work = Work(req, group, what, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def wire(arr):
    """``arr`` as MPI can carry it: contiguous; float16 widened, bool as uint8."""
    if arr.dtype == np.float16:
        return np.ascontiguousarray(arr, np.float32)
    if arr.dtype == np.bool_:
        return np.ascontiguousarray(arr).view(np.uint8)
    return np.ascontiguousarray(arr)


def wire_empty(shape, dtype):
    """An empty receive buffer for values of ``shape`` and ``dtype`` as they travel."""
    dtype = np.dtype(dtype)
    return np.empty(shape, np.float32 if dtype == np.float16 else
                    np.uint8 if dtype == np.bool_ else dtype)  # fmt: skip


def store(t, values):
    """Write ``values`` into tensor ``t`` in place (cast back to its dtype)."""
    arr = t._data
    if arr.dtype == np.bool_:
        values = values.astype(bool)
    np.copyto(arr, values.reshape(arr.shape), casting="unsafe")
    bump_version(t)


def _meta(call, arr, op=None):
    m = np.full(_META, -1, np.int64)
    m[0] = _CALLS.index(call)
    m[1] = -1 if op is None else op.value
    if arr is not None:
        m[2] = arr.dtype.num
        m[3] = arr.ndim
        shape = list(arr.shape)
        if len(shape) > 8:
            shape = shape[:7] + [int(np.prod(shape[7:]))]
        m[4 : 4 + len(shape)] = shape
    return m


def _describe(row):
    call = _CALLS[row[0]] if 0 <= row[0] < len(_CALLS) else "?"
    if row[2] < 0:
        return call
    shape = [int(s) for s in row[4 : 4 + min(int(row[3]), 8)]]
    return f"{call}(shape={shape}, dtype={_dt(row[2])})"


def _dt(num):
    for t in np.sctypeDict.values():
        if np.dtype(t).num == num:
            return np.dtype(t).name
    return str(num)


def check_same(group, what, call, arr=None, op=None):
    """Check that every rank of ``group`` makes the same ``call`` on the same shape and dtype."""
    mine = _meta(call, arr, op)
    rows = np.empty((group.size(), _META), np.int64)
    wait_request(group.comm.Iallgather(mine, rows), group, what)
    if not (rows == rows[0]).all():
        described = "; ".join(f"rank {group.ranks[i]}: {_describe(r)}" for i, r in enumerate(rows))
        if (rows[:, 1] != rows[0, 1]).any():
            ops = ", ".join(f"rank {group.ranks[i]}: op {int(r[1])}" for i, r in enumerate(rows))
            described += f" ({ops})"
        raise DistError(
            f"{what}: the ranks made mismatched calls, so the result would be wrong: "
            f"{described}. Every rank must call the same collective on tensors of the same "
            "shape and dtype"
        )


def group_root(g, rank, group_rank, what, name):
    """The group rank of the root: ``group_rank`` if given, else global ``rank``'s."""
    if group_rank is not None:
        if not 0 <= group_rank < g.size():
            raise ValueError(f"{what}: {name} group rank {group_rank} is out of [0, {g.size()})")
        return group_rank
    return g.group_rank(rank, what)
