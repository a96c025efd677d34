"""The package's import structure: no import cycle among tinytensor's modules, every module
importable first in a fresh interpreter, and function-level imports only where they buy CLI
start-up time (each with a one-line comment saying why).

All three read the source with ``ast`` or run it in child processes; none imports tinytensor here.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "tinytensor"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path):
    """(node, in_function) for every import in the file, except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:  # the else branch runs
                    visit_stmt(sub, in_function)
                continue
            visit_stmt(child, in_function)

    def visit_stmt(child, in_function):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append((child, in_function))
        inner = in_function or isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        )
        visit(child, inner)

    visit(tree, False)
    return found


def _targets(module: str, node) -> set[str]:
    """The tinytensor modules an import statement loads (``from pkg import sub`` loads
    ``pkg.sub`` when that is a module, else ``pkg``)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    if node.level:
        is_pkg = MODULES[module].name == "__init__.py"
        base = module.split(".")
        base = base if is_pkg else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source != "tinytensor" and not source.startswith("tinytensor."):
        return set()
    out = set()
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        out.add(sub if sub in MODULES else source)
    return {m for m in out if m in MODULES}


def import_graph() -> dict[str, set[str]]:
    return {
        m: {t for node, _ in _imports(p) for t in _targets(m, node)} - {m}
        for m, p in MODULES.items()
    }


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_the_cycle_finder_finds_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_there_is_no_import_cycle_among_tinytensor_modules():
    graph = import_graph()
    assert len(graph) > 20 and graph["tinytensor"], "the import graph looks empty"
    cycles = _cycles(graph)
    assert not cycles, (
        "import cycles (each a set of modules that import each other):\n"
        + "\n".join(" <-> ".join(c) for c in cycles)
    )


_FORK_SCRIPT = """
import importlib, os, sys, traceback


def start(fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out, code = fn(), 0
        except BaseException:
            out, code = traceback.format_exc()[-2000:], 1
        os.write(w, out.encode())
        os._exit(code)
    os.close(w)
    return pid, r


def finish(child):
    pid, r = child
    with os.fdopen(r, "rb") as f:
        msg = f.read().decode(errors="replace")
    return os.waitpid(pid, 0)[1], msg


def in_child(fn):
    return finish(start(fn))


def everything():
    for name in sys.argv[1:]:
        importlib.import_module(name)
    return "\\n".join(m for m in sys.modules if m.split(".")[0] != "tinytensor")


# Load the third-party and standard modules tinytensor uses once, here; tinytensor itself is
# never imported in this process, so each forked child imports its module first.
status, others = in_child(everything)
for m in others.split("\\n") if status == 0 else ():
    try:
        importlib.import_module(m)
    except BaseException:
        pass
assert not any(m.split(".")[0] == "tinytensor" for m in sys.modules)
# ``import tinytensor.X.Y`` runs tinytensor/__init__.py first, always: every module that
# import loads ends in the same state as after ``import tinytensor`` alone, so one child covers
# them all, and each other module gets a child of its own.
status, loaded = in_child(
    lambda: "\\n".join(m for m in list(sys.modules) if m.split(".")[0] == "tinytensor")
    if importlib.import_module("tinytensor") else ""
)
if status:
    print("--- import tinytensor:\\n" + loaded)
    sys.exit(1)
covered = set(loaded.split("\\n"))
failed, names = [], [n for n in sys.argv[1:] if n not in covered]
for i in range(0, len(names), 4):  # four children at a time
    batch = [(n, start(lambda n=n: importlib.import_module(n) and "")) for n in names[i : i + 4]]
    for name, child in batch:
        status, msg = finish(child)
        if status:
            failed.append(f"--- import {name} first:\\n{msg}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_first_in_a_fresh_interpreter():
    """``import tinytensor.X.Y`` as the first tinytensor import of a process works for every
    module (one interpreter forks a fresh child per module that ``import tinytensor`` does not
    itself load, so this stays fast)."""
    names = sorted(MODULES)
    if hasattr(os, "fork"):
        proc = subprocess.run(
            [sys.executable, "-c", _FORK_SCRIPT, *names],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return
    failed = []
    for name in names:  # pragma: no cover - platforms without fork
        proc = subprocess.run(
            [sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True
        )
        if proc.returncode:
            failed.append(f"{name}: {proc.stderr.decode()[-500:]}")
    assert not failed, "\n".join(failed)


def _allowed_function_level(path: Path) -> bool:
    rel = path.relative_to(PKG).as_posix()
    return rel.startswith("cli/") or rel == "__main__.py"


def test_function_level_imports_only_in_the_cli_each_with_a_reason():
    """A tinytensor module imported inside a function is allowed only in tinytensor/cli/** and
    tinytensor/__main__.py (it buys CLI start-up time), with a comment on its line or the line
    above saying why."""
    bad = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, in_function in _imports(path):
            if not in_function or not (_targets(module, node) or _names_tinytensor(node)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if not _allowed_function_level(path):
                bad.append(f"{where}: function-level import outside the CLI")
                continue
            line, above = lines[node.lineno - 1], lines[node.lineno - 2] if node.lineno > 1 else ""
            if "#" not in line and not above.strip().startswith("#"):
                bad.append(f"{where}: function-level import without a one-line comment saying why")
    assert not bad, "\n".join(bad)


def _names_tinytensor(node) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] == "tinytensor" for a in node.names)
    return bool(node.level) or (node.module or "").split(".")[0] == "tinytensor"


def test_import_reader_sees_function_level_and_skips_type_checking(tmp_path):
    src = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import tinytensor.tensor\n"
        "def f():\n    import tinytensor.core  # why\n"
        "import tinytensor.ops\n"
    )
    p = tmp_path / "m.py"
    p.write_text(src)
    got = [(n.names[0].name, inside) for n, inside in _imports(p) if isinstance(n, ast.Import)]
    assert got == [("tinytensor.core", True), ("tinytensor.ops", False)]
