"""``torch.nn.modules.container``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.containers import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from tinytensor.nn.modules._missing import not_planned

__all__ = [
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
]

# PyTorch's other names here: given from tinytensor.nn once it has them, else the reason.
_PYTORCH_ALSO = ("Container",)


def __getattr__(name):
    return not_planned(__name__, name, _PYTORCH_ALSO)
