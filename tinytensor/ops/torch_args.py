"""The decorators of ``tinytensor._namespace.conventions``, for the two op modules that still
wrap their ops in their module (``elementwise``, ``reduce``); the namespace door unwraps them
and applies the conventions itself. Goes away when those modules drop the decorators."""

from tinytensor._namespace.conventions import numpy_aliases, torch_args

__all__ = ["numpy_aliases", "torch_args"]
