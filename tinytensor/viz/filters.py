"""Pictures of a convolution layer: its filters, and the feature maps it makes from an input.

Each function returns a ``matplotlib.figure.Figure`` (not tied to pyplot, so it works without a
display); save it with ``fig.savefig("filters.png")`` or let Jupyter show it.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.grad_mode import no_grad
from tinytensor.ops.creation import as_tensor
from tinytensor.tensor import Tensor


def _figure(**kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "tinytensor.viz plots need matplotlib: pip install matplotlib "
            "(or pip install -e '.[examples]')"
        ) from None
    return Figure(**kwargs)


def _is_conv(module) -> bool:
    weight = getattr(module, "weight", None)
    return isinstance(weight, Tensor) and weight.ndim == 4


def find_conv(model):
    """``model`` itself if it is a convolution, else its first sub-module with a 4-D weight."""
    if _is_conv(model):
        return model
    for module in getattr(model, "modules", lambda: [])():
        if _is_conv(module):
            return module
    raise ValueError(
        f"tinytensor.viz: found no convolution layer (a module with a 4-D weight) in "
        f"{type(model).__name__}; pass a model that contains an nn.Conv2d"
    )


def filter_images(conv, in_channel: int | None = None) -> np.ndarray:
    """The filters as images ``(out_channels, kh, kw)``, or ``(out, kh, kw, 3)`` for RGB input.

    With several input channels, shows channel ``in_channel``, or (default) their mean.
    """
    w = find_conv(conv).weight.detach().numpy().astype(np.float64)
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


class _Captured(Exception):
    """Raised by the capturing hook to stop the forward pass once the layer has run."""


def feature_maps(model, x, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """``(image, maps)``: the input as an image and ``layer``'s output channels ``(C, H, W)``.

    ``x`` is one input ``(C, H, W)`` or a batch whose first element is used. ``layer`` defaults
    to the first convolution in ``model``. The model runs in eval mode without recording a graph
    and stops as soon as ``layer`` has produced its output.
    """
    x = as_tensor(x)
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim != 4:
        raise ValueError(
            f"tinytensor.viz: expected an image (C, H, W) or a batch (N, C, H, W), got shape "
            f"{tuple(x.shape)}"
        )
    x = x[:1]
    layer = find_conv(model) if layer is None else layer
    captured = []
    training = getattr(model, "training", None)
    if training is not None:
        model.eval()
    try:
        with no_grad():
            if layer is model:
                captured.append(model(x))
            else:

                def hook(module, inputs, output):
                    captured.append(output)
                    raise _Captured

                handle = layer.register_forward_hook(hook)
                try:
                    model(x)
                except _Captured:
                    pass
                finally:
                    handle.remove()
    finally:
        if training is not None:
            model.train(training)
    if not captured:
        raise ValueError(
            f"tinytensor.viz: {type(layer).__name__} did not run when the model was called; "
            "pass a layer that is part of the model"
        )
    image = x[0].numpy()
    image = np.moveaxis(image, 0, -1) if image.shape[0] == 3 else image.mean(axis=0)
    return image, captured[0][0].numpy()


def _symmetric(ax, img, cmap):
    """Show ``img`` with a colour scale centred on zero (a filter's sign matters)."""
    if img.ndim == 3:  # RGB filter: rescale to [0, 1]
        lo, hi = img.min(), img.max()
        ax.imshow((img - lo) / (hi - lo + 1e-12), interpolation="nearest")
    else:
        v = float(np.abs(img).max()) or 1.0
        ax.imshow(img, cmap=cmap, vmin=-v, vmax=v, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _plain(ax, img, cmap):
    ax.imshow(img, cmap=None if img.ndim == 3 else cmap, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_filters(conv, in_channel: int | None = None, cmap: str = "RdBu_r", title=None):
    """A grid of ``conv``'s filters (or a model's first conv); red positive, blue negative."""
    images = filter_images(conv, in_channel)
    n = len(images)
    cols = min(n, 8)
    rows = math.ceil(n / cols)
    fig = _figure(figsize=(1.2 * cols + 0.4, 1.2 * rows + 0.6), layout="constrained")
    for i, img in enumerate(images):
        ax = fig.add_subplot(rows, cols, i + 1)
        _symmetric(ax, img, cmap)
        ax.set_title(f"#{i}", fontsize=8)
    fig.suptitle(title or f"{n} filters of {type(find_conv(conv)).__name__}", fontsize=10)
    return fig


def plot_feature_maps(model, x, layer=None, cmap: str = "viridis", title=None):
    """The input image beside each channel of ``layer``'s response to it."""
    image, maps = feature_maps(model, x, layer)
    n = len(maps) + 1
    cols = min(n, 8)
    rows = math.ceil(n / cols)
    fig = _figure(figsize=(1.3 * cols + 0.4, 1.3 * rows + 0.6), layout="constrained")
    ax = fig.add_subplot(rows, cols, 1)
    _plain(ax, image, "gray")
    ax.set_title("input", fontsize=8)
    for i, m in enumerate(maps):
        ax = fig.add_subplot(rows, cols, i + 2)
        _plain(ax, m, cmap)
        ax.set_title(f"#{i}", fontsize=8)
    fig.suptitle(title or f"{len(maps)} feature maps", fontsize=10)
    return fig


def plot_filters_and_responses(model, x, layer=None, in_channel=None, title=None):
    """The input, then each filter of the first conv (or ``layer``) above its feature map."""
    conv = find_conv(model) if layer is None else layer
    filters = filter_images(conv, in_channel)
    image, maps = feature_maps(model, x, conv)
    n = len(filters)
    cols = min(n, 8)
    blocks = math.ceil(n / cols)
    fig = _figure(figsize=(1.25 * cols + 0.4, 1.3 * (2 * blocks + 1) + 0.7), layout="constrained")
    grid = fig.add_gridspec(2 * blocks + 1, cols)
    ax = fig.add_subplot(grid[0, :])
    _plain(ax, image, "gray")
    ax.set_title("test image", fontsize=9)
    for i in range(n):
        row, col = 1 + 2 * (i // cols), i % cols
        ax = fig.add_subplot(grid[row, col])
        _symmetric(ax, filters[i], "RdBu_r")
        ax.set_title(f"filter {i}", fontsize=7)
        ax = fig.add_subplot(grid[row + 1, col])
        _plain(ax, maps[i], "viridis")
        ax.set_title(f"response {i}", fontsize=7)
    fig.suptitle(
        title or f"{type(conv).__name__}: filters (red +, blue -) and their responses",
        fontsize=10,
    )
    return fig
