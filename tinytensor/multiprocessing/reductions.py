"""How a tensor crosses to another process: its values move into shared memory and only a
handle is pickled (``multiprocessing``'s ``ForkingPickler``, which its queues, pipes and
spawned processes use), so the receiving tensor shares the sender's memory. ``.grad`` crosses
the same way when it is not None.
"""

from __future__ import annotations

from multiprocessing.reduction import ForkingPickler

from tinytensor.core import init_tensor
from tinytensor.core import sharedmem as SM
from tinytensor.nn import parameter as _parameter  # noqa: F401  (Parameter is registered too)
from tinytensor.tensor import Tensor

_NON_LEAF = (
    "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
    "not support crossing process boundaries.  If you just want to transfer the data, call "
    "detach() on the tensor before serializing (e.g., putting it on the queue)."
)


def rebuild_tensor(cls, handle, requires_grad, grad_handle):
    """The receiving side: a ``cls`` tensor over the shared memory ``handle`` names."""
    t = cls.__new__(cls)
    init_tensor(t, SM.from_handle(handle))
    if grad_handle is not None:
        g = Tensor.__new__(Tensor)
        init_tensor(g, SM.from_handle(grad_handle))
        t._grad = g
    if requires_grad:
        t.requires_grad_(True)
    return t


def reduce_tensor(t):
    """The sending side: move ``t`` (and its ``.grad``) into shared memory, pickle a handle."""
    if t._requires_grad and t._grad_fn is not None:
        raise RuntimeError(_NON_LEAF)
    t.share_memory_()
    grad = t._grad
    grad_handle = None
    if grad is not None:
        grad.share_memory_()
        grad_handle = SM.handle(grad._data)
    return rebuild_tensor, (type(t), SM.handle(t._data), t._requires_grad, grad_handle)


def _subclasses(cls):
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


def init_reductions() -> None:
    """Register :func:`reduce_tensor` with ``ForkingPickler`` for ``Tensor`` and every subclass
    defined so far (``Parameter`` included); done when ``tinytensor.multiprocessing`` is
    imported and by ``spawn``. Call it again after defining a new Tensor subclass."""
    for cls in _subclasses(Tensor):
        ForkingPickler.register(cls, reduce_tensor)
