"""``nn.parallel.DistributedDataParallel``: one model replica per process, gradients averaged
across the processes as backward produces them.

At construction the ranks check that their parameters have the same shapes and copy rank 0's
parameters and buffers. Each forward (in grad mode, outside ``no_sync``) walks the new graph
from the outputs and wraps the backward function of every node that sends a gradient to a
parameter; when the last such node of a parameter has run, the parameter is ready, and once a
bucket's parameters are all ready its gradients are all-reduced with a non-blocking MPI call,
while backward goes on with the rest of the graph. Each parameter's post-accumulate hook then
writes the averaged gradient into ``.grad``.
"""

from __future__ import annotations

import contextlib

import numpy as np

import tinytensor.distributed as dist
from tinytensor.autograd.grad_mode import is_grad_enabled
from tinytensor.core import wrap
from tinytensor.nn.module import Module
from tinytensor.tensor import Tensor

_FIRST_BUCKET_BYTES = 1 << 20  # PyTorch's first bucket is small, so the reduction starts early
_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss. You "
    "can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by making "
    "sure all `forward` function outputs participate in calculating loss."
)


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _sum_to(arr, shape):
    if arr.shape == shape:
        return arr
    lead = arr.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and arr.shape[lead + i] != 1
    )
    return arr.sum(axis=axes, keepdims=False).reshape(shape)


class _Bucket:
    def __init__(self, indices, params):
        self.indices = indices  # positions in the DDP's parameter list
        self.offsets, n = [], 0
        for i in indices:
            self.offsets.append(n)
            n += params[i]._data.size
        self.numel = n
        self.dtype = params[indices[0]]._data.dtype
        self.work = None
        self.buffer = None
        self.ready = 0


class DistributedDataParallel(Module):
    """PyTorch's DDP on ``tinytensor.distributed``: wrap the model on every rank, train as
    usual; the averaged gradients equal those of one process on the concatenated batches.

    ``broadcast_buffers`` copies rank 0's buffers before each forward (BatchNorm's running
    statistics: each rank normalises with its own batch, as in PyTorch without SyncBatchNorm).
    ``find_unused_parameters`` lets parameters take no part in a forward; otherwise such a
    parameter raises PyTorch's "Expected to have finished reduction" at the next forward.
    ``device_ids``/``output_device`` must name the CPU or be left out.
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
        delay_all_reduce_named_params=None,
        param_to_hook_all_reduce=None,
        mixed_precision=None,
        device_mesh=None,
        skip_all_reduce_unused_params=False,
    ):
        super().__init__()
        if device_ids not in (None, [], ["cpu"]) or output_device not in (None, "cpu"):
            raise ValueError(
                "DistributedDataParallel: device_ids/output_device name GPUs; tinytensor "
                "computes on the CPU only: leave them out"
            )
        if not dist.is_initialized():
            raise ValueError(
                "DistributedDataParallel: Default process group has not been initialized, please "
                "make sure to call init_process_group."
            )
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        self.module = module
        self.process_group = process_group
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        self.require_backward_grad_sync = True
        group = process_group
        self.__dict__["_ddp_params"] = params
        self.__dict__["_world"] = dist.get_world_size(group)
        self._verify_and_broadcast(module, group)
        self.__dict__["_buckets"] = self._make_buckets(params)
        self.__dict__["_bucket_of"] = {
            i: (b, k) for b in self._buckets for k, i in enumerate(b.indices)
        }
        self.__dict__["_pass"] = None  # the reduction the current backward is doing
        self.__dict__["_handles"] = [
            p.register_post_accumulate_grad_hook(self._make_hook(i)) for i, p in enumerate(params)
        ]

    # --- set-up --------------------------------------------------------------------------------

    def _verify_and_broadcast(self, module, group):
        shapes = [(n, tuple(p.shape), str(p.dtype)) for n, p in module.named_parameters()]
        every = [None] * self._world
        dist.all_gather_object(every, shapes, group=group)
        for r, theirs in enumerate(every):
            if theirs != shapes:
                raise RuntimeError(
                    "DistributedDataParallel: the parameters differ across ranks (rank "
                    f"{dist.get_rank(group)} has {shapes}, rank {r} has {theirs}); every rank "
                    "must wrap the same model"
                )
        src = dist.get_global_rank(group, 0) if group is not None else 0
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t, src=src, group=group)

    def _make_buckets(self, params):
        cap = int(self.bucket_cap_mb * (1 << 20))
        buckets, current, size, limit = [], [], 0, min(_FIRST_BUCKET_BYTES, cap)
        for i in reversed(range(len(params))):  # roughly the order backward produces them
            p = params[i]
            if current and (size + p._data.nbytes > limit or
                            p._data.dtype != params[current[0]]._data.dtype):  # fmt: skip
                buckets.append(_Bucket(current, params))
                current, size, limit = [], 0, cap
            current.append(i)
            size += p._data.nbytes
        if current:
            buckets.append(_Bucket(current, params))
        return buckets

    # --- forward -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates gradients locally with no communication; the first
        backward after it reduces everything accumulated."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def forward(self, *inputs, **kwargs):
        last = self._pass
        if last is not None and last["started"] and last["hooks_left"] > 0:
            self.__dict__["_pass"] = None  # a backward began and did not reduce everything
            raise RuntimeError(_UNFINISHED)
        if self.broadcast_buffers and self._world > 1:
            src = dist.get_global_rank(self.process_group, 0) if self.process_group else 0
            for b in self.module.buffers():
                dist.broadcast(b, src=src, group=self.process_group)
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_backward(out)
        else:
            self.__dict__["_pass"] = None
        return out

    def _prepare_backward(self, out):
        params = self._ddp_params
        index = {id(p): i for i, p in enumerate(params)}
        edges = [0] * len(params)  # how many graph edges send a gradient to each parameter
        seen, stack = set(), [t._grad_fn for t in _tensors(out) if t._grad_fn is not None]
        wrapped = []
        for t in _tensors(out):
            if t._grad_fn is None and id(t) in index:
                raise RuntimeError("DistributedDataParallel: the module returned a parameter "
                                   "itself; return a computed tensor")  # fmt: skip
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            slots = []
            for k, e in enumerate(node.next):
                if e is None:
                    continue
                if e.__class__ is tuple:
                    e = e[0]
                if isinstance(e, Tensor):
                    i = index.get(id(e))
                    if i is not None:
                        slots.append((k, i))
                        edges[i] += 1
                elif id(e) not in seen:
                    stack.append(e)
            if slots:
                wrapped.append((node, slots))
        unused = [i for i, n in enumerate(edges) if n == 0]
        if unused and not self.find_unused_parameters:  # reported at the next forward
            state = self.__dict__["_pass"] = {"hooks_left": 1, "started": False}
            for node, _ in wrapped:  # if a backward runs through this graph
                node.fn = self._mark_started(node.fn, state)
            return
        state = {
            "started": False,
            "edges": edges,
            "acc": [None] * len(params),
            "hooks_left": len(params) - len(unused),
            "used": [n > 0 for n in edges],
            "next": 0,
        }
        self.__dict__["_pass"] = state
        for b in self._buckets:
            b.work, b.ready = None, 0
            b.buffer = np.zeros(b.numel + len(b.indices), b.dtype)  # values, then "used" flags
        for node, slots in wrapped:
            node.fn = self._wrap_fn(node.fn, slots, state)
        for i in unused:
            self._ready(i, state)

    @staticmethod
    def _mark_started(fn, state):
        def run(*args, **kwargs):
            state["started"] = True
            return fn(*args, **kwargs)

        return run

    def _wrap_fn(self, fn, slots, state):
        def run(*args, **kwargs):
            state["started"] = True
            grads = fn(*args, **kwargs)
            for k, i in slots:
                g = grads[k]
                if g is not None:
                    arr = _sum_to(g._data, self._ddp_params[i]._data.shape)
                    acc = state["acc"][i]
                    state["acc"][i] = arr if acc is None else acc + arr
                state["edges"][i] -= 1
                if state["edges"][i] == 0:
                    self._ready(i, state)
            for b in self._buckets:  # let MPI progress the reductions already posted
                if b.work is not None:
                    b.work.is_completed()
            return grads

        return run

    def _ready(self, i, state):
        """Parameter ``i``'s gradient for this backward is known: put it in its bucket."""
        b, k = self._bucket_of[i]
        p = self._ddp_params[i]
        start, n = b.offsets[k], p._data.size
        view = b.buffer[start : start + n]
        if p._grad is not None:  # what earlier backwards (no_sync) accumulated counts too
            view += p._grad._data.reshape(-1)
        if state["acc"][i] is not None:
            view += state["acc"][i].reshape(-1)
            state["acc"][i] = None
        b.buffer[b.numel + k] = 1.0 if state["used"][i] else 0.0
        b.ready += 1
        # buckets go out in their order on every rank, so the ranks' reductions always pair up
        buckets = self._buckets
        while state["next"] < len(buckets):
            nb = buckets[state["next"]]
            if nb.ready < len(nb.indices):
                break
            nb.work = dist.all_reduce(wrap(nb.buffer), group=self.process_group, async_op=True)
            state["next"] += 1

    # --- after backward -------------------------------------------------------------------------

    def _make_hook(self, i):
        def hook(param):
            state = self._pass
            if state is None or "acc" not in state:
                return  # no_sync, or a forward outside grad mode
            b, k = self._bucket_of[i]
            self._finish(b)
            self._write(i, b, k)
            state["hooks_left"] -= 1
            if state["hooks_left"] == 0:
                self._finish_unused(state)

        return hook

    def _finish(self, b):
        if b.work is None:
            raise RuntimeError(_UNFINISHED)
        b.work.wait()

    def _write(self, i, b, k):
        p = self._ddp_params[i]
        start, n = b.offsets[k], p._data.size
        avg = b.buffer[start : start + n].reshape(p._data.shape) / self._world
        if p._grad is None:
            p._grad = wrap(avg.astype(p._data.dtype))
        else:
            np.copyto(p._grad._data, avg, casting="unsafe")

    def _finish_unused(self, state):
        for i, used in enumerate(state["used"]):
            if used:
                continue
            b, k = self._bucket_of[i]
            self._finish(b)
            if b.buffer[b.numel + k] > 0:  # another rank used it: take the average
                self._write(i, b, k)
        self.__dict__["_pass"] = None
