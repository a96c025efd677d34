"""``tinytensor.utils.tensorboard``: ``SummaryWriter`` for TensorBoard, as PyTorch's.

It needs the ``tensorboard`` package (an optional extra: ``pip install tensorboard``, or
``pip install -e ".[tensorboard]"`` in a clone of this repository); importing this module
without it raises ImportError saying so.
"""

try:
    import tensorboard  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised by a test that hides the package
    raise ImportError(
        "tinytensor.utils.tensorboard needs the tensorboard package, which is not installed: "
        'install it with `pip install tensorboard` (or `pip install -e ".[tensorboard]"` in a '
        "clone of tinytensor)"
    ) from e

from tinytensor.utils.tensorboard.writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
