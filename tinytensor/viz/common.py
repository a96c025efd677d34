"""What every picture function shares: the Figure class, and checking a model and its images.

Every plotting function in ``tinytensor.viz`` takes a model (an ``nn.Module``) first, then
images as a Tensor or NumPy array ``(N, C, H, W)`` (or one image ``(C, H, W)``), and returns a
``matplotlib.figure.Figure`` that is not tied to pyplot (so it works without a display), shows
itself inline in Jupyter, and is saved with ``fig.savefig("name.png")``.
"""

from __future__ import annotations

import functools
import io

import numpy as np

import tinytensor as tt


@functools.cache
def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "tinytensor.viz plots need matplotlib: pip install matplotlib "
            "(or pip install -e '.[examples]')"
        ) from None

    class TinytensorFigure(Figure):
        """A matplotlib Figure that Jupyter shows inline even without pyplot."""

        def _repr_png_(self):
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=80)
            return buf.getvalue()

    return TinytensorFigure


def figure(**kwargs):
    return _figure_class()(**kwargs)


def check_model(model, fn: str):
    """``model`` must be a Module (a single layer is a model too)."""
    if not isinstance(model, tt.nn.Module):
        hint = (
            f"; the model comes first: {fn}(model, images)"
            if isinstance(model, (tt.Tensor, np.ndarray))
            else ""
        )
        raise TypeError(
            f"{fn}: expected an nn.Module as the model, got {type(model).__name__}{hint}"
        )
    return model


def check_images(images, fn: str):
    """A float batch ``(N, C, H, W)`` as a Tensor (one image ``(C, H, W)`` becomes a batch)."""
    if isinstance(images, tt.nn.Module):
        raise TypeError(f"{fn}: expected images (a Tensor or NumPy array), got a module; "
                        f"call {fn}(model, images)")  # fmt: skip
    if not isinstance(images, (tt.Tensor, np.ndarray, list, tuple)):
        raise TypeError(
            f"{fn}: expected images as a Tensor or NumPy array (N, C, H, W), got "
            f"{type(images).__name__}"
        )
    x = images.detach() if isinstance(images, tt.Tensor) else tt.as_tensor(np.asarray(images))
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim != 4:
        raise ValueError(
            f"{fn}: expected an image (C, H, W) or a batch (N, C, H, W), got shape "
            f"{tuple(x.shape)}; add the channel axis with x.unsqueeze(1) for (N, H, W)"
        )
    if len(x) == 0:
        raise ValueError(f"{fn}: got an empty batch of images")
    if not x.dtype.is_floating_point:
        x = x.float()
    return x


def check_labels(labels, n: int, fn: str) -> np.ndarray:
    y = labels.detach().numpy() if isinstance(labels, tt.Tensor) else np.asarray(labels)
    if y.ndim != 1 or len(y) != n or y.dtype.kind not in "iu":
        raise ValueError(
            f"{fn}: labels must be {n} integer class indices (one per image), got shape "
            f"{tuple(y.shape)} of {y.dtype}"
        )
    return y.astype(np.int64)


def display_image(x: np.ndarray) -> np.ndarray:
    """One image ``(C, H, W)`` as something imshow draws: RGB ``(H, W, 3)`` or gray ``(H, W)``."""
    if x.shape[0] == 3:
        img = np.moveaxis(x, 0, -1).astype(np.float64)
        lo, hi = img.min(), img.max()
        return (img - lo) / (hi - lo + 1e-12)
    return x.mean(axis=0)


def no_ticks(ax):
    ax.set_xticks([])
    ax.set_yticks([])
