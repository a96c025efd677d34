"""What each rank runs under the launcher: set torchrun's environment from MPI's, note this
process in the run directory, then run the user's script or module as ``__main__`` in this
very process (so it is the MPI process)."""

from __future__ import annotations

import os
import runpy
import sys


def _first(*names, default=None):
    for n in names:
        value = os.environ.get(n)
        if value not in (None, ""):
            return value
    return default


def torchrun_env() -> dict:
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE from the MPI launcher's variables
    (MPICH/Hydra's PMI_*, MPI_LOCAL*; Open MPI's OMPI_COMM_WORLD_*)."""
    rank = _first("PMI_RANK", "OMPI_COMM_WORLD_RANK", default="0")
    size = _first("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", default="1")
    local = _first("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", default=rank)
    local_size = _first("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", default=size)
    return {"RANK": rank, "WORLD_SIZE": size, "LOCAL_RANK": local, "LOCAL_WORLD_SIZE": local_size,
            "GROUP_RANK": os.environ.get("GROUP_RANK", "0")}  # fmt: skip


def _note(name, text):
    run_dir = os.environ.get("TINYTENSOR_RUN_DIR")
    if run_dir:
        with open(os.path.join(run_dir, name), "w", encoding="utf-8") as fh:
            fh.write(text)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    env = torchrun_env()
    os.environ.update(env)
    rank = env["RANK"]
    _note(f"rank{rank}.pid", str(os.getpid()))
    as_module = argv[0] == "-m"
    target, args = (argv[1], argv[2:]) if as_module else (argv[0], argv[1:])
    sys.argv = [target, *args]
    code = 0
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        _note(f"rank{rank}.exit", str(code))
        raise
    except BaseException as exc:
        _note(f"rank{rank}.exit", f"1 {type(exc).__name__}: {exc}")
        raise
    _note(f"rank{rank}.exit", str(code))


if __name__ == "__main__":
    main()
