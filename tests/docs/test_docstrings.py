"""The docs stay true: every public class and function has a docstring and a reference entry.

"Public" means: the names in a module's ``__all__``, or, for a module without one, the names
not starting with ``_`` that the module defines itself (plus, for ``tinytensor``, everything it
imports from its submodules, and its lazily loaded ``save``/``load``). Only classes and functions
count: dtypes, constants and submodules do not need docstrings of their own.

A name is in the reference when docs/reference/*.md has a ``::: dotted.path`` directive for it,
for the module that holds it, or for any other name bound to the same object (so ``tt.concat``
is covered by ``cat``). A ``::: package`` directive does not render a name that is also one of
the package's submodules (``tinytensor.onnx.export``): such a function needs its own directive.

Every top-level module of the package is either checked here or listed as machinery, so a new
namespace cannot land without a reference page.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"

# Modules whose public names must be documented. Optional ones are checked when they exist.
MODULES = [
    "tinytensor",
    "tinytensor.autograd",
    "tinytensor.autograd.functional",
    "tinytensor.func",
    "tinytensor.sparse",
    "tinytensor.linalg",
    "tinytensor.special",
    "tinytensor.fft",
    "tinytensor.cuda",
    "tinytensor.accelerator",
    "tinytensor.backends.cudnn",
    "tinytensor.backends.mps",
    "tinytensor.compat",
    "tinytensor.compiler",
    "tinytensor.allocator",
    "tinytensor.nn",
    "tinytensor.nn.functional",
    "tinytensor.nn.init",
    "tinytensor.nn.utils",
    "tinytensor.nn.utils.rnn",
    "tinytensor.nn.utils.parametrize",
    "tinytensor.nn.utils.parametrizations",
    "tinytensor.nn.utils.stateless",
    "tinytensor.nn.utils.fusion",
    "tinytensor.optim",
    "tinytensor.optim.lr_scheduler",
    "tinytensor.optim.swa_utils",
    "tinytensor.data",
    "tinytensor.data.datasets",
    "tinytensor.data.transforms",
    "tinytensor.utils.data",
    "tinytensor.utils.checkpoint",
    "tinytensor.testing",
    "tinytensor.testing.strategies",
    "tinytensor.viz",
    "tinytensor.cli",
    "tinytensor.serialization",
    "tinytensor.multiprocessing",
    "tinytensor.distributed",
    "tinytensor.nn.parallel",
    "tinytensor.distributions",
    "tinytensor.distributions.constraints",
    "tinytensor.distributions.kl",
    "tinytensor.distributions.transforms",
]
# Top-level modules that are not namespaces of their own: their public names are re-exported
# by ``tinytensor`` (and checked there) or are the machinery under it.
IMPLEMENTATION_MODULES = {"core", "ops", "tensor", "tensor_methods", "types"}

# Checked when they import: ``onnx`` needs the optional ``onnx`` package only when used, but a
# module still being written may be absent from a checkout.
OPTIONAL_MODULES = [
    "tinytensor.onnx",
    "tinytensor.utils.tensorboard",
]

_DIRECTIVE = re.compile(r"^:::\s+([\w.]+)\s*$", re.MULTILINE)


def _is_api_object(obj) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)


def _public_names(module) -> list[str]:
    """The public names of ``module`` (see the module docstring)."""
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    elif module.__name__ == "tinytensor":
        names = [n for n in vars(module) if not n.startswith("_")] + ["save", "load"]
    else:
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
        ]
    return names


def public_api() -> dict[str, object]:
    """``{"module.name": object}`` for every public class and function of the checked modules."""
    api = {}
    for modname in MODULES + [m for m in OPTIONAL_MODULES if _importable(m)]:
        module = importlib.import_module(modname)
        for name in _public_names(module):
            obj = getattr(module, name)
            if _is_api_object(obj):
                api[f"{modname}.{name}"] = obj
    return api


def _importable(modname: str) -> bool:
    try:
        importlib.import_module(modname)
    except ImportError:
        return False
    return True


def _resolve(path: str):
    """The object a ``:::`` directive names. Like mkdocstrings' loader, a submodule wins over
    an attribute of the same name (``tinytensor.nn.functional.linear`` is the module)."""
    try:
        return importlib.import_module(path)
    except ImportError:
        pass
    module, _, name = path.rpartition(".")
    return getattr(_resolve(module), name)


def _rendered_names(module) -> list[str]:
    """The public names a ``::: module`` directive renders. A package's name that is also one of
    its submodules (``tinytensor.onnx.export``) is read as the submodule by the static loader, so
    the function behind it is not rendered there: it needs a directive of its own."""
    names = [n for n in _public_names(module) if hasattr(module, n)]
    if not hasattr(module, "__path__"):
        return names
    return [
        n
        for n in names
        if inspect.ismodule(getattr(module, n))
        or importlib.util.find_spec(f"{module.__name__}.{n}") is None
    ]


def documented_objects() -> set[int]:
    """ids of every object the reference pages render."""
    ids = set()
    for page in REFERENCE.glob("*.md"):
        for path in _DIRECTIVE.findall(page.read_text()):
            obj = _resolve(path)
            if inspect.ismodule(obj):
                ids.update(_key(getattr(obj, n)) for n in _rendered_names(obj))
            else:
                ids.add(_key(obj))
    return ids


def _key(obj) -> int:
    """An object's identity for the reference: the op behind the namespace door, so
    ``tinytensor.sinh`` (the op with ``out=``) is rendered by ``::: tinytensor.ops.trig``."""
    return id(inspect.unwrap(obj)) if inspect.isfunction(obj) else id(obj)


def _has_docstring(obj) -> bool:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return bool(doc and doc.strip())


def test_every_public_name_has_a_docstring():
    missing = sorted(name for name, obj in public_api().items() if not _has_docstring(obj))
    assert not missing, "public names without a docstring:\n  " + "\n  ".join(missing)


def test_every_public_name_is_in_the_reference():
    documented = documented_objects()
    missing = sorted(name for name, obj in public_api().items() if _key(obj) not in documented)
    assert not missing, (
        "public names missing from docs/reference (add a ::: directive):\n  " + "\n  ".join(missing)
    )


def test_every_reference_directive_resolves():
    for page in sorted(REFERENCE.glob("*.md")):
        for path in _DIRECTIVE.findall(page.read_text()):
            _resolve(path)  # raises if the name is gone


@pytest.mark.parametrize("module", OPTIONAL_MODULES)
def test_optional_module_has_a_reference_page(module):
    if not _importable(module):
        pytest.skip(f"{module} does not exist (yet)")
    text = "\n".join(p.read_text() for p in REFERENCE.glob("*.md"))
    assert f"::: {module}" in text, f"{module} exists: give it a reference page"


def test_every_top_level_module_is_checked():
    """A new ``tinytensor/<name>.py`` or package is a new public namespace (as ``torch.<name>``
    is): list it in MODULES (and give it a reference page) or, if it is machinery whose names
    ``tinytensor`` re-exports, in IMPLEMENTATION_MODULES."""
    import pkgutil

    import tinytensor

    checked = {m.split(".")[1] for m in MODULES + OPTIONAL_MODULES if m.count(".") >= 1}
    unlisted = sorted(
        info.name
        for info in pkgutil.iter_modules(tinytensor.__path__)
        if not info.name.startswith("_") and info.name not in checked | IMPLEMENTATION_MODULES
    )
    assert not unlisted, f"top-level modules neither checked nor listed as machinery: {unlisted}"
