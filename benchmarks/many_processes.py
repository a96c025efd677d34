"""Many processes on this machine: Hogwild at 1 and 2 processes, and DDP for W3 and W4 at 1
and 2 ranks (efficiency printed). ``python -m benchmarks.many_processes [--steps 30]``

- Hogwild: the Hogwild example's CNN on 8x8 digits (batch 32, SGD) in 1 or 2 processes updating
  one shared model; samples/s over all processes (each runs ``steps`` steps).
- DDP: W3 (MLP 784-256-10, global batch 128) and W4 (CNN 8/16 channels, global batch 64) on
  random inputs of Fashion-MNIST's shape (the timing does not depend on the values); at 1 rank
  the plain model, at 2 ranks DistributedDataParallel with half the batch on each rank.
  Efficiency = (throughput at 2 ranks) / (2 x throughput at 1 rank).
Every process uses one BLAS thread. The machine's cores are shared with whatever else runs:
read the numbers as this machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# one BLAS thread per process (set before NumPy loads): N processes on N cores, no
# oversubscription (the 1-process rows use one core too; override by setting these yourself)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinytensor as tt  # noqa: E402
import tinytensor.multiprocessing as mp  # noqa: E402
from tinytensor import nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def hogwild_net():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip


def _hogwild_worker(rank, model, steps, start, done):
    tt.manual_seed(rank)
    x, y = tt.randn(steps, 32, 1, 8, 8), tt.randint(0, 10, (steps, 32))
    opt = tt.optim.SGD(model.parameters(), lr=0.01)
    start.wait()
    for i in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
    done.put(rank)


def hogwild(nproc, steps):
    """Samples per second of ``nproc`` processes training one shared model."""
    ctx = mp.get_context("fork")
    model = hogwild_net().share_memory()
    start, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_hogwild_worker, args=(r, model, steps, start, done))
             for r in range(nproc)]  # fmt: skip
    for p in procs:
        p.start()
    time.sleep(0.5)  # let them import and draw their data
    t0 = time.perf_counter()
    start.set()
    for _ in procs:
        done.get(timeout=600)
    seconds = time.perf_counter() - t0
    for p in procs:
        p.join(60)
    return nproc * steps * 32 / seconds


def ddp_model(case):
    if case == "W3":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))  # fmt: skip


def rank_main(case, steps, out):
    """In each rank (under mpiexec): time ``steps`` training steps of ``case``."""
    import tinytensor.distributed as dist
    from tinytensor.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")
    world, rank = dist.get_world_size(), dist.get_rank()
    tt.manual_seed(0)
    model = ddp_model(case)
    net = DistributedDataParallel(model) if world > 1 else model
    batch = (128 if case == "W3" else 64) // world
    x, y = tt.randn(8, batch, 1, 28, 28), tt.randint(0, 10, (8, batch))
    opt = tt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(i):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[i % 8]), y[i % 8]).backward()
        opt.step()

    for i in range(3):
        step(i)
    rates = []
    for _ in range(3):
        dist.barrier()
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        dist.barrier()
        rates.append(steps * batch * world / (time.perf_counter() - t0))
    if rank == 0:
        Path(out).write_text(json.dumps(statistics.median(rates)))
    dist.destroy_process_group()


def ddp(case, nproc, steps):
    out = ROOT / f".ddp-bench-{os.getpid()}.json"
    try:
        subprocess.run(["mpiexec", "-n", str(nproc), sys.executable, str(Path(__file__).resolve()),
                        "--rank", case, str(steps), str(out)], check=True, timeout=900,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))  # fmt: skip
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args(argv)
    print(f"cores: {os.cpu_count()}")
    print("| case | 1 process (samples/s) | 2 processes (samples/s) | speed-up | efficiency |")
    print("|---|---|---|---|---|")
    one, two = hogwild(1, args.steps * 4), hogwild(2, args.steps * 4)
    print(f"| Hogwild, digits CNN, batch 32 | {one:,.0f} | {two:,.0f} | {two / one:.2f}x | "
          f"{two / (2 * one):.0%} |")  # fmt: skip
    for case, what in (("W3", "MLP 784-256-10, batch 128"), ("W4", "CNN 8/16, batch 64")):
        one, two = ddp(case, 1, args.steps), ddp(case, 2, args.steps)
        print(f"| DDP {case}, {what} | {one:,.0f} | {two:,.0f} | {two / one:.2f}x | "
              f"{two / (2 * one):.0%} |")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--rank":
        rank_main(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
