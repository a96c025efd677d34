"""``tinytensor train``: train a network described on the command line, keep every epoch.

The run folder is made (and checked) before any data loads. After every epoch the checkpoint
(model, optimizer, schedule, epoch, generator states, normalisation, history) and
``metrics.json`` are replaced atomically. Ctrl-C stops at once, keeps the last complete epoch,
draws the pictures for it and exits with 130; ``--resume RUN`` continues from there and ends
with exactly the numbers an uninterrupted run gives.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import tinytensor as tt
from tinytensor.cli import arch as archlib
from tinytensor.cli import data as datalib
from tinytensor.cli import multiproc, options, plots, recipe
from tinytensor.cli.evaluate import evaluate
from tinytensor.cli.progress import Progress, duration, plural
from tinytensor.cli.resume import FORMAT, load_for_resume
from tinytensor.cli.rundir import (
    CHECKPOINT,
    METRICS,
    UsageError,
    make_run_dir,
    open_run_dir,
    write_checkpoint,
    write_metrics,
)
from tinytensor.cli.threads import blas_threads
from tinytensor.data import DataLoader, TensorDataset
from tinytensor.data import transforms as T


def add_parser(subparsers):
    p = options.add_parser(subparsers)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    """Train as ``args`` say (or resume ``args.resume``); returns the exit code."""
    if hasattr(sys.stdout, "reconfigure"):  # progress lines appear at once in a pipe too
        sys.stdout.reconfigure(line_buffering=True)
    options.check_data_flag(args.data if not args.download else None)
    if (launched := multiproc.launch(args)) is not None:  # --nproc N: start N ranks of this
        return launched
    parallel = multiproc.for_this_process()
    if args.resume is not None:
        options.check_resume_args(args)
        run_dir = open_run_dir(args.resume)
        blob = load_for_resume(run_dir, args)  # refused here, before any data loads
        config = blob["config"]
    else:
        config = options.settings_from_args(args)
        archlib.tokenize(config["arch"])  # a typo in --arch fails before anything is made
        out = args.out if args.out is not None else options.default_out()
        run_dir = make_run_dir(out) if parallel.rank == 0 else None
        blob = None
    run_dir = parallel.run_dir(make_run_dir, run_dir)
    _catch_sigint()
    try:
        with blas_threads(args.threads):
            trainer = Trainer(config, run_dir, args, blob, parallel)
            return trainer.train()
    except BaseException:
        run_dir.discard()  # removes the folder only if it has none of the user's work yet
        raise
    finally:
        parallel.close()


def augmentation(image_hw, data) -> T.RandomAffine:
    """``--augment``: a random rotation of up to 10 degrees and a shift of up to 8% of the side
    (at least one pixel), one draw per batch (as torchvision's transforms treat a batch);
    pixels from outside the image are black."""
    shift = max(0.08, 1.0 / min(image_hw))
    return T.RandomAffine(
        degrees=10,
        translate=(shift, shift),
        interpolation=T.InterpolationMode.BILINEAR,
        fill=(0.0 - data.mean) / data.std,
    )


@contextmanager
def drawing_from(generator: tt.Generator):
    """Let the transforms, which draw from the global generator (as torchvision's do), draw
    from ``generator`` instead; the global stream (dropout's) is left where it was, so a
    resumed run draws exactly what an uninterrupted one would."""
    outer = tt.get_rng_state()
    tt.set_rng_state(generator.get_state())
    try:
        yield
    finally:
        generator.set_state(tt.get_rng_state())
        tt.set_rng_state(outer)


def _catch_sigint() -> None:
    """Make SIGINT a KeyboardInterrupt even when started with it ignored (``cmd &``)."""
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
            signal.signal(signal.SIGINT, signal.default_int_handler)


class Trainer:
    """One run: data, model, optimizer and schedule, set up fresh or from a checkpoint."""

    def __init__(self, config: dict, run_dir, args, blob=None, parallel=None):
        self.config, self.run_dir, self.args = config, run_dir, args
        self.parallel = parallel or multiproc.OneProcess()
        self.resumed = blob is not None
        self.t_start = time.perf_counter()
        c = config
        data_dir = args.data if args.data is not None else c.get("data")
        if self.resumed:
            name = c["dataset"]
        else:
            name, reason = datalib.choose(c["dataset"], data_dir)
            if reason:
                print(f"dataset auto: picked {name} ({reason})")
        normalize = blob["meta"]["normalize"] if self.resumed else None
        self.data = data = datalib.load(name, data_dir, args.download, normalize)
        c["dataset"] = name
        if data_dir is not None:
            c["data"] = os.fspath(Path(data_dir).expanduser().resolve())
        print(f"dataset {data.describe()}")
        for note in data.notes:
            print(f"note: {note}")
        self._split_validation()

        tt.manual_seed(c["seed"])
        model, layers = archlib.build(c["arch"], data.input_shape, num_classes=len(data.classes))
        self.model = model
        self.net = self.parallel.wrap(model)  # DistributedDataParallel under --nproc
        if getattr(args, "compile", False):  # the same numbers, bitwise; fewer Python steps
            self.net = tt.compile(self.net)
        preset = (
            f" (preset {c['arch_given'].strip().lower()})" if c["arch"] != c["arch_given"] else ""
        )
        if not self.resumed:
            print(f"model{preset}: {c['arch']}")
            print(archlib.summary(layers, data.input_shape))
        self.loss_fn = recipe.make_loss(c["loss"], len(data.classes))
        self.optimizer = recipe.make_optimizer(
            c["optim"], model.parameters(), c["lr"], c["weight_decay"]
        )
        self.steps_per_epoch = -(-len(self.x_train) // c["batch_size"])
        if self.resumed and args.epochs is None:
            self.epochs = c["epochs"]
        else:
            self.epochs = args.epochs or options.DEFAULT_EPOCHS[name]
        if not self.resumed:
            c["epochs"] = c["schedule_epochs"] = self.epochs
        elif self.epochs > c["schedule_epochs"] and c["schedule"] in ("cosine", "onecycle"):
            raise UsageError(
                f"--epochs {self.epochs}: this run's {c['schedule']} schedule was planned for "
                f"{c['schedule_epochs']} epochs and cannot be stretched; start a new run with "
                f"--out NEW_FOLDER --epochs {self.epochs}"
            )
        self.scheduler = recipe.make_scheduler(
            c["schedule"], self.optimizer, c["schedule_epochs"], self.steps_per_epoch
        )
        self.shuffle = tt.Generator().manual_seed(c["seed"])
        self.augment = tt.Generator().manual_seed(c["seed"] + 1)
        self.initial_state = _copy_state(model.state_dict())
        self.history, self.step_losses = [], []
        self.epoch, self.seconds, self.status = 0, 0.0, "running"
        self.early = {"best_loss": None, "best_epoch": 0, "bad_epochs": 0, "best_state": None}
        if self.resumed:
            self._restore(blob)
        else:
            self.save()  # epoch 0: even Ctrl-C in the first epoch leaves a run to resume
            run_dir.keep()

    # --- data ---------------------------------------------------------------------------------

    def _split_validation(self):
        data, fraction = self.data, self.config["val_split"]
        self.x_train, self.y_train = data.x_train, data.y_train
        self.x_val = self.y_val = None
        if fraction:
            order = np.random.default_rng(self.config["seed"]).permutation(len(data.x_train))
            n_val = max(1, int(round(fraction * len(order))))
            if n_val >= len(order):
                raise UsageError(
                    f"--val-split {fraction}: leaves no training images out of {len(order)}"
                )
            val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
            self.x_val, self.y_val = data.x_train[val], data.y_train[val]
            self.x_train, self.y_train = data.x_train[train], data.y_train[train]
            print(f"validation: {len(val):,} of the training images held out (--val-split)")

    def _batches(self):
        """Shuffled batches of the training arrays, from the run's own generator."""
        loader = DataLoader(
            TensorDataset(tt.from_numpy(self.x_train), tt.from_numpy(self.y_train)),
            batch_size=self.config["batch_size"],
            shuffle=True,
            generator=self.shuffle,
        )
        augment = (
            augmentation(self.x_train.shape[-2:], self.data) if self.config["augment"] else None
        )
        for xb, yb in loader:
            if augment is not None:
                with drawing_from(self.augment):
                    xb = augment(xb)
            yield xb, yb

    # --- checkpoints --------------------------------------------------------------------------

    def blob(self) -> dict:
        c, data = self.config, self.data
        last = self.history[-1] if self.history else {}
        meta = {
            "tinytensor_version": tt.__version__,
            "arch": c["arch"],
            "input_shape": list(data.input_shape),
            "classes": list(data.classes),
            "normalize": {"mean": data.mean, "std": data.std},
            "test_accuracy": last.get("test_accuracy"),
            "config": c,
        }
        early = dict(self.early)
        return {
            "format": FORMAT,
            "state_dict": self.model.state_dict(),
            "meta": meta,
            "config": c,
            "epoch": self.epoch,
            "status": self.status,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": {
                "global": tt.get_rng_state(),
                "shuffle": self.shuffle.get_state(),
                "augment": self.augment.get_state(),
            },
            "history": self.history,
            "step_losses": self.step_losses,
            "seconds": self.seconds,
            "initial_state_dict": self.initial_state,
            "early_stopping": early,
        }

    def metrics(self) -> dict:
        last = self.history[-1] if self.history else {}
        return {
            "config": self.config,
            "notes": self.data.notes,
            "status": self.status,
            "epochs": self.history,
            "step_losses": self.step_losses,
            "final_test_accuracy": last.get("test_accuracy"),
            "final_test_loss": last.get("test_loss"),
            "best_epoch": self.early["best_epoch"] or None,
            "seconds": self.seconds,
        }

    def save(self):
        write_checkpoint(self.run_dir.file(CHECKPOINT), self.blob(), self.metrics())

    def _restore(self, blob):
        self.model.load_state_dict(blob["state_dict"])
        self.optimizer.load_state_dict(blob["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(blob["scheduler"])
        tt.set_rng_state(blob["rng"]["global"])
        self.shuffle.set_state(blob["rng"]["shuffle"])
        self.augment.set_state(blob["rng"]["augment"])
        self.epoch, self.seconds = int(blob["epoch"]), float(blob["seconds"])
        self.config["epochs"] = self.epochs
        self.history, self.step_losses = list(blob["history"]), list(blob["step_losses"])
        self.initial_state = blob["initial_state_dict"]
        self.early = dict(blob["early_stopping"])
        self.status = "running"  # a finished or stopped run was refused by load_for_resume
        print(
            f"resuming {self.run_dir.path} after epoch {self.epoch}: "
            f"{self.epochs - self.epoch} more to reach {self.epochs}"
        )

    # --- the loop -----------------------------------------------------------------------------

    def train(self) -> int:
        c = self.config
        print(
            f"training {plural(self.epochs, 'epoch')}: loss {c['loss']}, optimizer {c['optim']} "
            f"(lr {c['lr']:g}"
            + (f", weight decay {c['weight_decay']:g}" if c["weight_decay"] else "")
            + (f", {c['schedule']} schedule" if c["schedule"] != "none" else "")
            + f"), batch size {c['batch_size']}, seed {c['seed']}"
            + (", augmented" if c["augment"] else "")
            + f"; run folder {self.run_dir.path}"
        )
        try:
            while self.epoch < self.epochs:
                stop = self._one_epoch(self.epoch + 1)
                if stop is not None:
                    return stop
        except KeyboardInterrupt:
            return self._interrupted()
        return self._finish()

    def _one_epoch(self, epoch: int):

        c, t0 = self.config, time.perf_counter()
        self.model.train()
        total = correct = 0
        loss_sum = 0.0
        losses = []
        bar = Progress(
            self._batches(),
            self.steps_per_epoch,
            f"epoch {epoch}/{self.epochs}",
            disable=self.args.no_progress,
            postfix=lambda: (
                f"loss {loss_sum / max(1, total):.4f}, acc {correct / max(1, total):.2%}"
            ),
        )
        with np.errstate(all="ignore"):  # a diverging loss is reported below, not by NumPy
            for xb, yb in bar:
                xb, yb, batch = self.parallel.part(xb, yb)  # this rank's slice under --nproc
                out = self.net(xb)
                loss = self.parallel.loss(self.loss_fn, out, yb, batch)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                if self.scheduler is not None and c["schedule"] in recipe.PER_BATCH:
                    self.scheduler.step()
                value, n, right = self.parallel.totals(loss, out, yb)  # the global batch's
                if not np.isfinite(value):
                    print(
                        f"tinytensor train: the loss became {value} in epoch {epoch}; try a "
                        f"smaller --lr (now {c['lr']:g}); the run folder keeps epoch "
                        f"{self.epoch}",
                        file=sys.stderr,
                    )
                    return 1
                total += n
                loss_sum += value * n
                correct += right
                losses.append(value)
        if self.scheduler is not None and c["schedule"] not in recipe.PER_BATCH:
            self.scheduler.step()
        row = {
            "epoch": epoch,
            "train_loss": loss_sum / total,
            "train_accuracy": correct / total,
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        quiet = self.args.no_progress
        if self.x_val is not None:
            val = evaluate(self.model, self.x_val, self.y_val, self.loss_fn, "validating", quiet)
            row["val_loss"], row["val_accuracy"] = val.loss, val.accuracy
        test = evaluate(self.model, self.data.x_test, self.data.y_test, self.loss_fn, "testing",
                        quiet)  # fmt: skip
        row["test_loss"], row["test_accuracy"] = test.loss, test.accuracy
        row["seconds"] = time.perf_counter() - t0
        self.epoch = epoch
        self.seconds += row["seconds"]
        self.history.append(row)
        self.step_losses.extend(losses)
        self.last_eval = test
        val_text = (
            f"  val loss {row['val_loss']:.4f}  val acc {row['val_accuracy']:7.2%}"
            if "val_loss" in row
            else ""
        )
        stopped = self._early_stopping(row)
        if stopped:
            self.status = "stopped early"
        self.save()  # before the line, so an epoch that was printed is an epoch that was kept
        print(
            f"epoch {epoch:>2}/{self.epochs}  train loss {row['train_loss']:.4f}  "
            f"train acc {row['train_accuracy']:7.2%}{val_text}  test loss {row['test_loss']:.4f}"
            f"  test acc {row['test_accuracy']:7.2%}  ({duration(row['seconds'])})",
            flush=True,
        )
        if stopped:
            print(stopped)
        return self._finish() if stopped else None

    def _early_stopping(self, row) -> str:
        """Track the best validation loss; a message when it is time to stop, else ''."""
        if self.config["patience"] is None:
            return ""
        e = self.early
        if e["best_loss"] is None or row["val_loss"] < e["best_loss"]:
            e.update(best_loss=row["val_loss"], best_epoch=row["epoch"], bad_epochs=0)
            e["best_state"] = _copy_state(self.model.state_dict())
            return ""
        e["bad_epochs"] += 1
        if e["bad_epochs"] < self.config["patience"]:
            return ""
        self.model.load_state_dict(e["best_state"])
        test = evaluate(self.model, self.data.x_test, self.data.y_test, self.loss_fn, "testing",
                        self.args.no_progress)  # fmt: skip
        self.last_eval = test
        row["best_epoch"] = e["best_epoch"]
        row["best_test_loss"], row["best_test_accuracy"] = test.loss, test.accuracy
        return (
            f"early stop: the validation loss has not improved for "
            f"{plural(e['bad_epochs'], 'epoch')}; keeping the weights of epoch {e['best_epoch']} "
            f"(val loss {e['best_loss']:.4f}, test acc {test.accuracy:.2%})"
        )

    def _final_accuracy(self):
        last = self.history[-1]
        if "best_test_accuracy" in last:
            return last["best_test_accuracy"]
        return last["test_accuracy"]

    def _finish(self) -> int:
        if self.status == "running":
            self.status = "finished"
        self.save()
        acc = self._final_accuracy()
        n_test = len(self.data.y_test)
        print(
            f"test accuracy: {acc:.2%} ({round(acc * n_test)}/{n_test}) after "
            f"{plural(self.epoch, 'epoch')} in {duration(time.perf_counter() - self.t_start)}"
        )
        written = [CHECKPOINT, METRICS] + self.pictures(getattr(self, "last_eval", None))
        print(f"wrote {self.run_dir.path}: {', '.join(written)}")
        return 0

    def _interrupted(self) -> int:
        """Ctrl-C: the checkpoint on disk is the last complete epoch; draw it, say how to go on."""
        resume = f"tinytensor train --resume {self.run_dir.path}"
        print("\ninterrupted (Ctrl-C): stopping", file=sys.stderr)
        written = []
        try:
            # The checkpoint on disk is the truth: an epoch cut short while being saved is not.
            blob = tt.load(os.fspath(self.run_dir.file(CHECKPOINT)))
            self.model.load_state_dict(blob["state_dict"])
            self.epoch = int(blob["epoch"])
            self.history, self.step_losses = list(blob["history"]), list(blob["step_losses"])
            self.seconds = float(blob["seconds"])
            self.status = "interrupted"
            write_metrics(self.run_dir.file(METRICS), self.metrics())
            if self.history:
                print("drawing the pictures of the last complete epoch (Ctrl-C again to skip)")
                written = self.pictures(None)
        except KeyboardInterrupt:
            pass
        kept = f"epoch {self.epoch}" if self.epoch else "the initial weights (no epoch finished)"
        files = ", ".join([CHECKPOINT, METRICS] + written)
        print(
            f"interrupted during epoch {self.epoch + 1}/{self.epochs}; kept {kept} in "
            f"{self.run_dir.path} ({files}); continue with:\n  {resume}",
            file=sys.stderr,
        )
        return 130

    def pictures(self, evaluation) -> list[str]:
        if evaluation is None:
            evaluation = evaluate(self.model, self.data.x_test, self.data.y_test, self.loss_fn,
                                  "testing", self.args.no_progress)  # fmt: skip
        return plots.write_pictures(
            self.run_dir.path,
            self.model,
            self.data,
            self.history,
            self.step_losses,
            self.steps_per_epoch,
            evaluation,
            self.initial_state,
        )


def _copy_state(state: dict) -> dict:
    return {k: tt.tensor(v.detach().numpy()) if isinstance(v, tt.Tensor) else v
            for k, v in state.items()}  # fmt: skip


def load_model(path):
    """Rebuild the model saved by ``tinytensor train`` from its checkpoint: ``(model, meta)``.

    The model is in eval mode; feed it images standardised with ``meta['normalize']``.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    blob = tt.load(os.fspath(path))
    meta = blob["meta"]
    model, _ = archlib.build(meta["arch"], tuple(int(s) for s in meta["input_shape"]))
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, meta
