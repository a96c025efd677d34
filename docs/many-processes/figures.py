"""Draw the two pictures of the "Many processes" page (run by hand from the checkout):

    python docs/many-processes/figures.py

1. ``loss.png``: the per-step training loss of ``tinytensor train --arch mlp --epochs 3`` in one
   process and with ``--nproc 2`` (the curves coincide: same global batches).
2. ``overlap.png``: one DDP backward on 2 ranks (rank 0's view): when backward ran and when
   each gradient bucket's all-reduce was posted and found complete.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def loss_curves(tmp):
    runs = {}
    for label, extra in (("1 process", []), ("2 processes (--nproc 2)", ["--nproc", "2"])):
        out = Path(tmp) / label.split()[0]
        subprocess.run([sys.executable, "-m", "tinytensor", "train", "--arch", "mlp", "--epochs",
                        "3", "--no-progress", "--out", str(out), *extra], check=True,
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))  # fmt: skip
        runs[label] = json.loads((out / "metrics.json").read_text())["step_losses"]
    return runs


def overlap_events(tmp):
    path = Path(tmp) / "events.json"
    subprocess.run(["mpiexec", "-n", "2", sys.executable, str(HERE / "figures.py"), "--rank",
                    str(path)], check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))  # fmt: skip
    return json.loads(path.read_text())


def rank_main(path):
    """In each rank: a CNN under DDP, one timed backward after a warm-up."""
    import tinytensor as tt
    import tinytensor.distributed as dist
    import tinytensor.nn.parallel.distributed as D
    from tinytensor import nn

    dist.init_process_group("gloo")
    tt.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 256), nn.ReLU(),
                          nn.Linear(256, 10))  # fmt: skip
    ddp = D.DistributedDataParallel(model, bucket_cap_mb=0.1)
    x, y = tt.randn(64, 1, 28, 28), tt.randint(0, 10, (64,))
    events, t0 = [], [0.0]
    real = D.dist.all_reduce

    def traced(t, *a, **k):
        work = real(t, *a, **k)
        start = time.perf_counter() - t0[0]
        wait, completed, seen = work.wait, work.is_completed, []

        def note():
            if not seen:  # the first moment this rank saw the reduction complete
                seen.append(1)
                events.append(("all_reduce", start, time.perf_counter() - t0[0], t.numel()))

        def timed_completed():
            done = completed()
            if done:
                note()
            return done

        def timed_wait(*wa, **wk):
            done = wait(*wa, **wk)
            note()
            return done

        work.wait, work.is_completed = timed_wait, timed_completed
        return work

    D.dist.all_reduce = traced
    for _ in range(3):  # the last one is drawn (the first warm up)
        events.clear()
        loss = nn.functional.cross_entropy(ddp(x), y)
        t0[0] = time.perf_counter()
        loss.backward()
        events.append(("backward", 0.0, time.perf_counter() - t0[0], 0))
    if dist.get_rank() == 0:
        Path(path).write_text(json.dumps(events))
    dist.destroy_process_group()


def draw(runs, events):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    for (label, losses), style in zip(runs.items(), ("-", "--")):
        ax.plot(losses, style, label=label, linewidth=1.5)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("tinytensor train --arch mlp: 1 process vs 2 (same global batches)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(HERE / "loss.png", dpi=110)

    fig, ax = plt.subplots(figsize=(7, 2.6))
    back = next(e for e in events if e[0] == "backward")
    ax.barh(1, back[2] * 1e3, left=0, color="tab:blue", label="backward (loss.backward())")
    buckets = [e for e in events if e[0] == "all_reduce"]
    for i, (_, start, end, _n) in enumerate(buckets):
        ax.barh(0, (end - start) * 1e3, left=start * 1e3, color="tab:orange", alpha=0.6,
                edgecolor="k", label="bucket all-reduce (posted -> done)" if i == 0 else None)
    ax.set_yticks([0, 1], ["all-reduce", "backward"])
    ax.set_xlabel("ms since backward started (rank 0)")
    ax.set_title(f"DDP on 2 ranks: {len(buckets)} buckets go out while backward runs")
    ax.legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "overlap.png", dpi=110)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rank":
        rank_main(sys.argv[2])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            draw(loss_curves(tmp), overlap_events(tmp))
        print("wrote", HERE / "loss.png", HERE / "overlap.png")
