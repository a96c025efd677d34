"""The error for a ``torch.nn.modules`` name tinytensor does not provide: its reason from
``tinytensor.nn.NOT_PLANNED``."""

from __future__ import annotations

import sys


def not_planned(module, name):
    """Raise the AttributeError for ``module.name``, with tinytensor's reason if it has one."""
    # tinytensor.nn imports this package, so its table is read at call time, not imported.
    reason = getattr(sys.modules.get("tinytensor.nn"), "NOT_PLANNED", {}).get(name)
    if reason is not None:
        raise AttributeError(f"{module}.{name} is not provided by tinytensor: {reason}")
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
