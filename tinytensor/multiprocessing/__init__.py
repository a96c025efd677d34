"""``torch.multiprocessing`` for tinytensor: Python's ``multiprocessing`` (every name of it is
here, so it is a drop-in), with tensors that cross processes through shared memory.

Importing this module registers a reducer with ``multiprocessing``'s ``ForkingPickler``: a
tensor put on a ``Queue``/``SimpleQueue``/``Pipe``, given to a ``Pool``, or passed to a
``Process`` started with ``spawn``/``forkserver`` has its values moved into shared memory
(``share_memory_``) and only a handle crosses; the receiving tensor shares the sender's memory,
and ``.grad`` too when it is not None. A non-leaf tensor that requires grad is refused, as
PyTorch refuses it. With ``fork`` a child inherits what the parent shared before starting it
(call ``model.share_memory()`` first, as Hogwild does).

How memory is shared is the sharing strategy (``get_sharing_strategy``/``set_sharing_strategy``):

- ``"file_descriptor"`` (default on Linux): anonymous memory files passed as descriptors; no
  name exists anywhere, so nothing can outlive the processes using it.
- ``"file_system"``: named ``multiprocessing.shared_memory`` segments; the process that made
  one unlinks it when its tensor is freed or at exit (keep a sent tensor alive until it is
  received), and ``multiprocessing``'s resource tracker unlinks what a killed process leaves
  when the program ends.
"""

from multiprocessing import *  # noqa: F403

from tinytensor.core.sharedmem import (
    get_all_sharing_strategies,
    get_sharing_strategy,
    set_sharing_strategy,
)
from tinytensor.multiprocessing.processes import (
    ProcessContext,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)
from tinytensor.multiprocessing.reductions import init_reductions

# Python's names (Process, Queue, Pool, get_context...) are bound here by the star import and
# documented by Python; __all__ lists what this module adds.
__all__ = [
    "ProcessContext",
    "ProcessExitedException",
    "ProcessRaisedException",
    "get_all_sharing_strategies",
    "get_sharing_strategy",
    "init_reductions",
    "set_sharing_strategy",
    "spawn",
    "start_processes",
]

init_reductions()
