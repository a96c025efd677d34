"""The graph's vertices and the one door through which every operation records itself.

The op protocol. An op computes its output in NumPy, then calls

    record(out, name, inputs, backward, saved, attrs=None)

``saved`` is everything backward reads: tensors (of any dtype: values, indices, masks,
targets), ``OUT`` for the op's own output (``output(i)`` for output ``i`` of an op with
several), and plain Python values (dims, shapes, scalars). A tuple or list entry may hold
tensors too (an index tuple, the inputs of ``cat``). The engine calls

    `backward(g, *saved)  ->  one` gradient (or None) per input

after checking that no saved tensor was changed in place since the forward pass. What the
protocol hands to backward *is* the saved set, so the two cannot drift apart: ``record``
refuses a backward function that closes over a tensor or an array (it would escape the
check), and a NumPy array in ``saved`` (save a tensor instead).

A backward that declares a keyword-only parameter ``needs`` is called as
``backward(g, *saved, needs=needs)``: one bool per input, True where that input needs a
gradient (PyTorch's ``needs_input_grad``, computed by the engine), so the saved set carries
no flags.

``attrs`` names the op's parameters (``{"dim": 1, "keepdim": False}``): what an exporter or
a reader of the graph needs to know about the op, by name, whatever backward happens to save.
Values are plain Python values, or a tensor the op also saved (an index, a mask) that an
exporter writes as a constant. It is kept on the node as ``node.attrs`` (None when the op has
none) until backward frees what was saved.

A ``Node`` is what ``tensor.grad_fn`` returns: the op's name, its backward, edges to the
nodes (or leaf tensors) of its inputs, and what it saved. ``record`` is the only place that
builds nodes: built-in ops and ``autograd.Function`` both go through it.
"""

from __future__ import annotations

import os
import traceback

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.core import TensorBase, set_version_counter, version_counter, wrap


class Output:
    """In ``saved``: the op's output number ``index`` (kept as storage, rebuilt for backward)."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __repr__(self) -> str:
        return "OUT" if self.index == 0 else f"output({self.index})"


OUT = Output(0)
_OUTPUTS = [OUT]
_JUST_OUT = (OUT,)  # ``saved`` of the ops that keep only their output, interned below


def output(i) -> Output:
    """In ``saved``: output ``i`` of an op with several outputs."""
    while len(_OUTPUTS) <= i:
        _OUTPUTS.append(Output(len(_OUTPUTS)))
    return _OUTPUTS[i]


class _Anomaly:
    """Process-wide anomaly-mode switches (set by ``autograd.detect_anomaly``)."""

    enabled = False  # record where each node was created, report it on errors in backward
    check_nan = True  # raise on the first NaN/inf gradient


class Node:
    """One recorded operation (PyTorch's ``grad_fn``); ``repr`` is like ``<MulBackward>``.

    ``fn(g, *saved)`` maps the gradient of the output to a tuple of gradients, one per input.
    ``next`` holds, for each input, where its gradient goes: the node that produced it,
    ``(node, i)`` for output ``i`` of a node with several outputs, the leaf tensor itself, or
    None when no gradient is needed.

    A node with several outputs (``out_meta`` is a tuple of ``(shape, dtype)``, None for an
    output without gradient) receives a list with one gradient or None per output.

    ``attrs`` is the op's named non-tensor parameters (a dict, or None); ``wants_needs`` is
    True when ``fn`` takes ``needs=`` (see the module docstring).
    """

    __slots__ = (
        "_name",
        "fn",
        "attrs",
        "wants_needs",
        "next",
        "shape",
        "dtype",
        "out_meta",
        "saved",
        "checked",
        "versions",
        "outputs",
        "hooks",
        "retained",
        "trace",
        "__weakref__",
    )

    def __init__(self, name, fn, inputs, out, saved=(), attrs=None, wants_needs=None):
        self._name = name
        self.fn = fn
        self.attrs = attrs
        if wants_needs is None:  # not known yet (a Primitive decides it once, at declaration)
            # A keyword-only parameter (``needs``) asks for the engine's needs-grad tuple.
            try:
                wants_needs = fn.__code__.co_kwonlyargcount != 0
            except AttributeError:  # a callable object rather than a function
                wants_needs = False
        self.wants_needs = wants_needs
        edges = []
        for t in inputs:
            if getattr(t, "_requires_grad", False):  # also skips None and Python scalars
                src = t._grad_fn
                edges.append(t if src is None else src if t._meta is None else (src, t._meta))
            else:
                edges.append(None)
        self.next = tuple(edges)
        multi = out.__class__ is tuple
        if multi:
            self.shape = self.dtype = None
            self.out_meta = tuple(
                None if o is None else (o._data.shape, o._data.dtype) for o in out
            )
        else:
            d = out._data
            self.shape = d.shape
            self.dtype = d.dtype
            self.out_meta = None
        self.outputs = None
        if not saved:
            self.saved = saved
            self.checked = self.versions = ()
        elif saved[0] is OUT and len(saved) == 1 and not multi:
            # A unary op that saved only its output (tanh, exp, relu ...): one shared tuple,
            # which ``unpack`` spots by identity, and its output kept without a loop or a call.
            self.saved = _JUST_OUT
            self.checked = self.versions = ()
            vc = version_counter(out)
            self.outputs = ((d, vc, vc[0]),)
        else:
            self.saved = saved
            # One pass collects the tensors to check and their versions now (a second
            # comprehension for the versions cost a frame per node: ~5% of a 1-element op).
            # For the same reason the versions are read from the ``_vc`` slot inline rather
            # than through ``core.version`` (a call per saved tensor on every recorded op):
            # this loop and ``check_saved`` are the only reads of ``_vc`` outside ``core``,
            # reads only, and ``tests/autograd/test_version_private.py`` holds them to that.
            checked, versions = [], []
            for s in saved:
                if s is None:
                    continue
                if isinstance(s, TensorBase):
                    checked.append(s)
                    vc = s._vc
                    versions.append(vc[0] if vc else 0)
                elif s.__class__ is Output:
                    if self.outputs is None:
                        self.outputs = _keep_outputs(out if multi else (out,))
                elif s.__class__ is tuple or s.__class__ is list:
                    for x in s:
                        if isinstance(x, TensorBase):
                            checked.append(x)
                            vc = x._vc
                            versions.append(vc[0] if vc else 0)
                        elif isinstance(x, np.ndarray):
                            raise _array_saved(name)
                elif isinstance(s, np.ndarray):
                    raise _array_saved(name)
            # Tuples, not lists: the garbage collector stops tracking a tuple of atoms.
            self.checked = tuple(checked)
            self.versions = tuple(versions)
        self.hooks = None
        self.retained = None
        self.trace = traceback.extract_stack() if _Anomaly.enabled else None

    def __repr__(self) -> str:
        return f"<{self._name}Backward>"

    def name(self) -> str:
        return f"{self._name}Backward"

    @property
    def next_functions(self):
        """PyTorch-style ``((node_or_leaf_or_None, output_index), ...)``."""
        return tuple(e if e.__class__ is tuple else (e, 0) for e in self.next)

    @property
    def parents(self):
        """The nodes and leaf tensors this operation's inputs came from."""
        return tuple(e[0] if e.__class__ is tuple else e for e in self.next if e is not None)

    def check_saved(self):
        """Raise if a tensor this node saved was modified in place since it was saved."""
        for t, v in zip(self.checked, self.versions):
            vc = t._vc  # read inline, as in __init__: this runs for every saved tensor
            if vc and vc[0] != v:
                raise modified_error(self, "a tensor", t._data.shape, t._data.dtype, vc[0], v)

    def unpack(self):
        """What backward receives: the saved entries, checked, with outputs rebuilt."""
        if self.versions:
            self.check_saved()
        if self.outputs is None:
            return self.saved
        if self.saved is _JUST_OUT:  # a unary op that saved only its output (tanh, exp, relu ...)
            return (self.saved_output(0),)
        return tuple(
            [self.saved_output(s.index) if s.__class__ is Output else s for s in self.saved]
        )

    def saved_output(self, index=0):
        """Output ``index`` of this node, rebuilt as a tensor attached to the node."""
        data, vc, version = self.outputs[index]
        if vc[0] != version:
            shape, dtype = (
                (self.shape, self.dtype) if self.out_meta is None else (self.out_meta[index])
            )
            raise modified_error(self, "its output", shape, dtype, vc[0], version)
        out = wrap(data)
        out._requires_grad = True
        out._grad_fn = self
        out._meta = None if self.out_meta is None else index
        set_version_counter(out, vc)
        return out

    def rebind_output(self, t, index=0):
        """Output ``index`` is now ``t`` (an in-place op wrote its result into ``t``): backward
        rebuilds it from ``t``'s storage and checks ``t``'s version counter."""
        if self.outputs is not None and self.outputs[index] is not None:
            vc = version_counter(t)
            kept = list(self.outputs)
            kept[index] = (t._data, vc, vc[0])
            self.outputs = tuple(kept)

    def run(self, g):
        """Check what was saved, then call backward: one gradient (or None) per input."""
        if self.wants_needs:
            return self.fn(g, *self.unpack(), needs=tuple([e is not None for e in self.next]))
        return self.fn(g, *self.unpack())

    def release(self):
        """Free backward and what was saved (done by backward unless ``retain_graph``); the
        attributes go too, since they may name saved tensors (an index, a mask)."""
        self.fn = None
        self.attrs = None
        self.saved = ()
        self.checked = ()
        self.versions = ()
        self.outputs = None

    def created_at(self) -> str:
        """Where in the user's code this node was created (recorded in anomaly mode only)."""
        if not self.trace:
            return ""
        frames = [f for f in self.trace if not f.filename.startswith(_PACKAGE_DIR)]
        frames = frames or self.trace[-1:]
        return "".join(traceback.format_list(frames[-3:]))


def _keep_outputs(outs):
    """(storage, version counter, version) of each output: no reference back to the tensor,
    so the graph holds no cycle; ``saved_output`` rebuilds the tensor on demand."""
    kept = []
    for o in outs:
        if o is None:
            kept.append(None)
        else:
            vc = version_counter(o)
            kept.append((o._data, vc, vc[0]))
    return tuple(kept)


def _array_saved(name):
    return TypeError(
        f"record({name}): a NumPy array in saved would escape the in-place check; save the "
        "tensor it came from (or wrap it with core.wrap) instead"
    )


def _holds_array(v) -> bool:
    if isinstance(v, (TensorBase, np.ndarray)):
        return True
    if v.__class__ in (tuple, list):
        return any(isinstance(x, (TensorBase, np.ndarray)) for x in v)
    return False


def check_backward(fn, name) -> None:
    """Refuse a backward that reads a tensor or array other than through ``saved``."""
    cells = getattr(fn, "__closure__", None) or ()
    for cell in cells:
        try:
            v = cell.cell_contents
        except ValueError:  # an empty cell: a name bound later in the enclosing function
            continue
        if _holds_array(v):
            raise RuntimeError(
                f"record({name}): backward closes over a tensor or array "
                f"({type(v).__name__}); pass it through saved, so it is version-checked"
            )
    for v in getattr(fn, "__defaults__", None) or ():
        if _holds_array(v):
            raise RuntimeError(
                f"record({name}): backward has a tensor or array as a default argument; pass "
                "it through saved, so it is version-checked"
            )


# Frames inside this directory are tinytensor's own; anomaly reports show the user's frames.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def modified_error(node, what, shape, dtype, now, expected) -> RuntimeError:
    """The error for a tensor saved by ``node`` and changed in place before backward."""
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what} of shape {tuple(shape)} and dtype {dtype} saved by "
        f"{node!r} is at version {now}; expected version {expected}. Hint: use an "
        f"out-of-place operation, or .clone() the tensor before changing it in place."
    )


def record(out, name, inputs, backward, saved=(), attrs=None):
    """Attach a node to the freshly made ``out`` if grad mode is on and an input needs grad.

    ``inputs`` may hold Python scalars or None beside tensors. ``backward(g, *saved)``
    returns one gradient (or None) per input; ``saved`` is all it reads (see the module
    docstring); a backward with a keyword-only ``needs`` also gets ``needs=``, one bool per
    input. ``attrs`` is a dict of the op's named non-tensor parameters, kept as
    ``node.attrs``. ``out`` may be a tuple for an op with several outputs: each tensor in it
    becomes output ``i`` of the node (None entries are outputs without gradient); ``g`` is
    then a list. Returns ``out``.
    """
    if grad_state.enabled:
        for t in inputs:
            if getattr(t, "_requires_grad", False):
                if (
                    backward.__class__ is not _FUNCTION
                    or backward.__closure__ is not None
                    or backward.__defaults__ is not None  # a tensor default escapes too
                ):
                    check_backward(backward, name)
                node = Node(name, backward, inputs, out, saved, attrs)
                if out.__class__ is tuple:
                    _attach(out, node)
                else:  # one output, attached inline: a call less per op
                    out._requires_grad = True
                    out._grad_fn = node
                break
    return out


_FUNCTION = type(record)


def _attach(out, node):
    if out.__class__ is tuple:
        for i, o in enumerate(out):
            if o is not None:
                o._requires_grad = True
                o._grad_fn = node
                o._meta = i
    else:
        out._requires_grad = True
        out._grad_fn = node
