"""``tinytensor eval RUN`` and ``tinytensor predict RUN FILE...``, and the evaluation loop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import tinytensor as tt
from tinytensor.cli import arch as archlib
from tinytensor.cli import data as datalib
from tinytensor.cli import plots
from tinytensor.cli.options import POSITIVE_INT
from tinytensor.cli.progress import Progress, plural
from tinytensor.cli.recipe import make_loss
from tinytensor.cli.rundir import CHECKPOINT, UsageError, open_run_dir
from tinytensor.cli.threads import blas_threads
from tinytensor.nn import functional as F

EVAL_BATCH = 500


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    predictions: np.ndarray  # predicted class of every image
    probabilities: np.ndarray  # softmax of the outputs, (N, classes)


def evaluate(model, x: np.ndarray, y: np.ndarray, loss_fn=None, desc: str = "evaluating",
             quiet: bool = True, batch_size: int = EVAL_BATCH) -> Evaluation:  # fmt: skip
    """Mean loss, accuracy and predictions of ``model`` on arrays ``x``, ``y`` (eval mode, no
    graph), with a progress bar on a terminal and a line every ~10 s in a log."""
    was_training = model.training
    model.eval()
    loss_sum, preds, probs = 0.0, [], []
    starts = range(0, len(x), batch_size)
    try:
        with tt.no_grad(), np.errstate(all="ignore"):
            for i in Progress(starts, len(starts), desc, disable=quiet):
                xb, yb = tt.from_numpy(x[i : i + batch_size]), tt.from_numpy(y[i : i + batch_size])
                out = model(xb)
                if loss_fn is not None:
                    loss_sum += float(loss_fn(out, yb).item()) * len(yb)
                probs.append(F.softmax(out, dim=1).numpy())
                preds.append(out.numpy().argmax(axis=1))
    finally:
        model.train(was_training)
    n = max(1, len(x))
    predictions = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    probabilities = np.concatenate(probs) if probs else np.zeros((0, 0), dtype=np.float32)
    accuracy = float((predictions == y).sum()) / n
    return Evaluation(loss_sum / n, accuracy, predictions, probabilities)


def confusion_matrix(y: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``m[t, p]``: how many images of true class ``t`` were predicted as ``p``."""
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)
    return m


# --- tinytensor eval ---------------------------------------------------------------------------


def _common(p):
    p.add_argument("run", metavar="RUN", help="a run folder written by tinytensor train")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    p.add_argument("--threads", type=POSITIVE_INT, default=None, help="BLAS threads (default: 1)")


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="score a saved run: test loss and accuracy, per class, confusion matrix",
        description="Reload a run of tinytensor train and score it on a test set.",
    )
    _common(p)
    p.add_argument(
        "--dataset",
        choices=datalib.CHOICES[1:],
        default=None,
        help="the test set to score on (default: the one the run trained on)",
    )
    p.add_argument("--data", metavar="DIR", default=None, help="folder holding the IDX files")
    p.add_argument("--download", action="store_true", help="fetch missing (Fashion-)MNIST files")
    p.add_argument(
        "--pictures",
        action="store_true",
        help="write the run's pictures again (curves, filters, features, confusion, mistakes)",
    )
    p.set_defaults(func=run_eval)

    p = subparsers.add_parser(
        "predict",
        help="classify PNG or NPY images with a saved run",
        description="Classify images with a run of tinytensor train: each is made grayscale, "
        "resized to the run's input size and normalised as in training; prints the top 3.",
    )
    _common(p)
    p.add_argument("files", metavar="FILE", nargs="+", help=".png or .npy images")
    p.add_argument(
        "--invert",
        choices=("auto", "yes", "no"),
        default="auto",
        help="make dark strokes on a light background light on dark, as in the training "
        "images (default: auto, judged from the image's border)",
    )
    p.set_defaults(func=run_predict)


def load_run(run_arg):
    """``(run_dir, blob, model)`` of a run folder; the model in eval mode."""
    run_dir = open_run_dir(run_arg, flag="RUN")
    blob = tt.load(os.fspath(run_dir.file(CHECKPOINT)))
    meta = blob["meta"]
    model, _ = archlib.build(meta["arch"], tuple(int(s) for s in meta["input_shape"]))
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return run_dir, blob, model


def run_eval(args) -> int:
    options_check = [args.data] if not args.download else []
    for data in options_check:
        if data is not None and not Path(data).expanduser().is_dir():
            raise UsageError(f"--data {data} does not exist; give the folder with the IDX files")
    with blas_threads(args.threads):
        run_dir, blob, model = load_run(args.run)
        meta = blob["meta"]
        config = meta.get("config", {})
        name = args.dataset or config.get("dataset", "digits")
        data_dir = args.data if args.data is not None else config.get("data")
        if args.dataset is not None and args.data is None and name != config.get("dataset"):
            data_dir = None
        data = datalib.load(name, data_dir, args.download, meta["normalize"])
        if tuple(data.input_shape) != tuple(int(s) for s in meta["input_shape"]) or len(
            data.classes
        ) != len(meta["classes"]):
            raise UsageError(
                f"--dataset {name}: its images ({'x'.join(map(str, data.input_shape))}, "
                f"{len(data.classes)} classes) do not fit this run's model (trained on "
                f"{'x'.join(str(int(s)) for s in meta['input_shape'])}, {len(meta['classes'])} "
                "classes)"
            )
        epochs = blob.get("epoch", config.get("epochs"))
        print(f"run {run_dir.path}: {meta['arch']}")
        print(f"trained {plural(int(epochs), 'epoch')} on {config.get('dataset', '?')}")
        print(f"dataset {data.describe()}")
        loss_fn = make_loss(config.get("loss", "cross_entropy"), len(data.classes))
        result = evaluate(model, data.x_test, data.y_test, loss_fn, "evaluating", args.no_progress)
        print(report(result, data.y_test, data.classes))
        if args.pictures:
            history = blob.get("history") or []
            written = plots.write_pictures(
                run_dir.path, model, data, history, blob.get("step_losses") or [],
                -(-len(data.x_train) // int(config.get("batch_size", 64))), result,
                blob.get("initial_state_dict"),
            )  # fmt: skip
            print(f"wrote {run_dir.path}: {', '.join(written)}")
    return 0


def report(result: Evaluation, y: np.ndarray, classes: list) -> str:
    """Test loss and accuracy, per-class accuracy and the confusion matrix, as text."""
    n = len(y)
    correct = int(round(result.accuracy * n))
    lines = [f"test loss {result.loss:.4f}  test accuracy {result.accuracy:.2%} ({correct}/{n})"]
    m = confusion_matrix(y, result.predictions, len(classes))
    width = max(len(str(c)) for c in classes)
    lines.append("per-class accuracy:")
    for i, name in enumerate(classes):
        total = int(m[i].sum())
        acc = m[i, i] / total if total else float("nan")
        lines.append(f"  {i:>2} {str(name):<{width}}  {acc:7.2%} ({m[i, i]}/{total})")
    lines.append("confusion matrix (rows: true class, columns: predicted class):")
    cell = max(3, len(str(int(m.max()))) + 1)
    lines.append("     " + "".join(f"{j:>{cell}}" for j in range(len(classes))))
    for i in range(len(classes)):
        lines.append(f"  {i:>2} " + "".join(f"{int(v):>{cell}}" for v in m[i]))
    return "\n".join(lines)


# --- tinytensor predict ------------------------------------------------------------------------


def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` weights that average the input pixels each output pixel covers."""
    edges = np.linspace(0.0, n_in, n_out + 1)
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        lo, hi = edges[i], edges[i + 1]
        for j in range(int(np.floor(lo)), min(n_in, int(np.ceil(hi)))):
            m[i, j] = min(hi, j + 1) - max(lo, j)
        m[i] /= m[i].sum()
    return m


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-average resize of a 2-D image (also enlarges, as nearest neighbour)."""
    return _resize_matrix(image.shape[0], height) @ image @ _resize_matrix(image.shape[1], width).T


def read_images(path: str) -> list[np.ndarray]:
    """Grayscale images in [0, 1] from a .png or .npy file (an .npy may hold a batch)."""
    lower = path.lower()
    if lower.endswith(".npy"):
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"FILE {path}: cannot read it as .npy ({e})") from None
    elif lower.endswith(".png"):
        try:
            import matplotlib.image as mpimg
        except ImportError:
            raise UsageError(
                "predict: reading PNG needs matplotlib: pip install matplotlib"
            ) from None
        try:
            a = mpimg.imread(path)
        except (OSError, ValueError, SyntaxError) as e:
            raise UsageError(f"FILE {path}: cannot read it as PNG ({e})") from None
    else:
        raise UsageError(f"FILE {path}: give .png or .npy images")
    if a.dtype.kind not in "fiub":
        raise UsageError(f"FILE {path}: holds {a.dtype} values, not pixels")
    a = a.astype(np.float64)
    if a.ndim == 3 and a.shape[-1] in (3, 4):  # RGB(A): luminance, transparent parts white
        alpha = a[..., 3:4] if a.shape[-1] == 4 else 1.0
        scale = 255.0 if a.max() > 1.0 else 1.0
        rgb = a[..., :3] / scale * alpha + (1 - alpha)
        a = (rgb @ np.array([0.299, 0.587, 0.114])) * scale
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or min(a.shape) == 0:
        raise UsageError(
            f"FILE {path}: expected an image (H, W), (1, H, W), (H, W, 1|3|4) or a batch "
            f"(N, H, W), got shape {a.shape}"
        )
    if a.max() > 1.0:
        a = a / 255.0
    return list(a)


def run_predict(args) -> int:
    for path in args.files:
        if not os.path.isfile(path):
            raise UsageError(f"FILE {path}: no such file")
    with blas_threads(args.threads):
        _, blob, model = load_run(args.run)
        meta = blob["meta"]
        c, h, w = (int(s) for s in meta["input_shape"])
        mean, std = float(meta["normalize"]["mean"]), float(meta["normalize"]["std"])
        classes = list(meta["classes"])
        for path in args.files:
            images = read_images(path)
            for k, img in enumerate(images):
                border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
                invert = args.invert == "yes" or (args.invert == "auto" and border.mean() > 0.5)
                if invert:
                    img = 1.0 - img
                small = resize(img, h, w)
                x = np.repeat(small[None, None], c, axis=1)
                x = ((x - mean) / std).astype(np.float32)
                with tt.no_grad():
                    probs = F.softmax(model(tt.from_numpy(x)), dim=1).numpy()[0]
                top = np.argsort(-probs, kind="stable")[:3]
                label = path if len(images) == 1 else f"{path}[{k}]"
                guesses = "  ".join(f"{classes[i]} ({probs[i]:.2%})" for i in top)
                note = "  (inverted: dark on light)" if invert and args.invert == "auto" else ""
                print(f"{label}: {guesses}{note}")
    return 0
