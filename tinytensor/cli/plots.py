"""The pictures ``tinytensor train`` (and ``eval --pictures``) leave in the run folder."""

from __future__ import annotations

import numpy as np

from tinytensor import viz
from tinytensor.viz.common import figure
from tinytensor.viz.filters import conv_layers, feature_maps


def curves(history: list, step_losses: list, steps_per_epoch: float, name: str = ""):
    """Loss on the left (each batch, and train/val/test per epoch), accuracy on the right."""
    fig = figure(figsize=(9.5, 3.6), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [row["epoch"] for row in history]
    steps = np.arange(1, len(step_losses) + 1) / max(1e-9, steps_per_epoch)
    ax_loss.plot(steps, step_losses, color="#c6dbef", lw=0.7, label="train, each batch")
    middles = [e - 0.5 for e in epochs]  # a mean over the epoch sits at its middle
    ax_loss.plot(middles, [r["train_loss"] for r in history], "o-", color="#08519c",
                 label="train, mean over the epoch")  # fmt: skip
    if history and "val_loss" in history[0]:
        ax_loss.plot(epochs, [r["val_loss"] for r in history], "^-", color="#238b45",
                     label="validation")  # fmt: skip
    ax_loss.plot(epochs, [r["test_loss"] for r in history], "s-", color="#d94801", label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    positive = [v for v in step_losses if v > 0]
    if positive and max(positive) / min(positive) > 20:
        ax_loss.set_yscale("log")
    ax_loss.grid(alpha=0.3)
    ax_loss.legend(fontsize=8)
    ax_acc.plot(epochs, [100 * r["train_accuracy"] for r in history], "o-", color="#08519c",
                label="train (during the epoch)")  # fmt: skip
    if history and "val_accuracy" in history[0]:
        ax_acc.plot(epochs, [100 * r["val_accuracy"] for r in history], "^-", color="#238b45",
                    label="validation")  # fmt: skip
    ax_acc.plot(epochs, [100 * r["test_accuracy"] for r in history], "s-", color="#d94801",
                label="test")  # fmt: skip
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ticks = epochs if len(epochs) <= 15 else epochs[:: len(epochs) // 10 + 1]
    for ax in (ax_loss, ax_acc):
        ax.set_xticks(ticks)
    ax_acc.grid(alpha=0.3)
    ax_acc.legend(fontsize=8)
    final = history[-1]
    fig.suptitle(
        f"{name + ': ' if name else ''}test loss {final['test_loss']:.4f}, test accuracy "
        f"{final['test_accuracy']:.2%} after epoch {final['epoch']}",
        fontsize=10,
    )
    return fig


_ORDINALS = {0: "first", 1: "second", 2: "third", 3: "fourth"}


def feature_layer(model, sample) -> tuple[int, bool]:
    """``(index, crop_padding)`` of the conv layer ``features.png`` shows: the deepest one after
    the first whose maps, as drawn, are at least 4x4 (the border computed from zero padding is
    cropped when 4x4 remain, else kept); the first layer if none is. Smaller tiles show
    nothing one can read."""
    convs = conv_layers(model)
    for index in range(len(convs) - 1, 0, -1):
        _, maps, _ = feature_maps(model, sample, convs[index])
        side = min(maps.shape[-2:])
        if side - 2 * _padded_border(convs[index]) >= 4:
            return index, True
        if side >= 4:
            return index, False
    return 0, True


def _padded_border(conv) -> int:
    """How many pixels of each edge of ``conv``'s output read zero padding."""
    pad, stride = conv.padding, conv.stride
    pad = pad[0] if isinstance(pad, (tuple, list)) else pad
    stride = stride[0] if isinstance(stride, (tuple, list)) else stride
    return -(-pad // max(1, stride)) if isinstance(pad, int) and pad > 0 else 0


def write_pictures(out_dir, model, data, history, step_losses, steps_per_epoch, evaluation,
                   initial_state=None) -> list[str]:  # fmt: skip
    """Write curves, filters, features, confusion and mistakes PNGs; returns the names written.

    A picture that does not apply (no conv layer, no second conv, no epoch yet) is skipped with
    a note; without matplotlib none is drawn and a note says how to get it.
    """
    written = []

    def save(fig, name):
        fig.savefig(out_dir / name, dpi=100)
        written.append(name)

    try:
        if history:
            save(curves(history, step_losses, steps_per_epoch, data.name), "curves.png")
        convs = conv_layers(model)
        sample = data.x_test[:1]
        label = data.classes[int(data.y_test[0])]
        if convs:
            save(
                viz.plot_filters_and_responses(
                    model, sample, layer=0, before=initial_state,
                    title=f"first conv layer: {len(convs[0].weight)} filters before and after "
                    f"training, and their responses to a test image ({data.name}, {label})",
                ),
                "filters.png",
            )  # fmt: skip
        else:
            print("note: the network has no conv layer, so filters.png was not written")
        if len(convs) > 1:
            index, crop = feature_layer(model, sample)
            kept = "" if crop else "; the border from zero padding kept"
            save(
                viz.plot_feature_maps(
                    model, sample, layer=index, crop_padding=crop,
                    title=f"{_ORDINALS.get(index, f'conv layer {index + 1}:')} conv layer: its "
                    f"{len(convs[index].weight)} feature maps for the same test image "
                    f"({label}){kept}",
                ),
                "features.png",
            )  # fmt: skip
        y, p = data.y_test, evaluation.predictions
        save(viz.plot_confusion_matrix(model, data.x_test, y, data.classes, predictions=p),
             "confusion.png")  # fmt: skip
        save(viz.plot_mistakes(model, data.x_test, y, data.classes, predictions=p),
             "mistakes.png")  # fmt: skip
    except ImportError as e:
        print(f"note: {e}; no pictures written")
    return written
