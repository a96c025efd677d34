"""The tracer: watches one eager call and writes down the kernel program it ran.

While a tracer is active (``autograd.primitive.set_tracer``), every primitive's kernel call
reports its inputs, argument arrays, attributes and result (``step``). The tracer names each
array it has seen by a *slot*: an argument of the traced function, an *external* tensor the
function read (a parameter, a buffer, a tensor from a closure or a global: read again, live,
on every replay), or the result of an earlier step. Anything else in a kernel's arguments must
be a constant: a Python value, a dtype, or a read-only array (the library's cached constants).

A writeable array the tracer has never seen was computed outside any kernel, so a replay could
not recompute it: the tracer records a *graph break* with the reason and the user's line, and
the call goes on eagerly (the function's results are the eager ones). So do a tensor's values
reaching Python (``item``, ``bool``, ``tolist``, ``numpy``: the program cannot replay a Python
decision), an in-place change of a tensor (``bump_version``), and a primitive whose output
shape depends on values.
"""

from __future__ import annotations

import numbers
import os
import traceback

import numpy as np

from tinytensor.core import TensorBase

# Argument references, as the program keeps them.
SLOT, CONST, SEQ = 0, 1, 2

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def slots_of(refs, into):
    """The slots argument references ``refs`` read (inside sequences too), appended to the
    list ``into``, which is returned."""
    for r in refs:
        if r[0] == SLOT:
            into.append(r[1])
        elif r[0] == SEQ:
            slots_of(r[2], into)
    return into


class Step:
    """One kernel call: ``outs = prim.kernel(*args, **attrs)``; ``args`` are references
    (``(SLOT, i)``, ``(CONST, value)`` or ``(SEQ, type, [refs])``), ``outs`` slot numbers."""

    __slots__ = ("prim", "args", "attrs", "outs", "phase", "scalar")

    def __init__(self, prim, args, attrs, outs, phase, scalar=False):
        self.prim = prim
        self.args = args
        self.attrs = attrs
        self.outs = outs
        self.phase = phase
        # The kernel returned a NumPy scalar (a 0-d operation), which the primitive makes a 0-d
        # array again; the program must too, since kernels are written for arrays.
        self.scalar = scalar


class Break:
    """Why the trace stopped, and where in the user's code."""

    __slots__ = ("reason", "where")

    def __init__(self, reason, where):
        self.reason = reason
        self.where = where

    def __str__(self) -> str:
        return f"{self.reason} (at {self.where})" if self.where else self.reason


class Tracer:
    """Slots, steps and breaks of one traced call (see the module docstring)."""

    def __init__(self):
        self.arrays = []  # slot -> the array it held during the trace (kept alive: ids stay unique)
        self.where = {}  # id(array) -> slot
        # slot -> ("arg", i) | ("ext", tensor) | ("step", step index) | ("grad", i)
        self.source = []
        self.steps = []
        self.externals = {}  # id(tensor) -> (tensor, slot)
        self.arg_slots = {}  # id(tensor) -> slot, for the traced function's tensor arguments
        self.breaks = []
        self.made = {}  # id(tensor) -> tensor, for every tensor an op made during the trace
        self.phase = "forward"
        self.strict = False  # fullgraph=True: every graph break raises

    # --- slots ------------------------------------------------------------------------------

    def _new_slot(self, array, source):
        slot = len(self.arrays)
        self.arrays.append(array)
        self.where[id(array)] = slot
        self.source.append(source)
        return slot

    def add_argument(self, tensor, index):
        """The traced function's tensor argument ``index``."""
        slot = self._new_slot(tensor._data, ("arg", index))
        self.arg_slots[id(tensor)] = slot
        return slot

    def add_grad_input(self, tensor, index):
        """The gradient flowing into output ``index`` (the backward program's argument)."""
        return self._new_slot(tensor._data, ("grad", index))

    def slot_of(self, tensor):
        """The slot of ``tensor``'s current storage, or None if the program never saw it."""
        s = self.where.get(id(tensor._data))
        if s is not None and self.arrays[s] is tensor._data:
            return s
        return None

    def _external(self, t):
        known = self.externals.get(id(t))
        if known is not None and known[0]._data is self.arrays[known[1]]:
            return known[1]
        slot = self._new_slot(t._data, ("ext", t))
        self.externals[id(t)] = (t, slot)
        return slot

    def _ref(self, x, inputs):
        if x is None or isinstance(x, (numbers.Number, str, np.dtype, type, slice)):
            return (CONST, x)
        if isinstance(x, np.ndarray):
            s = self.where.get(id(x))
            if s is not None and self.arrays[s] is x:
                return (SLOT, s)
            for t in inputs:
                if isinstance(t, TensorBase) and t._data is x:
                    s = self.arg_slots.get(id(t))
                    if s is not None:
                        return (SLOT, s)
                    if id(t) in self.made:  # an op's result, but no kernel's: an untraced op
                        raise _Untraced()
                    return (SLOT, self._external(t))
            if not x.flags.writeable:
                return (CONST, x)
            raise _Untraced()
        if isinstance(x, np.generic):
            return (CONST, x)
        if x.__class__ in (tuple, list):
            return (SEQ, x.__class__, [self._ref(v, inputs) for v in x])
        if x is Ellipsis:
            return (CONST, x)
        raise _Untraced()

    # --- what the primitives and core report ------------------------------------------------

    def step(self, prim, inputs, args, attrs, out, scalar=False):
        if self.breaks:
            return
        if prim.data_dependent:
            self.graph_break(f"{prim.name}: its output's shape depends on the values")
            return
        try:
            refs = [self._ref(a, inputs) for a in args]
        except _Untraced:
            self.graph_break(
                f"{prim.name}: an argument was computed outside a primitive's kernel "
                "(an op not yet declared as a primitive)"
            )
            return
        index = len(self.steps)
        outs = out if prim.multi else (out,)
        slots = []
        for o in outs:
            if not isinstance(o, np.ndarray):
                self.graph_break(f"{prim.name}: its kernel returned a {type(o).__name__}")
                return
            slots.append(self._new_slot(o, ("step", index)))
        self.steps.append(
            Step(prim, refs, dict(attrs) if attrs else None, slots, self.phase, scalar)
        )

    def created(self, tensor):
        self.made[id(tensor)] = tensor

    def graph_break(self, reason):
        self.breaks.append(Break(reason, user_line()))

    def storage_replaced(self, tensor, what):
        # A tensor given another array outside any kernel: a replay would not do it again
        # (nor see the new array), unless the tensor is this call's own result whose next
        # reads the tracer records from the new array.
        if what == "an assignment to .data" or id(tensor) not in self.made:
            self.graph_break(
                f"{what} replaces a tensor's storage outside any kernel (a replay runs no "
                "Python, so it would not)"
            )

    def data_read(self, tensor, what):
        if what == "bool()" and self.phase == "forward" and not self.strict:
            slot = self.slot_of(tensor)
            if slot is None:
                slot = self.arg_slots.get(id(tensor))
            if slot is not None and tensor._data.size == 1 and not self.breaks:
                # A branch on a value: the program goes on down the branch taken, and a replay
                # first checks the value still gives it (else the call runs again, eagerly).
                value = bool(tensor._data.reshape(()))
                self.steps.append(
                    Step(BOOL_GUARD, [(SLOT, slot)], {"expected": value}, [], self.phase)
                )
                return
        self.graph_break(f"a tensor's values reach Python through {what}")

    def in_place(self, tensor):
        # An in-place op on a tensor this call made, written by a kernel (the step just
        # recorded changed that very array): the program replays the write in order. Anything
        # else (an argument, a parameter, a write outside a kernel) is a graph break: a replay
        # would not bump the version counters the user's tensors carry.
        last = self.steps[-1] if self.steps else None
        slot = self.slot_of(tensor)
        if (
            last is not None
            and last.prim.mutates
            and slot is not None
            and slot in last.outs
            and last.args[0][0] == SLOT
            and self.source[last.args[0][1]][0] == "step"
            and not self._aliases_user_memory(tensor._data)
        ):
            return
        self.graph_break("a tensor is changed in place")

    def _aliases_user_memory(self, array):
        """True if ``array`` may share memory with an argument or a captured tensor (a view of
        one: writing it changes the user's tensor)."""
        for s, src in enumerate(self.source):
            if src[0] in ("arg", "ext") and np.may_share_memory(array, self.arrays[s]):
                return True
        return False

    def output_slot(self, tensor):
        """The slot an output tensor's storage is in; breaks the graph if it has none."""
        s = self.slot_of(tensor)
        if s is None:
            s = self.arg_slots.get(id(tensor))
        if s is None and id(tensor) in self.externals:
            s = self._external(tensor)
        if s is None:
            made = tensor._grad_fn.name() if tensor._grad_fn is not None else "an op without grad"
            self.graph_break(
                f"a result ({made}, {tensor._data.dtype}{list(tensor._data.shape)}) was "
                "computed outside a primitive's kernel (an op not yet declared as a primitive)"
            )
        return s


class _Untraced(Exception):
    pass


class GuardFailed(Exception):
    """A replay met a value guard that no longer holds (a branch goes the other way)."""


def _bool_guard(a, *, expected):
    if bool(a.reshape(())) is not expected:
        raise GuardFailed
    return None


class _Guard:
    """The primitive-like step a value guard is: ``bool(a)`` must still be ``expected``."""

    name = "ExpectBool"
    kernel = staticmethod(_bool_guard)
    backward = None
    wants_needs = multi = data_dependent = mutates = False
    random = True  # never removed, never folded


BOOL_GUARD = _Guard()


def user_line() -> str:
    """``file:line`` of the innermost frame outside tinytensor (the user's code)."""
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}: {frame.line or ''}".strip()
    return ""
