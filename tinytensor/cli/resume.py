"""``tinytensor train --resume RUN``: read the run's checkpoint and refuse it, naming the file,
before any data loads and before anything in the folder changes, when it cannot continue: not
written by ``tinytensor train``, already finished or stopped early, or with a model or
optimizer state that does not fit the network its own settings build (a damaged or hand-edited
file would otherwise start training and fail deep inside an optimizer step)."""

from __future__ import annotations

import os

import tinytensor as tt
from tinytensor.cli import arch as archlib
from tinytensor.cli import recipe
from tinytensor.cli.progress import plural
from tinytensor.cli.rundir import CHECKPOINT, UsageError

FORMAT = "tinytensor-train-checkpoint-v2"


def load_for_resume(run_dir, args) -> dict:
    """The checkpoint of ``run_dir`` as saved by ``Trainer.blob``, checked for ``args``."""
    path = run_dir.file(CHECKPOINT)
    try:
        blob = tt.load(os.fspath(path))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"--resume {args.resume}: cannot read {path}: {e}") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise UsageError(
            f"--resume: {path} was not written by this version of tinytensor train (no "
            "optimizer and generator states to resume from); start a new run with --out"
        )
    config, done = blob["config"], int(blob["epoch"])
    if blob["status"] == "stopped early":
        raise UsageError(
            f"--resume {args.resume}: this run stopped early (the validation loss had "
            f"not improved for {config['patience']} epochs); start a new run instead"
        )
    target = args.epochs if args.epochs is not None else config["epochs"]
    if done >= target:
        raise UsageError(
            f"--resume {args.resume}: the run already finished its {plural(done, 'epoch')}; "
            f"pass --epochs N with N > {done} to train it further"
        )
    _check_states_fit(path, blob)
    return blob


def _check_states_fit(path, blob) -> None:
    """Load the saved model and optimizer states into a network built from the run's own
    settings (the global generator is left as it was), and compare every optimizer buffer with
    its parameter's shape."""
    config, meta = blob["config"], blob["meta"]
    rng = tt.get_rng_state()
    try:
        model, _ = archlib.build(
            config["arch"], tuple(meta["input_shape"]), num_classes=len(meta["classes"])
        )
    finally:
        tt.set_rng_state(rng)
    names = [name for name, _ in model.named_parameters()]
    try:
        model.load_state_dict(blob["state_dict"])
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        raise UsageError(
            f"--resume: {path}: the saved model does not fit its network: {e}"
        ) from None
    params = list(model.parameters())
    optimizer = recipe.make_optimizer(
        config["optim"], params, config["lr"], config["weight_decay"]
    )
    saved = blob["optimizer"]
    try:
        optimizer.load_state_dict(saved)
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        raise UsageError(
            f"--resume: {path}: the saved {config['optim']} state does not fit the network: {e}"
        ) from None
    for i, param in enumerate(params):
        for key, value in optimizer.state.get(param, {}).items():
            if isinstance(value, tt.Tensor) and value.dim() > 0 and value.shape != param.shape:
                raise UsageError(
                    f"--resume: {path} is damaged: the {config['optim']} state "
                    f"'{key}' of parameter {names[i]} has shape {tuple(value.shape)}, but the "
                    f"parameter has shape {tuple(param.shape)}; the run cannot continue from "
                    "this file (start a new run with --out)"
                )
