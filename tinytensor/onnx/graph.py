"""The ONNX graph under construction, as plain Python data (no ``onnx`` import here).

``Graph`` hands out value names, collects nodes as ``(op_type, inputs, outputs, attrs)`` and
initializers as NumPy arrays; ``export.py`` turns it into an ``onnx.ModelProto`` at the end.
The converter tables (``layers.py`` for modules, ``ops.py`` for tape nodes) only call ``op``,
``const`` and ``ints``.
"""

from __future__ import annotations

import numpy as np

# ONNX's TensorProto data types (the numbers are fixed by the ONNX spec).
ONNX_TYPES = {
    np.dtype(np.float32): 1,
    np.dtype(np.uint8): 2,
    np.dtype(np.int8): 3,
    np.dtype(np.int16): 5,
    np.dtype(np.int32): 6,
    np.dtype(np.int64): 7,
    np.dtype(np.bool_): 9,
    np.dtype(np.float16): 10,
    np.dtype(np.float64): 11,
}


class ExportError(RuntimeError):
    """An op or layer that cannot be written as ONNX; the message names it and where it ran."""


class Graph:
    """Nodes and initializers of the model being exported."""

    def __init__(self, opset: int, dynamic: bool):
        self.opset = opset
        self.dynamic = dynamic  # some input dim is symbolic: shapes must not be baked in
        self.nodes: list[tuple[str, list[str], list[str], dict]] = []
        self.initializers: dict[str, np.ndarray] = {}
        self._count: dict[str, int] = {}
        self._consts: dict[tuple, str] = {}
        # Set by the exporter: the ONNX name of a tensor (an input, a state_dict entry, or a
        # constant made on the spot).
        self.tensor_name = None
        # Set by the exporter: an argument of the call that recorded a tape node which the
        # node does not keep (sdpa's attn_mask, pad's value), or None.
        self.extra = None

    def fresh(self, hint: str) -> str:
        n = self._count.get(hint, 0)
        self._count[hint] = n + 1
        return f"/{hint}_{n}" if n else f"/{hint}"

    def op(self, op_type: str, inputs, n_out: int = 1, hint: str | None = None, **attrs):
        """Append a node; returns its output name (a list of names when ``n_out > 1``).

        An input of None is an omitted optional input ("" in ONNX).
        """
        base = self.fresh(hint or op_type)
        outs = [base] if n_out == 1 else [f"{base}_out{i}" for i in range(n_out)]
        ins = ["" if i is None else i for i in inputs]
        while ins and ins[-1] == "":
            ins.pop()
        self.nodes.append((op_type, ins, outs, attrs))
        return outs[0] if n_out == 1 else outs

    def initializer(self, name: str, value: np.ndarray) -> str:
        if name not in self.initializers:
            self.initializers[name] = np.array(value, order="C")  # keeps 0-d arrays 0-d
        return name

    def const(self, value, dtype=None) -> str:
        """A constant initializer (identical small constants share one)."""
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 64 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.initializer(self.fresh("Constant"), arr)
        if key is not None:
            self._consts[key] = name
        return name

    def ints(self, values) -> str:
        """An int64 1-D constant (axes, shapes, pads given as inputs)."""
        return self.const(np.asarray(list(values), dtype=np.int64), np.int64)

    def reduce(self, op_type: str, x: str, axes, keepdims) -> str:
        """A `Reduce*` node: axes are an input from opset 18 (ReduceSum: 13), an attribute
        before."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, [x, self.ints(axes)], keepdims=int(bool(keepdims)))
        return self.op(op_type, [x], axes=axes, keepdims=int(bool(keepdims)))

    @staticmethod
    def onnx_type(dtype) -> int:
        try:
            return ONNX_TYPES[np.dtype(dtype)]
        except KeyError:
            raise ExportError(f"dtype {np.dtype(dtype)} has no ONNX export") from None
