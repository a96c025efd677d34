"""Automatic differentiation: the engine, grad modes, custom Functions, hooks, anomaly mode,
``grad`` and (loaded on first use) ``functional``."""

from tinytensor.autograd.anomaly import (
    detect_anomaly,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from tinytensor.autograd.api import backward, grad
from tinytensor.autograd.function import Function, FunctionCtx
from tinytensor.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinytensor.autograd.node import Node
from tinytensor.autograd.variable import Variable

__all__ = [
    "Variable",
    "Function",
    "FunctionCtx",
    "Node",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]


def __getattr__(name):
    # functional and the gradient checkers pull in the ops: load them when first asked for.
    import importlib

    if name == "functional":
        return importlib.import_module("tinytensor.autograd.functional")
    if name in ("gradcheck", "gradgradcheck"):
        return getattr(importlib.import_module("tinytensor.testing.gradcheck"), name)
    raise AttributeError(f"module 'tinytensor.autograd' has no attribute {name!r}")
