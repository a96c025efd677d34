"""PyTorch's collectives on the MPI process group: ``broadcast``, ``all_reduce``, ``reduce``,
``all_gather`` (and ``_into_tensor``), ``gather``, ``scatter``, ``reduce_scatter`` (and
``_tensor``), ``barrier``, and ``ReduceOp``, how reductions combine values.

Each call first checks, with one small all-gather (``wire.check_same``), that every rank of the
group made the same call on tensors of the same shape and dtype, so a mismatch is an error naming
the ranks, not a silently wrong result or a hang. Values travel as NumPy arrays (see
``tinytensor.distributed.wire``). Every wait honours the group's timeout. Point-to-point calls
are in ``point_to_point``, the collectives of Python objects in ``object_collectives``.
"""

from __future__ import annotations

import numpy as np

from tinytensor.distributed.process_group import _mpi, as_array, resolve
from tinytensor.distributed.wire import (
    check_same,
    group_root,
    run_work,
    store,
    wire,
    wire_empty,
)


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
        store(t, values)

    return finish


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` on every rank of the group."""
    what = "broadcast"
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = group_root(g, 0 if src is None else src, group_src, what, "src")
    check_same(g, what, "broadcast", arr)
    buf = wire(arr).copy() if g.rank() == root else wire_empty(arr.shape, arr.dtype)
    req = g.comm.Ibcast(buf, root=root)
    finish = None if g.rank() == root else (lambda: store(tensor, buf))
    return run_work(req, g, what, finish, [tensor], async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across the group with ``op``; every rank gets the result in place."""
    what = "all_reduce"
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    mpi_op, op = _op(op, arr, what)
    check_same(g, what, "all_reduce", arr, op)
    send = wire(arr)
    recv = np.empty_like(send)
    req = g.comm.Iallreduce(send, recv, mpi_op)
    return run_work(req, g, what, _finish_reduce(tensor, recv, op, g.size()), [tensor], async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Combine ``tensor`` across the group with ``op`` into ``tensor`` of rank ``dst`` only."""
    what = "reduce"
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = group_root(g, 0 if dst is None else dst, group_dst, what, "dst")
    mpi_op, op = _op(op, arr, what)
    check_same(g, what, "reduce", arr, op)
    send = wire(arr)
    recv = np.empty_like(send)
    req = g.comm.Ireduce(send, recv, mpi_op, root=root)
    finish = _finish_reduce(tensor, recv, op, g.size()) if g.rank() == root else None
    return run_work(req, g, what, finish, [tensor], async_op)


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
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    _check_list(tensor_list, g.size(), arr, what, "tensor_list")
    check_same(g, what, "all_gather", arr)
    send = wire(arr)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Iallgather(send, recv)

    def finish():
        for i, t in enumerate(tensor_list):
            store(t, recv[i])

    return run_work(req, g, what, finish, list(tensor_list), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (along dim 0, or stacked) in
    ``output_tensor``, whose size is world size times the input's."""
    what = "all_gather_into_tensor"
    g = resolve(group, what)
    if g is None:
        return None
    arr, out = as_array(input_tensor, what), as_array(output_tensor, what)
    if out.size != arr.size * g.size() or out.dtype != arr.dtype:
        raise ValueError(
            f"{what}: output_tensor {list(out.shape)} {out.dtype} must hold world_size "
            f"({g.size()}) x input {list(arr.shape)} {arr.dtype}"
        )
    check_same(g, what, "all_gather_into_tensor", arr)
    send = wire(arr)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Iallgather(send, recv)
    return run_work(req, g, what, lambda: store(output_tensor, recv), [output_tensor], async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (None elsewhere)."""
    what = "gather"
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = group_root(g, 0 if dst is None else dst, group_dst, what, "dst")
    if g.rank() == root:
        _check_list(gather_list, g.size(), arr, what, "gather_list")
    elif gather_list:
        raise ValueError(f"{what}: gather_list must be None or empty on a rank that is not dst")
    check_same(g, what, "gather", arr)
    send = wire(arr)
    recv = np.empty((g.size(),) + send.shape, send.dtype) if g.rank() == root else None
    req = g.comm.Igather(send, recv, root=root)

    def finish():
        for i, t in enumerate(gather_list):
            store(t, recv[i])

    return run_work(req, g, what, finish if g.rank() == root else None, gather_list, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """``scatter_list[i]`` of rank ``src`` into ``tensor`` of the group's rank ``i``."""
    what = "scatter"
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(tensor, what)
    root = group_root(g, 0 if src is None else src, group_src, what, "src")
    if g.rank() == root:
        _check_list(scatter_list, g.size(), arr, what, "scatter_list")
        send = np.stack([wire(as_array(t, what)) for t in scatter_list])
    elif scatter_list:
        raise ValueError(f"{what}: scatter_list must be None or empty on a rank that is not src")
    else:
        send = None
    check_same(g, what, "scatter", arr)
    recv = wire_empty(arr.shape, arr.dtype)
    req = g.comm.Iscatter(send, recv, root=root)
    return run_work(req, g, what, lambda: store(tensor, recv), [tensor], async_op)


def _reduce_scatter(output, stacked, op, g, what, call, async_op):
    arr = as_array(output, what)
    mpi_op, op = _op(op, arr, what)
    check_same(g, what, call, arr, op)
    recv = wire_empty(arr.shape, arr.dtype)
    req = g.comm.Ireduce_scatter_block(stacked, recv, mpi_op)
    return run_work(req, g, what, _finish_reduce(output, recv, op, g.size()), [output], async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``input_list[i]`` combined across the group with ``op`` into ``output`` of rank ``i``."""
    what = "reduce_scatter"
    g = resolve(group, what)
    if g is None:
        return None
    arr = as_array(output, what)
    _check_list(input_list, g.size(), arr, what, "input_list")
    stacked = np.stack([wire(as_array(t, what)) for t in input_list])
    return _reduce_scatter(output, stacked, op, g, what, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):  # noqa: A002
    """``input`` (world size times ``output``'s size, split along dim 0) combined across the
    group; rank ``i`` gets the ``i``-th part in ``output``."""
    what = "reduce_scatter_tensor"
    g = resolve(group, what)
    if g is None:
        return None
    arr, inp = as_array(output, what), as_array(input, what)
    if inp.size != arr.size * g.size() or inp.dtype != arr.dtype:
        raise ValueError(f"{what}: input {list(inp.shape)} {inp.dtype} must hold world_size "
                         f"({g.size()}) x output {list(arr.shape)} {arr.dtype}")  # fmt: skip
    stacked = wire(inp).reshape((g.size(),) + arr.shape)
    return _reduce_scatter(output, stacked, op, g, what, "reduce_scatter_tensor", async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group reaches this call."""
    what = "barrier"
    g = resolve(group, what)
    if g is None:
        return None
    check_same(g, what, "barrier")
    return run_work(g.comm.Ibarrier(), g, what, None, [], async_op)
