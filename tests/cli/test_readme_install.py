"""The README's two first commands, pasted as written after ``git clone``, work where installing
outside a virtual environment is refused (``PIP_REQUIRE_VIRTUALENV=true``, as Debian 12's and
Ubuntu 24.04's system Python refuse it with ``externally-managed-environment``).

The test clones this repository (its committed ``HEAD``) into a temporary folder and runs the
two lines there with ``bash``, one after the other, exactly as the README prints them: the
first makes ``.venv``, installs the ``examples`` extra and trains; the second reuses ``.venv``,
installs the ``test`` extra and runs pytest. Only the test run is narrowed, through
``PYTEST_ADDOPTS`` (a few quick test files instead of the whole suite, which would run this
test again); the install lines are the README's own. pip installs from whatever index the
machine's pip configuration names, so the test needs no network beyond that index.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Quick files that still need the test extra (pytest, hypothesis, scipy) to pass.
NARROWED = "-p no:cacheprovider tests/test_not_planned_errors.py tests/testing/test_gradcheck.py"


def readme_commands(root=ROOT):
    """The two command lines of the README's first ``bash`` block, comments stripped."""
    text = (root / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line]


def _plain_shell_env():
    """The environment of a new shell: no active virtual environment on PATH, pip refusing to
    install outside one."""
    env = dict(os.environ)
    venvs = {env.pop("VIRTUAL_ENV", None)}
    if sys.prefix != sys.base_prefix:  # pytest itself runs inside a virtual environment
        venvs.add(sys.prefix)
    bins = {str(Path(v) / "bin") for v in venvs if v}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p not in bins)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "HYPOTHESIS_PROFILE"):
        env.pop(name, None)
    env["PIP_REQUIRE_VIRTUALENV"] = "true"
    return env


def _run(command, cwd, env, timeout=1200):
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout + done.stderr


def test_readme_names_the_commands_this_test_runs():
    train, test = readme_commands()
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install -e " in train
    assert train.endswith("tinytensor train")
    assert test.startswith(train.split("pip install")[0])
    assert test.endswith("python -m pytest -q")


def test_readme_commands_in_a_fresh_clone(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip(f"needs git and a git checkout of the repository at {ROOT.name}/")
    clone = tmp_path / "tinytensor"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    env = _plain_shell_env()

    # The shell refuses a bare install, as Debian's system Python does.
    rc, out = _run("python3 -m pip install --dry-run --no-deps -e .", clone, env, timeout=300)
    assert rc != 0 and "virtual" in out.lower(), out[-2000:]

    train, test = readme_commands(clone)  # the clone's README: what a user pastes
    rc, out = _run(train, clone, env)
    assert rc == 0, f"README's first command failed:\n{train}\n{out[-4000:]}"
    assert re.search(r"test accuracy: \d+\.\d\d% \(\d+/359\) after 10 epochs", out), out[-2000:]
    (run,) = (clone / "runs").iterdir()
    assert (run / "checkpoint.npz").is_file() and (run / "features.png").is_file()
    assert (clone / ".venv" / "bin" / "tinytensor").is_file()

    rc, out = _run(test, clone, dict(env, PYTEST_ADDOPTS=NARROWED))
    assert rc == 0, f"README's second command failed:\n{test}\n{out[-4000:]}"
    assert re.search(r"\d+ passed", out), out[-2000:]
