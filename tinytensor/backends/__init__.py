"""``torch.backends``: switches PyTorch programs set or read; here none selects a device.

``backends.mps.is_available()`` and ``backends.cudnn.is_available()`` are False. The cuDNN
flags (``deterministic``, ``benchmark``, ``enabled``) may be set as programs do and have no
effect: tinytensor's CPU results are deterministic anyway.
"""

from tinytensor.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
