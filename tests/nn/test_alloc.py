"""The allocator tuning applied on ``import tinytensor.nn`` is idempotent and can be disabled."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = "import tinytensor as tt; tt.nn; from tinytensor.nn._alloc import _done; print(_done)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc tuning is Linux-only")
@pytest.mark.parametrize(
    "env,expected",
    [
        ({"TINYTENSOR_MALLOC_TUNING": "0"}, "[False]"),
        ({"MALLOC_TRIM_THRESHOLD_": "1000000"}, "[False]"),  # the user's own setting wins
    ],
)
def test_tuning_is_skipped_when_asked_or_already_configured(env, expected):
    full = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    full.pop("TINYTENSOR_MALLOC_TUNING", None)
    full.update(env)
    out = subprocess.run([sys.executable, "-c", CHECK], env=full, capture_output=True, text=True)
    assert out.stdout.strip() == expected, out.stderr


def test_tune_allocator_is_idempotent():
    from tinytensor.nn._alloc import tune_allocator

    assert tune_allocator() == tune_allocator()
