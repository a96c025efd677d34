"""PyTorch's ``torch.utils`` location, so ``from tinytensor.utils.data import DataLoader`` works;
``tinytensor.utils.checkpoint`` runs the function without recomputation."""

from tinytensor.compat import NOT_PLANNED_MODULES
from tinytensor.utils import checkpoint, data

__all__ = ["checkpoint", "data"]


def __getattr__(name):
    if name == "tensorboard":  # imported on first use: it needs the optional tensorboard package
        import importlib

        return importlib.import_module("tinytensor.utils.tensorboard")
    reason = NOT_PLANNED_MODULES.get(f"torch.utils.{name}")
    if reason is not None:
        raise AttributeError(
            f"tinytensor.utils.{name} (torch.utils.{name}) is not planned: {reason}"
        )
    raise AttributeError(f"module 'tinytensor.utils' has no attribute {name!r}")
