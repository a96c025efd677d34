"""``tinytensor.compile`` and ``tinytensor.compiler``: trace once, replay the kernels.

Eager execution builds a new graph on every call: that is what lets Python's own ``if`` and
``for`` decide what runs. A *static* graph is built once and run many times: no Tensor, no
Node, no dispatch per op on the later runs, but the program can only be what the first run
did. ``tinytensor.compile`` gives a function both: the first call runs eagerly under a tracer
that writes down every primitive kernel it runs, forward and backward (the joint graph); the
next calls that pass the guards replay that program.

- ``compile(fn_or_module, *, fullgraph=False, dynamic=None, mode=None, options=None,
  disable=False, backend=None)``: as a function or a decorator; ``Module.compile()`` compiles a
  module in place.
- ``explain(fn)(*args)``: the graphs, breaks and their reasons, without keeping anything.
- ``show(fn, *args)``: the forward and backward program as a listing, one kernel per line.
- ``reset()``, ``disable``, ``is_compiling()``, ``config.cache_size_limit``, ``Unsupported``.

Results equal eager bitwise: the replay runs the same NumPy kernels on the same arrays in the
same order (constants folded were computed by those kernels while tracing); a gradient whose
terms meet in another order (an input the function also returns) agrees within rounding.

What is not replayed: Python between ops. A guard (``compiler.guards``) catches a changed
input, module or global and traces again; a branch on a tensor's value (``bool()``) becomes a
value guard, so each path taken gets its own program; a graph break (a tensor's values read in
Python by ``item``, ``tolist`` or ``numpy``, an in-place change, an op without a primitive, a
value-dependent shape, a Python side effect) makes that call pattern's own Python run eagerly,
with each module it calls a compiled piece (``pieces``), or, with ``fullgraph=True`` (where a
branch on a value breaks too, as in PyTorch), raises ``Unsupported`` naming the line.
"""

from __future__ import annotations

import functools

from tinytensor.autograd.primitive import active_tracer, tracing
from tinytensor.compiler.compiled import (
    _LIVE,
    CompiledFunction,
    FailOnRecompileLimitHit,
    Unsupported,
    _disabled,
    call_piece,
    config,
    pieces,
    trace_call,
)
from tinytensor.compiler.guards import is_module

__all__ = [
    "CompiledFunction",
    "ExplainOutput",
    "FailOnRecompileLimitHit",
    "Unsupported",
    "compile",
    "config",
    "disable",
    "explain",
    "is_compiling",
    "call_piece",
    "pieces",
    "reset",
    "set_module_wrapper",
    "show",
]

_BACKENDS = ("tinytensor", "inductor", "eager", "aot_eager")
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(  # noqa: A001 - PyTorch's name
    model=None,
    *,
    fullgraph=False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,
    name=None,
    disable=False,
    recompile_limit=None,
):
    """Compile a function or module: trace its kernels on the first call, replay them after.

    Returns a callable with the function's results (a compiled ``Module`` call for a module, the
    module itself being left as it is). Used as ``@compile`` or ``@compile(fullgraph=True)``.
    ``fullgraph=True`` raises ``Unsupported`` at the first graph break. ``backend``: any of
    PyTorch's names runs tinytensor's compiler (``"eager"`` traces nothing: the function runs
    eagerly, as PyTorch's eager backend). ``mode`` and ``options`` are accepted for PyTorch
    programs; the replay has no tuning to choose. ``disable=True`` returns the function as it
    is. ``name`` names the compiled region in messages. ``recompile_limit``: how many programs
    this call keeps before the function runs eagerly with a warning (None:
    ``config.cache_size_limit``, 8); with ``fullgraph=True`` reaching it raises
    ``FailOnRecompileLimitHit`` instead. ``dynamic``: False keeps one program per set of
    input shapes (a new batch size traces again, up to the limit); None (the default,
    PyTorch's automatic dynamic) and True make the batch dimension symbolic where the program
    allows: once a second batch size is traced, the two programs are compared, and if they
    differ only in integers that are a multiple of the batch size (a reshape's sizes), one
    program with those as ``k*B`` serves every batch size (``B`` read from the first batched
    argument). Other dimensions stay fixed.
    """
    if model is None:
        return functools.partial(
            compile,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            name=name,
            disable=disable,
            recompile_limit=recompile_limit,
        )
    if mode not in _MODES:
        raise RuntimeError(
            f"tinytensor.compile: unknown mode {mode!r}; expected one of {list(_MODES)}"
        )
    if mode is not None and options is not None:
        raise RuntimeError("tinytensor.compile: either mode or options can be specified, not both")
    if backend is not None and not callable(backend) and backend not in _BACKENDS:
        raise RuntimeError(
            f"tinytensor.compile: unknown backend {backend!r}; expected one of "
            f"{list(_BACKENDS)} (all run tinytensor's own compiler)"
        )
    if callable(backend):
        raise RuntimeError(
            "tinytensor.compile: a custom backend function receives an FX graph in PyTorch; "
            "tinytensor has no FX graphs. Use backend='inductor' (the default)"
        )
    if disable or backend == "eager":
        return model
    if not callable(model):
        raise RuntimeError(
            f"tinytensor.compile: expected a function or a Module, got {type(model).__name__}"
        )
    if recompile_limit is not None and (
        isinstance(recompile_limit, bool) or not isinstance(recompile_limit, int)
        or recompile_limit < 0
    ):
        raise TypeError(
            f"tinytensor.compile: recompile_limit must be None or a non-negative int, got "
            f"{recompile_limit!r}"
        )
    if name is not None and not isinstance(name, str):
        raise TypeError(f"tinytensor.compile: name must be None or a str, got {name!r}")
    settings = {"name": name, "recompile_limit": recompile_limit}
    if is_module(model):
        return _module_wrapper[0](model, fullgraph, dynamic, **settings)
    return CompiledFunction(model, fullgraph=fullgraph, dynamic=dynamic, **settings)


_module_wrapper = []  # [OptimizedModule], registered by tinytensor.nn (which sits above)


def set_module_wrapper(cls) -> None:
    """Register the class ``compile(module)`` returns (``nn.OptimizedModule``)."""
    _module_wrapper[:] = [cls]


def is_compiling() -> bool:
    """True while tinytensor.compile traces a function (PyTorch's ``is_compiling``)."""
    return tracing()


def reset() -> None:
    """Forget every compiled function's programs (the next calls trace again)."""
    for f in list(_LIVE):
        f.reset()
    pieces.of.clear()


def disable(fn=None, recursive=True, *, reason=None):
    """Run ``fn`` eagerly, also when a compiled function calls it (PyTorch's
    ``torch.compiler.disable``): the call inside a trace is a graph break. As a decorator, with
    or without arguments."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    if isinstance(fn, CompiledFunction):
        fn = fn.fn

    @functools.wraps(fn)
    def eager(*args, **kwargs):
        tracer = active_tracer()
        if tracer is not None:
            tracer.graph_break(
                "a function marked tt.compiler.disable"
                + (f" ({reason})" if reason else f" ({getattr(fn, '__qualname__', fn)})")
            )
        _disabled[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            _disabled[0] -= 1

    return eager


class ExplainOutput:
    """What ``explain`` found: ``graph_count``, ``graph_break_count``, ``break_reasons``,
    ``op_count`` (kernel calls per replay, forward and backward) and the ``program``."""

    def __init__(self, entry):
        self.break_reasons = [str(b) for b in entry.breaks]
        self.graph_break_count = len(entry.breaks)
        self.graph_count = 0 if entry.program is None else 1
        prog = entry.program
        self.op_count = 0 if prog is None else prog.n_forward + prog.n_backward
        self.program = prog

    def __str__(self) -> str:
        lines = [
            f"Graph Count: {self.graph_count}",
            f"Graph Break Count: {self.graph_break_count}",
            f"Op Count: {self.op_count}",
        ]
        if self.break_reasons:
            lines.append("Break Reasons:")
            lines += [f"  {i + 1}. {r}" for i, r in enumerate(self.break_reasons)]
        return "\n".join(lines)

    __repr__ = __str__


def explain(fn):
    """``explain(fn)(*args, **kwargs)``: trace one call (it runs eagerly) and report the
    graphs, the graph breaks with their reasons and lines, and the kernel count."""
    target = fn._call_impl if is_module(fn) else fn
    if isinstance(fn, CompiledFunction):
        target = fn.fn

    def run(*args, **kwargs):
        _, entry = trace_call(target, args, kwargs, module=fn if is_module(fn) else None)
        return ExplainOutput(entry)

    return run


def show(fn, *args, **kwargs):
    """Trace ``fn(*args, **kwargs)`` (it runs once, eagerly) and print its program: the
    forward kernels, then the backward kernels autograd would run, one per line with shapes.
    Returns the Program (``str(program)`` is the listing); raises ``Unsupported`` naming the
    graph break if the call cannot be one program."""
    target = fn._call_impl if is_module(fn) else fn
    if isinstance(fn, CompiledFunction):
        target = fn.fn
    _, entry = trace_call(target, args, kwargs, module=fn if is_module(fn) else None)
    if entry.program is None:
        raise Unsupported(
            "tinytensor.compiler.show: the call is not one program: "
            + "; ".join(str(b) for b in entry.breaks)
        )
    print(entry.program)
    return entry.program
