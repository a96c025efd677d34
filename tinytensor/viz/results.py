"""Pictures of what a classifier gets right and wrong: the confusion matrix and its mistakes.

Like every ``tinytensor.viz`` picture: the model first, then images ``(N, C, H, W)`` and their
integer labels; a matplotlib Figure comes back. ``predictions`` (one class per image) may be
passed when already known, to skip running the model again.
"""

from __future__ import annotations

import math

import numpy as np

import tinytensor as tt
from tinytensor.viz.common import (
    check_images,
    check_labels,
    check_model,
    display_image,
    figure,
    no_ticks,
)


def predict(model, images, batch_size: int = 500) -> np.ndarray:
    """The predicted class (argmax of the outputs) of every image, in eval mode, no graph."""
    check_model(model, "predict")
    x = check_images(images, "predict")
    training = model.training
    model.eval()
    out = []
    try:
        with tt.no_grad():
            for i in range(0, len(x), batch_size):
                out.append(model(x[i : i + batch_size]).numpy().argmax(axis=1))
    finally:
        model.train(training)
    return np.concatenate(out)


def _predictions(model, images, labels, predictions, fn):
    check_model(model, fn)
    x = check_images(images, fn)
    y = check_labels(labels, len(x), fn)
    if predictions is None:
        p = predict(model, x)
    else:
        p = check_labels(predictions, len(x), fn + " (predictions)")
    return x, y, p


def _class_names(classes, k: int) -> list[str]:
    if classes is None:
        return [str(i) for i in range(k)]
    if len(classes) < k:
        raise ValueError(f"classes: {len(classes)} names for {k} classes")
    return [str(c) for c in classes]


def confusion_matrix(model, images, labels, num_classes=None, predictions=None) -> np.ndarray:
    """``m[t, p]``: how many images of true class ``t`` the model predicts as ``p``."""
    _, y, p = _predictions(model, images, labels, predictions, "confusion_matrix")
    k = int(num_classes or max(y.max(), p.max()) + 1)
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y, p), 1)
    return m


def plot_confusion_matrix(model, images, labels, classes=None, predictions=None, title=None):
    """The confusion matrix as a heat map: rows the true class, columns the prediction, each
    cell the count, coloured by the share of its row (so small classes show as clearly)."""
    k = len(classes) if classes is not None else None
    m = confusion_matrix(model, images, labels, k, predictions)
    names = _class_names(classes, len(m))
    share = m / np.maximum(1, m.sum(axis=1, keepdims=True))
    size = 2.2 + 0.45 * len(m)
    fig = figure(figsize=(size + 1.2, size), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for t in range(len(m)):
        for p in range(len(m)):
            if m[t, p]:
                ax.text(p, t, str(m[t, p]), ha="center", va="center", fontsize=7,
                        color="white" if share[t, p] > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(len(m)), names, rotation=45 if max(map(len, names)) > 2 else 0,
                  ha="right" if max(map(len, names)) > 2 else "center", fontsize=8)  # fmt: skip
    ax.set_yticks(range(len(m)), names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("share of the true class", fontsize=8)
    acc = np.trace(m) / max(1, m.sum())
    fig.suptitle(title or f"confusion matrix: {acc:.2%} of {m.sum():,} images right", fontsize=10)
    return fig


def plot_mistakes(model, images, labels, classes=None, predictions=None, max_images=32,
                  title=None):  # fmt: skip
    """A grid of the misclassified images (the first ``max_images``), each titled with its
    true and predicted class."""
    x, y, p = _predictions(model, images, labels, predictions, "plot_mistakes")
    names = _class_names(classes, int(max(y.max(), p.max())) + 1)
    wrong = np.flatnonzero(y != p)
    shown = wrong[:max_images]
    cols = min(8, max(1, len(shown)))
    rows = max(1, math.ceil(len(shown) / cols))
    fig = figure(figsize=(1.35 * cols + 0.4, 1.55 * rows + 0.7), layout="constrained")
    if not len(shown):
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center")
    data = x.numpy()
    for j, i in enumerate(shown):
        ax = fig.add_subplot(rows, cols, j + 1)
        ax.imshow(display_image(data[i]), cmap="gray", interpolation="nearest")
        no_ticks(ax)
        ax.set_title(f"true {names[y[i]]}\npred {names[p[i]]}", fontsize=7, color="#b2182b")
    fig.suptitle(
        title
        or f"{len(wrong):,} of {len(y):,} test images misclassified"
        + (f" (first {len(shown)} shown)" if len(wrong) > len(shown) else ""),
        fontsize=10,
    )
    return fig
