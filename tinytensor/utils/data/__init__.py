"""Alias of :mod:`tinytensor.data` at PyTorch's path ``torch.utils.data``: every public name of
``tinytensor.data`` is here too, and PyTorch's submodule paths (``torch.utils.data.sampler``,
``.distributed``, ``.dataset``, ``.dataloader``) import."""

from tinytensor.data import *  # noqa: F403
from tinytensor.data import __all__  # noqa: F401
from tinytensor.utils.data import dataloader, dataset, distributed, sampler  # noqa: F401
