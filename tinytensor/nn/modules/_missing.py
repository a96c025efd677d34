"""The error for a ``torch.nn.modules`` name tinytensor does not provide: its reason from
``tinytensor.nn.NOT_PLANNED``."""

from __future__ import annotations

import sys


def not_planned(module, name, pytorch_also=()):
    """``tinytensor.nn.<name>`` if PyTorch keeps ``name`` in this file (``pytorch_also``) and
    tinytensor.nn has it now; else the AttributeError, with tinytensor's reason if it has one."""
    # tinytensor.nn imports this package, so it is read at call time, not imported.
    nn = sys.modules.get("tinytensor.nn")
    if name in pytorch_also and hasattr(nn, name):
        return getattr(nn, name)
    reason = getattr(nn, "NOT_PLANNED", {}).get(name)
    if reason is not None:
        raise AttributeError(f"{module}.{name} is not provided by tinytensor: {reason}")
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
