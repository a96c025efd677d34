"""Drawing the autograd graph behind a tensor as Graphviz DOT (and SVG/PNG when ``dot`` exists)."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess

import numpy as np

import tinytensor as tt

_LEAF_GRAD = 'shape=box, style="rounded,filled", fillcolor="#a8d8ea", color="#1f78b4", penwidth=2'
_OP = 'shape=box, style=filled, fillcolor="#eeeeee", color="#888888"'
_ROOT = 'shape=box, style="rounded,filled", fillcolor="#ffd59e", color="#e07b00", penwidth=2'
_FORMATS = ("svg", "png", "pdf")


def _shape(shape) -> str:
    return str(tuple(int(s) for s in shape))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _port(index) -> str:
    return "" if not index else f" [label={_quote(f'out {index}')}, fontsize=9]"


def _op_name(fn) -> str:
    name = getattr(fn, "name", None)
    return name() if callable(name) else repr(fn).strip("<>")


def _out_text(fn) -> str:
    """Shape and dtype of what the op produced, when the node records them."""
    shape, dtype = getattr(fn, "shape", None), getattr(fn, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{_shape(shape)} {getattr(dtype, 'name', dtype)}"
    meta = getattr(fn, "out_meta", None) or ()
    return "\n".join(
        f"out {i}: {_shape(m[0])} {getattr(m[1], 'name', m[1])}"
        for i, m in enumerate(meta)
        if m is not None
    )


def _array_text(t, limit: int = 6) -> str:
    """A tensor's values in a line or two: all of them when few, else a summary."""
    a = np.asarray(t.detach().numpy(), dtype=np.float64)
    if a.size <= limit:
        text = np.array2string(a, precision=4, separator=", ", suppress_small=True)
        return " ".join(text.split())
    return f"mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}"


def _caller_tensors(depth: int = 2) -> dict:
    """The tensors bound to names where ``draw_graph`` was called (the REPL's variables)."""
    frame = inspect.currentframe()
    for _ in range(depth):
        frame = frame.f_back if frame is not None else None
    if frame is None:
        return {}
    found = {}
    for scope in (frame.f_globals, frame.f_locals):  # locals win over globals
        for name, value in scope.items():
            if isinstance(value, tt.Tensor) and not name.startswith("_"):
                found[name] = value
    return found


def _gradients(root, tensors: dict) -> dict:
    """id(tensor) -> d root / d tensor for each named tensor in the graph, if computable."""
    grads = {}
    wanted = [t for t in tensors.values() if t.requires_grad]
    if root.numel() == 1 and root.requires_grad and wanted:
        try:
            found = tt.autograd.grad(root, wanted, retain_graph=True, allow_unused=True)
            grads = {id(t): g for t, g in zip(wanted, found) if g is not None}
        except RuntimeError:  # the graph was freed by backward: fall back to .grad
            grads = {}
    for t in tensors.values():
        if id(t) not in grads and getattr(t, "grad", None) is not None:
            grads[id(t)] = t.grad
    if root.numel() == 1 and root.requires_grad:
        grads[id(root)] = tt.ones_like(root)
    return grads


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

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter: the SVG drawing when Graphviz is installed, and always the DOT text."""
        bundle = {"text/plain": self.source}
        svg = self._repr_svg_()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        return bundle


def draw_graph(
    tensor,
    params: dict | None = None,
    rankdir: str = "TB",
    show_values: bool = False,
    show_grads: bool = False,
) -> Graph:
    """The graph that ``tensor.backward()`` would walk, as Graphviz DOT.

    Each recorded operation is a grey box named like its ``grad_fn`` (``MulBackward``) with the
    shape and dtype of its output; leaves that require grad are blue and show their shape (and
    their name when ``params`` maps names to tensors, e.g. ``dict(model.named_parameters())``);
    the tensor itself is orange. Edges run the way data flowed, inputs to outputs. Constants
    (tensors that do not require grad) are not part of the graph and do not appear.

    ``show_values`` and ``show_grads`` label each node with its data and its gradient (of
    ``tensor``, a scalar, with respect to that node), as a backward pass is drawn on the
    blackboard. Intermediate results are found through ``params`` or, when it is not given,
    through the variables where ``draw_graph`` was called (``c = a * b`` labels the node ``c``);
    the gradients are computed without touching ``.grad`` while the graph is alive, else read
    from ``.grad`` (call ``retain_grad()`` on intermediates before ``backward`` to keep theirs).

    >>> import tinytensor as tt
    >>> x = tt.tensor([1.0, 2.0], requires_grad=True)
    >>> "MulBackward" in tt.viz.draw_graph((x * x).sum()).source
    True
    """
    if not isinstance(tensor, tt.Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    named = dict(params or {})
    if params is None and (show_values or show_grads):
        named = _caller_tensors()
    names = {id(t): name for name, t in named.items()}
    by_node = {id(t.grad_fn): t for t in named.values() if t.grad_fn is not None}
    if tensor.grad_fn is not None:
        by_node.setdefault(id(tensor.grad_fn), tensor)
    grads = _gradients(tensor, named) if show_grads else {}

    def details(t) -> str:
        if t is None:
            return ""
        lines = ""
        if show_values:
            lines += "\ndata " + _array_text(t)
        if show_grads:
            g = grads.get(id(t))
            lines += "\ngrad " + (_array_text(g) if g is not None else "(not computed)")
        return lines

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

    def leaf_label(t) -> str:
        name = names.get(id(t))
        head = name if name is not None else "leaf"
        return f"{head}\n{_shape(t.shape)} {t.dtype.name}\nrequires_grad" + details(t)

    root_id = "out"
    root_name = names.get(id(tensor))
    root_label = f"{root_name or 'output'}\n{_shape(tensor.shape)} {tensor.dtype.name}"
    lines.append(f"  {root_id} [label={_quote(root_label + details(tensor))}, {_ROOT}];")
    start = tensor.grad_fn
    if start is None:
        if tensor.requires_grad:
            leaf = node_id(tensor)
            lines.append(f"  {leaf} [label={_quote(leaf_label(tensor))}, {_LEAF_GRAD}];")
            lines.append(f"  {leaf} -> {root_id};")
        lines.append("}")
        return Graph("\n".join(lines) + "\n")

    lines.append(f"  {node_id(start)} -> {root_id};")
    seen = {id(start)}
    stack = [start]  # iterative walk: graphs can be deeper than Python's recursion limit
    while stack:
        fn = stack.pop()
        me = node_id(fn)
        label = _op_name(fn) + "\n" + _out_text(fn)
        t = by_node.get(id(fn))
        if t is not None and t is not tensor and (show_values or show_grads or id(t) in names):
            label += f"\n= {names.get(id(t), '')}".rstrip() + details(t)
        lines.append(f"  {me} [label={_quote(label)}, {_OP}];")
        for parent, index in fn.next_functions:
            if parent is None:
                continue
            pid = node_id(parent)
            lines.append(f"  {pid} -> {me}{_port(index)};")
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            if isinstance(parent, tt.Tensor):
                lines.append(f"  {pid} [label={_quote(leaf_label(parent))}, {_LEAF_GRAD}];")
            else:
                stack.append(parent)
    lines.append("}")
    return Graph("\n".join(lines) + "\n")
