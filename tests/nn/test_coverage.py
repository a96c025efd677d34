"""Every public name of ``torch.nn`` and ``torch.nn.functional`` exists in tinytensor or has a
``NOT_PLANNED`` row with a reason. Names other engineers are building now sit in IN_PROGRESS
(printed, accepted); names nobody owns yet sit in NOT_YET (printed, accepted) until built."""

from __future__ import annotations

import inspect
import re

import pytest

import tinytensor.nn as tnn
import tinytensor.nn.functional as tF

pytestmark = pytest.mark.torch

# The conv/pool/pad/resample and the attention/transformer/recurrent families (issue #12).
_IN_PROGRESS = re.compile(
    r"Conv|conv|Pool|pool|Pad|pad|Upsampl|upsampl|interpolate|[Pp]ixel|Fold|fold|grid_sample|"
    r"affine_grid|GRID_SAMPLE|Unpool|unpool|Fractional|fractional|[Aa]ttention|Transformer|"
    r"GRU|RNN|LSTM|multi_head"
)

#: Not owned by anyone yet; to be built.
NOT_YET: set[str] = set()


def _public(mod):
    return sorted(
        n
        for n in dir(mod)
        if not n.startswith("_") and not (inspect.ismodule(getattr(mod, n)) and n in {"torch"})
    )


@pytest.mark.parametrize("which", ["nn", "functional"])
def test_every_public_name_exists_or_is_not_planned(which):
    torch = pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 (CPU build)"
    )
    theirs = torch.nn if which == "nn" else torch.nn.functional
    ours = tnn if which == "nn" else tF
    not_planned = ours.NOT_PLANNED
    present, planned_out, in_progress, not_yet, missing = [], [], [], [], []
    for name in _public(theirs):
        if hasattr(ours, name) and name not in not_planned:
            present.append(name)
        elif name in not_planned:
            planned_out.append(name)
        elif _IN_PROGRESS.search(name):
            in_progress.append(name)
        elif name in NOT_YET:
            not_yet.append(name)
        else:
            missing.append(name)
    print(
        f"torch.{'nn' if which == 'nn' else 'nn.functional'}: {len(present)} present, "
        f"{len(planned_out)} not planned, {len(in_progress)} in progress, "
        f"{len(not_yet)} not yet\nIN_PROGRESS: {in_progress}\nNOT_YET: {not_yet}"
    )
    assert not missing, f"missing and not in NOT_PLANNED: {missing}"


@pytest.mark.parametrize("which", ["nn", "functional"])
def test_not_planned_rows_are_real_and_reasoned(which):
    torch = pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 (CPU build)"
    )
    theirs = torch.nn if which == "nn" else torch.nn.functional
    ours = tnn if which == "nn" else tF
    for name, reason in ours.NOT_PLANNED.items():
        assert hasattr(theirs, name), f"NOT_PLANNED names {name}, which PyTorch does not have"
        assert isinstance(reason, str) and len(reason) > 10
