"""``tinytensor train --nproc N``: the same training, data-parallel on N processes.

The command starts itself again under the launcher (``python -m tinytensor.distributed.run
--nproc-per-node N -m tinytensor train ...``); each rank builds the same model, wraps it in
``DistributedDataParallel``, draws the same shuffled global batches (one generator, one seed)
and trains on its own slice of each. Each rank's loss is scaled by its share of the global
batch, so the averaged gradient is the gradient of the global batch's mean loss: the run
equals one process on the global batch, up to the order of floating-point sums (layers that
draw random numbers per sample, such as dropout, or use batch statistics, such as BatchNorm,
see only their rank's slice). Rank 0 prints and writes the run folder.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np

import tinytensor as tt

RANK_ENV = "TINYTENSOR_TRAIN_NPROC"  # set in the ranks: do not launch again


def launch(args) -> int | None:
    """Start the ranks if ``--nproc`` > 1 and this is not one of them; None otherwise."""
    if (args.nproc or 1) <= 1 or os.environ.get(RANK_ENV):
        return None
    # (the launcher module only when asked for: it spawns mpiexec)
    from tinytensor.distributed import run as launcher

    argv = list(args.argv)
    if args.out is None and args.resume is None:  # every rank must agree on the folder
        from tinytensor.cli import options  # (for the default folder name only)

        argv += ["--out", os.fspath(options.default_out())]
    os.environ[RANK_ENV] = str(args.nproc)
    try:
        launch_args = launcher.parse_args(
            ["--nproc-per-node", str(args.nproc), "-m", "tinytensor", *argv])  # fmt: skip
        return launcher.run(launch_args)
    finally:
        del os.environ[RANK_ENV]


class OneProcess:
    """Training in this process alone: every hook passes values through unchanged."""

    rank, world = 0, 1

    def wrap(self, model):
        return model

    def part(self, xb, yb):
        """This process's rows of the batch, and the batch's size."""
        return xb, yb, len(yb)

    def loss(self, loss_fn, out, yb, batch):
        return loss_fn(out, yb)

    def totals(self, loss, out, yb):
        """The batch's mean loss, size and correct count."""
        return float(loss.item()), len(yb), _correct(out, yb)

    def run_dir(self, make, run_dir):
        """The folder this process writes: ``run_dir`` itself."""
        return run_dir

    def close(self):
        pass


class DataParallelRanks(OneProcess):
    """One rank of ``--nproc N``: its slice of each global batch, DDP for the gradients."""

    def __init__(self):
        # (distributed only in the ranks: it needs the mpi extra)
        import tinytensor.distributed as dist

        self.dist = dist
        dist.init_process_group("gloo", init_method="env://")
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self._tmp = None
        if self.rank != 0:  # one voice: rank 0 prints
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - until the process ends

    def wrap(self, model):
        # (nn.parallel only in the ranks)
        from tinytensor.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def part(self, xb, yb):
        n = len(yb)
        start, end = n * self.rank // self.world, n * (self.rank + 1) // self.world
        return xb[start:end], yb[start:end], n

    def loss(self, loss_fn, out, yb, batch):
        if len(yb) == 0:  # a last batch smaller than the ranks: take part with no gradient
            return out.sum() * 0.0
        # the mean over this slice, weighted by its share: DDP's average is the global mean
        return loss_fn(out, yb) * (len(yb) * self.world / batch)

    def totals(self, loss, out, yb):
        """The global batch's mean loss, size and correct count from this rank's share
        (``loss`` is this rank's weighted loss: their average is the global mean)."""
        t = tt.tensor(np.array([loss.item(), len(yb), _correct(out, yb)], np.float64))
        self.dist.all_reduce(t)
        total, count, right = t.tolist()
        return total / self.world, int(count), int(right)

    def run_dir(self, make, run_dir):
        """Rank 0 writes ``run_dir``; the other ranks write a scratch folder they delete."""
        if self.rank == 0:
            return run_dir
        self._tmp = tempfile.TemporaryDirectory(prefix="tinytensor-rank-")
        return make(os.path.join(self._tmp.name, "run"))

    def close(self):
        self.dist.destroy_process_group()
        if self._tmp is not None:
            self._tmp.cleanup()


def _correct(out, yb) -> int:
    return int((out.detach().numpy().argmax(axis=1) == yb.numpy()).sum())


def for_this_process():
    """:class:`DataParallelRanks` inside a ``--nproc`` job, else :class:`OneProcess`."""
    return DataParallelRanks() if os.environ.get(RANK_ENV) else OneProcess()
