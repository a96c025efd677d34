"""Alias of :mod:`tinytensor.data` at PyTorch's path ``torch.utils.data``: every public name of
``tinytensor.data`` is here too."""

from tinytensor.data import *  # noqa: F403
from tinytensor.data import __all__  # noqa: F401
