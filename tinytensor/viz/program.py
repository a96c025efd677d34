"""Drawing a compiled program (``tinytensor.compile``) as Graphviz DOT: its kernel calls as
boxes, the forward program in one cluster and the backward program in another, and an edge for
every name one kernel writes and a later one reads."""

from __future__ import annotations

from tinytensor.compiler.program import Program
from tinytensor.viz.graph import Graph, _quote

_INPUT = 'shape=box, style="rounded,filled", fillcolor="#a8d8ea", color="#1f78b4", penwidth=2'
_GRAD_IN = 'shape=box, style="rounded,filled", fillcolor="#f4c7c3", color="#c0392b", penwidth=2'
_FORWARD = 'shape=box, style=filled, fillcolor="#eeeeee", color="#888888"'
_BACKWARD = 'shape=box, style=filled, fillcolor="#fbe3e0", color="#c0392b"'
_CONST = 'shape=note, style=filled, fillcolor="#ffffff", color="#aaaaaa", fontsize=9'
_NL = "\n"
_RESULT = 'shape=box, style="rounded,filled", fillcolor="#ffd59e", color="#e07b00", penwidth=2'


def _program_of(obj) -> Program:
    if isinstance(obj, Program):
        return obj
    if not hasattr(obj, "program"):
        raise TypeError(
            "draw_program: expected a Program (tt.compiler.show's result or compiled.program) "
            f"or a compiled function, got {type(obj).__name__}"
        )
    program = obj.program
    if program is None:
        raise ValueError(
            "draw_program: this compiled function has no program: call it first (a call that "
            "ran eagerly, at a graph break, leaves none; tt.compiler.explain says why)"
        )
    if not isinstance(program, Program):
        raise TypeError(
            f"draw_program: {type(obj).__name__}.program is a {type(program).__name__}, not a "
            "Program"
        )
    return program


def draw_program(program, rankdir: str = "TB") -> Graph:
    """A compiled program as Graphviz DOT: what ``tt.compiler.show`` prints, as a picture.

    ``program`` is a ``Program`` (what ``tt.compiler.show`` returns, or ``compiled.program``
    after a call) or a compiled function or module (its last call's program). Each kernel call
    is a box named by its primitive, with the names it writes and their dtypes and shapes: the
    forward program's calls in the cluster ``forward`` (grey), the backward program's in the
    cluster ``backward`` (red). The forward's inputs (``x0``...: the arguments, then the
    parameters and captured tensors) are blue, the gradients arriving at the outputs
    (``g0``...) pink, the results orange (``output i``; ``grad of xk`` for the gradient the
    backward returns for input ``xk``), and folded constants are notes. An edge runs from the
    call (or input) that wrote a name to each call that reads it, labelled with the name, so an
    edge from the forward cluster into the backward one is an array the forward saved for
    backward. A call that writes nothing (``ExpectBool``, the value guard a branch on a tensor
    leaves) has edges in only. Rendering works as for ``draw_graph`` (the Graphviz ``dot``
    program).

    >>> import tinytensor as tt
    >>> f = tt.compile(lambda x: tt.tanh(x * 2.0))
    >>> _ = f(tt.ones(3, requires_grad=True))
    >>> src = tt.viz.draw_program(f).source
    >>> "cluster_forward" in src and "TanhBackward" in src
    True
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_program: rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    prog = _program_of(program)

    lines = [
        "digraph program {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555", arrowsize=0.7, fontname="Helvetica", fontsize=9];',
    ]
    writer = {}  # name -> node id of what wrote it

    for name in prog.inputs:
        style = _GRAD_IN if name.startswith("g") else _INPUT
        what = "gradient in" if name.startswith("g") else "input"
        lines.append(f"  {name} [label={_quote(name + _NL + what)}, {style}];")
        writer[name] = name

    edges = []
    consts = []
    for phase in ("forward", "backward"):
        body = []
        for index, (step_phase, prim, written, reads, shapes) in enumerate(prog.steps):
            if step_phase != phase:
                continue
            node = f"s{index}"
            label = prim + "".join(_NL + part for part in (", ".join(written), shapes) if part)
            body.append(f"    {node} [label={_quote(label)}, "
                        f"{_FORWARD if phase == 'forward' else _BACKWARD}];")
            for name in dict.fromkeys(reads):  # a name read twice (x * x) is one edge
                if name not in writer:  # a constant folded while tracing
                    writer[name] = f"const_{name}"
                    consts.append(name)
                edges.append((writer[name], node, name))
            for name in written:
                writer[name] = node
        if body:
            lines.append(f"  subgraph cluster_{phase} {{")
            lines.append(f"    label={_quote(phase)};")
            lines.append('    style="rounded,dashed"; color="#999999"; fontname="Helvetica";')
            lines += body
            lines.append("  }")
    for name in consts:
        lines.append(f"  const_{name} [label={_quote(name + _NL + 'constant')}, {_CONST}];")

    for i, name in enumerate(prog.outputs):
        node = f"out{i}"
        lines.append(f"  {node} [label={_quote(f'output {i}' + _NL + name)}, {_RESULT}];")
        if name in writer:
            edges.append((writer[name], node, name))
    wrt = getattr(prog, "wrt_inputs", None)
    for i, name in enumerate(prog.gradients):
        if name is None:
            continue
        node = f"grad{i}"
        of = f"x{wrt[i]}" if wrt is not None and i < len(wrt) else f"#{i}"
        lines.append(f"  {node} [label={_quote(f'grad of {of}' + _NL + name)}, {_RESULT}];")
        if name in writer:
            edges.append((writer[name], node, name))

    for src, dst, name in edges:  # a name on the edges between kernel calls
        shown = src.startswith("s") and dst.startswith("s")
        lines.append(f"  {src} -> {dst}" + (f" [label={_quote(name)}];" if shown else ";"))
    lines.append("}")
    return Graph("\n".join(lines) + "\n")
