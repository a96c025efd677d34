"""``tinytensor export RUN --onnx model.onnx``: write a trained run's model as ONNX."""

from __future__ import annotations

import os

import numpy as np

import tinytensor as tt
from tinytensor.cli import train
from tinytensor.cli.rundir import UsageError, open_run_dir
from tinytensor.onnx import DEFAULT_OPSET
from tinytensor.onnx import export as onnx_export


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a saved run's model as an ONNX file (needs the onnx extra: "
        "pip install -e \".[onnx]\" in the repository)",
        description="Reload a run of tinytensor train and export its model to ONNX, with a "
        "dynamic batch dimension. The graph takes images standardised as in training "
        "(the run's meta.normalize: mean and std).",
    )
    p.add_argument("run", metavar="RUN", help="a run folder written by tinytensor train")
    p.add_argument("--onnx", metavar="FILE", required=True, help="the .onnx file to write")
    p.add_argument(
        "--opset",
        type=int,
        default=DEFAULT_OPSET,
        help=f"ONNX opset version (default: {DEFAULT_OPSET})",
    )
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    if not args.onnx.endswith(".onnx"):
        raise UsageError(f"--onnx {args.onnx}: give a file name ending in .onnx")
    folder = os.path.dirname(os.path.abspath(args.onnx))
    if not os.path.isdir(folder):
        raise UsageError(f"--onnx {args.onnx}: folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--onnx {args.onnx}: folder {folder} is not writable")
    if os.path.isdir(args.onnx):
        raise UsageError(f"--onnx {args.onnx}: is a folder; give a file name ending in .onnx")
    run = open_run_dir(args.run, "RUN")
    model, meta = train.load_model(run.path)
    shape = tuple(int(s) for s in meta["input_shape"])
    example = tt.zeros((1, *shape), dtype=tt.float32)
    onnx_export(
        model,
        (example,),
        args.onnx,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=args.opset,
    )
    norm = meta.get("normalize") or {"mean": 0.0, "std": 1.0}
    mean, std = (float(np.asarray(norm[k]).reshape(-1)[0]) for k in ("mean", "std"))
    print(
        f"wrote {args.onnx}: input 'input' (batch, {', '.join(map(str, shape))}) float32, "
        f"standardised as (x - {mean:.4g}) / {std:.4g}; output 'logits' (batch, classes)"
    )
    return 0
