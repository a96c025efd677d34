"""Every test that needs PyTorch carries the ``torch`` marker (or its module's ``pytestmark``).

Read with ``ast``, never imported (so this runs without torch): a test needs torch when its
body, or a fixture or helper it names (transitively, in its module, its conftest or a module it
imports names from), calls ``importorskip("torch")`` or imports torch.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_torch_import(node) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] == "torch" for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "torch" and not node.level
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return (
            name == "importorskip"
            and bool(node.args)
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "torch"
        )
    return False


def _is_torch_mark(node) -> bool:
    """``pytest.mark.torch`` (also called, or inside a list/tuple)."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_is_torch_mark(e) for e in node.elts)
    return isinstance(node, ast.Attribute) and node.attr == "torch" and "mark" in ast.unparse(node)


class Module:
    """One file's functions, what each names, and where imported names come from."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        self.defs = {}  # name -> FunctionDef (any depth: helpers, nested test factories)
        self.imported = {}  # local name -> (module path, name or None for a module)
        self.module_marked = False
        self.module_needs = False
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") == "pytestmark" for t in node.targets
            ):
                self.module_marked |= _is_torch_mark(node.value)
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.module_needs |= any(_is_torch_import(n) for n in ast.walk(node))
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.defs.setdefault(node.name, node)
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = self._resolve(node.module, node.level)
                for a in node.names:
                    sub = self._resolve(f"{node.module}.{a.name}", node.level)
                    self.imported[a.asname or a.name] = (sub, None) if sub else (base, a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    self.imported[a.asname or a.name] = (self._resolve(a.name, 0), None)

    def _resolve(self, dotted: str, level: int):
        """The test-tree file a module name points to (tests/ and this file's folder are on
        sys.path, as pytest's rootdir import mode puts them), or None."""
        parts = dotted.split(".")
        roots = [self.path.parent] if level else [self.path.parent, TESTS]
        for root in roots:
            base = root.joinpath(*parts)
            for cand in (base.with_suffix(".py"), base / "__init__.py"):
                if cand.is_file():
                    return cand
        return None


_MODULES: dict = {}


def _module(path: Path) -> Module:
    if path not in _MODULES:
        _MODULES[path] = Module(path)
    return _MODULES[path]


def _conftests(path: Path):
    d = path.parent
    while TESTS in (d, *d.parents):
        if (d / "conftest.py").is_file():
            yield _module(d / "conftest.py")
        d = d.parent


def _needs_torch(mod: Module, fn, seen=None) -> bool:
    seen = set() if seen is None else seen
    if (mod.path, fn.name, fn.lineno) in seen:
        return False
    seen.add((mod.path, fn.name, fn.lineno))
    if any(_is_torch_import(n) for n in ast.walk(fn)):
        return True
    names = {a.arg for a in fn.args.args}  # fixtures
    for n in ast.walk(fn):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            target = mod.imported.get(n.value.id)
            if target and target[0] and target[1] is None:
                other = _module(target[0])
                if n.attr in other.defs and _needs_torch(other, other.defs[n.attr], seen):
                    return True
    names.discard(fn.name)
    for name in names:
        for owner in (mod, *_conftests(mod.path)):
            if name in owner.defs and _needs_torch(owner, owner.defs[name], seen):
                return True
        target = mod.imported.get(name)
        if target and target[0] and target[1]:
            other = _module(target[0])
            if target[1] in other.defs and _needs_torch(other, other.defs[target[1]], seen):
                return True
    return False


def _marked(fn, classes) -> bool:
    return any(_is_torch_mark(d) for d in fn.decorator_list) or any(
        any(_is_torch_mark(d) for d in c.decorator_list)
        or any(
            isinstance(s, ast.Assign)
            and any(getattr(t, "id", "") == "pytestmark" for t in s.targets)
            and _is_torch_mark(s.value)
            for s in c.body
        )
        for c in classes
    )


def _tests(tree):
    """(test function, enclosing classes) at any depth (test factories define them nested)."""
    out = []

    def visit(node, classes):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, classes + [child])
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.name.startswith("test"):
                    out.append((child, classes))
                visit(child, classes)

    visit(tree, [])
    return out


def unmarked_torch_tests(paths):
    """``file:line test_name`` for each test that needs torch but carries no ``torch`` marker."""
    bad = []
    for path in paths:
        mod = _module(path)
        if mod.module_marked:
            continue
        for fn, classes in _tests(mod.tree):
            if _marked(fn, classes):
                continue
            if mod.module_needs or _needs_torch(mod, fn):
                bad.append(f"{path.relative_to(TESTS.parent)}:{fn.lineno} {fn.name}")
    return bad


def test_every_test_that_needs_torch_is_marked():
    paths = sorted(p for p in TESTS.rglob("*.py") if p.name != "conftest.py")
    bad = unmarked_torch_tests(paths)
    assert not bad, "tests that need PyTorch without @pytest.mark.torch:\n" + "\n".join(bad)


def test_the_guard_sees_direct_helper_and_fixture_uses(tmp_path):
    (tmp_path / "helpers_x.py").write_text("def oracle():\n    import torch\n    return torch\n")
    (tmp_path / "test_x.py").write_text(
        "import pytest\nfrom helpers_x import oracle\n\n"
        "@pytest.fixture\ndef th():\n    return pytest.importorskip('torch')\n\n"
        "def test_direct():\n    pytest.importorskip('torch')\n\n"
        "def test_helper():\n    oracle()\n\n"
        "def test_fixture(th):\n    pass\n\n"
        "@pytest.mark.torch\ndef test_marked():\n    import torch\n\n"
        "def test_numpy_only():\n    pass\n"
    )
    global TESTS
    saved, TESTS = TESTS, tmp_path
    try:
        bad = unmarked_torch_tests([tmp_path / "test_x.py"])
    finally:
        TESTS = saved
    assert [b.split()[-1] for b in bad] == ["test_direct", "test_helper", "test_fixture"]
