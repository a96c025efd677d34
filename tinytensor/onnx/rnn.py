"""RNN, LSTM and GRU as ONNX's fused ``RNN``/``LSTM``/``GRU`` ops, one per layer.

PyTorch orders the gates of its stacked weights i, f, g, o (LSTM) and r, z, n (GRU); ONNX
wants i, o, f, c and z, r, h. The weights stay initializers under their ``state_dict`` names
and a ``Gather`` in the graph reorders their rows. Layers are chained by reshaping ONNX's
``(seq, directions, batch, hidden)`` output to ``(seq, batch, directions*hidden)``.
"""

from __future__ import annotations

import numpy as np

from tinytensor.onnx.graph import ExportError


def _gate_order(kind, h):
    blocks = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}[kind]
    return np.concatenate([np.arange(b * h, (b + 1) * h) for b in blocks]).astype(np.int64)


def recurrent(g, m, xs, call):
    kind = type(m).__name__
    if getattr(m, "proj_size", 0):
        raise ExportError(f"{kind}(proj_size=...) has no ONNX export")
    if len(call.in_shapes[0]) != 3:
        raise ExportError(f"{kind}: export needs batched (3-D) input, got {call.in_shapes[0]}")
    h, dirs = m.hidden_size, 2 if m.bidirectional else 1
    order = g.const(_gate_order(kind, h), np.int64)
    x = g.op("Transpose", [xs[0]], perm=[1, 0, 2]) if m.batch_first else xs[0]
    states = xs[1:]  # h0 (and c0), each (layers*dirs, batch, hidden)
    attrs = {"hidden_size": h, "direction": "bidirectional" if dirs == 2 else "forward"}
    if kind == "RNN":
        act = "Tanh" if m.nonlinearity == "tanh" else "Relu"
        attrs["activations"] = [act] * dirs
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    n_out = 3 if kind == "LSTM" else 2
    hs, cs = [], []
    for layer in range(m.num_layers):
        ws, rs, bs = [], [], []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")

            def pick(name, sfx=sfx):
                rows = g.op("Gather", [call.param(name + sfx), order], axis=0)
                return g.op("Unsqueeze", [rows, g.ints([0])])

            ws.append(pick("weight_ih"))
            rs.append(pick("weight_hh"))
            if m.bias:
                bs.append(g.op("Concat", [pick("bias_ih"), pick("bias_hh")], axis=1))
        w, r = (g.op("Concat", v, axis=0) if dirs == 2 else v[0] for v in (ws, rs))
        b = (g.op("Concat", bs, axis=0) if dirs == 2 else bs[0]) if m.bias else None
        init = [
            g.op("Slice", [s, g.ints([layer * dirs]), g.ints([(layer + 1) * dirs]), g.ints([0])])
            for s in states
        ]
        outs = g.op(kind, [x, w, r, b, None, *init], n_out=n_out, **attrs)
        y = g.op("Transpose", [outs[0]], perm=[0, 2, 1, 3])
        x = g.op("Reshape", [y, g.ints([0, 0, -1])])
        hs.append(outs[1])
        if kind == "LSTM":
            cs.append(outs[2])
    out = g.op("Transpose", [x], perm=[1, 0, 2]) if m.batch_first else x
    h_n = g.op("Concat", hs, axis=0) if len(hs) > 1 else g.op("Identity", hs)
    if kind == "LSTM":
        c_n = g.op("Concat", cs, axis=0) if len(cs) > 1 else g.op("Identity", cs)
        return [out, h_n, c_n]
    return [out, h_n]
