"""Every PyTorch name tinytensor leaves out on purpose raises with its reason.

The rows are those of ``tinytensor.compat.NOT_PLANNED`` (functions of ``torch``,
``torch.linalg``, ``torch.special``, ``torch.fft``; ``torch.Tensor`` methods) and
``NOT_PLANNED_MODULES``. The tables are read when the tests run, not copied here: a row removed
because its name now exists simply drops out. Needs no PyTorch.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import re

import pytest

import tinytensor as tt
from tinytensor import compat

# Each reason says what to do instead, not only why.
ADVICE = re.compile(
    r"\b(use|drop|call|remove|run|keep|pass|load|write|index|cast|loop|log|give|compute|backpropagate)\b",
    re.I,
)


def _check_all(rows, check):
    """Runs ``check(name, reason)`` on every row; fails once, listing every row that failed."""
    bad = []
    for name, reason in rows:
        try:
            check(name, reason)
        except AssertionError as e:
            bad.append(f"{name}: {e}")
    assert not bad, "\n".join(bad[:20]) + f"\n({len(bad)} rows)"


def _raises(error, fn):
    try:
        fn()
    except error as e:
        return e
    raise AssertionError(f"no {error.__name__}")


def test_the_names_the_issue_lists():
    x = tt.ones(2)
    cases = [
        (lambda: tt.autocast, "tinytensor.autocast (torch.autocast) is not planned: autocast"),
        (lambda: tt.view_as_complex, "(torch.view_as_complex) is not planned: complex dtypes"),
        (lambda: x.storage(), "Tensor.storage (torch.Tensor.storage) is not planned: storage"),
    ]
    for get, start in cases:
        with pytest.raises(AttributeError) as info:
            get()
        assert start in str(info.value)
        assert ADVICE.search(str(info.value)), str(info.value)
    with pytest.raises(ModuleNotFoundError, match=r"^tinytensor.autocast \(torch.autocast\) is"):
        exec("from tinytensor import autocast", {})


def test_every_torch_row_raises_its_reason():
    rows = sorted(compat.NOT_PLANNED["torch"].items())
    assert len(rows) > 100

    def check(name, reason):
        e = _raises(AttributeError, lambda: getattr(tt, name))
        assert str(e) == f"tinytensor.{name} (torch.{name}) is not planned: {reason}", str(e)
        assert not hasattr(tt, name)
        # `from tinytensor import name` keeps the reason too (not a bare 'cannot import name').
        e = _raises(ImportError, lambda: exec(f"from tinytensor import {name}", {}))
        assert reason in str(e), str(e)

    _check_all(rows, check)


def test_every_tensor_row_raises_its_reason():
    rows = sorted(compat.NOT_PLANNED["torch.Tensor"].items())
    assert len(rows) > 20
    x, p = tt.ones(2), tt.nn.Parameter(tt.ones(2))

    def check(name, reason):
        for t in (x, p):
            e = _raises(AttributeError, lambda t=t: getattr(t, name))
            want = f"Tensor.{name} (torch.Tensor.{name}) is not planned: {reason}"
            assert str(e) == want, str(e)
            assert e.name == name and e.obj is t
        assert not hasattr(tt.Tensor, name)

    _check_all(rows, check)


@pytest.mark.parametrize("namespace", ["torch.linalg", "torch.special"])
def test_every_linalg_and_special_row_raises_its_reason(namespace):
    module = getattr(tt, namespace.split(".")[1])
    rows = sorted(compat.NOT_PLANNED[namespace].items())

    def check(name, reason):
        e = _raises(AttributeError, lambda: getattr(module, name))
        want = f"{module.__name__}.{name} ({namespace}.{name}) is not planned: {reason}"
        assert str(e) == want, str(e)

    _check_all(rows, check)


def test_every_fft_row_is_a_stub_that_raises_its_reason():
    rows = sorted(compat.NOT_PLANNED["torch.fft"].items())

    def check(name, reason):
        e = _raises(TypeError, lambda: getattr(tt.fft, name)(tt.ones(4)))
        assert reason in str(e) and "For values" in str(e), str(e)

    _check_all(rows, check)


def test_every_module_row_raises_its_reason_and_is_not_stale():
    rows = sorted(compat.NOT_PLANNED_MODULES.items())
    assert rows

    def check(torch_name, reason):
        ours = "tinytensor" + torch_name[len("torch") :]
        parent_name, _, leaf = ours.rpartition(".")
        parent = importlib.import_module(parent_name)
        real = importlib.machinery.PathFinder.find_spec(ours, getattr(parent, "__path__", None))
        assert real is None, f"stale row: {ours} exists; remove {torch_name} from the table"
        want = f"{ours} ({torch_name}) is not planned: {reason}"
        e = _raises(ModuleNotFoundError, lambda: importlib.import_module(ours))
        assert str(e) == want, str(e)
        e = _raises(ImportError, lambda: exec(f"import {ours}", {}))
        assert str(e) == want, str(e)
        e = _raises(ImportError, lambda: exec(f"from {parent_name} import {leaf}", {}))
        assert str(e) == want, str(e)
        e = _raises(AttributeError, lambda: getattr(parent, leaf))
        assert str(e) == want, str(e)

    _check_all(rows, check)


def test_every_reason_says_what_to_do():
    tables = {ns: t for ns, t in compat.NOT_PLANNED.items() if ns != "torch.fft"}
    tables["modules"] = compat.NOT_PLANNED_MODULES
    rows = [(f"{ns}: {name}", r) for ns, t in tables.items() for name, r in t.items()]

    def check(name, reason):
        assert isinstance(reason, str) and ADVICE.search(reason), f"no advice in {reason!r}"

    _check_all(rows, check)


def test_other_misses_keep_pythons_messages():
    x = tt.ones(2)
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'shapee'$"):
        x.shapee  # noqa: B018
    with pytest.raises(AttributeError, match=r"^'Parameter' object has no attribute 'nope'$"):
        tt.nn.Parameter(x).nope  # noqa: B018
    with pytest.raises(AttributeError, match=r"^module 'tinytensor' has no attribute 'nope'$"):
        tt.nope  # noqa: B018
    with pytest.raises(AttributeError, match=r"^module 'tinytensor.linalg' has no attribute"):
        tt.linalg.nope  # noqa: B018
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("tinytensor.nope")
    assert info.value.name == "tinytensor.nope"
    assert getattr(x, "nope", 7) == 7 and not hasattr(x, "__array_priority_nope__")
    # Found attributes never reach __getattr__.
    assert x.shape == (2,) and x.storage_offset() == 0
