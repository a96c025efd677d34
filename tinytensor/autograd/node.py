"""The graph's vertices and the one door through which every operation records itself.

A ``Node`` is what ``tensor.grad_fn`` returns: the operation that made the tensor, its backward
closure, edges to the nodes (or leaf tensors) of its inputs, and the tensors it saved.
``record`` is the only place that builds nodes: built-in ops and ``autograd.Function`` both go
through it. It checks grad mode, wires the edges and notes the version of every saved tensor,
so ops never touch the tape themselves.
"""

from __future__ import annotations

import os
import traceback

from tinytensor.autograd.grad_mode import _state


class _Anomaly:
    """Process-wide anomaly-mode switches (set by ``autograd.detect_anomaly``)."""

    enabled = False  # record where each node was created, report it on errors in backward
    check_nan = True  # raise on the first NaN/inf gradient


class Node:
    """One recorded operation (PyTorch's ``grad_fn``); ``repr`` is like ``<MulBackward>``.

    ``fn(g, out)`` maps the gradient of the output (and, for ops that saved it, the output
    itself) to a tuple of gradients, one per input. ``next`` holds, for each input, where its
    gradient goes: the node that produced it, ``(node, i)`` for output ``i`` of a node with
    several outputs, the leaf tensor itself, or None when no gradient is needed.

    A node with several outputs (``out_meta`` is a tuple of ``(shape, dtype)``, None for an
    output without gradient) receives a list with one gradient or None per output.
    """

    __slots__ = (
        "_name",
        "fn",
        "next",
        "shape",
        "dtype",
        "out_meta",
        "saved",
        "versions",
        "out_data",
        "out_vc",
        "out_version",
        "hooks",
        "retained",
        "trace",
        "__weakref__",
    )

    def __init__(self, name, fn, inputs, out, saved=(), save_output=False):
        self._name = name
        self.fn = fn
        edges = []
        for t in inputs:
            if getattr(t, "_requires_grad", False):  # also skips None and Python scalars
                src = t._grad_fn
                edges.append(t if src is None else src if t._meta is None else (src, t._meta))
            else:
                edges.append(None)
        self.next = tuple(edges)
        if out.__class__ is tuple:
            self.shape = self.dtype = None
            self.out_meta = tuple(
                None if o is None else (o._data.shape, o._data.dtype) for o in out
            )
        else:
            self.shape = out._data.shape
            self.dtype = out._data.dtype
            self.out_meta = None
        if saved:
            # Only tensors can change in place, so Python scalars among ``saved`` are dropped
            # here once instead of being probed with getattr on every build and check. Tuples,
            # not lists: the garbage collector stops tracking a tuple that holds only atoms.
            saved = tuple([t for t in saved if hasattr(t, "_vc")])
            self.saved = saved
            self.versions = tuple([t._vc[0] if t._vc else 0 for t in saved])
        else:
            self.saved = self.versions = ()
        if save_output:
            if out._vc is None:
                out._vc = [0]
            self.out_data = out._data
            self.out_vc = out._vc
            self.out_version = out._vc[0]
        else:
            self.out_data = None
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
        for t, v in zip(self.saved, self.versions):
            vc = t._vc
            if vc and vc[0] != v:
                raise modified_error(self, "a tensor", t._data.shape, t._data.dtype, vc[0], v)

    def saved_output(self):
        """The output this node saved, rebuilt as a tensor attached to the node."""
        if self.out_vc[0] != self.out_version:
            raise modified_error(
                self, "its output", self.shape, self.dtype, self.out_vc[0], self.out_version
            )
        out = _wrap(self.out_data)
        out._requires_grad = True
        out._grad_fn = self
        out._vc = self.out_vc
        return out

    def release(self):
        """Free the closure and saved tensors (done by backward unless ``retain_graph``)."""
        self.fn = None
        self.saved = ()
        self.versions = ()
        self.out_data = None

    def created_at(self) -> str:
        """Where in the user's code this node was created (recorded in anomaly mode only)."""
        if not self.trace:
            return ""
        frames = [f for f in self.trace if not f.filename.startswith(_PACKAGE_DIR)]
        frames = frames or self.trace[-1:]
        return "".join(traceback.format_list(frames[-3:]))


# Frames inside this directory are tinytensor's own; anomaly reports show the user's frames.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def modified_error(node, what, shape, dtype, now, expected) -> RuntimeError:
    """The error for a tensor saved by ``node`` and changed in place before backward."""
    return RuntimeError(
        f"one of the tensors needed for gradient computation has been modified by an inplace "
        f"operation: {what} of shape {tuple(shape)} and dtype {dtype} saved by {node!r} is at "
        f"version {now}; expected version {expected}. Hint: use an out-of-place operation, or "
        f".clone() the tensor before changing it in place."
    )


def record(out, name, inputs, fn, saved=(), save_output=False):
    """Attach a node to the freshly made ``out`` if grad mode is on and an input needs grad.

    ``inputs`` may hold Python scalars or None beside tensors; ``fn(g, out)`` returns one
    gradient (or None) per input. ``saved`` tensors are version-checked before ``fn`` runs;
    ``save_output=True`` passes the op's own output to ``fn``. ``out`` may be a tuple for an
    op with several outputs: each tensor in it becomes output ``i`` of the node (None entries
    are outputs without gradient). Returns ``out``.
    """
    if _state.enabled:
        for t in inputs:
            if getattr(t, "_requires_grad", False):
                node = Node(name, fn, inputs, out, saved, save_output)
                if out.__class__ is tuple:
                    for i, o in enumerate(out):
                        if o is not None:
                            o._requires_grad = True
                            o._grad_fn = node
                            o._meta = i
                else:
                    out._requires_grad = True
                    out._grad_fn = node
                break
    return out


# Bound last: tensor.py (through the ops it loads) imports this module's ``record``.
from tinytensor.tensor import _wrap  # noqa: E402
