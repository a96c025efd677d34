"""The pictures ``tinytensor train`` leaves behind: learning curves and first-layer filters."""

from __future__ import annotations

import numpy as np

from tinytensor.viz.filters import _figure, find_conv, plot_filters_and_responses


def curves(history: list, step_losses: list, steps_per_epoch: float, name: str = ""):
    """Loss per step (and per epoch) on the left, train/test accuracy per epoch on the right."""
    fig = _figure(figsize=(9, 3.4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [row["epoch"] for row in history]
    steps = np.arange(1, len(step_losses) + 1) / steps_per_epoch
    ax_loss.plot(steps, step_losses, color="#9ecae1", lw=0.8, label="each batch")
    if len(step_losses) >= 20:
        k = max(5, len(step_losses) // 50)
        smooth = np.convolve(step_losses, np.ones(k) / k, mode="valid")
        ax_loss.plot(steps[k - 1 :], smooth, color="#3182bd", lw=1.5, label=f"mean of {k}")
    middles = [e - 0.5 for e in epochs]
    ax_loss.plot(
        middles, [r["train_loss"] for r in history], "o", color="#08519c", label="epoch mean"
    )
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_loss.set_yscale("log")
    ax_loss.legend(fontsize=8)
    ax_acc.plot(
        epochs, [100 * r["train_accuracy"] for r in history], "o-", label="train (during epoch)"
    )
    ax_acc.plot(epochs, [100 * r["test_accuracy"] for r in history], "s-", label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.set_xticks(epochs if len(epochs) <= 15 else epochs[:: len(epochs) // 10 + 1])
    ax_acc.grid(alpha=0.3)
    ax_acc.legend(fontsize=8)
    best = history[-1]["test_accuracy"]
    fig.suptitle(f"{name + ': ' if name else ''}final test accuracy {best:.2%}", fontsize=10)
    return fig


def filters(model, data):
    """First conv layer's filters and its responses to the first test image, or None."""
    try:
        conv = find_conv(model)
    except ValueError:
        return None
    label = data.classes[int(data.y_test[0])]
    return plot_filters_and_responses(
        model,
        data.x_test[:1],
        layer=conv,
        title=f"first conv layer: {conv.weight.shape[0]} filters and their responses to a "
        f"test image ({data.name}, label {label})",
    )
