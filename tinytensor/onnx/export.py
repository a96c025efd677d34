"""``export``: run the model once and write the tape it records as an ONNX graph.

How the trace is taken:

* **The tape is the graph.** The model runs once in eval mode with grad on, its float inputs
  and parameters requiring grad, and anomaly mode on (so every node knows the user's source
  line that created it). From the outputs, the exporter walks ``grad_fn``/``next`` edges, an
  iterative depth-first walk, and writes each node with the converter for its ``_name``
  (``ops.py``); its attributes come from ``node.attrs``.
* **Known layers are written whole.** ``nn`` layers whose configuration is not on the tape (a
  conv's stride, an LSTM's gates, attention's heads and masks) get, for the export, a
  ``forward`` on the instance (``calls.py``): the layer runs on detached copies of its
  positional and keyword arguments, the call is recorded and a fresh leaf stands for each
  output, and ``layers.py`` (``layers_transformer.py`` for MultiheadAttention and the
  transformer layers) writes the layer's ONNX node(s) from its configuration and parameters.
  The tape carries the functional code in between (``ops.py``; ``ops_nn.py`` for functional
  conv/pool/pad, ``ops_attention.py`` for sdpa).
* **Constants.** An input that needs no gradient leaves no edge on the tape. An observer
  (``sys.setprofile``, for the length of the trace) watches the doors that record nodes,
  ``autograd.node.record`` and a primitive's ``apply`` and ``record``, and keeps those
  inputs: a ``state_dict`` entry is referenced by its key, a graph input by its name, and
  anything else becomes a constant initializer.
* **Arguments the tape drops.** The observer also keeps an argument that a node neither saves
  nor names in its ``attrs`` (sdpa's bool ``attn_mask``) for that node's converter.
* **Data-dependent Python.** The same observer warns (``TracerWarning``) when user code turns a
  traced tensor into a Python value (``bool``, ``item``, ``tolist``, ``int``, ``float``): the
  value is baked into the graph, as with PyTorch's tracer. Shapes read in Python are baked too;
  a reshape keeps a symbolic batch dim when ``dynamic_axes`` makes the batch dim dynamic.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from tinytensor.autograd import detect_anomaly, enable_grad
from tinytensor.autograd.node import Node, record
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase
from tinytensor.nn.functional.attention import scaled_dot_product_attention
from tinytensor.onnx.calls import flat as _flat
from tinytensor.onnx.calls import layer_forward
from tinytensor.onnx.graph import ExportError, Graph
from tinytensor.onnx.layers import LAYERS as _LAYERS
from tinytensor.onnx.layers_transformer import LAYERS as _TRANSFORMER_LAYERS
from tinytensor.onnx.ops import CONVERTERS as _OPS
from tinytensor.onnx.ops import In
from tinytensor.onnx.ops_attention import CONVERTERS as _ATTENTION_OPS
from tinytensor.onnx.ops_nn import CONVERTERS as _NN_OPS

DEFAULT_OPSET = 18
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
LAYERS = {**_LAYERS, **_TRANSFORMER_LAYERS}
CONVERTERS = {**_OPS, **_NN_OPS, **_ATTENTION_OPS}
# A function whose argument the tape does not keep: code -> (the node it records, argument).
# The argument is kept for that node's converter (``Graph.extra``).
_WATCHED = {
    scaled_dot_product_attention.__code__: ("ScaledDotProductAttention", "attn_mask"),
}
_CONVERSIONS = {
    getattr(TensorBase, n).__code__: n
    for n in ("item", "tolist", "__bool__", "__float__", "__int__", "__index__")
}


class TracerWarning(Warning):
    """The trace may not generalize: a traced value went through Python."""


def import_onnx():
    try:
        import onnx  # optional dependency: pip install -e ".[onnx]" in the repository
    except ImportError:
        raise ImportError(
            "tinytensor.onnx needs the onnx package: pip install onnx onnxruntime (or, in a "
            'clone of tinytensor, pip install -e ".[onnx]")'
        ) from None
    return onnx


def export(
    model,
    args=(),
    f=None,
    *,
    kwargs=None,
    export_params=True,
    verbose=False,
    training=None,
    input_names=None,
    output_names=None,
    operator_export_type=None,
    opset_version=None,
    do_constant_folding=True,
    dynamic_axes=None,
    keep_initializers_as_inputs=False,
    custom_opsets=None,
    export_modules_as_functions=False,
    autograd_inlining=True,
    dynamo=False,
    **unused,
):
    """Export ``model`` to the ONNX file (path or binary file object) ``f``, as PyTorch does.

    ``args`` is a tensor or a tuple of tensors (a trailing dict holds keyword arguments);
    ``dynamic_axes`` maps input/output names to the axes (a list, or ``{axis: name}``) that
    are symbolic. Parameters and buffers become initializers named by their ``state_dict``
    keys. The model is traced in eval mode; ``training`` must be None or eval. Options of
    ``torch.onnx.export`` that only tune PyTorch's own exporter are accepted and ignored.
    An op with no ONNX equivalent raises ``ExportError`` naming it and the source line.
    """
    onnx = import_onnx()
    if training not in (None, False) and str(training).split(".")[-1] != "EVAL":
        raise ValueError("tinytensor.onnx.export: only eval mode exports (training=EVAL or None)")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not 13 <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"tinytensor.onnx.export: opset_version {opset} is not supported; use 13.."
            f"{onnx.defs.onnx_opset_version()} (default {DEFAULT_OPSET})"
        )
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if args and isinstance(args[-1], dict):
        args, kwargs = args[:-1], {**args[-1], **(kwargs or {})}
    input_names = list(input_names or [])
    input_names += [f"input_{i}" if i else "input" for i in range(len(input_names), len(args))]
    dynamic_axes = {
        k: (dict(v) if isinstance(v, dict) else {int(a): f"{k}_dim{a}" for a in v})
        for k, v in (dynamic_axes or {}).items()
    }
    graph = Graph(opset, dynamic=any(k in dynamic_axes for k in input_names))
    tracer = _Tracer(model, graph)
    outs = tracer.run(args, input_names, kwargs or {})
    output_names = list(output_names or [])
    output_names += [f"output_{i}" if i else "output" for i in range(len(output_names), len(outs))]
    tracer.output_names = output_names
    out_values = tracer.emit(outs)
    proto = _to_proto(
        onnx, graph, tracer, out_values, dynamic_axes, export_params, keep_initializers_as_inputs
    )
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if isinstance(f, (str, os.PathLike)):
        onnx.save(proto, os.fspath(f))
    elif f is not None:
        f.write(proto.SerializeToString())
    return None


def _user_frame(frame):
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


class _Tracer:
    def __init__(self, model, graph):
        self.model, self.graph = model, graph
        # id(tensor) -> ("input", name, t) | ("param", key, t) | ("layer", call, t): holding
        # t keeps the id valid for the whole export.
        self.known = {}
        self.captured = {}  # id(node) -> (node, refs of inputs with no edge)
        self.depth = 0
        self.values = {}  # ref key -> In
        self.pending = {}  # node name -> the watched argument of the call now running
        self.extras = {}  # id(node) -> the watched argument of the call that recorded it
        graph.tensor_name = self.tensor_name
        graph.extra = lambda node: self.extras.get(id(node))

    # --- running the model ------------------------------------------------------------------

    def run(self, args, input_names, kwargs):
        model = self.model
        modes = [(m, m.training) for m in model.modules()]
        state = model.state_dict(keep_vars=True)
        flags = [(t, t.requires_grad) for t in state.values()]
        traced = []
        for a, name in zip(args, input_names):
            if not isinstance(a, TensorBase):
                raise TypeError(f"tinytensor.onnx.export: input {name!r} is not a tensor")
            t = a.detach()
            if t.dtype.is_floating_point:
                t.requires_grad_(True)
            self._know(t, ("input", name))
            traced.append(t)
        self.inputs = list(zip(input_names, traced))
        for key, t in state.items():
            if t.dtype.is_floating_point:
                t.requires_grad_(True)
            self._know(t, ("param", key))
        wrapped = []
        for path, m in model.named_modules():
            if type(m).__name__ in LAYERS and type(m).__module__.startswith("tinytensor.nn"):
                m.__dict__["forward"] = layer_forward(self, path, m)
                wrapped.append(m)
        previous = sys.getprofile()
        model.eval()
        try:
            with enable_grad(), detect_anomaly(check_nan=False):
                sys.setprofile(self._observer(previous))
                try:
                    out = model(*traced, **kwargs)
                finally:
                    sys.setprofile(previous)
        finally:
            for m in wrapped:
                m.__dict__.pop("forward", None)
            for m, mode in modes:
                m.training = mode
            for t, flag in flags:
                t.requires_grad_(flag)
        outs = _flat(out)
        if not outs:
            raise ExportError("tinytensor.onnx.export: the model returned no tensor")
        return outs

    def _know(self, t, what):
        self.known[id(t)] = (*what, t)

    def _observer(self, previous):
        # The doors that record nodes: ``record``, and a primitive's ``apply`` and ``record``
        # (each has ``out`` and ``inputs`` among its locals when it returns).
        record_codes = (record.__code__, Primitive.apply.__code__, Primitive.record.__code__)

        def observe(frame, event, arg):
            if previous is not None:
                previous(frame, event, arg)
            if event == "return" and frame.f_code in record_codes:
                self._capture(frame.f_locals)
            elif event == "call" and frame.f_code in _CONVERSIONS:
                self._check_conversion(frame, _CONVERSIONS[frame.f_code])
            elif event == "call" and frame.f_code in _WATCHED:
                node_name, arg = _WATCHED[frame.f_code]
                self.pending[node_name] = frame.f_locals.get(arg)

        return observe

    def _capture(self, local):
        out = local.get("out")
        outs = out if isinstance(out, tuple) else (out,)
        node = next((o._grad_fn for o in outs if o is not None and o._grad_fn is not None), None)
        if node is None or id(node) in self.captured or not isinstance(node, Node):
            return
        refs = [
            None if e is not None else self._ref(x)
            for x, e in zip(local.get("inputs", ()), node.next)
        ]
        self.captured[id(node)] = (node, refs)
        if node._name in self.pending:
            self.extras[id(node)] = self.pending.pop(node._name)

    def _check_conversion(self, frame, name):
        t = frame.f_locals.get("self")
        # Any tensor but a parameter or buffer may depend on the inputs (a comparison or an
        # argmax leaves no node on the tape), so every other one is warned about.
        what = self.known.get(id(t))
        user = _user_frame(frame.f_back)
        if (what and what[0] == "param") or user is not frame.f_back:
            return
        warnings.warn_explicit(
            f"Converting a traced tensor to a Python value ({name}) might cause the trace to be "
            "incorrect: the ONNX graph keeps the value it had for this input, whatever the "
            "input. Keep the computation in tensor ops to make it part of the graph.",
            TracerWarning,
            user.f_code.co_filename,
            user.f_lineno,
        )

    # --- refs and the walk ------------------------------------------------------------------

    def _ref(self, x):
        """What an input is: a known tensor, a tape node's output, or a constant."""
        if x is None:
            return None
        if not isinstance(x, TensorBase):
            return ("const", np.asarray(x))
        if id(x) in self.known:
            return ("known", id(x))
        if x._grad_fn is not None:
            return ("node", x._grad_fn, x._meta or 0)
        return ("const", x._data.copy())

    def tensor_name(self, t):
        ref = self._ref(t)
        return self._value(ref, None).name

    def _edge_ref(self, node, i):
        e = node.next[i]
        if e is None:
            refs = self.captured.get(id(node), (None, None))[1]
            return refs[i] if refs is not None and i < len(refs) else None
        if isinstance(e, tuple):
            return ("node", e[0], e[1])
        if isinstance(e, Node):
            return ("node", e, 0)
        return self._ref(e)

    def _deps(self, ref):
        if ref[0] == "node":
            node = ref[1]
            deps = [self._edge_ref(node, i) for i in range(len(node.next))]
            extra = self.extras.get(id(node))
            return deps + [self._ref(extra)] if isinstance(extra, TensorBase) else deps
        if ref[0] == "known":
            what = self.known[ref[1]]
            return what[1].refs if what[0] == "layer" else []
        return []

    @staticmethod
    def _key(ref):
        return (
            None
            if ref is None or ref[0] == "const"
            else (ref[0], id(ref[1]) if ref[0] == "node" else ref[1], ref[-1])
        )

    def _value(self, ref, dtype):
        """The In of a resolved ref (constants are made here)."""
        if ref is None:
            return In(None, (), None)
        if ref[0] == "const":
            v = ref[1]
            if (
                v.ndim == 0
                and v.dtype.kind in "fiub"
                and dtype is not None
                and (v.dtype.kind != "f" or np.dtype(dtype).kind == "f")
            ):
                v = v.astype(dtype)  # a Python number takes the op's dtype, as in tinytensor
            return In(self.graph.const(v), v.shape, v.dtype, v)
        return self.values[self._key(ref)]

    def emit(self, outs):
        """Walk from the outputs (iteratively) and write every node they depend on."""
        result = []
        for t in outs:
            root = self._ref(t)
            stack = [root]
            while stack:
                ref = stack[-1]
                key = self._key(ref)
                if key is None or key in self.values:
                    stack.pop()
                    continue
                pending = [
                    d
                    for d in self._deps(ref)
                    if d is not None
                    and self._key(d) is not None
                    and self._key(d) not in self.values
                ]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                self._write(ref)
            result.append(self._value(root, None))
        return result

    def _write(self, ref):
        g = self.graph
        if ref[0] == "known":
            what = self.known[ref[1]]
            t = what[2]
            if what[0] == "input":
                self.values[self._key(ref)] = In(what[1], tuple(t.shape), t._data.dtype)
            elif what[0] == "param":
                g.initializer(what[1], t._data)
                self.values[self._key(ref)] = In(what[1], tuple(t.shape), t._data.dtype)
            else:
                self._write_layer(what[1])
            return
        node = ref[1]
        convert = CONVERTERS.get(node._name)
        if convert is None:
            raise _unsupported(node)
        ins = [self._value(self._edge_ref(node, i), node.dtype) for i in range(len(node.next))]
        try:
            names = convert(g, node, ins)
        except ExportError as e:
            raise ExportError(f"{e}\n(called at)\n{node.created_at()}") from None
        names = names if isinstance(names, list) else [names]
        metas = node.out_meta or ((node.shape, node.dtype),)
        for i, (name, meta) in enumerate(zip(names, metas)):
            if meta is not None:
                self.values[("node", id(node), i)] = In(name, tuple(meta[0]), meta[1])

    def _write_layer(self, call):
        call.graph = self.graph
        xs = [self._value(r, None).name for r in call.refs]
        call.xs = xs
        m = call.module
        try:
            names = LAYERS[type(m).__name__](self.graph, m, xs, call)
        except ExportError as e:
            raise ExportError(f"{e}\n(called at)\n{call.trace}") from None
        names = names if isinstance(names, list) else [names]
        for leaf, name in zip(call.leaves, names):
            self.values[("known", id(leaf), id(leaf))] = In(
                name, tuple(leaf.shape), leaf._data.dtype
            )


def _unsupported(node):
    where = node.created_at() or "(source line unknown)\n"
    return ExportError(
        f"tinytensor.onnx.export: op '{node._name}' has no ONNX equivalent in tinytensor.onnx; "
        f"it was called at\n{where}Rewrite it with supported ops ({', '.join(CONVERTERS)}) or "
        "with an nn layer that exports."
    )


def _value_info(onnx, name, shape, dtype, dims):
    shape = [dims.get(i, s) for i, s in enumerate(shape)] if shape is not None else None
    return onnx.helper.make_tensor_value_info(name, Graph.onnx_type(dtype), shape)


def _to_proto(onnx, g, tracer, out_values, dynamic_axes, export_params, inits_as_inputs):
    helper = onnx.helper
    nodes = [helper.make_node(op, ins, outs, **attrs) for op, ins, outs, attrs in g.nodes]
    inputs = []
    for name, t in tracer.inputs:
        inputs.append(_value_info(onnx, name, t.shape, t._data.dtype, dynamic_axes.get(name, {})))
    outputs = []
    for v, out_name in zip(out_values, tracer.output_names):
        nodes.append(helper.make_node("Identity", [v.name], [out_name]))
        dims = dynamic_axes.get(out_name)
        shape = v.shape if dims is not None or not g.dynamic else [None] * len(v.shape)
        outputs.append(_value_info(onnx, out_name, shape, v.dtype, dims or {}))
    inits = [onnx.numpy_helper.from_array(np.asarray(a), n) for n, a in g.initializers.items()]
    if not export_params or inits_as_inputs:
        inputs += [
            _value_info(onnx, i.name, list(i.dims), g.initializers[i.name].dtype, {}) for i in inits
        ]
        if not export_params:
            inits = []
    graph = helper.make_graph(nodes, "tinytensor", inputs, outputs, inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", g.opset)], producer_name="tinytensor"
    )
    model.ir_version = min(model.ir_version, 9)
    return model
