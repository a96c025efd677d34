"""Every public name of ``torch``, ``torch.Tensor``, ``torch.linalg``, ``torch.special`` and
``torch.fft`` exists in tinytensor or has a row in ``tinytensor.compat.NOT_PLANNED`` with a
reason; a row for a name that exists here is stale and fails. The coverage printed here is the
one the README states (run with ``-s`` to see it).

Public means: not starting with ``_``; for ``torch``, not a submodule (``torch.nn`` and friends
are namespaces of their own); for the submodules, callables only (their docstring-template
dicts are not API).
"""

from __future__ import annotations

import types

import pytest

import tinytensor as tt
from tinytensor.compat import NOT_PLANNED

pytestmark = pytest.mark.torch

def _torch():
    return pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )


def public_names(torch, namespace):
    """The public names of one of PyTorch's namespaces, as this test counts them."""
    if namespace == "torch.Tensor":
        return sorted(n for n in dir(torch.Tensor) if not n.startswith("_"))
    if namespace == "torch":
        return sorted(
            n
            for n in dir(torch)
            if not n.startswith("_") and not isinstance(getattr(torch, n), types.ModuleType)
        )
    mod = getattr(torch, namespace.split(".")[1])
    return sorted(
        n
        for n in dir(mod)
        if not n.startswith("_")
        and callable(getattr(mod, n))
        and not isinstance(getattr(mod, n), types.ModuleType)
        and getattr(mod, n) is not torch.Tensor
    )


def ours(namespace):
    return {
        "torch": tt,
        "torch.Tensor": tt.Tensor,
        "torch.linalg": tt.linalg,
        "torch.special": tt.special,
        "torch.fft": tt.fft,
    }[namespace]


def coverage(torch, namespace):
    """(present, not_planned, missing) name lists for one namespace."""
    here, table = ours(namespace), NOT_PLANNED[namespace]
    groups = ([], [], [])
    for name in public_names(torch, namespace):
        if name in table:
            groups[1].append(name)
        elif hasattr(here, name):
            groups[0].append(name)
        else:
            groups[2].append(name)
    return groups


NAMESPACES = ["torch", "torch.Tensor", "torch.linalg", "torch.special", "torch.fft"]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_exists_or_is_not_planned(namespace):
    torch = _torch()
    present, planned_out, missing = coverage(torch, namespace)
    total = len(present) + len(missing)
    print(
        f"\n{namespace}: {len(present)} / {total} present ({100 * len(present) / total:.1f}%), "
        f"{len(planned_out)} not planned"
    )
    assert not missing, f"{namespace}: missing here and not in NOT_PLANNED: {missing}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_not_planned_rows_are_real_reasoned_and_not_stale(namespace):
    torch = _torch()
    theirs = set(public_names(torch, namespace))
    own_table = {"torch.linalg": tt.linalg, "torch.fft": tt.fft}.get(namespace)
    for name, reason in NOT_PLANNED[namespace].items():
        assert name in theirs, f"NOT_PLANNED[{namespace!r}] names {name}, not public in PyTorch"
        assert isinstance(reason, str) and len(reason) > 10, (namespace, name)
        # A module's own table may list the stubs it provides (they raise with the reason).
        if own_table is None or name not in own_table.NOT_PLANNED:
            assert not hasattr(ours(namespace), name), (
                f"stale row: {namespace}.{name} exists in tinytensor; remove it from NOT_PLANNED"
            )
