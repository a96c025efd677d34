"""PyTorch's ``torch.utils`` location, so ``from tinytensor.utils.data import DataLoader`` works."""

from tinytensor.utils import data

__all__ = ["data"]
