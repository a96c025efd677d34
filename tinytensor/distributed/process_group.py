"""The process group: MPI underneath (``mpi4py``), PyTorch's ``torch.distributed`` state on top.

``init_process_group`` attaches to ``MPI.COMM_WORLD`` (ranks started by ``mpiexec`` or by the
``tinytensor.distributed.run`` launcher); backend ``"mpi"`` is MPI itself and ``"gloo"`` is
served by the same MPI transport (so a PyTorch CPU program runs unchanged); ``"nccl"`` is
refused (it is NVIDIA's GPU library). Every wait polls a non-blocking MPI request against the
group's timeout and against failure notices: a rank that raises tells the others before it
exits, so they stop with an error naming it instead of waiting forever.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import traceback
from datetime import timedelta

import numpy as np

_DEFAULT_TIMEOUT = timedelta(minutes=30)
_CONTROL_TAG = 7001  # failure notices, on the control communicator
_MPI_MISSING = (
    "tinytensor.distributed needs mpi4py and an MPI library: install the mpi extra with "
    '`pip install -e ".[mpi]"` from the tinytensor checkout (mpi4py and the mpich wheel)'
)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(_MPI_MISSING) from exc
    return MPI


class Backend(str):
    """A backend name (``Backend.MPI == "mpi"``); ``"gloo"`` runs on the MPI transport here."""

    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UNDEFINED = "undefined"

    def __new__(cls, name: str):
        return str.__new__(cls, name.lower())


class DistError(RuntimeError):
    """A collective failed: a timeout, another rank's failure, or mismatched arguments."""


class DistBackendError(DistError):
    """The transport failed (PyTorch's ``torch.distributed.DistBackendError``)."""


class ProcessGroup:
    """A set of ranks sharing a communicator. ``ranks`` are global ranks in group-rank order."""

    def __init__(self, comm, ranks, timeout, backend="mpi"):
        self.comm = comm
        self.ranks = list(ranks)
        self.timeout = timeout
        self.backend = backend

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return len(self.ranks)

    def group_rank(self, global_rank: int, what: str) -> int:
        """The rank inside this group of ``global_rank``; an error naming ``what`` if absent."""
        try:
            return self.ranks.index(int(global_rank))
        except ValueError:
            raise ValueError(
                f"{what}: rank {global_rank} is not in this group (its global ranks are "
                f"{self.ranks})"
            ) from None

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks})"


class _NonMember:
    """What ``new_group`` returns on a rank outside the new group."""

    def __repr__(self):
        return "GroupMember.NON_GROUP_MEMBER"


class GroupMember:
    """PyTorch's markers: ``WORLD`` (the default group) and ``NON_GROUP_MEMBER``."""

    WORLD = None
    NON_GROUP_MEMBER = _NonMember()


class _State:
    world: ProcessGroup | None = None
    control = None  # a duplicate of COMM_WORLD carrying failure notices
    failure: str | None = None
    old_excepthook = None


_state = _State()


def is_available() -> bool:
    """Whether ``tinytensor.distributed`` can run here (mpi4py and an MPI library import)."""
    try:
        _mpi()
    except RuntimeError:
        return False
    return True


def is_initialized() -> bool:
    """Whether ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return _state.world is not None


def is_mpi_available() -> bool:
    """Whether the MPI backend is available (mpi4py imports)."""
    return is_available()


def is_gloo_available() -> bool:
    """Whether ``backend="gloo"`` works: it is served by the MPI transport."""
    return is_available()


def is_nccl_available() -> bool:
    """Always False: NCCL is NVIDIA's GPU library and tinytensor computes on the CPU."""
    return False


def is_torchelastic_launched() -> bool:
    """Whether this process was started by a torchrun-style launcher (``TORCHELASTIC_RUN_ID``
    set, as ``tinytensor.distributed.run`` sets it)."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _as_timedelta(timeout, what):
    if timeout is None:
        return _DEFAULT_TIMEOUT
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        timeout = timedelta(seconds=timeout)
    if not isinstance(timeout, timedelta) or timeout.total_seconds() <= 0:
        raise TypeError(f"{what}: timeout must be a positive datetime.timedelta, got {timeout!r}")
    return timeout


def _check_backend(backend, what):
    name = "mpi" if backend is None else str(backend).lower()
    names = {n.split(":")[-1] for n in name.split(",")}  # "cpu:gloo,cuda:nccl" -> gloo, nccl
    if names == {"nccl"}:
        raise RuntimeError(
            f"{what}: backend 'nccl' is NVIDIA's GPU collective library and tinytensor computes "
            "on the CPU only; use backend='gloo' or 'mpi' (both run on MPI here)"
        )
    names.discard("nccl")  # a per-device list ("cpu:gloo,cuda:nccl"): the CPU part serves
    if not names <= {"mpi", "gloo"}:
        raise ValueError(f"{what}: unknown backend {backend!r}; use 'mpi' or 'gloo'")
    return "gloo" if "gloo" in names else "mpi"


def _env_int(name):
    value = os.environ.get(name)
    return None if value in (None, "") else int(value)


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
):
    """Join the default process group: every rank of ``MPI.COMM_WORLD``.

    ``backend``: ``"mpi"`` or ``"gloo"`` (the same MPI transport); ``"nccl"`` is refused.
    ``init_method``: None or ``"env://"`` reads torchrun's ``RANK``/``WORLD_SIZE`` when set and
    checks them against MPI's; ``"mpi://"`` trusts MPI alone; other methods (``tcp://``,
    ``file://``) are refused, since MPI already connected the ranks. ``world_size``/``rank``,
    when given, must also agree with MPI. ``timeout`` (a ``timedelta``, default 30 minutes)
    bounds every collective and point-to-point wait.
    """
    what = "init_process_group"
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    name = _check_backend(backend, what)
    if store is not None:
        raise ValueError(f"{what}: store= is not supported: MPI connects the ranks itself")
    if init_method not in (None, "env://", "mpi://"):
        raise ValueError(
            f"{what}: init_method {init_method!r} is not supported: the ranks are connected by "
            "MPI (start them with mpiexec or `python -m tinytensor.distributed.run`); use "
            "init_method='env://' or leave it out"
        )
    timeout = _as_timedelta(timeout, what)
    MPI = _mpi()
    world = MPI.COMM_WORLD
    mpi_rank, mpi_size = world.Get_rank(), world.Get_size()
    env_rank, env_size = (None, None) if init_method == "mpi://" else (
        _env_int("RANK"), _env_int("WORLD_SIZE"))  # fmt: skip
    for label, given, actual in (
        ("rank", rank if rank != -1 else env_rank, mpi_rank),
        ("world_size", world_size if world_size != -1 else env_size, mpi_size),
    ):
        if given is not None and int(given) != actual:
            raise ValueError(
                f"{what}: {label}={given} but MPI started this process as {label} {actual}: "
                "start every rank with `mpiexec -n N` or `python -m tinytensor.distributed.run "
                "--nproc-per-node N`, which set RANK and WORLD_SIZE to match"
            )
    comm = world.Dup()
    _state.control = world.Dup()
    _state.failure = None
    _state.world = ProcessGroup(comm, range(mpi_size), timeout, name)
    GroupMember.WORLD = _state.world
    _install_excepthook()


def destroy_process_group(group=None):
    """Leave ``group`` (default: every group, undoing ``init_process_group``)."""
    if group is None or group is _state.world:
        if _state.world is None:
            raise ValueError("destroy_process_group: the default process group is not initialized")
        _state.world.comm.Free()
        _state.control.Free()
        _state.world = _state.control = None
        GroupMember.WORLD = None
        if _state.old_excepthook is not None:
            sys.excepthook = _state.old_excepthook
            _state.old_excepthook = None
        return
    if isinstance(group, ProcessGroup) and group.comm is not None:
        group.comm.Free()
        group.comm = None


def default_group(what: str) -> ProcessGroup:
    if _state.world is None:
        raise ValueError(
            f"{what}: Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return _state.world


def resolve(group, what):
    """The ProcessGroup ``group`` names (None: the default); None on a non-member."""
    world = default_group(what)
    if group is None:
        return world
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"{what}: group must be a ProcessGroup from new_group, got {group!r}")
    if group.comm is None:
        raise ValueError(f"{what}: the group was destroyed")
    return group


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the world); -1 outside the group."""
    g = resolve(group, "get_rank")
    return -1 if g is None else g.rank()


def get_world_size(group=None) -> int:
    """How many ranks ``group`` has (default: the world); -1 outside the group."""
    g = resolve(group, "get_world_size")
    return -1 if g is None else g.size()


def get_backend(group=None) -> str:
    """The group's backend name as given: ``"mpi"`` or ``"gloo"``."""
    g = resolve(group, "get_backend")
    if g is None:
        raise ValueError("get_backend: this rank is not in the group")
    return g.backend


def get_process_group_ranks(group) -> list:
    """The global ranks of ``group``, in group-rank order."""
    g = resolve(group, "get_process_group_ranks")
    if g is None:
        raise ValueError("get_process_group_ranks: this rank is not in the group")
    return list(g.ranks)


def get_global_rank(group, group_rank: int) -> int:
    """The global rank of ``group_rank`` in ``group``."""
    g = resolve(group, "get_global_rank")
    return g.ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """The rank inside ``group`` of ``global_rank``."""
    g = resolve(group, "get_group_rank")
    return g.group_rank(global_rank, "get_group_rank")


def new_group(
    ranks=None,
    timeout=None,
    backend=None,
    pg_options=None,
    use_local_synchronization=False,
    group_desc=None,
    device_id=None,
):
    """A group of the global ``ranks`` (default: all). Every rank of the world must call it, in
    the same order; a rank outside gets ``GroupMember.NON_GROUP_MEMBER``."""
    world = default_group("new_group")
    ranks = list(range(world.size())) if ranks is None else sorted(int(r) for r in ranks)
    bad = [r for r in ranks if not 0 <= r < world.size()]
    if bad or len(set(ranks)) != len(ranks):
        raise ValueError(
            f"new_group: ranks must be distinct ranks of the world [0, {world.size()}), got "
            f"{ranks}"
        )
    name = world.backend if backend is None else _check_backend(backend, "new_group")
    timeout = world.timeout if timeout is None else _as_timedelta(timeout, "new_group")
    MPI = _mpi()
    me = world.rank()
    color = 0 if me in ranks else MPI.UNDEFINED
    comm = world.comm.Split(color, ranks.index(me) if me in ranks else 0)
    if me not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(comm, ranks, timeout, name)


# --- waiting with a timeout, and failure notices ----------------------------------------------


def _check_failures():
    if _state.failure is not None:
        raise DistError(_state.failure)
    control = _state.control
    if control is None:
        return
    MPI = _mpi()
    status = MPI.Status()
    while control.Iprobe(MPI.ANY_SOURCE, _CONTROL_TAG, status):
        buf = bytearray(status.Get_count(MPI.BYTE))
        control.Recv([buf, MPI.BYTE], status.Get_source(), _CONTROL_TAG)
        _state.failure = pickle.loads(bytes(buf))
        raise DistError(_state.failure)


def wait_request(req, group: ProcessGroup, what: str, timeout=None) -> None:
    """Wait for the MPI request ``req``: raise if another rank reports a failure or when the
    timeout (default: the group's) passes first."""
    limit = (group.timeout if timeout is None else _as_timedelta(timeout, what)).total_seconds()
    deadline = time.monotonic() + limit
    pause = 0.0
    while not req.Test():
        _check_failures()
        if time.monotonic() > deadline:
            try:
                req.Cancel()
            except Exception:  # noqa: BLE001 - collectives cannot be cancelled; we give up anyway
                pass
            raise DistError(
                f"{what}: timed out after {limit:g} s on rank {_world_rank()} waiting for the "
                f"other ranks of {group.ranks} (a rank may have stopped, or not reached the "
                "same call)"
            )
        time.sleep(pause)
        pause = min(0.001, pause + 0.00005)


def _world_rank():
    return _state.world.rank() if _state.world is not None else -1


def report_failure(message: str) -> None:
    """Tell every other rank that this one failed (``message`` names it), best effort."""
    control = _state.control
    if control is None:
        return
    data = pickle.dumps(message)
    MPI = _mpi()
    reqs = [control.Isend([data, MPI.BYTE], r, _CONTROL_TAG)
            for r in range(control.Get_size()) if r != control.Get_rank()]  # fmt: skip
    deadline = time.monotonic() + 2.0
    while reqs and time.monotonic() < deadline:
        reqs = [r for r in reqs if not r.Test()]
        time.sleep(0.001)


def _install_excepthook():
    if _state.old_excepthook is not None:
        return
    _state.old_excepthook = old = sys.excepthook

    def hook(exc_type, exc, tb):
        if _state.world is not None and not issubclass(exc_type, DistError):
            text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
            report_failure(f"rank {_world_rank()} failed: {text}")
        old(exc_type, exc, tb)
        sys.stderr.flush()
        os._exit(1)  # MPI_Finalize would wait for the ranks still in a collective

    sys.excepthook = hook


def as_array(t, what):
    """The NumPy array of tensor ``t`` (an error naming ``what`` for other types)."""
    data = getattr(t, "_data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{what}: expected a Tensor, got {type(t).__name__}")
    return data
