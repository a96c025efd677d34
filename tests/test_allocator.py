"""Allocator tuning is opt-in: importing tinytensor leaves the process alone; the call is idempotent
and yields to the user's own settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc tuning is Linux-only"
)


def _run(code, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    full.pop("TINYTENSOR_MALLOC_TUNING", None)
    full.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@linux_only
def test_importing_tinytensor_does_not_tune_the_allocator():
    code = (
        "import tinytensor as tt, tinytensor.nn, tinytensor.optim, tinytensor.data; "
        "from tinytensor import allocator; print(allocator._done)"
    )
    assert _run(code) == "[]"


@linux_only
@pytest.mark.parametrize(
    "env",
    [{"TINYTENSOR_MALLOC_TUNING": "0"}, {"MALLOC_TRIM_THRESHOLD_": "1000000"}],
    ids=["disabled", "user-setting-wins"],
)
def test_tuning_is_skipped_when_asked_or_already_configured(env):
    code = "from tinytensor.allocator import tune_allocator; print(tune_allocator())"
    assert _run(code, **env) == "False"


def test_tune_allocator_is_idempotent():
    from tinytensor.allocator import tune_allocator

    assert tune_allocator() == tune_allocator()
