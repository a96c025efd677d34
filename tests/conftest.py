import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same global seed, so runs are repeatable."""
    import tinytensor as tt

    tt.manual_seed(0)
    np.random.seed(0)
    yield


TORCH_MISSING = (
    "PyTorch not installed (the oracle of the tests marked torch): "
    "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
)


def pytest_collection_modifyitems(config, items):
    """Without PyTorch, each ``torch``-marked test is skipped with one reason saying the fix."""
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        return
    skip = pytest.mark.skip(reason=TORCH_MISSING)
    for item in items:
        if item.get_closest_marker("torch"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """One line per distinct skip reason, with its count: pyproject's ``-r`` leaves skips out
    of the short summary, which would otherwise print a line per skipped test."""
    from collections import Counter

    reasons = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr
        reasons[str(reason).removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.write_sep("=", "skipped, by reason")
        for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
            terminalreporter.write_line(f"{n:5d} skipped: {reason}", yellow=True)
