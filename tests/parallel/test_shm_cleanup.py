"""No shared segment outlives the program: a program that made named segments (itself and in
a child) ends normally, by an exception, by Ctrl-C, or after its child was SIGKILLed; the test
lists /dev/shm before and after each case."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SHM = Path("/dev/shm")
PROGRAM = Path(__file__).with_name("shm_program.py")

pytestmark = pytest.mark.skipif(not SHM.is_dir(), reason="needs /dev/shm (Linux)")


def _segments():
    return {p.name for p in SHM.iterdir() if p.name.startswith("psm_")}


def _run(mode):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    before = _segments()
    proc = subprocess.Popen(
        [sys.executable, str(PROGRAM), mode],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        if mode == "sigint":
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("READY"):
                    break
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            out = "".join(lines) + out
        else:
            out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    names = {line.split()[1] for line in out.splitlines() if line.startswith("SEGMENT")}
    # the resource tracker (for a killed child's segments) finishes just after the program
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (names & _segments()):
        time.sleep(0.1)
    return proc.returncode, out, err, names, before, _segments()


@pytest.mark.parametrize("mode", ["normal", "exception", "sigint", "child_killed"])
def test_no_segment_outlives_the_program(mode):
    code, out, err, names, before, after = _run(mode)
    assert len(names) >= 5, (out, err)  # segments were really made, here and in the child
    assert not (names & after), f"left in /dev/shm: {sorted(names & after)}\n{err}"
    assert not (after - before), f"new segments after the run: {sorted(after - before)}"
    if mode == "normal":
        assert code == 0, err
    elif mode == "exception":
        assert code == 1 and "the program failed on purpose" in err
    elif mode == "sigint":
        assert code != 0 and "KeyboardInterrupt" in err
    else:
        assert code == 0 and "CHILD -9" in out, err
    if mode != "child_killed":  # this process unlinked its own: the tracker found nothing
        assert "leaked shared_memory" not in err, err
