"""Buffers a compiled program's replays reuse from call to call, instead of a new array per
kernel call.

**Which values.** A value gets a buffer only where no one else can see it: the program is
static (not ``dynamic``), its step's primitive has an ``into`` kernel (``Primitive``), the
kernel returned a fresh, compact, writeable array (C order, or C order over permuted axes as
a transposed result is; not a NumPy scalar, not memory of its arguments), and nothing the user
sees shares its memory: not an output of the call, not a gradient the backward returns, not an
input, nor any view of those (found on the traced arrays by their base array: every NumPy view
leads to the array that owns the memory). A buffer has the traced value's strides, so every
later kernel meets the layout it met when traced.

**Sharing by liveness.** One timeline: the forward steps, then the backward steps. A value the
backward reads (a residual) lives from its step to the end of the backward; any other value
from its step to its last read, extended over every view of it. Values whose lifetimes do not
overlap and whose sizes in bytes agree share one buffer, each seeing it as an array of its own
shape, dtype and strides (a greedy assignment in order of the steps, taking the buffer freed
last: the likeliest still in the cache). ``plan`` makes that assignment when the program is
built.

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

import math
import threading

import numpy as np

from tinytensor.compiler.trace import slots_of

__all__ = [
    "KEEP_FREE",
    "MIN_BYTES",
    "BufferPool",
    "Lease",
    "empty",
    "layout",
    "memory_owner",
    "plan",
    "view",
]

KEEP_FREE = 2  #: free buffer sets a program keeps (more are dropped)
# Values smaller than this are left to NumPy: a small array costs less to make (NumPy keeps a
# cache of small blocks, malloc serves the rest from its free lists) than a pooled step costs
# to run (its ``into`` call, the set's views): pooling them made W2's scalar MLP 28% slower.
MIN_BYTES = 1 << 16


def memory_owner(a):
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


def layout(a):
    """The axis order in which ``a`` is a C-contiguous array with canonical strides (its
    dims sorted by stride, outermost first; ``(0, 1, ...)`` for C order, reversed for Fortran
    order, a transposed pair for a ``swapaxes`` view), or None where ``a`` has gaps, overlaps,
    negative strides, or is not an aligned, writeable ndarray."""
    if a.__class__ is not np.ndarray or not (a.flags.aligned and a.flags.writeable):
        return None
    if a.size == 0:  # nothing to reuse (and NumPy gives empty arrays strides of its own)
        return None
    order = tuple(sorted(range(a.ndim), key=lambda i: (-a.strides[i], i)))
    shape = [a.shape[i] for i in order]
    strides = _c_strides(shape, a.dtype.itemsize)
    if tuple(a.strides[i] for i in order) != strides:
        return None
    return order


def empty(shape, dtype, order):
    """A new array of ``shape`` and ``dtype`` laid out in axis ``order`` (see ``layout``)."""
    dtype = np.dtype(dtype)
    return view(np.empty(math.prod(shape) * dtype.itemsize, np.uint8), shape, dtype, order)


def view(raw, shape, dtype, order):
    """The bytes ``raw`` as an array of ``shape`` and ``dtype`` laid out in axis ``order``."""
    a = raw.view(dtype).reshape([shape[i] for i in order])
    return a.transpose(np.argsort(order)) if order != tuple(range(len(order))) else a


def plan(steps, order, arrays, residuals, visible):
    """Assign buffers: ``({slot: view number}, [(buffer, shape, dtype, axis order)] per view,
    [bytes] per buffer)``. A buffer is bytes; each value sees it as a view laid out as the
    traced value (``view``), and values of one size share a buffer whatever their shapes and
    dtypes, the one freed last first (its memory is the likeliest still in the cache).

    ``steps``: the program's steps; ``order``: the step indices in the order they run
    (forward then backward); ``arrays``: slot -> traced array; ``residuals``: the slots the
    backward reads from the forward; ``visible``: slots the user sees (inputs, outputs,
    returned gradients, incoming gradients). A step with several outputs may have some of
    them pooled (its ``into`` gets None for the others)."""
    end = len(order)
    made, last = {}, {}
    for p, i in enumerate(order):
        st = steps[i]
        for s in slots_of(st.args, []):
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
        owner, is_foreign = memory_owner(a)
        groups.setdefault(id(owner), []).append(s)
        if is_foreign:
            foreign.append(s)
    forbidden = {
        id(memory_owner(arrays[s])[0]) for s in visible if isinstance(arrays[s], np.ndarray)
    }

    candidates = []  # (start, end, slot, axis order)
    for p, i in enumerate(order):
        st = steps[i]
        if getattr(st.prim, "into", None) is None or st.prim.mutates or st.scalar:
            continue
        owners = [id(memory_owner(a)[0]) for a in map(arrays.__getitem__, st.outs)]
        for s, key in zip(st.outs, owners):
            a = arrays[s]
            axes = layout(a)
            members = groups.get(key, ())
            if (
                axes is None
                or a.nbytes < MIN_BYTES
                or memory_owner(a)[1]  # memory NumPy does not own
                or key in forbidden
                or owners.count(key) > 1  # two outputs of one step on the same memory
                # memory older than this step (an argument's: a view, not a new array)
                or any(made.get(t, -1) < p for t in members)
                or any(np.may_share_memory(arrays[f], a) for f in foreign)
            ):
                continue
            stop = max(max(last.get(t, p), made.get(t, p)) for t in members)
            candidates.append((p, stop, s, axes))

    assignment, views, sizes = {}, {}, []
    busy = {}  # bytes -> [[in use until, buffer]]
    for start, stop, s, axes in candidates:
        a = arrays[s]
        same = busy.setdefault(a.nbytes, [])
        free = [entry for entry in same if entry[0] < start]
        if free:
            entry = max(free)  # the one freed last
            entry[0] = stop
        else:
            entry = [stop, len(sizes)]
            same.append(entry)
            sizes.append(a.nbytes)
        assignment[s] = views.setdefault((entry[1], a.shape, a.dtype, axes), len(views))
    return assignment, list(views), sizes


class BufferPool:
    """The free buffer sets of one program (see the module docstring)."""

    __slots__ = ("views", "sizes", "free", "made")

    def __init__(self, views, sizes):
        self.views = tuple(views)  # (buffer, shape, dtype, axis order) per view
        self.sizes = tuple(sizes)  # bytes per buffer
        self.free = []
        self.made = 0  # sets allocated so far

    def take(self):
        """A lease on a free set (its views, one per pooled shape of a buffer), or a new one."""
        try:
            buffers = self.free.pop()
        except IndexError:
            raw = [np.empty(n, np.uint8) for n in self.sizes]
            buffers = tuple([view(raw[b], *spec) for b, *spec in self.views])
            self.made += 1
        return Lease(self, buffers)

    def give(self, buffers):
        if len(self.free) < KEEP_FREE:
            self.free.append(buffers)


class Lease:
    """One call's hold on a buffer set; the set goes back to its pool on ``release`` or when
    the lease is garbage collected (the graph that saved it freed)."""

    __slots__ = ("pool", "buffers", "lock")

    def __init__(self, pool, buffers):
        self.pool = pool
        self.buffers = buffers
        # Held while a backward runs in the set: a second backward of the same graph at the
        # same time (two threads, retain_graph=True) runs the plain program instead.
        self.lock = threading.Lock()

    def release(self):
        buffers, self.buffers = self.buffers, None
        if buffers is not None:
            self.pool.give(buffers)

    def __del__(self):
        self.release()
