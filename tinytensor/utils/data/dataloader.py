"""``torch.utils.data.dataloader``'s path: :class:`DataLoader`, ``default_collate`` and
``get_worker_info``."""

from tinytensor.data.collate import default_collate, default_convert
from tinytensor.data.dataloader import DataLoader
from tinytensor.data.worker import get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
