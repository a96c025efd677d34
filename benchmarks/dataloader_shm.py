"""DataLoader(num_workers=2) on large batches: batches pickled by value (before) against
batches handed back through shared memory (after), in one run, interleaved.

``python -m benchmarks.dataloader_shm [--samples 256] [--side 128] [--repeats 5]``

Each pass reads every batch of a TensorDataset of float32 images (3 x side x side) with two
fork workers; "before" sets ``tinytensor.data.worker.SHARE_MIN_BYTES`` out of reach, so every
tensor is pickled by value as it was before shared-memory batches. The row printed is the
median batches/s of each, their ratio, and the batch size in MiB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinytensor as tt  # noqa: E402
from tinytensor.data import DataLoader, TensorDataset  # noqa: E402
from tinytensor.data import worker as W  # noqa: E402


def one_pass(dataset, batch_size, share: bool) -> float:
    """Batches per second of one pass (workers started inside the timing, as each epoch)."""
    W.SHARE_MIN_BYTES = 1 << 16 if share else 1 << 62
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=2, timeout=120)
    start = time.perf_counter()
    n = 0
    for x, _ in loader:
        x.numpy()[0, 0, 0, 0]  # touch the batch
        n += 1
    return n / (time.perf_counter() - start)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--side", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    tt.manual_seed(0)
    x = tt.rand(args.samples, 3, args.side, args.side)
    dataset = TensorDataset(x, tt.arange(args.samples))
    rates = {False: [], True: []}
    one_pass(dataset, args.batch_size, True)  # warm-up
    for _ in range(args.repeats):
        for share in (False, True):
            rates[share].append(one_pass(dataset, args.batch_size, share))
    before, after = statistics.median(rates[False]), statistics.median(rates[True])
    mib = args.batch_size * 3 * args.side * args.side * 4 / 2**20
    print("| case | batch | before: pickled (batches/s) | after: shared memory (batches/s) | "
          "after/before |")  # fmt: skip
    print("|---|---|---|---|---|")
    print(f"| DataLoader, 2 workers, {args.samples} x 3x{args.side}x{args.side} float32 | "
          f"{mib:.1f} MiB | {before:.1f} | {after:.1f} | {after / before:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
