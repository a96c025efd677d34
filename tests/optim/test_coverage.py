"""Every public name of ``torch.optim`` and ``torch.optim.lr_scheduler`` exists here or has a
``NOT_PLANNED`` row with a reason; prints the coverage numbers (``pytest -s``)."""

from __future__ import annotations

import inspect

import pytest

import tinytensor.optim as ours_optim
from tinytensor.optim import lr_scheduler as ours_sched

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def public_names(module):
    """Classes, functions and submodules a user is meant to reach: ``__all__`` where the
    module has one, else every non-underscore class/function defined in that module."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(module).items()
            if (inspect.isclass(v) or inspect.isfunction(v))
            and getattr(v, "__module__", "").startswith(module.__name__)
        ]
    return sorted(n for n in names if not n.startswith("_"))


MODULES = [
    ("torch.optim", lambda: torch.optim, ours_optim),
    ("torch.optim.lr_scheduler", lambda: torch.optim.lr_scheduler, ours_sched),
    ("torch.optim.swa_utils", lambda: torch.optim.swa_utils, ours_optim.swa_utils),
]


@pytest.mark.parametrize("label,theirs,ours", MODULES, ids=[m[0] for m in MODULES])
def test_every_public_name_exists_or_is_not_planned(label, theirs, ours):
    names = public_names(theirs())
    not_planned = getattr(ours, "NOT_PLANNED", {})
    missing = [n for n in names if not hasattr(ours, n) and n not in not_planned]
    assert not missing, f"{label}: add these or give each a NOT_PLANNED row: {missing}"
    present = [n for n in names if hasattr(ours, n)]
    print(f"\n{label}: {len(present)}/{len(names)} public names present, "
          f"{len(names) - len(present)} NOT_PLANNED")  # fmt: skip


@pytest.mark.parametrize("label,theirs,ours", MODULES, ids=[m[0] for m in MODULES])
def test_not_planned_rows_are_honest(label, theirs, ours):
    names = set(public_names(theirs()))
    for name, reason in getattr(ours, "NOT_PLANNED", {}).items():
        assert name in names, f"{label}: NOT_PLANNED row {name!r} is not a torch name"
        assert not hasattr(ours, name), f"{label}: {name!r} exists, drop its NOT_PLANNED row"
        assert isinstance(reason, str) and len(reason) > 15 and "\n" not in reason, name
