"""Pictures of a convolution layer: its filters (before and after training) and its responses.

Each function takes the model first (a single ``Conv2d`` is a model too), then images, and
returns a matplotlib Figure (see :mod:`tinytensor.viz.common`). ``layer`` picks the
convolution: a module of the model, or an index among its convolutions (0 = the first).
Filters share one colour scale centred on zero (red positive, blue negative) with a colorbar;
responses are taken after the activation that follows the layer (ReLU, tanh, ...; a batch
norm in between is included), and labelled with what they are.
"""

from __future__ import annotations

import math

import numpy as np

import tinytensor as tt
from tinytensor.viz.common import (
    check_images,
    check_model,
    display_image,
    figure,
    no_ticks,
)

ACTIVATIONS = {
    "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Hardtanh",
    "ReLU6", "Mish", "PReLU", "CELU", "SELU", "Hardswish", "Hardsigmoid", "Softsign",
    "Tanhshrink", "LogSigmoid", "Maxout",
}  # fmt: skip
_PASS_THROUGH = ("Norm", "Dropout", "Identity")  # skipped between a conv and its activation
_FILTER_CMAP = "RdBu_r"
_LEGEND = "red: positive weight, blue: negative, white: 0"


def _is_conv(module) -> bool:
    weight = getattr(module, "weight", None)
    return isinstance(module, tt.nn.Module) and isinstance(weight, tt.Tensor) and weight.ndim == 4


def conv_layers(model) -> list:
    """The convolutions of ``model`` (modules with a 4-D weight), in registration order."""
    return [m for m in model.modules() if _is_conv(m)]


def find_conv(model, layer=None, fn: str = "tinytensor.viz"):
    """The convolution ``layer`` names: None (the first), an index, or a module of ``model``."""
    check_model(model, fn)
    convs = conv_layers(model)
    if layer is None or isinstance(layer, (int, np.integer)):
        index = 0 if layer is None else int(layer)
        if not convs:
            raise ValueError(
                f"{fn}: found no convolution layer (a module with a 4-D weight) in "
                f"{type(model).__name__}; pass a model that contains an nn.Conv2d"
            )
        if not -len(convs) <= index < len(convs):
            raise IndexError(
                f"{fn}: layer={index}, but the model has {len(convs)} convolution layer"
                f"{'s' if len(convs) != 1 else ''}"
            )
        return convs[index]
    if not _is_conv(layer):
        raise TypeError(
            f"{fn}: layer must be a convolution (nn.Conv2d, a module with a 4-D weight) or an "
            f"index among the model's convolutions, got {type(layer).__name__}; pass e.g. "
            "layer=0 for the first Conv2d"
        )
    return layer


def filter_images(conv, in_channel: int | None = None, weight=None) -> np.ndarray:
    """The filters as images ``(out_channels, kh, kw)``, or ``(out, kh, kw, 3)`` for RGB input.

    With several input channels, shows channel ``in_channel``, or (default) their mean.
    ``weight`` (an array of the layer's weight shape) replaces the layer's current weight.
    """
    conv = find_conv(conv, fn="plot_filters")
    w = conv.weight.detach().numpy() if weight is None else weight
    w = (w.detach().numpy() if isinstance(w, tt.Tensor) else np.asarray(w)).astype(np.float64)
    if in_channel is not None:
        if not -w.shape[1] <= in_channel < w.shape[1]:
            raise IndexError(
                f"plot_filters: in_channel {in_channel} out of range for a weight of shape "
                f"{tuple(w.shape)} ({w.shape[1]} input channels per filter)"
            )
        return w[:, in_channel]
    if w.shape[1] == 3:
        return np.moveaxis(w, 1, -1)
    return w.mean(axis=1)


def _before_weight(model, conv, before, fn):
    """The layer's weight before training, from a state dict, a layer or an array."""
    if before is None:
        return None
    if isinstance(before, dict):
        names = {id(m): name for name, m in model.named_modules()}
        key = (names.get(id(conv)) or "") + ".weight" if names.get(id(conv)) else "weight"
        if key not in before:
            raise KeyError(f"{fn}: before= is a state dict without {key!r} (the layer's weight)")
        before = before[key]
    elif _is_conv(before):
        before = before.weight
    w = before.detach().numpy() if isinstance(before, tt.Tensor) else np.asarray(before)
    if w.shape != tuple(conv.weight.shape):
        raise ValueError(
            f"{fn}: before= has shape {w.shape}, but the layer's weight is "
            f"{tuple(conv.weight.shape)}; pass the same layer's weights from before training"
        )
    return w


class _Captured(Exception):
    """Raised by the capturing hook to stop the forward pass once the wanted layer has run."""


def feature_maps(model, images, layer=None, activation: bool = True):
    """``(image, maps, what)`` for the first image: the input, ``layer``'s response
    ``(C, H, W)`` and a label saying what the response is (``"after ReLU"`` / ``"raw conv
    output"``). With ``activation``, the response is taken after the activation module that
    follows the layer. The model runs in eval mode without recording a graph and stops as soon
    as the response is known.
    """
    fn = "plot_feature_maps"
    check_model(model, fn)
    x = check_images(images, fn)[:1]
    conv = find_conv(model, layer, fn) if not (layer is not None and layer is model) else model
    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    state = {"conv": None, "act": None, "what": None}

    def hook(module, inputs, output):
        if module is conv:
            state["conv"] = output
            if not activation or module is model:
                raise _Captured
            return
        if state["conv"] is None:
            return
        name = type(module).__name__
        if name in ACTIVATIONS:
            state["act"], state["what"] = output, f"after {name}"
            raise _Captured
        if not any(part in name for part in _PASS_THROUGH):
            raise _Captured  # pooling, another conv, ...: no activation follows directly

    handles = [m.register_forward_hook(hook) for m in set([conv, *leaves])]
    training = model.training
    model.eval()
    try:
        with tt.no_grad():
            model(x)
    except _Captured:
        pass
    finally:
        for h in handles:
            h.remove()
        model.train(training)
    if state["conv"] is None:
        raise ValueError(
            f"{fn}: {type(conv).__name__} did not run when the model was called; pass a layer "
            "that is part of the model"
        )
    out = state["act"] if state["act"] is not None else state["conv"]
    what = state["what"] or "raw conv output" + (
        "" if not activation else " (no activation follows)"
    )
    return display_image(x[0].numpy()), out[0].numpy().astype(np.float64), what


def _crop(maps: np.ndarray, conv) -> tuple[np.ndarray, int]:
    """Drop the border whose values come partly from zero padding (it draws frames)."""
    pad = getattr(conv, "padding", 0)
    stride = getattr(conv, "stride", 1)
    pad = pad[0] if isinstance(pad, (tuple, list)) else pad
    stride = stride[0] if isinstance(stride, (tuple, list)) else stride
    if not isinstance(pad, int) or pad <= 0:
        return maps, 0
    k = math.ceil(pad / max(1, stride))
    if maps.shape[-1] - 2 * k < 2 or maps.shape[-2] - 2 * k < 2:
        return maps, 0
    return maps[..., k:-k, k:-k], k


def _grid(n: int, cols: int = 8) -> tuple[int, int]:
    cols = min(n, cols)
    return cols, math.ceil(n / cols)


def plot_filters(model, layer=None, before=None, in_channel=None, title=None):
    """A grid of the layer's filters (default: the model's first conv), on one colour scale
    centred on zero with a colorbar; with ``before`` (a state dict, a layer or an array of the
    weights before training) a row of the old filters above the new ones."""
    conv = find_conv(model, layer, "plot_filters")
    after = filter_images(conv, in_channel)
    old = _before_weight(model, conv, before, "plot_filters")
    rows_of = [("after", after)] if old is None else [
        ("before", filter_images(conv, in_channel, old)), ("after", after)]  # fmt: skip
    n = len(after)
    cols, blocks = _grid(n)
    fig = figure(figsize=(1.1 * cols + 1.6, 1.15 * blocks * len(rows_of) + 1.0),
                 layout="constrained")  # fmt: skip
    grid = fig.add_gridspec(blocks * len(rows_of), cols)
    image = _filter_rows(fig, grid, rows_of, 0, cols, label=old is not None)
    _colorbar(fig, image, fig.axes, "weight")
    fig.suptitle(title or f"{n} filters of {type(conv).__name__} ({_LEGEND})", fontsize=9)
    return fig


def _filter_rows(fig, grid, rows_of, first_row, cols, label):
    """Draw ``rows_of`` = [(name, filters)] block by block; returns the last image drawn."""
    scale = max(float(np.abs(f).max()) for _, f in rows_of) or 1.0
    image = None
    k = len(rows_of)
    for r, (name, filters) in enumerate(rows_of):
        for i, f in enumerate(filters):
            ax = fig.add_subplot(grid[first_row + k * (i // cols) + r, i % cols])
            if f.ndim == 3:  # RGB: one joint linear scale
                ax.imshow(np.clip(0.5 + f / (2 * scale), 0, 1), interpolation="nearest")
            else:
                image = ax.imshow(f, cmap=_FILTER_CMAP, vmin=-scale, vmax=scale,
                                  interpolation="nearest")  # fmt: skip
            no_ticks(ax)
            ax.set_title(f"{name} {i}" if label else f"filter {i}", fontsize=7)
    return image


def _colorbar(fig, image, axes, label, location="right"):
    if image is not None:
        shrink = 0.8 if location == "right" else 0.5
        bar = fig.colorbar(image, ax=axes, shrink=shrink, fraction=0.04, pad=0.02,
                           location=location)  # fmt: skip
        bar.set_label(label, fontsize=8)
        bar.ax.tick_params(labelsize=7)


def plot_feature_maps(model, images, layer=None, activation=True, crop_padding=True,
                      title=None):  # fmt: skip
    """The first image beside each channel of ``layer``'s response to it, on one colour scale.

    The response is taken after the layer's activation (the label says which); with
    ``crop_padding`` the border computed partly from zero padding is left out.
    """
    conv = find_conv(model, layer, "plot_feature_maps")
    image, maps, what = feature_maps(model, images, conv, activation)
    maps, cropped = _crop(maps, conv) if crop_padding else (maps, 0)
    n = len(maps) + 1
    cols, rows = _grid(n)
    fig = figure(figsize=(1.25 * cols + 1.6, 1.3 * rows + 0.8), layout="constrained")
    ax = fig.add_subplot(rows, cols, 1)
    ax.imshow(image, cmap="gray", interpolation="nearest")
    no_ticks(ax)
    ax.set_title("input", fontsize=8)
    drawn = _maps(fig, maps, lambda i: fig.add_subplot(rows, cols, i + 2), "#")
    _colorbar(fig, drawn[0], drawn[1], "response")
    note = f"; {cropped}-pixel padded border cropped" if cropped else ""
    fig.suptitle(title or f"{len(maps)} responses of {type(conv).__name__}, {what}{note}",
                 fontsize=9)  # fmt: skip
    return fig


def _maps(fig, maps, new_axes, prefix):
    lo, hi = float(maps.min()), float(maps.max())
    if lo < 0 < hi:  # signed: centre on zero like the filters
        v = max(-lo, hi)
        lo, hi, cmap = -v, v, "RdBu_r"
    else:
        cmap = "viridis"
    image, axes = None, []
    for i, m in enumerate(maps):
        ax = new_axes(i)
        image = ax.imshow(m, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1,
                          interpolation="nearest")  # fmt: skip
        no_ticks(ax)
        ax.set_title(f"{prefix}{i}", fontsize=7)
        axes.append(ax)
    return image, axes


def plot_filters_and_responses(model, images, layer=None, before=None, in_channel=None,
                               activation=True, crop_padding=True, title=None):  # fmt: skip
    """The first image on top, then for each filter of the layer (default: first conv): the
    filter before training (with ``before``), after, and its response to the image after the
    activation. Filters share one zero-centred colour scale, responses another; each has a
    colorbar."""
    conv = find_conv(model, layer, "plot_filters_and_responses")
    after = filter_images(conv, in_channel)
    old = _before_weight(model, conv, before, "plot_filters_and_responses")
    rows_of = [("filter", after)] if old is None else [
        ("before", filter_images(conv, in_channel, old)), ("after", after)]  # fmt: skip
    image, maps, what = feature_maps(model, images, conv, activation)
    maps, cropped = _crop(maps, conv) if crop_padding else (maps, 0)
    n = len(after)
    cols, blocks = _grid(n)
    per_block = len(rows_of) + 1
    fig = figure(figsize=(1.15 * cols + 2.0, 1.2 * (per_block * blocks + 1.4) + 0.8),
                 layout="constrained")  # fmt: skip
    grid = fig.add_gridspec(per_block * blocks + 1, cols)
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(image, cmap="gray", interpolation="nearest")
    no_ticks(ax)
    ax.set_title("test image", fontsize=8)
    rows_text = "before training, after training" if old is not None else "the filter"
    legend = (
        f"per filter, top to bottom: {rows_text}, its response\n"
        f"filters: {_LEGEND} (one scale)\n"
        f"responses: {what}" + (f", {cropped}-pixel padded border cropped" if cropped else "")
    )
    extra = ""
    if cols > 1:
        text = fig.add_subplot(grid[0, 1:])
        text.axis("off")
        text.text(0.02, 0.5, legend, fontsize=8, va="center")
    else:
        extra = "\n" + legend
    scale = max(float(np.abs(f).max()) for _, f in rows_of) or 1.0
    filter_axes, filter_image = [], None
    for i in range(n):
        base = 1 + per_block * (i // cols)
        for r, (name, filters) in enumerate(rows_of):
            ax = fig.add_subplot(grid[base + r, i % cols])
            f = filters[i]
            if f.ndim == 3:
                ax.imshow(np.clip(0.5 + f / (2 * scale), 0, 1), interpolation="nearest")
            else:
                filter_image = ax.imshow(f, cmap=_FILTER_CMAP, vmin=-scale, vmax=scale,
                                         interpolation="nearest")  # fmt: skip
            no_ticks(ax)
            ax.set_title(f"{name} {i}", fontsize=7)
            filter_axes.append(ax)
    resp_image, resp_axes = _maps(
        fig,
        maps,
        lambda i: fig.add_subplot(grid[per_block * (i // cols) + per_block, i % cols]),
        "response ",
    )
    _colorbar(fig, filter_image, filter_axes, "filter weight")
    _colorbar(fig, resp_image, resp_axes, f"response ({what})", location="bottom")
    fig.suptitle(
        (title or f"{type(conv).__name__}: {n} filters and their responses ({what})") + extra,
        fontsize=9,
    )
    return fig
