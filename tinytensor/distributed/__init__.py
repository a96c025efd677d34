"""``torch.distributed`` for tinytensor, on MPI (through ``mpi4py``; install the ``mpi`` extra).

Start the ranks with ``mpiexec -n N python script.py`` or ``python -m tinytensor.distributed.run
--nproc-per-node N script.py`` (torchrun's interface), then call
``init_process_group(backend="gloo")`` (or ``"mpi"``: the same MPI transport serves both;
``"nccl"`` is refused, tinytensor computes on the CPU). Collectives take and fill tinytensor
tensors in place, check that every rank made the same call on the same shapes, and honour the
group's timeout; a rank that raises makes the others stop with an error naming it.
"""

from tinytensor.distributed.collectives import (
    ReduceOp,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from tinytensor.distributed.object_collectives import all_gather_object, broadcast_object_list
from tinytensor.distributed.point_to_point import irecv, isend, recv, send
from tinytensor.distributed.process_group import (
    Backend,
    DistBackendError,
    DistError,
    GroupMember,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)
from tinytensor.distributed.wire import Work

__all__ = [
    "Backend", "DistBackendError", "DistError", "GroupMember", "ProcessGroup", "ReduceOp",
    "Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce",
    "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather",
    "get_backend", "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank",
    "get_world_size", "init_process_group", "irecv", "is_available", "is_gloo_available",
    "is_initialized", "is_mpi_available", "is_nccl_available", "is_torchelastic_launched",
    "isend", "new_group", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor",
    "scatter", "send",
]  # fmt: skip
