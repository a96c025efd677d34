"""Tools to test gradients: ``gradcheck``, ``gradgradcheck`` and hypothesis ``strategies``."""

from tinytensor.testing.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


def __getattr__(name):
    # strategies needs hypothesis, an optional extra: import it only when asked for.
    if name == "strategies":
        import importlib

        return importlib.import_module("tinytensor.testing.strategies")
    raise AttributeError(f"module 'tinytensor.testing' has no attribute {name!r}")
