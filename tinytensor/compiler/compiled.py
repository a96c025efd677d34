"""``CompiledFunction``: trace on the first call, replay on the next ones that pass the guards.

The first call runs the function eagerly under the tracer (its results are the eager ones) and
then traces the backward pass autograd would run for it: ``autograd.grad`` with
``create_graph=True`` over the eager graph, so the backward rules (written in tinytensor ops)
run through the same primitives and land in the same trace: the joint graph. ``program.build``
turns the two phases into a forward and a backward program.

A replay runs the forward program on the arguments' and external tensors' storage, wraps the
results, and (where grad mode is on and an input needs a gradient) gives them one node,
``CompiledFunctionBackward``, whose backward runs the backward program on the gradients and
the residuals. The node saves the tensors the backward program reads (the inputs, and outputs
that are also residuals), so an in-place change of one of them before ``backward`` raises as
it would eagerly.
"""

from __future__ import annotations

import functools
import warnings
import weakref

import numpy as np

from tinytensor.autograd import api as autograd_api
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import set_tracer, tracing
from tinytensor.compiler import program as P
from tinytensor.compiler.dynamic import batch_symbols
from tinytensor.compiler.guards import (
    DynamicGuards,
    Guards,
    python_writes,
    reachable_modules,
)
from tinytensor.compiler.replay import _flatten, replay
from tinytensor.compiler.trace import GuardFailed, Tracer
from tinytensor.core import set_watcher, wrap


class config:  # noqa: N801 - the name of PyTorch's torch._dynamo.config
    """Settings shared by every compiled function."""

    cache_size_limit = 8  #: programs kept per function before it runs eagerly (with a warning)


class Unsupported(RuntimeError):
    """``fullgraph=True`` met a graph break (PyTorch's ``torch._dynamo.exc.Unsupported``)."""


class FailOnRecompileLimitHit(Exception):  # noqa: N818 - PyTorch's name
    """``fullgraph=True`` and the function was traced as many times as its recompile limit
    allows (PyTorch's ``torch._dynamo.exc.FailOnRecompileLimitHit``)."""


_LIVE = weakref.WeakSet()  # every CompiledFunction, for tt.compiler.reset()
_disabled = [0]  # > 0 inside tt.compiler.disable'd code: calls run eagerly


class Entry:
    """One traced call: its guards, and its program (None when the trace broke: eager)."""

    __slots__ = (
        "guards",
        "program",
        "breaks",
        "externals",
        "structure",
        "out_rg",
        "out_alias",
        "hits",
        "build_args",
        "steps",
        "arg_meta",
        "wrt_inputs",
    )

    def __init__(self):
        self.program = None
        self.breaks = []
        self.hits = 0
        self.build_args = self.steps = self.arg_meta = None
        self.wrt_inputs = ()
        self.out_alias = ()


class _StrictTracer(Tracer):
    """A tracer that raises ``Unsupported`` at the first graph break (``fullgraph=True``)."""

    def __init__(self):
        super().__init__()
        self.strict = True

    def graph_break(self, reason):
        super().graph_break(reason)
        raise Unsupported(f"tinytensor.compile(fullgraph=True): graph break: {self.breaks[-1]}")


class CompiledFunction:
    """What ``tinytensor.compile`` returns for a function (see the module docstring)."""

    def __init__(
        self, fn, *, fullgraph=False, dynamic=None, module=None, name=None, recompile_limit=None
    ):
        self.fn = fn
        self.fullgraph = fullgraph
        self.dynamic = dynamic
        self.module = module
        self.name = name  # the compiled region's name in messages (PyTorch's name=)
        self.recompile_limit = recompile_limit  # None: config.cache_size_limit
        self.entries = []
        self.program = None  # the program of the last call (None if it ran eagerly)
        self.traces = 0
        self._warned = False
        functools.update_wrapper(self, fn, updated=())
        _LIVE.add(self)

    def reset(self):
        self.entries = []
        self.program = None

    def _limit_message(self, limit, args, kwargs):
        why = self.entries[-1].guards.why(args, kwargs) if self.entries else "none was kept"
        what = self.name or getattr(self.fn, "__qualname__", self.fn)
        source = "config.cache_size_limit" if self.recompile_limit is None else "recompile_limit"
        return (
            f"tinytensor.compile: {what} was traced {limit} times ({source}); the last guard "
            f"failed because {why}."
        )

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if _disabled[0] or tracing():
            return self.fn(*args, **kwargs)
        for entry in self.entries:
            if entry.program is None:  # a graph break: Python runs, the modules it calls are
                if entry.guards.check_arguments(args, kwargs):  # compiled pieces
                    entry.hits += 1
                    self.program = None
                    return self._in_pieces(args, kwargs)
            elif entry.guards.check(args, kwargs):
                entry.hits += 1
                try:
                    out = replay(entry, args, kwargs)
                except GuardFailed:  # a value guard: this call's branch differs; try the next
                    continue
                self.program = entry.program
                return out
        limit = config.cache_size_limit if self.recompile_limit is None else self.recompile_limit
        if len(self.entries) >= limit:
            if self.fullgraph:
                raise FailOnRecompileLimitHit(
                    self._limit_message(limit, args, kwargs) + " With fullgraph=True it does "
                    "not run eagerly: raise the limit or make the calls agree (dynamic=True "
                    "for batch sizes)."
                )
            if not self._warned:
                self._warned = True
                message = self._limit_message(limit, args, kwargs)
                warnings.warn(message + " It runs eagerly from now on.", stacklevel=2)
            self.program = None  # this call ran eagerly
            return self.fn(*args, **kwargs)
        out, entry = trace_call(self.fn, args, kwargs, self.fullgraph, self.module)
        self.traces += 1
        self.entries.append(entry)
        self.program = entry.program
        if self.dynamic is not False and entry.program is not None:  # None: automatic, as PyTorch
            for old in self.entries[:-1]:
                dyn = generalize(old, entry)
                if dyn is not None:  # one program for every batch size from now on
                    self.entries.insert(0, dyn)
                    break
        entry.build_args = None  # the tracer's arrays are not needed any more
        return out

    def _in_pieces(self, args, kwargs):
        prev = pieces.parent
        pieces.parent = self
        try:
            return self.fn(*args, **kwargs)
        finally:
            pieces.parent = prev


class _Pieces:
    """Where a compiled call broke and runs its own Python eagerly, each module it calls is a
    compiled piece of its own (traced and replayed by its own guards; one that breaks too has
    pieces in turn). ``nn.Module.__call__`` reads ``parent``: the compiled call that broke."""

    __slots__ = ("parent", "of")

    def __init__(self):
        self.parent = None
        self.of = weakref.WeakKeyDictionary()  # module -> its CompiledFunction piece


pieces = _Pieces()


def call_piece(module, args, kwargs):
    """``module(*args, **kwargs)`` as a compiled piece of ``pieces.parent``'s call."""
    piece = pieces.of.get(module)
    if piece is None:
        parent = pieces.parent
        piece = CompiledFunction(module._call_impl, dynamic=parent.dynamic, module=module)
        pieces.of[module] = piece
    return piece(*args, **kwargs)


def trace_call(fn, args, kwargs, fullgraph=False, module=None):
    """Run ``fn(*args, **kwargs)`` eagerly under a tracer; returns its result and the Entry."""
    tracer = _StrictTracer() if fullgraph else Tracer()
    arg_tensors = []
    _flatten((args, kwargs), arg_tensors)
    for i, t in enumerate(arg_tensors):
        tracer.add_argument(t, i)
    entry = Entry()
    modules = reachable_modules(fn, module)
    writes = python_writes(fn, modules)
    if writes:
        tracer.graph_break(f"the function assigns {writes} (a replay runs no Python)")
    before = [(m.__dict__, dict(m.__dict__)) for m in _all_modules(modules)]
    prev_t = set_tracer(tracer)
    prev_w = set_watcher(tracer)
    prev_p, pieces.parent = pieces.parent, None  # the modules it calls are traced inline
    try:
        result = fn(*args, **kwargs)
        for d, old in before:
            changed = [k for k in d if k not in old or d[k] is not old[k]]
            if changed:
                tracer.graph_break(
                    f"the call sets the module attribute {changed[0]!r} (a replay runs no "
                    "Python, so it would not)"
                )
                break
        out_tensors = []
        entry.structure = _flatten(result, out_tensors)
        out_slots = [tracer.output_slot(t) for t in out_tensors]
        entry.out_rg = tuple(t._requires_grad for t in out_tensors)
        entry.out_alias = tuple(
            _alias(tracer, arg_tensors, t, s) for t, s in zip(out_tensors, out_slots)
        )
        grad_slots = grad_in = None
        wrt = []
        if not tracer.breaks and grad_state.enabled:
            wrt = [t for t in arg_tensors if t._requires_grad]
            wrt += [t for t, _ in tracer.externals.values() if t._requires_grad]
            diff = [t for t in out_tensors if t._requires_grad]
            if diff and wrt:
                grad_slots, grad_in = _trace_backward(tracer, diff, wrt)
    finally:
        set_tracer(prev_t)
        set_watcher(prev_w)
        pieces.parent = prev_p
    externals = [t for t, _ in tracer.externals.values()]
    entry.externals = tuple(externals)
    entry.guards = Guards(fn, args, kwargs, externals, modules)
    entry.breaks = list(tracer.breaks)
    if not tracer.breaks:
        inputs = [tracer.arg_slots[id(t)] for t in arg_tensors]
        inputs += [slot for _, slot in tracer.externals.values()]
        entry.build_args = (tracer, out_slots, grad_in or [], grad_slots, inputs)
        entry.program = P.build(*entry.build_args)
        if grad_slots is not None:
            # The order of the backward's gradients: wrt tensors, mapped to input indices.
            index = {id(t): k for k, t in enumerate(arg_tensors + externals)}
            entry.wrt_inputs = tuple(index[id(t)] for t in wrt)
            entry.program.wrt_inputs = entry.wrt_inputs
        entry.steps = tracer.steps
        entry.arg_meta = tuple(
            (t._data.shape, t._data.dtype, t._requires_grad) for t in arg_tensors
        )
    return result, entry


def _trace_backward(tracer, diff, wrt):
    if any(t._hooks for t in wrt) or any(t._hooks for t in diff):
        tracer.graph_break("a tensor has a gradient hook (hooks run Python in backward)")
        return None, None
    tracer.phase = "backward"
    grad_in = []
    gs = []
    for i, t in enumerate(diff):
        g = wrap(np.ones(t._data.shape, t._data.dtype))
        gs.append(g)
        grad_in.append(tracer.add_grad_input(g, i))
    try:
        grads = autograd_api.grad(
            diff, wrt, gs, retain_graph=True, create_graph=True, allow_unused=True
        )
    except Exception as e:  # noqa: BLE001 - eager's own backward will raise it, if it is called
        tracer.graph_break(f"its backward cannot be traced: {type(e).__name__}: {e}")
        return None, None
    slots = []
    for g in grads:
        slots.append(None if g is None else tracer.output_slot(g))
    if tracer.breaks:
        return None, None
    return slots, grad_in


def _all_modules(modules):
    out, seen, stack = [], set(), list(modules)
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        out.append(m)
        stack.extend(c for c in m.__dict__["_modules"].values() if c is not None)
    return out


def generalize(a, b):
    """A dynamic Entry from two traces of one function that differ only in the batch size (the
    first dimension of some tensor arguments), or None. Integers in the kernels' arguments and
    attributes that are ``k`` times the batch size in both traces become ``k*B``, where ``B``
    is read from the first batched argument on each call."""
    if a.program is None or a.steps is None or b.build_args is None or a.program.dynamic:
        return None
    if len(a.externals) != len(b.externals) or any(
        x is not y for x, y in zip(a.externals, b.externals)
    ):
        return None
    if a.guards.grad != b.guards.grad or repr(a.structure) != repr(b.structure):
        return None
    if len(a.arg_meta) != len(b.arg_meta) or a.wrt_inputs != b.wrt_inputs:
        return None
    batched, sizes = [], set()
    for (sa, da, ra), (sb, db, rb) in zip(a.arg_meta, b.arg_meta):
        if da != db or ra != rb or len(sa) != len(sb) or sa[1:] != sb[1:]:
            return None
        differs = bool(sa) and sa[0] != sb[0]
        batched.append(differs)
        if differs:
            sizes.add((sa[0], sb[0]))
    if len(sizes) != 1:
        return None
    ((ba, bb),) = sizes
    if ba == 0 or bb == 0:
        return None
    symbolic = batch_symbols(a.steps, b.steps, ba, bb)
    if symbolic is None:
        return None
    tracer, out_slots, grad_in, grad_slots, inputs = b.build_args
    dyn = Entry()
    for name in ("externals", "structure", "out_rg", "out_alias", "breaks", "arg_meta",
                 "wrt_inputs"):  # fmt: skip
        setattr(dyn, name, getattr(b, name))
    first = batched.index(True)
    dyn.program = P.build(tracer, out_slots, grad_in, grad_slots, inputs, symbolic, first)
    dyn.program.wrt_inputs = b.wrt_inputs
    dyn.guards = DynamicGuards(b.guards, batched)
    return dyn


def _alias(tracer, arg_tensors, t, slot):
    """Whether output ``t`` is a new tensor on an input's storage (``x.detach()``), not the
    input itself; such a tensor requiring grad has a history the program cannot give it."""
    if slot is None:
        return False
    kind, what = tracer.source[slot]
    if kind not in ("arg", "ext"):
        return False
    alias = (arg_tensors[what] if kind == "arg" else what) is not t
    if alias and t._requires_grad:
        tracer.graph_break(
            "a result shares an input's storage but is another tensor that requires grad (a "
            "replay could not give it its history)"
        )
    return alias
