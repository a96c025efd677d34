"""``torch.nn.modules.module``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.module import Module
from tinytensor.nn.modules._missing import not_planned

__all__ = [
    "Module",
]


def __getattr__(name):
    return not_planned(__name__, name)
