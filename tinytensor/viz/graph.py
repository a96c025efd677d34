"""Drawing the autograd graph behind a tensor as Graphviz DOT (and SVG/PNG when ``dot`` exists)."""

from __future__ import annotations

import os
import shutil
import subprocess

from tinytensor.tensor import Tensor

_LEAF_GRAD = 'shape=box, style="rounded,filled", fillcolor="#a8d8ea", color="#1f78b4", penwidth=2'
_OP = 'shape=box, style=filled, fillcolor="#eeeeee", color="#888888"'
_ROOT = 'shape=box, style="rounded,filled", fillcolor="#ffd59e", color="#e07b00", penwidth=2'
_FORMATS = ("svg", "png", "pdf")


def _shape(shape) -> str:
    return str(tuple(int(s) for s in shape))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unpack(edge):
    """An edge is a node, a leaf tensor, or ``(node, i)`` for output ``i`` of a multi-output op."""
    return edge if isinstance(edge, tuple) else (edge, None)


def _port(index) -> str:
    return "" if index is None else f" [label={_quote(f'out {index}')}, fontsize=9]"


def _out_text(fn) -> str:
    """Shape and dtype of what the op produced (one line per output for multi-output ops)."""
    if getattr(fn, "shape", None) is not None:
        return f"{_shape(fn.shape)} {fn.dtype.name}"
    meta = getattr(fn, "out_meta", None) or ()
    return "\n".join(
        f"out {i}: {_shape(m[0])} {m[1].name}" for i, m in enumerate(meta) if m is not None
    )


class Graph:
    """A drawn autograd graph: ``.source`` is the DOT text; ``render`` writes SVG/PNG/PDF.

    In Jupyter the graph shows itself (through ``_repr_svg_``) when Graphviz is installed.
    """

    def __init__(self, source: str):
        self.source = source

    def __repr__(self) -> str:
        return f"<tinytensor.viz.Graph: {self.source.count('->')} edges; .source has the DOT>"

    def __str__(self) -> str:
        return self.source

    def pipe(self, format: str = "svg") -> bytes:
        """The graph rendered by Graphviz's ``dot`` in ``format`` ('svg', 'png' or 'pdf')."""
        if format not in _FORMATS:
            raise ValueError(f"draw_graph: format must be one of {_FORMATS}, got {format!r}")
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(
                "draw_graph: rendering needs the Graphviz 'dot' program, which is not on PATH. "
                "Install Graphviz (apt-get install graphviz, brew install graphviz or conda "
                "install graphviz), or use the DOT text in .source"
            )
        done = subprocess.run(
            [dot, f"-T{format}"], input=self.source.encode(), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"draw_graph: dot failed: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def render(self, path, format: str | None = None) -> str:
        """Write the graph to ``path``; ``format`` defaults to the file's extension, else SVG."""
        path = os.fspath(path)
        if format is None:
            ext = os.path.splitext(path)[1].lstrip(".").lower()
            format = ext if ext in _FORMATS else "svg"
        data = self.pipe(format)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _repr_svg_(self):
        if shutil.which("dot") is None:
            return None  # Jupyter falls back to repr()
        return self.pipe("svg").decode()


def draw_graph(tensor: Tensor, params: dict | None = None, rankdir: str = "TB") -> Graph:
    """The graph that ``tensor.backward()`` would walk, as Graphviz DOT.

    Each recorded operation is a grey box named like its ``grad_fn`` (``MulBackward``) with the
    shape and dtype of its output; leaves that require grad are blue and show their shape (and
    their name when ``params`` maps names to tensors, e.g. ``dict(model.named_parameters())``);
    the tensor itself is orange. Edges run the way data flowed, inputs to outputs. Constants
    (tensors that do not require grad) are not part of the graph and do not appear.

    >>> import tinytensor as tt
    >>> x = tt.tensor([1.0, 2.0], requires_grad=True)
    >>> "MulBackward" in tt.viz.draw_graph((x * x).sum()).source
    True
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    names = {id(t): name for name, t in (params or {}).items()}
    lines = [
        "digraph autograd {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555", arrowsize=0.7];',
    ]
    ids: dict[int, str] = {}

    def node_id(obj) -> str:
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    def leaf_label(t: Tensor) -> str:
        name = names.get(id(t))
        head = name if name is not None else "leaf"
        return f"{head}\n{_shape(t.shape)} {t.dtype.name}\nrequires_grad"

    root_id = "out"
    root_label = f"output\n{_shape(tensor.shape)} {tensor.dtype.name}"
    lines.append(f"  {root_id} [label={_quote(root_label)}, {_ROOT}];")
    start = tensor.grad_fn
    if start is None:
        if tensor.requires_grad:
            leaf = node_id(tensor)
            lines.append(f"  {leaf} [label={_quote(leaf_label(tensor))}, {_LEAF_GRAD}];")
            lines.append(f"  {leaf} -> {root_id};")
        lines.append("}")
        return Graph("\n".join(lines) + "\n")

    lines.append(f"  {node_id(start)} -> {root_id}{_port(tensor._meta)};")
    seen = {id(start)}
    stack = [start]  # iterative walk: graphs can be deeper than Python's recursion limit
    while stack:
        fn = stack.pop()
        me = node_id(fn)
        lines.append(f"  {me} [label={_quote(fn.name() + chr(10) + _out_text(fn))}, {_OP}];")
        for edge in fn.next:
            if edge is None:
                continue
            parent, index = _unpack(edge)
            pid = node_id(parent)
            lines.append(f"  {pid} -> {me}{_port(index)};")
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            if isinstance(parent, Tensor):
                lines.append(f"  {pid} [label={_quote(leaf_label(parent))}, {_LEAF_GRAD}];")
            else:
                stack.append(parent)
    lines.append("}")
    return Graph("\n".join(lines) + "\n")
