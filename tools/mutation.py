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

    python tools/mutation.py --sample bugs.json

measures a hand-written sample of planted bugs instead (the bugs mutmut's operators do not
make: swapped arguments, a wrong axis, a dropped branch). ``bugs.json`` is a list of
``{"id", "file", "old", "new", "tests"}``: ``old`` must occur exactly once in ``file`` and is
replaced by ``new``. In a scratch copy, every distinct test list first runs on the real code
(it must pass), then each bug is planted alone and its tests run with torch and with
``-m "not torch"``; the report is one row per bug and the two kill rates. Write the sample
down before running any of it, so the rate is honest.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
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


_COPIED = ("tinytensor", "tests", "pyproject.toml")


def _scratch_copy(rev: str | None = None) -> Path:
    """A scratch folder holding the working tree's (or commit ``rev``'s) package and tests."""
    scratch = Path(tempfile.mkdtemp(prefix="tinytensor-mutmut-"))
    if rev is not None:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "--", *_COPIED],
            capture_output=True,
        )
        if done.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            sys.exit(f"git archive {rev} failed: {done.stderr.decode(errors='replace').strip()}")
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
            tar.extractall(scratch, filter="data")
        return scratch
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in _COPIED[:2]:
        shutil.copytree(ROOT / name, scratch / name, ignore=skip)
    shutil.copy(ROOT / _COPIED[2], scratch / _COPIED[2])
    return scratch


def _pytest(scratch: Path, tests: list[str], no_torch: bool, timeout: int) -> dict:
    marker = ["-m", "not torch"] if no_torch else []
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *marker, *tests]
    env = dict(os.environ, HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    env["PYTHONPATH"] = os.pathsep.join([str(scratch), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True, env=env,
                              timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"killed": True, "why": f"timed out after {timeout}s", "secs": timeout}
    lines = done.stdout.strip().splitlines()
    failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    why = failed[0] if failed else (lines[-1] if lines else done.stderr.strip()[-200:])
    return {"killed": done.returncode != 0, "why": why, "secs": round(time.monotonic() - start)}


def _source(path: str, rev: str | None) -> str:
    if rev is None:
        return (ROOT / path).read_text() if (ROOT / path).exists() else ""
    done = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True)
    return done.stdout.decode() if done.returncode == 0 else ""


def _load_sample(path: str, rev: str | None) -> list[dict]:
    bugs = json.loads(Path(path).read_text())
    if not isinstance(bugs, list) or not bugs:
        sys.exit(f"{path}: expected a non-empty JSON list of bugs")
    for i, bug in enumerate(bugs):
        missing = {"id", "file", "old", "new", "tests"} - set(bug)
        if missing:
            sys.exit(f"{path}: bug {i} lacks {sorted(missing)}")
        text = _source(bug["file"], rev)
        if text.count(bug["old"]) != 1:
            sys.exit(f"{path}: bug {bug['id']}: `old` occurs {text.count(bug['old'])} times in "
                     f"{bug['file']} (it must occur exactly once)")  # fmt: skip
        for t in bug["tests"]:
            if not (ROOT / t.split("::")[0]).exists():
                sys.exit(f"{path}: bug {bug['id']}: no test path {t}")
    return bugs


def run_sample(path: str, timeout: int, keep: bool, rev: str | None = None) -> int:
    """Plant each bug of the sample alone in a scratch copy; run its tests with and without
    torch; print one row per bug and the kill rates. Returns 1 if the real code fails."""
    bugs = _load_sample(path, rev)
    scratch = _scratch_copy(rev)
    try:
        seen = []
        for bug in bugs:
            if bug["tests"] not in seen:
                seen.append(bug["tests"])
                for no_torch in (False, True):
                    base = _pytest(scratch, bug["tests"], no_torch, timeout)
                    if base["killed"]:
                        print(f"the real code fails {' '.join(bug['tests'])}"
                              f"{' without torch' if no_torch else ''}: {base['why']}")  # fmt: skip
                        return 1
        rows = []
        for bug in bugs:
            target = scratch / bug["file"]
            real = target.read_text()
            target.write_text(real.replace(bug["old"], bug["new"]))
            try:
                with_t = _pytest(scratch, bug["tests"], False, timeout)
                without = _pytest(scratch, bug["tests"], True, timeout)
            finally:
                target.write_text(real)
            rows.append((bug, with_t, without))
            mark = {True: "killed", False: "SURVIVED"}
            print(f"{bug['id']}: with torch {mark[with_t['killed']]}, without torch "
                  f"{mark[without['killed']]}\n    {with_t['why']}\n    {without['why']}",
                  flush=True)  # fmt: skip
        n = len(rows)
        k1 = sum(r[1]["killed"] for r in rows)
        k2 = sum(r[2]["killed"] for r in rows)
        print(f"{path}: {k1}/{n} killed with torch ({100.0 * k1 / n:.1f}%), "
              f"{k2}/{n} without torch ({100.0 * k2 / n:.1f}%)")  # fmt: skip
        if keep:
            print(f"scratch folder kept: {scratch}")
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "file", nargs="?", help="the source file to mutate, e.g. tinytensor/optim/rprop.py"
    )
    ap.add_argument("tests", nargs="*", help="test files (or node ids) that guard it")
    ap.add_argument("--no-torch", action="store_true", help='add -m "not torch" to pytest')
    ap.add_argument("--max-children", type=int, default=2, help="parallel test runs (default 2)")
    ap.add_argument("--pytest-arg", action="append", default=[], help="one more pytest argument")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder and print it")
    ap.add_argument(
        "--sample",
        metavar="BUGS.json",
        help="measure a hand-written sample of planted bugs instead: a JSON list of "
        '{"id", "file", "old", "new", "tests"}',
    )
    ap.add_argument(
        "--timeout",
        type=int,
        default=900,
        help="seconds per test run in --sample mode; a run past it counts as killed",
    )
    ap.add_argument(
        "--rev",
        metavar="REV",
        help="copy the package and tests from git commit REV (e.g. HEAD) instead of the "
        "working tree: other people's unfinished edits in a shared checkout stay out",
    )
    ns = ap.parse_args(argv)
    if ns.sample:
        if ns.file or ns.tests or ns.no_torch:
            ap.error("--sample takes no FILE, TESTS or --no-torch (each bug names its tests)")
        return run_sample(ns.sample, ns.timeout, ns.keep, ns.rev)
    if not ns.file or not ns.tests:
        ap.error("give FILE and at least one test path (or --sample BUGS.json)")
    if shutil.which("mutmut") is None:
        sys.exit("tools/mutation.py needs mutmut: pip install mutmut")
    for p in [ns.file, *(t.split("::")[0] for t in ns.tests)]:
        if not (ROOT / p).exists():
            sys.exit(f"{p}: no such file under {ROOT.name}/ (give paths relative to the repo)")
    scratch = _scratch_copy(ns.rev)
    try:
        (scratch / "setup.cfg").write_text(_config(ns.file, ns.tests, ns.no_torch, ns.pytest_arg))
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
