"""The run folder of ``tinytensor train``: checked before any work, rewritten atomically.

A run folder holds ``checkpoint.npz`` (model, optimizer, scheduler, generator states and the
history, written with ``tt.save``), ``metrics.json`` and the pictures. Both data files are
replaced whole after every epoch (write to a temporary name, then ``os.replace``), with Ctrl-C
held back while they are written, so an interrupted run always leaves its last complete epoch.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from pathlib import Path

import tinytensor as tt

CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.json"


class UsageError(ValueError):
    """A mistake on the command line; the message names the flag and the fix."""


class RunDir:
    """The folder given by ``--out`` (or made under ``runs/``), created before training starts.

    ``discard()`` removes the folders this object created, as long as nothing was written into
    them yet, so a run that fails before its first checkpoint leaves nothing behind.
    """

    def __init__(self, path: Path, created: list[Path]):
        self.path = path
        self._created = created

    def discard(self) -> None:
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only empty folders go
        self._created = []

    def keep(self) -> None:
        """From now on the folder holds the user's work: never remove it."""
        self._created = []

    def file(self, name: str) -> Path:
        return self.path / name


def _first_existing(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if parent.exists() or parent.is_symlink():
            return parent
    return Path(".")


def make_run_dir(out, flag: str = "--out") -> RunDir:
    """Check ``out`` and create it, before any data loads; errors name ``flag`` and the fix."""
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {out}: this is a file, not a folder; choose a new folder")
    if path.is_dir() and any(path.iterdir()):
        hint = (
            f"continue that run with `tinytensor train --resume {out}`"
            if (path / CHECKPOINT).is_file()
            else "it is not a tinytensor run"
        )
        raise UsageError(
            f"{flag} {out}: the folder is not empty ({hint}); choose a new folder so two runs "
            "never mix"
        )
    anchor = _first_existing(path)
    if not anchor.is_dir():
        raise UsageError(f"{flag} {out}: {anchor} is a file, so the folder cannot be made there")
    created = [p for p in reversed([path, *path.parents]) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        RunDir(path, created).discard()
        raise UsageError(
            f"{flag} {out}: cannot create the folder ({e.strerror}); choose a folder you can "
            "write to"
        ) from None
    run = RunDir(path, created)
    probe = path / ".tinytensor-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        run.discard()
        raise UsageError(
            f"{flag} {out}: cannot write into the folder ({e.strerror}); choose a folder you "
            "can write to"
        ) from None
    return run


def open_run_dir(run, flag: str = "--resume") -> RunDir:
    """An existing run folder (for ``--resume``, ``eval``, ``predict``)."""
    path = Path(run).expanduser()
    if path.is_file() and path.name.endswith(".npz"):
        path = path.parent
    if not path.is_dir():
        raise UsageError(f"{flag} {run}: no such folder; give a folder written by tinytensor train")
    if not (path / CHECKPOINT).is_file():
        raise UsageError(
            f"{flag} {run}: no {CHECKPOINT} in this folder; give a folder written by "
            "tinytensor train"
        )
    return RunDir(path, [])


@contextlib.contextmanager
def hold_interrupts():
    """Delay Ctrl-C until the block is done, so a file is never left half written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            raise KeyboardInterrupt


def _replace(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_checkpoint(path: Path, blob: dict, metrics: dict) -> None:
    """Atomically replace the checkpoint and ``metrics.json`` beside it, Ctrl-C held back."""

    def dump(tmp):
        with open(tmp, "w") as f:
            json.dump(metrics, f, indent=1)

    with hold_interrupts():
        _replace(path, lambda tmp: tt.save(blob, tmp))
        _replace(path.with_name(METRICS), dump)


def write_metrics(path: Path, metrics: dict) -> None:
    def dump(tmp):
        with open(tmp, "w") as f:
            json.dump(metrics, f, indent=1)

    with hold_interrupts():
        _replace(path, dump)
