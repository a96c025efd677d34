"""``python -m tinytensor.distributed.run`` (and ``tinytensor-run``): torchrun's interface,
starting the ranks through the MPI launcher (``mpiexec``).

``tinytensor-run --nproc-per-node 2 train.py --lr 0.1`` runs ``mpiexec -n 2`` on this machine;
``--nnodes M --hostfile hosts`` spreads ``M * N`` ranks over the machines the host file lists.
Each rank gets torchrun's variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), so ``init_process_group(
init_method="env://")`` works. When the job fails the launcher names each rank that raised
(with its error) or died without exiting (killed); Ctrl-C ends every rank.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

_MISSING = (
    "tinytensor-run: mpiexec not found; install the mpi extra with "
    '`pip install -e ".[mpi]"` (mpi4py and the mpich wheel, which provides mpiexec)'
)


def parse_args(argv=None):
    """torchrun's options that mean something here; the script and its arguments follow."""
    p = argparse.ArgumentParser(
        prog="tinytensor-run",
        allow_abbrev=False,  # the script's own options (--nproc...) are not ours
        description="Start a data-parallel tinytensor program on N processes through mpiexec.",
    )
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                   help="processes (ranks) per machine")  # fmt: skip
    p.add_argument("--nnodes", type=int, default=1, help="machines (needs --hostfile if > 1)")
    p.add_argument("--hostfile", default=None, help="an MPI host file listing the machines")
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true", help="accepted: one machine")
    p.add_argument("--max-restarts", "--max_restarts", type=int, default=0)
    p.add_argument("--mpiexec", default=None, help="the MPI launcher (default: found on PATH)")
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the target as a program, not a Python script")  # fmt: skip
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.nproc_per_node < 1 or args.nnodes < 1:
        p.error("--nproc-per-node and --nnodes must be >= 1")
    if args.nnodes > 1 and not args.hostfile:
        p.error("--nnodes > 1 needs --hostfile listing the machines (MPI starts the ranks there)")
    if args.max_restarts:
        p.error("--max-restarts: restarting failed ranks (torchelastic) is not supported; "
                "rerun the job")  # fmt: skip
    return args


def mpiexec_command(args, run_dir):
    """The ``mpiexec`` command line that starts every rank."""
    mpiexec = args.mpiexec or shutil.which("mpiexec") or shutil.which(
        "mpiexec", path=os.path.dirname(sys.executable))  # fmt: skip
    if mpiexec is None:
        raise SystemExit(_MISSING)
    n = args.nproc_per_node * args.nnodes
    cmd = [mpiexec, "-n", str(n)]
    if args.hostfile:
        cmd += ["-f", args.hostfile, "-ppn", str(args.nproc_per_node)]
    if args.no_python:
        return cmd + [args.training_script, *args.training_script_args]
    target = ["-m", args.training_script] if args.module else [args.training_script]
    return cmd + [sys.executable, "-m", "tinytensor.distributed.bootstrap", *target,
                  *args.training_script_args]  # fmt: skip


def _read(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return None


def diagnose(run_dir, n, bad_pids=()) -> list[str]:
    """One line for each rank that failed: raised (with the error), was killed (the pid
    mpiexec reports first), or was stopped by mpiexec after another rank died."""
    lines = []
    first_bad = bad_pids[0] if bad_pids else None
    for r in range(n):
        pid = _read(os.path.join(run_dir, f"rank{r}.pid"))
        ended = _read(os.path.join(run_dir, f"rank{r}.exit"))
        if pid is None:
            lines.append(f"rank {r} did not start")
        elif ended is None and pid == first_bad:
            lines.insert(0, f"rank {r} (pid {pid}) was killed (mpiexec reports its bad "
                            "termination); the other ranks were stopped")  # fmt: skip
        elif ended is None:
            lines.append(f"rank {r} (pid {pid}) died without exiting (killed, or stopped by "
                         "mpiexec after another rank died)")  # fmt: skip
        elif ended.split(" ", 1)[0] != "0":
            code, _, error = ended.partition(" ")
            lines.append(f"rank {r} (pid {pid}) exited with code {code}"
                         + (f": {error}" if error else ""))  # fmt: skip
    return lines


def run(args) -> int:
    """Start the job, wait for it, report failed ranks; the job's exit code."""
    n = args.nproc_per_node * args.nnodes
    with tempfile.TemporaryDirectory(prefix="tinytensor-run-") as run_dir:
        env = dict(os.environ, MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port),
                   TORCHELASTIC_RUN_ID=uuid.uuid4().hex, TINYTENSOR_RUN_DIR=run_dir)  # fmt: skip
        proc = subprocess.Popen(mpiexec_command(args, run_dir), env=env, start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        bad_pids: list[str] = []
        relays = [threading.Thread(target=_relay, args=(src, dst, bad_pids), daemon=True)
                  for src, dst in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr))]
        for t in relays:
            t.start()
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            _stop(proc)
            print("tinytensor-run: interrupted; every rank was stopped", file=sys.stderr)
            return 130
        for t in relays:
            t.join(5)
        if code != 0:
            for line in diagnose(run_dir, n, bad_pids) or [f"mpiexec exited with code {code}"]:
                print(f"tinytensor-run: {line}", file=sys.stderr)
        return code


_BAD = re.compile(r"PID (\d+) RUNNING AT")


def _relay(src, dst, bad_pids):
    """Copy the job's output through, noting the pids mpiexec reports as badly terminated."""
    for raw in iter(src.readline, b""):
        line = raw.decode(errors="replace")
        found = _BAD.search(line)
        if found:
            bad_pids.append(found.group(1))
        dst.write(line)
        dst.flush()


def _stop(proc):
    """SIGINT to the whole job (mpiexec passes it to the ranks), then SIGTERM, then SIGKILL."""
    for sig, grace in ((signal.SIGINT, 5.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            try:  # ranks mpiexec left behind
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return


def main(argv=None) -> int:
    """The console entry point: parse torchrun's options and run the job."""
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
