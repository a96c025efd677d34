"""PyTorch's collectives of Python objects on the MPI process group: ``broadcast_object_list``
and ``all_gather_object``. Objects travel pickled; a tensor inside one travels as its values (and
its ``requires_grad``), detached from the sender's graph.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from tinytensor.core import wrap
from tinytensor.distributed.process_group import _mpi, resolve, wait_request
from tinytensor.distributed.wire import check_same, group_root
from tinytensor.tensor import Tensor


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
    g = resolve(group, what)
    if g is None:
        return
    root = group_root(g, 0 if src is None else src, group_src, what, "src")
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
    g = resolve(group, what)
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
