"""Buffers a compiled program's replays reuse from call to call, instead of a new array per
kernel call.

**Which values.** A value gets a buffer only where no one else can see it: the program is
static (not ``dynamic``), its step's primitive has an ``into`` kernel (``Primitive``), the
kernel returned a fresh, C-contiguous, writeable array (not a NumPy scalar, not memory of its
arguments), and nothing the user sees shares its memory: not an output of the call, not a
gradient the backward returns, not an input, nor any view of those (found on the traced arrays
by their base array: every NumPy view leads to the array that owns the memory).

**Sharing by liveness.** One timeline: the forward steps, then the backward steps. A value the
backward reads (a residual) lives from its step to the end of the backward; any other value
from its step to its last read, extended over every view of it. Values whose lifetimes do not
overlap and whose shapes and dtypes agree share one buffer (a greedy assignment in order of
the steps). ``plan`` makes that assignment when the program is built.

**Leases.** The buffers of one call form a *set*. A forward replay takes a free set from the
program's ``BufferPool`` (or makes one: the warm-up allocation) and keeps it *leased* while
the call's backward can still run: the ``Lease`` sits in the node's saved values and returns
the set when those are freed (``backward()`` without ``retain_graph``, or the graph garbage
collected). A call that attaches no node (no_grad, nothing requires grad) returns it when the
forward ends. So two calls before one backward hold two sets, a loss kept by the user keeps its
graph's set, and two threads each take their own (``list.pop`` and ``append`` are atomic).
At most ``KEEP_FREE`` free sets are kept; further ones are dropped.
"""

from __future__ import annotations

import numpy as np

from tinytensor.compiler.trace import SEQ, SLOT

__all__ = ["KEEP_FREE", "BufferPool", "Lease", "plan"]

KEEP_FREE = 2  #: free buffer sets a program keeps (more are dropped)


def _reads(refs, into):
    for r in refs:
        if r[0] == SLOT:
            into.append(r[1])
        elif r[0] == SEQ:
            _reads(r[2], into)
    return into


def _owner(a):
    """The object that owns ``a``'s memory: the base ndarray at the end of its view chain, or
    a non-NumPy buffer (then the second value is True: a foreign owner)."""
    while True:
        b = a.base
        if b is None:
            return a, False
        if not isinstance(b, np.ndarray):
            return b, True
        a = b


def _c_strides(shape, itemsize):
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _bufferable(a):
    """Whether ``a`` has the layout of ``np.empty(a.shape, a.dtype)``: C order, canonical
    strides (size-1 dims included), aligned, writeable, owned by an ndarray."""
    return (
        a.__class__ is np.ndarray
        and a.flags.c_contiguous
        and a.flags.aligned
        and a.flags.writeable
        and a.strides == _c_strides(a.shape, a.dtype.itemsize)
    )


def plan(steps, order, arrays, residuals, visible):
    """Assign buffers: ``{slot: buffer number}`` and ``[(shape, dtype)]`` per buffer.

    ``steps``: the program's steps; ``order``: the step indices in the order they run
    (forward then backward); ``arrays``: slot -> traced array; ``residuals``: the slots the
    backward reads from the forward; ``visible``: slots the user sees (inputs, outputs,
    returned gradients, incoming gradients)."""
    end = len(order)
    made, last = {}, {}
    for p, i in enumerate(order):
        st = steps[i]
        for s in _reads(st.args, []):
            last[s] = p
        for s in st.outs:
            made[s] = p
            last.setdefault(s, p)
    for s in residuals:
        last[s] = end
    # Every slot by the owner of its memory: a value and all its views share one.
    groups, foreign = {}, []
    for s in set(made) | set(visible):
        a = arrays[s]
        if not isinstance(a, np.ndarray):
            continue
        owner, is_foreign = _owner(a)
        groups.setdefault(id(owner), []).append(s)
        if is_foreign:
            foreign.append(s)
    forbidden = {id(_owner(arrays[s])[0]) for s in visible if isinstance(arrays[s], np.ndarray)}

    candidates = []  # (start, end, slot)
    for p, i in enumerate(order):
        st = steps[i]
        into = getattr(st.prim, "into", None)
        if into is None or st.prim.mutates or st.scalar or not st.outs:
            continue
        keys, ok = [], True
        for s in st.outs:
            a = arrays[s]
            if not isinstance(a, np.ndarray) or not _bufferable(a):
                ok = False
                break
            owner, is_foreign = _owner(a)
            key = id(owner)
            members = groups.get(key, ())
            if (
                is_foreign
                or key in forbidden
                or key in keys  # two outputs of one step on the same memory
                # memory older than this step (an argument's: a view, not a new array)
                or any(made.get(t, -1) < p for t in members)
                or any(np.may_share_memory(arrays[f], owner) for f in foreign)
            ):
                ok = False
                break
            keys.append(key)
        if not ok:
            continue
        for s, key in zip(st.outs, keys):
            stop = max(max(last.get(t, p), made.get(t, p)) for t in groups[key])
            candidates.append((p, stop, s))

    assignment, specs, busy = {}, [], {}  # busy: (shape, dtype) -> [[until, buffer]]
    for start, stop, s in candidates:
        a = arrays[s]
        free = busy.setdefault((a.shape, a.dtype), [])
        for entry in free:
            if entry[0] < start:
                entry[0] = stop
                assignment[s] = entry[1]
                break
        else:
            assignment[s] = len(specs)
            free.append([stop, len(specs)])
            specs.append((a.shape, a.dtype))
    return assignment, specs


class BufferPool:
    """The free buffer sets of one program (see the module docstring)."""

    __slots__ = ("specs", "free", "made")

    def __init__(self, specs):
        self.specs = tuple(specs)
        self.free = []
        self.made = 0  # sets allocated so far

    def take(self):
        """A lease on a free set, or on a new one."""
        try:
            buffers = self.free.pop()
        except IndexError:
            buffers = tuple([np.empty(shape, dtype) for shape, dtype in self.specs])
            self.made += 1
        return Lease(self, buffers)

    def give(self, buffers):
        if len(self.free) < KEEP_FREE:
            self.free.append(buffers)


class Lease:
    """One call's hold on a buffer set; the set goes back to its pool on ``release`` or when
    the lease is garbage collected (the graph that saved it freed)."""

    __slots__ = ("pool", "buffers")

    def __init__(self, pool, buffers):
        self.pool = pool
        self.buffers = buffers

    def release(self):
        buffers, self.buffers = self.buffers, None
        if buffers is not None:
            self.pool.give(buffers)

    def __del__(self):
        self.release()
