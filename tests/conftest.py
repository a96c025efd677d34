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


TORCH_MISSING = "PyTorch not installed: pip install torch==2.13.0 (CPU build)"


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
    """Say how many tests were skipped for lack of PyTorch."""
    skipped = terminalreporter.stats.get("skipped", [])
    n = sum(1 for r in skipped if TORCH_MISSING in str(r.longrepr))
    if n:
        terminalreporter.write_line(f"{n} tests skipped: {TORCH_MISSING}", yellow=True)
