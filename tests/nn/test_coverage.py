"""Every public name of ``torch.nn`` and ``torch.nn.functional`` exists in tinytensor or has a
``NOT_PLANNED`` row with a reason; the test prints the coverage the README quotes."""

from __future__ import annotations

import inspect

import pytest

import tinytensor.nn as tnn
import tinytensor.nn.functional as tF

pytestmark = pytest.mark.torch

def _public(mod):
    return sorted(
        n
        for n in dir(mod)
        if not n.startswith("_") and not (inspect.ismodule(getattr(mod, n)) and n in {"torch"})
    )


@pytest.mark.parametrize("which", ["nn", "functional"])
def test_every_public_name_exists_or_is_not_planned(which):
    torch = pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    theirs = torch.nn if which == "nn" else torch.nn.functional
    ours = tnn if which == "nn" else tF
    not_planned = ours.NOT_PLANNED
    present, planned_out, missing = [], [], []
    for name in _public(theirs):
        if hasattr(ours, name) and name not in not_planned:
            present.append(name)
        elif name in not_planned:
            planned_out.append(name)
        else:
            missing.append(name)
    print(
        f"torch.{'nn' if which == 'nn' else 'nn.functional'}: {len(present)} present, "
        f"{len(planned_out)} not planned"
    )
    assert not missing, f"missing and not in NOT_PLANNED: {missing}"


@pytest.mark.parametrize("which", ["nn", "functional"])
def test_not_planned_rows_are_real_and_reasoned(which):
    torch = pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    theirs = torch.nn if which == "nn" else torch.nn.functional
    ours = tnn if which == "nn" else tF
    for name, reason in ours.NOT_PLANNED.items():
        assert hasattr(theirs, name), f"NOT_PLANNED names {name}, which PyTorch does not have"
        assert isinstance(reason, str) and len(reason) > 10
