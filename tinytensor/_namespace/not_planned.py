"""PyTorch Tensor attributes left out on purpose, as class attributes that raise with the reason.

``tinytensor.compat`` holds the reasons (its ``NOT_PLANNED["torch.Tensor"]`` table) and calls
:func:`mark_not_planned` once. A class attribute, not ``Tensor.__getattr__``: a class that defines
``__getattr__`` loses CPython's specialised attribute reads on every tensor (``t._data``), which
cost the scalar benchmark W1 about 5%.
"""

from __future__ import annotations


class NotPlanned:
    """Reading this attribute (``x.storage``) raises an AttributeError with the reason and what
    to use instead, on the class and on instances, so ``hasattr`` is False."""

    __slots__ = ("name", "reason")

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason

    def __get__(self, obj, objtype=None):
        msg = f"Tensor.{self.name} (torch.Tensor.{self.name}) is not planned: {self.reason}"
        raise AttributeError(msg, name=self.name, obj=obj)


def mark_not_planned(cls: type, reasons: dict[str, str]) -> None:
    """Each ``name -> reason`` that ``cls`` lacks becomes a :class:`NotPlanned` attribute."""
    for name, reason in reasons.items():
        if not hasattr(cls, name):
            setattr(cls, name, NotPlanned(name, reason))
