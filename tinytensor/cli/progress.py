"""Progress for long loops: a tqdm bar on a terminal, a plain line every ~10 s in a log file."""

from __future__ import annotations

import sys
import time

LOG_EVERY_SECONDS = 10.0


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def plural(n: int, word: str) -> str:
    """``plural(1, "epoch") == "1 epoch"``, ``plural(2, "epoch") == "2 epochs"``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def duration(seconds: float) -> str:
    """``0.0123 -> "12 ms"``, ``4.56 -> "4.6 s"``, ``125 -> "2 min 5 s"``."""
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60.0:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class Progress:
    """Wrap an iterable of ``total`` items (batches).

    On a terminal (stderr) it draws a tqdm bar if tqdm is installed; when stdout is not a
    terminal (a log file, a pipe) it prints ``desc: done/total`` every ``every`` seconds, so a
    log never goes quiet for long. ``disable=True`` shows nothing. ``postfix`` is a callable
    returning a short status (e.g. the running loss) shown on the bar and the log lines.
    """

    def __init__(self, iterable, total: int, desc: str, disable: bool = False,
                 postfix=None, every: float = LOG_EVERY_SECONDS, out=None):  # fmt: skip
        self.iterable = iterable
        self.total = total
        self.desc = desc
        self.postfix = postfix
        self.every = every
        self.out = out if out is not None else sys.stdout
        self.bar = None
        self.log = False
        if disable:
            return
        if _isatty(sys.stderr):
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, unit="batch", leave=False,
                                file=sys.stderr, mininterval=0.2)  # fmt: skip
        self.log = not _isatty(self.out)

    def __iter__(self):
        start = last = time.perf_counter()
        done = 0
        try:
            for item in self.iterable:
                yield item
                done += 1
                if self.bar is not None:
                    self.bar.update(1)
                    if self.postfix is not None and done % 5 == 0:
                        self.bar.set_postfix_str(self.postfix(), refresh=False)
                if self.log:
                    now = time.perf_counter()
                    if now - last >= self.every and done < self.total:
                        last = now
                        status = f", {self.postfix()}" if self.postfix is not None else ""
                        print(
                            f"  {self.desc}: {done:,}/{self.total:,} batches "
                            f"({done / max(1, self.total):.0%}, {duration(now - start)}){status}",
                            file=self.out,
                            flush=True,
                        )
        finally:
            if self.bar is not None:
                self.bar.close()
