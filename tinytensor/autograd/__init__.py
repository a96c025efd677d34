"""Automatic differentiation: the engine, grad modes, hooks and ``grad``."""

from tinytensor.autograd.api import backward, grad
from tinytensor.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinytensor.autograd.node import Node

__all__ = [
    "Node",
    "backward",
    "enable_grad",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
