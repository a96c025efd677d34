"""PyTorch's collectives and point-to-point calls on the MPI process group.

Each call first checks, with one small all-gather, that every rank of the group made the same
call on tensors of the same shape and dtype, so a mismatch is an error naming the ranks, not a
silently wrong result or a hang. Values travel as NumPy arrays (float16 as float32, bool as
uint8: MPI has no such types; the results are cast back exactly). Every wait honours the
group's timeout.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from tinytensor.core import bump_version, wrap
from tinytensor.distributed.process_group import (
    DistError,
    _mpi,
    as_array,
    resolve,
    wait_request,
)
from tinytensor.tensor import Tensor


class ReduceOp:
    """How ``all_reduce``/``reduce``/``reduce_scatter`` combine values: ``SUM``, ``AVG``
    (floating dtypes), ``PRODUCT``, ``MIN``, ``MAX``, and ``BAND``/``BOR``/``BXOR`` (integer and
    bool dtypes)."""

    class RedOpType:
        def __init__(self, name, code):
            self.name, self.value = name, code

        def __repr__(self):
            return f"<RedOpType.{self.name}: {self.value}>"

        def __reduce__(self):
            return getattr, (ReduceOp, self.name)

    SUM = RedOpType("SUM", 0)
    AVG = RedOpType("AVG", 1)
    PRODUCT = RedOpType("PRODUCT", 2)
    MIN = RedOpType("MIN", 3)
    MAX = RedOpType("MAX", 4)
    BAND = RedOpType("BAND", 5)
    BOR = RedOpType("BOR", 6)
    BXOR = RedOpType("BXOR", 7)


_MPI_OP = {"SUM": "SUM", "AVG": "SUM", "PRODUCT": "PROD", "MIN": "MIN", "MAX": "MAX",
           "BAND": "BAND", "BOR": "BOR", "BXOR": "BXOR"}  # fmt: skip
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


def _run(req, group, what, finish, result, async_op):
    work = Work(req, group, what, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def _wire(arr):
    """``arr`` as MPI can carry it: contiguous; float16 widened, bool as uint8."""
    if arr.dtype == np.float16:
        return np.ascontiguousarray(arr, np.float32)
    if arr.dtype == np.bool_:
        return np.ascontiguousarray(arr).view(np.uint8)
    return np.ascontiguousarray(arr)


def _wire_empty(shape, dtype):
    dtype = np.dtype(dtype)
    return np.empty(shape, np.float32 if dtype == np.float16 else
                    np.uint8 if dtype == np.bool_ else dtype)  # fmt: skip


def _store(t, values):
    """Write ``values`` into tensor ``t`` in place (cast back to its dtype)."""
    arr = t._data
    if arr.dtype == np.bool_:
        values = values.astype(bool)
    np.copyto(arr, values.reshape(arr.shape), casting="unsafe")
    bump_version(t)


def _op(op, arr, what):
    if not isinstance(op, ReduceOp.RedOpType):
        raise TypeError(f"{what}: op must be a ReduceOp (ReduceOp.SUM, ...), got {op!r}")
    kind = arr.dtype.kind
    if op.name == "AVG" and kind != "f":
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating dtype, got {arr.dtype}; use SUM")
    if op.name in ("BAND", "BOR", "BXOR") and kind not in "iub":
        raise TypeError(f"{what}: ReduceOp.{op.name} needs an integer or bool dtype, got "
                        f"{arr.dtype}")  # fmt: skip
    if kind == "b" and op.name == "PRODUCT":
        op = ReduceOp.MIN  # a product of 0/1 values is their minimum
    return getattr(_mpi(), _MPI_OP[op.name]), op


def _finish_reduce(t, recv, op, size):
    def finish():
        values = recv
        if op.name == "AVG":
            values = recv / size
        if t._data.dtype == np.bool_ and op.name == "SUM":
            values = recv != 0
        _store(t, values)

    return finish


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


def _group(group, what):
    return resolve(group, what)


def _root(g, rank, group_rank, what, name):
    if group_rank is not None:
        if not 0 <= group_rank < g.size():
            raise ValueError(f"{what}: {name} group rank {group_rank} is out of [0, {g.size()})")
        return group_rank
    return g.group_rank(rank, what)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` on every rank of the group."""
    what = "broadcast"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = _root(g, 0 if src is None else src, group_src, what, "src")
    check_same(g, what, "broadcast", arr)
    buf = _wire(arr).copy() if g.rank() == root else _wire_empty(arr.shape, arr.dtype)
    req = g.comm.Ibcast(buf, root=root)
    finish = None if g.rank() == root else (lambda: _store(tensor, buf))
    return _run(req, g, what, finish, [tensor], async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across the group with ``op``; every rank gets the result in place."""
    what = "all_reduce"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    mpi_op, op = _op(op, arr, what)
    check_same(g, what, "all_reduce", arr, op)
    send = _wire(arr)
    recv = np.empty_like(send)
    req = g.comm.Iallreduce(send, recv, mpi_op)
    return _run(req, g, what, _finish_reduce(tensor, recv, op, g.size()), [tensor], async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Combine ``tensor`` across the group with ``op`` into ``tensor`` of rank ``dst`` only."""
    what = "reduce"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = _root(g, 0 if dst is None else dst, group_dst, what, "dst")
    mpi_op, op = _op(op, arr, what)
    check_same(g, what, "reduce", arr, op)
    send = _wire(arr)
    recv = np.empty_like(send)
    req = g.comm.Ireduce(send, recv, mpi_op, root=root)
    finish = _finish_reduce(tensor, recv, op, g.size()) if g.rank() == root else None
    return _run(req, g, what, finish, [tensor], async_op)


def _check_list(tensors, n, arr, what, name):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{what}: {name} must be a list of {n} tensors (one per rank), got {got}")
    for i, t in enumerate(tensors):
        a = as_array(t, what)
        if a.shape != arr.shape or a.dtype != arr.dtype:
            raise ValueError(
                f"{what}: {name}[{i}] has shape {list(a.shape)} and dtype {a.dtype}, but the "
                f"tensor is {list(arr.shape)} {arr.dtype}; they must match"
            )


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list`` (one tensor per rank) on every rank."""
    what = "all_gather"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    _check_list(tensor_list, g.size(), arr, what, "tensor_list")
    check_same(g, what, "all_gather", arr)
    send = _wire(arr)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Iallgather(send, recv)

    def finish():
        for i, t in enumerate(tensor_list):
            _store(t, recv[i])

    return _run(req, g, what, finish, list(tensor_list), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (along dim 0, or stacked) in
    ``output_tensor``, whose size is world size times the input's."""
    what = "all_gather_into_tensor"
    g = _group(group, what)
    if g is None:
        return None
    arr, out = as_array(input_tensor, what), as_array(output_tensor, what)
    if out.size != arr.size * g.size() or out.dtype != arr.dtype:
        raise ValueError(
            f"{what}: output_tensor {list(out.shape)} {out.dtype} must hold world_size "
            f"({g.size()}) x input {list(arr.shape)} {arr.dtype}"
        )
    check_same(g, what, "all_gather_into_tensor", arr)
    send = _wire(arr)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Iallgather(send, recv)
    return _run(req, g, what, lambda: _store(output_tensor, recv), [output_tensor], async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (None elsewhere)."""
    what = "gather"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = _root(g, 0 if dst is None else dst, group_dst, what, "dst")
    if g.rank() == root:
        _check_list(gather_list, g.size(), arr, what, "gather_list")
    elif gather_list:
        raise ValueError(f"{what}: gather_list must be None or empty on a rank that is not dst")
    check_same(g, what, "gather", arr)
    send = _wire(arr)
    recv = np.empty((g.size(),) + send.shape, send.dtype) if g.rank() == root else None
    req = g.comm.Igather(send, recv, root=root)

    def finish():
        for i, t in enumerate(gather_list):
            _store(t, recv[i])

    return _run(req, g, what, finish if g.rank() == root else None, gather_list, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """``scatter_list[i]`` of rank ``src`` into ``tensor`` of the group's rank ``i``."""
    what = "scatter"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = _root(g, 0 if src is None else src, group_src, what, "src")
    if g.rank() == root:
        _check_list(scatter_list, g.size(), arr, what, "scatter_list")
        send = np.stack([_wire(as_array(t, what)) for t in scatter_list])
    elif scatter_list:
        raise ValueError(f"{what}: scatter_list must be None or empty on a rank that is not src")
    else:
        send = None
    check_same(g, what, "scatter", arr)
    recv = _wire_empty(arr.shape, arr.dtype)
    req = g.comm.Iscatter(send, recv, root=root)
    return _run(req, g, what, lambda: _store(tensor, recv), [tensor], async_op)


def _reduce_scatter(output, stacked, op, g, what, call, async_op):
    arr = as_array(output, what)
    mpi_op, op = _op(op, arr, what)
    check_same(g, what, call, arr, op)
    recv = _wire_empty(arr.shape, arr.dtype)
    req = g.comm.Ireduce_scatter_block(stacked, recv, mpi_op)
    return _run(req, g, what, _finish_reduce(output, recv, op, g.size()), [output], async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``input_list[i]`` combined across the group with ``op`` into ``output`` of rank ``i``."""
    what = "reduce_scatter"
    g = _group(group, what)
    if g is None:
        return None
    arr = as_array(output, what)
    _check_list(input_list, g.size(), arr, what, "input_list")
    stacked = np.stack([_wire(as_array(t, what)) for t in input_list])
    return _reduce_scatter(output, stacked, op, g, what, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):  # noqa: A002
    """``input`` (world size times ``output``'s size, split along dim 0) combined across the
    group; rank ``i`` gets the ``i``-th part in ``output``."""
    what = "reduce_scatter_tensor"
    g = _group(group, what)
    if g is None:
        return None
    arr, inp = as_array(output, what), as_array(input, what)
    if inp.size != arr.size * g.size() or inp.dtype != arr.dtype:
        raise ValueError(f"{what}: input {list(inp.shape)} {inp.dtype} must hold world_size "
                         f"({g.size()}) x output {list(arr.shape)} {arr.dtype}")  # fmt: skip
    stacked = _wire(inp).reshape((g.size(),) + arr.shape)
    return _reduce_scatter(output, stacked, op, g, what, "reduce_scatter_tensor", async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group reaches this call."""
    what = "barrier"
    g = _group(group, what)
    if g is None:
        return None
    check_same(g, what, "barrier")
    return _run(g.comm.Ibarrier(), g, what, None, [], async_op)


# --- point to point ---------------------------------------------------------------------------


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; ``wait()`` the returned Work."""
    what = "isend"
    g = _group(group, what)
    peer = _root(g, dst, group_dst, what, "dst")
    send = _wire(as_array(tensor, what)).copy()
    return Work(g.comm.Isend(send, peer, tag), g, what, None, [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` and wait until it has gone."""
    isend(tensor, dst, group, tag, group_dst).wait()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (None: any) without waiting."""
    what = "irecv"
    g = _group(group, what)
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _root(
        g, src, group_src, what, "src")  # fmt: skip
    arr = as_array(tensor, what)
    recv = _wire_empty(arr.shape, arr.dtype)
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
        _store(tensor, room[:-1])
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


# --- Python objects ---------------------------------------------------------------------------


def _rebuild(array, requires_grad):
    t = wrap(array)
    return t.requires_grad_() if requires_grad else t


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return _rebuild, (obj.detach().numpy().copy(), obj.requires_grad)
        return NotImplemented


def _dumps(obj) -> np.ndarray:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return np.frombuffer(buf.getvalue(), np.uint8)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s items on every rank by those of rank ``src`` (picklable
    objects; tensors travel as their values)."""
    what = "broadcast_object_list"
    g = _group(group, what)
    if g is None:
        return
    root = _root(g, 0 if src is None else src, group_src, what, "src")
    check_same(g, what, "object")
    data = _dumps(list(object_list)) if g.rank() == root else None
    size = np.array([0 if data is None else data.size], np.int64)
    wait_request(g.comm.Ibcast(size, root=root), g, what)
    buf = data.copy() if data is not None else np.empty(int(size[0]), np.uint8)
    wait_request(g.comm.Ibcast(buf, root=root), g, what)
    if g.rank() != root:
        got = pickle.loads(buf.tobytes())
        if len(got) != len(object_list):
            raise ValueError(f"{what}: rank {g.ranks[root]} sent {len(got)} objects but this "
                             f"rank's object_list holds {len(object_list)}")  # fmt: skip
        object_list[:] = got


def all_gather_object(object_list, obj, group=None):
    """Every rank's ``obj`` into ``object_list`` (one item per rank) on every rank."""
    what = "all_gather_object"
    g = _group(group, what)
    if g is None:
        return
    if len(object_list) != g.size():
        raise ValueError(f"{what}: object_list must have world_size ({g.size()}) items, got "
                         f"{len(object_list)}")  # fmt: skip
    check_same(g, what, "object")
    data = _dumps(obj)
    sizes = np.empty(g.size(), np.int64)
    wait_request(g.comm.Iallgather(np.array([data.size], np.int64), sizes), g, what)
    recv = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    wait_request(g.comm.Iallgatherv(data, [recv, sizes, offsets, _mpi().BYTE]), g, what)
    for i in range(g.size()):
        object_list[i] = pickle.loads(recv[offsets[i] : offsets[i] + sizes[i]].tobytes())
