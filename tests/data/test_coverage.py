"""Every public name of ``torch.utils.data`` exists in ``tinytensor.data`` or has a NOT_PLANNED
row saying why not; ``tinytensor.utils.data`` (PyTorch's path) exposes the same names."""

from __future__ import annotations

import pytest

import tinytensor.data as data
import tinytensor.utils.data as utils_data


def _torch_names():
    torch = pytest.importorskip("torch")
    module = torch.utils.data
    return sorted(set(getattr(module, "__all__", [])) or
                  {n for n in dir(module) if not n.startswith("_")})  # fmt: skip


@pytest.mark.torch
def test_every_torch_utils_data_name_exists_or_is_not_planned():
    names = _torch_names()
    missing = [n for n in names if not hasattr(data, n) and n not in data.NOT_PLANNED]
    assert not missing, (
        f"torch.utils.data names with neither an implementation nor a row: {missing}"
    )
    both = [n for n in data.NOT_PLANNED if hasattr(data, n)]
    assert not both, f"NOT_PLANNED rows for names that exist: {both}"
    stale = [n for n in data.NOT_PLANNED if n not in names]
    assert not stale, f"NOT_PLANNED rows for names torch.utils.data does not have: {stale}"


def test_not_planned_rows_give_a_reason():
    for name, reason in data.NOT_PLANNED.items():
        assert isinstance(reason, str) and len(reason) > 10, name


def test_utils_data_alias_exposes_everything():
    for name in data.__all__:
        assert getattr(utils_data, name) is getattr(data, name), name
    assert set(utils_data.__all__) == set(data.__all__)
    for name in data.__all__:
        assert hasattr(data, name), name
