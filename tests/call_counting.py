"""``Counting``: a stand-in that counts how often a kernel or a primitive runs, for tests that
check a fast path is taken (or not) and how many times a kernel is called.

Imported as ``from call_counting import Counting`` (tests/ is on sys.path)."""


class Counting:
    """Wraps ``target`` and records each call's ``(args, kwargs)`` in ``calls``.

    A Primitive (anything with ``compute``) is wrapped as a Primitive: ``compute`` is counted
    and delegated, so a module attribute can be monkeypatched with the wrapper. Anything else
    is wrapped as a callable: calling the wrapper is counted and delegated. ``count`` is the
    number of calls so far."""

    def __init__(self, target):
        self.target, self.calls = target, []

    @property
    def count(self):
        return len(self.calls)

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.target(*args, **kwargs)

    def compute(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.target.compute(*args, **kwargs)
