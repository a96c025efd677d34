"""Flags of ``tinytensor train``: parsing, checking (errors name the flag) and the run's config."""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

from tinytensor.cli import arch as archlib
from tinytensor.cli import data as datalib
from tinytensor.cli.recipe import DEFAULT_LR, LOSSES, SCHEDULES
from tinytensor.cli.rundir import UsageError

DEFAULT_EPOCHS = {"digits": 10, "mnist": 2, "fashion-mnist": 2}
# Settings of a run: given on the first command, read back from the checkpoint on --resume.
SETTINGS = {
    "arch": "cnn",
    "loss": "cross_entropy",
    "optim": "adam",
    "lr": None,
    "batch_size": 64,
    "seed": 0,
    "dataset": "digits",
    "weight_decay": 0.0,
    "schedule": "none",
    "augment": False,
    "val_split": 0.0,
    "patience": None,
}

DESCRIPTION = "Train a network given on the command line and report what it learned."
EPILOG = (
    "presets (--arch NAME):\n"
    + "".join(f"  {name:4s} {text}\n" for name, text in archlib.PRESETS.items())
    + "\n"
    + archlib.LAYER_HELP
    + """
examples:
  tinytensor train                                   # cnn on the bundled 8x8 digits
  tinytensor train --dataset fashion-mnist --epochs 2
  tinytensor train --arch "conv(8,3,padding=1) relu maxpool(2) flatten linear(10)" --optim sgd
  tinytensor train --arch "flatten linear(64) tanh dropout(0.2) linear(10)" --loss hinge
  tinytensor train --schedule onecycle --augment --val-split 0.1 --patience 3
  tinytensor train --resume runs/20261130-124500 --epochs 20   # continue a run

--dataset auto uses MNIST if found (in --data, else $TINYTENSOR_DATA or ~/.cache/tinytensor),
else Fashion-MNIST (also looked for in /usr/share/datasets/fashion-mnist), else the digits.
The run folder (--out) is made at the start and gets, after every epoch, checkpoint.npz
(tt.save: model, optimizer, schedule, generators) and metrics.json; at the end curves.png,
filters.png, features.png, confusion.png and mistakes.png. Ctrl-C stops at once and keeps
the last complete epoch; `tinytensor train --resume RUN` continues it with the same numbers an
uninterrupted run would give.
"""
)


def _number(kind, low=None, high=None, low_open=False, high_open=True, what=""):
    """An argparse type: a finite number in range; argparse names the flag in the error."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number{what}, got {text}")
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"must be {what.strip(', ')}, got {text}")
        return value

    return parse


POSITIVE_INT = _number(int, 1, what=", an integer >= 1")
POSITIVE = _number(float, 0.0, low_open=True, what=", > 0")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train",
        help="train a network on MNIST, Fashion-MNIST or the bundled digits",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--arch", help="a preset (mlp, cnn) or layers (default: cnn)")
    p.add_argument("--loss", choices=LOSSES, help="default: cross_entropy")
    p.add_argument("--optim", choices=tuple(DEFAULT_LR), help="default: adam")
    p.add_argument(
        "--lr",
        type=POSITIVE,
        help="learning rate, finite and > 0 (default: 0.003 adam, 0.001 rmsprop, 0.05 sgd "
        "with momentum 0.9)",
    )
    p.add_argument(
        "--epochs",
        type=POSITIVE_INT,
        help="default: 10 on digits, 2 on (Fashion-)MNIST; with --resume, the total to reach",
    )
    p.add_argument("--batch-size", type=POSITIVE_INT, help="default: 64")
    p.add_argument(
        "--seed",
        type=_number(int, 0, 2**32, what=", an integer from 0 to 4294967295"),
        help="seeds the weights, the shuffling, dropout and --augment (default: 0)",
    )
    p.add_argument(
        "--dataset",
        choices=datalib.CHOICES,
        help="default: digits (bundled, no download); auto picks MNIST > Fashion-MNIST > digits",
    )
    p.add_argument("--data", metavar="DIR", help="folder holding the IDX files")
    p.add_argument(
        "--download",
        action="store_true",
        help="fetch missing (Fashion-)MNIST files, SHA-256 checked",
    )
    p.add_argument("--out", metavar="DIR", help="a new or empty folder (default: runs/<date-time>)")
    p.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run in folder RUN from its last complete epoch (with its settings)",
    )
    p.add_argument(
        "--weight-decay",
        type=_number(float, 0.0, what=", a finite number >= 0"),
        help="L2 penalty added by the optimizer (default: 0)",
    )
    p.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule (default: none)")
    p.add_argument(
        "--augment",
        action="store_true",
        default=None,
        help="train on randomly shifted (up to 8%% of a side) and rotated (up to 10 degrees) "
        "images",
    )
    p.add_argument(
        "--val-split",
        type=_number(float, 0.0, 1.0, what=", a fraction from 0 to below 1"),
        help="hold out this fraction of the training images for validation (default: 0)",
    )
    p.add_argument(
        "--patience",
        type=POSITIVE_INT,
        help="stop when the validation loss has not improved for this many epochs and keep "
        "the best weights (needs --val-split)",
    )
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bars or periodic progress lines"
    )
    p.add_argument(
        "--nproc",
        type=POSITIVE_INT,
        help="train data-parallel on this many processes (DistributedDataParallel over MPI; "
        "needs the mpi extra); each takes a slice of every batch, so the run equals one "
        "process on the same batches (default: 1)",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="trace the model's training step once and replay its kernels (tt.compile): the "
        "same numbers as eager, bitwise; layers that cannot be traced run eagerly",
    )
    p.add_argument(
        "--threads",
        type=POSITIVE_INT,
        help="BLAS threads (default: 1, which is fastest for these small matrices and never "
        "fights other processes for cores; $OMP_NUM_THREADS etc. are respected if set)",
    )
    return p


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def settings_from_args(args) -> dict:
    """The settings of a new run, defaults filled in and cross-checked."""
    config = {k: (getattr(args, k) if getattr(args, k) is not None else v)
              for k, v in SETTINGS.items()}  # fmt: skip
    if config["patience"] is not None and not config["val_split"]:
        raise UsageError(
            "--patience stops on the validation loss, so it needs a validation set: add "
            "--val-split 0.1 (or another fraction)"
        )
    config["arch_given"] = config["arch"]
    config["arch"] = archlib.expand_preset(config["arch"])
    if config["lr"] is None:
        config["lr"] = DEFAULT_LR[config["optim"]]
    return config


def check_resume_args(args) -> None:
    """With ``--resume`` only the length and the machinery may change, not the recipe."""
    given = [_flag(k) for k in SETTINGS if getattr(args, k) is not None]
    if args.out is not None:
        given.insert(0, "--out")
    if given:
        raise UsageError(
            f"--resume continues a run with its saved settings, so {', '.join(given)} cannot "
            "be given with it; only --epochs, --data, --download, --threads, --compile and "
            "--no-progress can. To change the recipe, start a new run with --out NEW_FOLDER"
        )


def default_out() -> Path:
    base = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def check_data_flag(data) -> None:
    if data is not None and not Path(data).expanduser().is_dir():
        what = "is a file, not a folder" if os.path.exists(data) else "does not exist"
        raise UsageError(
            f"--data {data} {what}; give the folder that holds the IDX files, or leave --data "
            "out to use $TINYTENSOR_DATA or ~/.cache/tinytensor"
        )
