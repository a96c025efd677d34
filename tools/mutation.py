"""Mutation testing of one source file with the tests that guard it, using ``mutmut``.

    python tools/mutation.py tinytensor/optim/rprop.py tests/optim/test_optim_numpy.py
    python tools/mutation.py tinytensor/nn/attention.py tests/nn/test_attention_oracles.py \\
        tests/nn/test_attention.py --no-torch

mutmut writes a mutated copy of every function of FILE and runs the given tests against each
mutant; a mutant the tests still pass on "survived": a bug of that shape would go unnoticed.
The run happens in a scratch copy of ``tinytensor/``, ``tests/`` and ``pyproject.toml`` (so the
working tree stays untouched and several runs can go at once); the report lists the kill rate
and each survivor's diff. ``--no-torch`` deselects the ``torch``-marked tests, giving the kill
rate of a machine without PyTorch. Needs ``pip install mutmut`` (3.x).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _config(file: str, tests: list[str], no_torch: bool, extra: list[str]) -> str:
    args = ["-x", "-q", "-p", "no:cacheprovider", *extra]
    if no_torch:
        args += ["-m", "not torch"]
    lines = [
        "[mutmut]",
        "source_paths=tinytensor",
        f"only_mutate={file}",
        "pytest_add_cli_args_test_selection=" + "\n    ".join(tests),
        "pytest_add_cli_args=" + "\n    ".join(args),
    ]
    return "\n".join(lines) + "\n"


def _mutmut(scratch: Path, *args: str, quiet: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=scratch,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 and not quiet:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", help="the source file to mutate, e.g. tinytensor/optim/rprop.py")
    ap.add_argument("tests", nargs="+", help="test files (or node ids) that guard it")
    ap.add_argument("--no-torch", action="store_true", help='add -m "not torch" to pytest')
    ap.add_argument("--max-children", type=int, default=2, help="parallel test runs (default 2)")
    ap.add_argument("--pytest-arg", action="append", default=[], help="one more pytest argument")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder and print it")
    ns = ap.parse_args(argv)
    if shutil.which("mutmut") is None:
        sys.exit("tools/mutation.py needs mutmut: pip install mutmut")
    for p in [ns.file, *(t.split("::")[0] for t in ns.tests)]:
        if not (ROOT / p).exists():
            sys.exit(f"{p}: no such file under {ROOT.name}/ (give paths relative to the repo)")
    scratch = Path(tempfile.mkdtemp(prefix="tinytensor-mutmut-"))
    try:
        skip = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("tinytensor", "tests"):
            shutil.copytree(ROOT / name, scratch / name, ignore=skip)
        shutil.copy(ROOT / "pyproject.toml", scratch / "pyproject.toml")
        (scratch / "setup.cfg").write_text(
            _config(ns.file, ns.tests, ns.no_torch, ns.pytest_arg)
        )
        _mutmut(scratch, "run", "--max-children", str(ns.max_children))
        _mutmut(scratch, "export-cicd-stats")
        stats = json.loads((scratch / "mutants" / "mutmut-cicd-stats.json").read_text())
        survivors = [
            line.split(":")[0].strip()
            for line in _mutmut(scratch, "results").splitlines()
            if line.strip().endswith(": survived")
        ]
        for name in survivors:
            print(_mutmut(scratch, "show", name, quiet=True))
        killed = stats["killed"] + stats["timeout"] + stats["segfault"]
        total = killed + stats["survived"] + stats["suspicious"] + stats["no_tests"]
        mode = "without torch" if ns.no_torch else "with torch"
        print(f"{ns.file} ({mode}): {killed}/{total} mutants killed "
              f"({100.0 * killed / max(total, 1):.1f}%), {stats['survived']} survived, "
              f"{stats['no_tests']} not reached by the tests")  # fmt: skip
        if ns.keep:
            print(f"scratch folder kept: {scratch} (run `mutmut browse` there)")
    finally:
        if not ns.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
