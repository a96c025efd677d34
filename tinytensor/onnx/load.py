"""``load``: an ONNX model as a tinytensor ``nn.Module`` that interprets its graph.

Float initializers become ``Parameter``s (so the loaded model can be fine-tuned), except the
running statistics a ``BatchNormalization`` reads, which become buffers. An initializer named
like a ``state_dict`` key (``features.0.weight``, as ``export`` writes them) lands at that key,
so ``loaded.state_dict()`` has the exported model's keys; other constants stay out of it.
"""

from __future__ import annotations

import os

import numpy as np

import tinytensor as tt
from tinytensor import nn
from tinytensor.onnx.export import import_onnx
from tinytensor.onnx.interpret import OPS


def _lstm_cell(x, h, c, w, r, b):
    i, o, f, g = (x @ w.t() + h @ r.t() + b).chunk(4, -1)
    c = tt.sigmoid(f) * c + tt.sigmoid(i) * tt.tanh(g)
    return tt.sigmoid(o) * tt.tanh(c), c


def _gru_cell(x, h, w, r, b, hb):
    xz, xr, xn = (x @ w.t() + b).chunk(3, -1)
    hz, hr, hn = (h @ r.t() + hb).chunk(3, -1)
    z, rr = tt.sigmoid(xz + hz), tt.sigmoid(xr + hr)
    return (1 - z) * tt.tanh(xn + rr * hn) + z * h


def _recurrent(kind):
    """ONNX RNN/LSTM/GRU: gates i,o,f,c (LSTM) and z,r,h (GRU, linear_before_reset=1)."""

    def run(ins, a):
        x, w, r = ins[0], ins[1], ins[2]
        ins = list(ins) + [None] * (7 - len(ins))
        b, lens, h0, c0 = ins[3], ins[4], ins[5], ins[6]
        if lens is not None:
            raise NotImplementedError(f"{kind}: sequence_lens is not supported")
        if kind == "GRU" and not a.get("linear_before_reset", 0):
            raise NotImplementedError("GRU: only linear_before_reset=1 (PyTorch's GRU) loads")
        hsz, dirs = a["hidden_size"], w.shape[0]
        direction = a.get("direction", "forward")
        acts = [s.lower() for s in a.get("activations", ["Tanh"] * dirs)]
        seq, n = x.shape[0], x.shape[1]
        ys, hs, cs = [], [], []
        for d in range(dirs):
            bd = b[d] if b is not None else tt.zeros(2 * w.shape[1])
            wb, rb = bd.chunk(2)
            h = h0[d] if h0 is not None else tt.zeros(n, hsz)
            c = c0[d] if c0 is not None else tt.zeros(n, hsz)
            steps = range(seq - 1, -1, -1) if (d == 1 or direction == "reverse") else range(seq)
            out = [None] * seq
            for t in steps:
                if kind == "LSTM":
                    h, c = _lstm_cell(x[t], h, c, w[d], r[d], wb + rb)
                elif kind == "GRU":
                    h = _gru_cell(x[t], h, w[d], r[d], wb, rb)
                else:
                    pre = x[t] @ w[d].t() + h @ r[d].t() + wb + rb
                    h = tt.relu(pre) if acts[d] == "relu" else tt.tanh(pre)
                out[t] = h
            ys.append(tt.stack(out, 0))
            hs.append(h)
            cs.append(c)
        y = tt.stack(ys, 1)
        outs = [y, tt.stack(hs, 0)]
        return outs + [tt.stack(cs, 0)] if kind == "LSTM" else outs

    return run


_RECURRENT = {k: _recurrent(k) for k in ("RNN", "LSTM", "GRU")}


def _attrs(onnx, node):
    out = {}
    for attr in node.attribute:
        v = onnx.helper.get_attribute_value(attr)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        elif attr.type == onnx.AttributeProto.TENSOR:
            v = onnx.numpy_helper.to_array(v)
        out[attr.name] = v
    return out


def _node_label(graph, i) -> str:
    node = graph.node[i]
    return f"node {i} ({node.op_type}{' ' + repr(node.name) if node.name else ''})"


def _topological_order(graph, given: set) -> list[int]:
    """Indices of ``graph.node`` in an order where each node runs after the nodes whose
    outputs it reads (the file's own order when it is already one). A hostile or broken file
    is refused here, naming the tensor and the node: a tensor nothing produces, a tensor two
    nodes produce, or a cycle."""
    where = "tinytensor.onnx.load"
    producer = {}
    for i, node in enumerate(graph.node):
        for name in filter(None, node.output):
            if name in given or name in producer:
                first = "an input or initializer" if name in given else _node_label(
                    graph, producer[name])
                raise ValueError(
                    f"{where}: tensor {name!r} is produced twice, by {first} and by "
                    f"{_node_label(graph, i)}; each tensor of an ONNX graph has one producer"
                )
            producer[name] = i
    needs = []
    for i, node in enumerate(graph.node):
        inputs = [n for n in node.input if n and n not in given]
        for name in inputs:
            if name not in producer:
                raise ValueError(
                    f"{where}: {_node_label(graph, i)} reads tensor {name!r}, which no node, "
                    "graph input or initializer produces"
                )
        needs.append({producer[n] for n in inputs})
    for name in graph.output:
        if name.name not in given and name.name not in producer:
            raise ValueError(f"{where}: graph output {name.name!r} is produced by no node")
    if all(j < i for i, deps in enumerate(needs) for j in deps):
        return list(range(len(needs)))
    order, placed = [], set()
    while len(order) < len(needs):
        ready = [i for i in range(len(needs)) if i not in placed and needs[i] <= placed]
        if not ready:
            raise ValueError(f"{where}: the graph has a cycle: {_cycle(graph, needs, placed)}")
        order += ready
        placed.update(ready)
    return order


def _cycle(graph, needs, placed) -> str:
    """One cycle among the nodes left unplaced (each reads an output of another of them)."""
    i = next(j for j in range(len(needs)) if j not in placed)
    path = []
    while i not in path:
        path.append(i)
        i = min(j for j in needs[i] if j not in placed)
    loop = path[path.index(i) :]
    steps = []
    for a, b in zip(loop, loop[1:] + loop[:1]):
        tensor = next(n for n in graph.node[a].input if n in graph.node[b].output)
        steps.append(f"{_node_label(graph, a)} reads {tensor!r} from {_node_label(graph, b)}")
    return "; ".join(steps)


class ONNXModule(nn.Module):
    """An ONNX graph run with tinytensor ops; ``forward`` takes the graph's inputs in order
    and returns its output (a tuple when it has several)."""

    def __init__(self, proto):
        super().__init__()
        onnx = import_onnx()
        graph = proto.graph
        stats = {
            n.input[i]
            for n in graph.node
            if n.op_type == "BatchNormalization"
            for i in (3, 4)
            if len(n.input) > i
        }
        self._constants = {}
        init_names = set()
        for init in graph.initializer:
            arr = np.array(onnx.numpy_helper.to_array(init))
            init_names.add(init.name)
            self._add(init.name, arr, trainable=arr.dtype.kind == "f" and init.name not in stats)
        self.input_names = [i.name for i in graph.input if i.name not in init_names]
        self.output_names = [o.name for o in graph.output]
        order = _topological_order(graph, set(self.input_names) | init_names)
        self.nodes = [
            (n.op_type, list(n.input), list(n.output), _attrs(onnx, n))
            for n in (graph.node[i] for i in order)
        ]
        unknown = sorted({op for op, *_ in self.nodes if op not in OPS and op not in _RECURRENT})
        if unknown:
            raise NotImplementedError(
                f"tinytensor.onnx.load: ONNX ops {unknown} are not supported; supported: "
                f"{sorted(OPS) + sorted(_RECURRENT)}"
            )

    def _add(self, name, arr, trainable):
        parts = name.split(".")
        if name.startswith("/") or not all(p.isidentifier() or p.isdigit() for p in parts):
            self._constants[name] = tt.tensor(arr)
            return
        owner = self
        for p in parts[:-1]:
            if p not in owner._modules:
                owner.add_module(p, nn.Module())
            owner = owner._modules[p]
        t = tt.tensor(arr)
        if trainable:
            owner.register_parameter(parts[-1], nn.Parameter(t))
        else:
            owner.register_buffer(parts[-1], t)
        self._constants[name] = (owner, parts[-1])

    def _initializer(self, name):
        v = self._constants[name]
        return getattr(v[0], v[1]) if isinstance(v, tuple) else v

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise TypeError(
                f"ONNXModule.forward: the graph takes {len(self.input_names)} inputs "
                f"{self.input_names}, got {len(inputs)}"
            )
        env = dict(zip(self.input_names, inputs))
        for op, ins, outs, attrs in self.nodes:
            args = [None if not n else env[n] if n in env else self._initializer(n) for n in ins]
            fn = _RECURRENT.get(op) or OPS[op]
            res = fn(args, attrs)
            res = res if isinstance(res, list) else [res]
            for name, r in zip(outs, res):
                if name:
                    env[name] = r
        out = [env[n] for n in self.output_names]
        return out[0] if len(out) == 1 else tuple(out)


def load(f) -> ONNXModule:
    """Load the ONNX model in ``f`` (a path, bytes or a binary file object) as a module."""
    onnx = import_onnx()
    if isinstance(f, (bytes, bytearray)):
        proto = onnx.load_from_string(bytes(f))
    elif isinstance(f, (str, os.PathLike)):
        proto = onnx.load(os.fspath(f))
    else:
        proto = onnx.load(f)
    return ONNXModule(proto)
