"""PyTorch spellings for the op table; torch is imported only when a torch test runs."""

from __future__ import annotations


def torch_call(name, **fixed):
    """``torch.<name>(*args, **fixed, **kwargs)``."""

    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **fixed, **kwargs)

    call.__name__ = f"torch.{name}"
    return call
