"""``tinytensor train``: train a network described on the command line, report what it learned."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tinytensor.cli import arch as archlib
from tinytensor.cli import data as datalib

DEFAULT_LR = {"sgd": 0.05, "adam": 3e-3, "rmsprop": 1e-3}
LOSSES = ("cross_entropy", "mse", "hinge")
DEFAULT_EPOCHS = {"digits": 10, "mnist": 2, "fashion-mnist": 2}
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CHECKPOINT = "checkpoint.npz"

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

--dataset auto uses MNIST if found (in --data, else $TINYTENSOR_DATA or ~/.cache/tinytensor),
else Fashion-MNIST (also looked for in /usr/share/datasets/fashion-mnist), else the digits.
--out gets checkpoint.npz (tt.save), metrics.json, curves.png and filters.png.
"""
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train",
        help="train a network on MNIST, Fashion-MNIST or the bundled digits",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--arch", default="cnn", help="a preset (mlp, cnn) or layers (default: cnn)")
    p.add_argument("--loss", choices=LOSSES, default="cross_entropy")
    p.add_argument("--optim", choices=tuple(DEFAULT_LR), default="adam")
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: 0.003 adam, 0.001 rmsprop, 0.05 sgd with momentum 0.9)",
    )
    p.add_argument(
        "--epochs", type=int, default=None, help="default: 10 on digits, 2 on (Fashion-)MNIST"
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--dataset",
        choices=datalib.CHOICES,
        default="digits",
        help="default: digits (bundled, no download); auto picks MNIST > Fashion-MNIST > digits",
    )
    p.add_argument("--data", metavar="DIR", default=None, help="folder holding the IDX files")
    p.add_argument(
        "--download",
        action="store_true",
        help="fetch missing (Fashion-)MNIST files, SHA-256 checked",
    )
    p.add_argument("--out", metavar="DIR", default=None, help="default: runs/<date-time>")
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bars (drawn on a terminal only)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS threads (default: 1, which is fastest for these small matrices and never "
        "fights other processes for cores; $OMP_NUM_THREADS etc. are respected if set)",
    )
    p.set_defaults(func=run)
    return p


def _check_args(args) -> None:
    for name in ("epochs", "batch_size", "threads"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise SystemExit(f"tinytensor train: --{name.replace('_', '-')} must be positive")
    if args.lr is not None and not args.lr > 0:
        raise SystemExit("tinytensor train: --lr must be positive")


def _out_dir(out) -> Path:
    if out is not None:
        return Path(out)
    base = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def make_loss(name: str, num_classes: int):
    """``loss(logits, labels)`` for the chosen loss; MSE compares with one-hot targets."""
    import tinytensor as tt
    from tinytensor import nn

    if name == "cross_entropy":
        return nn.CrossEntropyLoss()
    if name == "hinge":
        return nn.MultiMarginLoss()
    mse = nn.MSELoss()
    eye = np.eye(num_classes, dtype=np.float32)
    return lambda out, y: mse(out, tt.from_numpy(eye[y.numpy()]))


def make_optimizer(name: str, params, lr: float):
    from tinytensor import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.RMSprop(params, lr=lr)


def evaluate(model, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Accuracy of ``model`` on arrays ``x``, ``y`` (eval mode, no graph)."""
    import tinytensor as tt

    was_training = model.training
    model.eval()
    correct = 0
    with tt.no_grad():
        for i in range(0, len(x), batch_size):
            out = model(tt.from_numpy(x[i : i + batch_size]))
            correct += int((out.numpy().argmax(axis=1) == y[i : i + batch_size]).sum())
    model.train(was_training)
    return correct / max(1, len(x))


def _progress(loader, desc: str, disable: bool):
    if disable:
        return loader
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return loader
    # disable=None: a bar on a terminal, none in a log file or a pipe (no wall of \r updates).
    return tqdm(
        loader, desc=desc, unit="batch", leave=False, file=sys.stderr, disable=None, mininterval=0.2
    )


def run(args) -> int:
    """Train as ``args`` say; returns the exit code."""
    with _blas_threads(args.threads):
        return _run(args)


@contextlib.contextmanager
def _blas_threads(n):
    """Limit BLAS to ``n`` threads (default 1 unless the environment already chose)."""
    if n is None and any(v in os.environ for v in _THREAD_VARS):
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # comes with scikit-learn; without it BLAS keeps its own default
        yield
        return
    with threadpool_limits(limits=n or 1, user_api="blas"):
        yield


def _run(args) -> int:
    if hasattr(sys.stdout, "reconfigure"):  # progress lines appear at once in a pipe too
        sys.stdout.reconfigure(line_buffering=True)
    import tinytensor as tt
    from tinytensor.data import DataLoader, TensorDataset

    _check_args(args)
    t_start = time.perf_counter()
    name, reason = datalib.choose(args.dataset, args.data)
    if reason:
        print(f"dataset auto: picked {name} ({reason})")
    data = datalib.load(name, args.data, args.download)
    print(f"dataset {data.describe()}")
    for note in data.notes:
        print(f"note: {note}")

    arch = archlib.expand_preset(args.arch)
    tt.manual_seed(args.seed)
    try:
        model, layers = archlib.build(arch, data.input_shape, num_classes=len(data.classes))
    except archlib.ArchError as e:
        print(f"tinytensor train: {e}", file=sys.stderr)
        return 2
    preset = f" (preset {args.arch.strip().lower()})" if arch != args.arch else ""
    print(f"model{preset}: {arch}")
    print(archlib.summary(layers, data.input_shape))

    epochs = args.epochs or DEFAULT_EPOCHS[name]
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optim]
    loss_fn = make_loss(args.loss, len(data.classes))
    optimizer = make_optimizer(args.optim, model.parameters(), lr)
    print(
        f"training {epochs} epochs: loss {args.loss}, optimizer {args.optim} (lr {lr:g}), "
        f"batch size {args.batch_size}, seed {args.seed}"
    )
    loader = DataLoader(
        TensorDataset(tt.from_numpy(data.x_train), tt.from_numpy(data.y_train)),
        batch_size=args.batch_size,
        shuffle=True,
        generator=tt.Generator().manual_seed(args.seed),
    )
    history, step_losses = [], []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total, correct, loss_sum = 0, 0, 0.0
        bar = _progress(loader, f"epoch {epoch}/{epochs}", args.no_progress)
        for xb, yb in bar:
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            if not np.isfinite(value):
                print(
                    f"tinytensor train: the loss became {value} in epoch {epoch}; "
                    "try a smaller --lr",
                    file=sys.stderr,
                )
                return 1
            n = len(yb)
            total += n
            loss_sum += value * n
            correct += int((out.detach().numpy().argmax(axis=1) == yb.numpy()).sum())
            step_losses.append(value)
            if bar is not loader and not bar.disable:
                bar.set_postfix(loss=f"{loss_sum / total:.4f}", acc=f"{correct / total:.2%}")
        test_acc = evaluate(model, data.x_test, data.y_test)
        row = {
            "epoch": epoch,
            "train_loss": loss_sum / total,
            "train_accuracy": correct / total,
            "test_accuracy": test_acc,
            "seconds": time.perf_counter() - t0,
        }
        history.append(row)
        print(
            f"epoch {epoch:>2}/{epochs}  train loss {row['train_loss']:.4f}  "
            f"train acc {row['train_accuracy']:7.2%}  test acc {test_acc:7.2%}  "
            f"({row['seconds']:.1f} s)",
            flush=True,
        )

    seconds = time.perf_counter() - t_start
    final = history[-1]["test_accuracy"]
    n_test = len(data.y_test)
    print(
        f"test accuracy: {final:.2%} ({round(final * n_test)}/{n_test}) after {epochs} epochs "
        f"in {seconds:.1f} s"
    )
    out_dir = _out_dir(args.out)
    written = save_run(out_dir, model, arch, data, args, history, step_losses, seconds, lr, epochs)
    print(f"wrote {out_dir}: {', '.join(written)}")
    return 0


def save_run(out_dir, model, arch, data, args, history, step_losses, seconds, lr, epochs):
    """Write the checkpoint, metrics, curves and filter pictures; returns the file names."""
    import tinytensor as tt
    from tinytensor.cli import plots

    out_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "arch": arch,
        "dataset": data.name,
        "data_source": data.source,
        "loss": args.loss,
        "optim": args.optim,
        "lr": lr,
        "epochs": epochs,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    meta = {
        "format": "tinytensor-train-checkpoint-v1",
        "tinytensor_version": tt.__version__,
        "arch": arch,
        "input_shape": list(data.input_shape),
        "classes": list(data.classes),
        "normalize": {"mean": data.mean, "std": data.std},
        "test_accuracy": history[-1]["test_accuracy"],
        "config": config,
    }
    tt.save({"state_dict": model.state_dict(), "meta": meta}, out_dir / CHECKPOINT)
    metrics = {
        "config": config,
        "notes": data.notes,
        "epochs": history,
        "step_losses": step_losses,
        "final_test_accuracy": history[-1]["test_accuracy"],
        "seconds": seconds,
    }
    with open(out_dir / "metrics.json", "w") as f:
        json.dump(metrics, f, indent=1)
    written = [CHECKPOINT, "metrics.json"]
    try:
        steps = len(data.x_train) / args.batch_size
        plots.curves(history, step_losses, steps, data.name).savefig(
            out_dir / "curves.png", dpi=100
        )
        written.append("curves.png")
        fig = plots.filters(model, data)
        if fig is None:
            print("note: the network has no conv layer, so filters.png was not written")
        else:
            fig.savefig(out_dir / "filters.png", dpi=100)
            written.append("filters.png")
    except ImportError as e:
        print(f"note: {e}; no pictures written")
    return written


def load_model(path):
    """Rebuild the model saved by ``tinytensor train`` from its checkpoint: ``(model, meta)``.

    The model is in eval mode; feed it images standardised with ``meta['normalize']``.
    """
    import tinytensor as tt

    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    blob = tt.load(os.fspath(path))
    meta = blob["meta"]
    model, _ = archlib.build(meta["arch"], tuple(int(s) for s in meta["input_shape"]))
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, meta
