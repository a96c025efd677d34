"""The graph's vertices and the one door through which every operation records itself.

A ``Node`` is what ``tensor.grad_fn`` returns: the operation that made the tensor, its backward
closure, edges to the nodes (or leaf tensors) of its inputs, and the tensors it saved.
``record`` is the only place that builds nodes: it checks grad mode, wires the edges and notes
the version of every saved tensor, so ops never touch the tape themselves.
"""

from __future__ import annotations

import traceback

from tinytensor.autograd.grad_mode import _state


class _Anomaly:
    enabled = False


class Node:
    """One recorded operation (PyTorch's ``grad_fn``); ``repr`` is like ``<MulBackward>``.

    ``fn(g, out)`` maps the gradient of the output (and, for ops that saved it, the output
    itself) to a tuple of gradients, one per input; ``next`` holds, for each input, the node
    that produced it, the leaf tensor itself, or None when no gradient is needed.
    """

    __slots__ = (
        "_name",
        "fn",
        "next",
        "shape",
        "dtype",
        "saved",
        "versions",
        "out_data",
        "out_vc",
        "out_version",
        "n_out",
        "out_meta",
        "hooks",
        "retained",
        "trace",
        "__weakref__",
    )

    def __init__(self, name, fn, inputs, out, saved=(), save_output=False):
        self._name = name
        self.fn = fn
        self.next = tuple([_edge(t) for t in inputs])
        self.shape = out._data.shape
        self.dtype = out._data.dtype
        self.saved = saved
        self.versions = tuple([_version(t) for t in saved]) if saved else ()
        self.n_out = 1
        self.out_meta = None
        self.hooks = None
        self.retained = None
        if save_output:
            if out._vc is None:
                out._vc = [0]
            self.out_data = out._data
            self.out_vc = out._vc
            self.out_version = out._vc[0]
        else:
            self.out_data = None
        self.trace = traceback.extract_stack()[:-3] if _Anomaly.enabled else None

    def __repr__(self) -> str:
        return f"<{self._name}Backward>"

    def name(self) -> str:
        return f"{self._name}Backward"

    @property
    def next_functions(self):
        """PyTorch-style ``((node_or_None, output_index), ...)``; leaves appear as themselves."""
        return tuple((e, 0) if e is not None else (None, 0) for e in self.next)

    @property
    def parents(self):
        """The nodes and leaf tensors this operation's inputs came from."""
        return tuple(e for e in self.next if e is not None)

    def register_hook(self, hook):
        from tinytensor.autograd.hooks import add_hook

        return add_hook(self, 0, hook)

    def check_saved(self, out=None):
        """Raise if a tensor this node saved was modified in place since it was saved."""
        for t, v in zip(self.saved, self.versions):
            now = _version(t)
            if now != v:
                raise RuntimeError(
                    f"one of the tensors needed for gradient computation has been modified by an "
                    f"inplace operation: a tensor of shape {tuple(t.shape)} and dtype {t.dtype} "
                    f"saved by {self!r} is at version {now}; expected version {v}. Hint: use an "
                    f"out-of-place operation or .clone() the tensor before changing it in place."
                )
        if (
            self.out_data is not None
            and self.out_vc is not None
            and self.out_vc[0] != self.out_version
        ):
            raise RuntimeError(
                f"one of the tensors needed for gradient computation has been modified by an "
                f"inplace operation: the output of {self!r} (shape {tuple(self.shape)}) is at "
                f"version {self.out_vc[0]}; expected version {self.out_version}. Hint: use an "
                f"out-of-place operation or .clone() the tensor before changing it in place."
            )

    def release(self):
        """Free the closure and saved tensors (done by backward unless ``retain_graph``)."""
        self.fn = None
        self.saved = ()
        self.out_data = None


def _version(t) -> int:
    vc = getattr(t, "_vc", None)  # saved Python scalars have no version
    return vc[0] if vc else 0


def _edge(t):
    """Where a gradient for input ``t`` goes: its node, itself (a leaf), or nowhere."""
    if t is None or not getattr(t, "_requires_grad", False):
        return None
    fn = t._grad_fn
    return t if fn is None else fn


def record(out, name, inputs, fn, saved=(), save_output=False):
    """Attach a node to the freshly made tensor ``out`` if grad mode is on and an input needs it.

    ``inputs`` may hold Python scalars or None beside tensors; ``fn(g, out)`` returns one
    gradient (or None) per input. Returns ``out``.
    """
    if _state.enabled:
        for t in inputs:
            if getattr(t, "_requires_grad", False):
                out._requires_grad = True
                out._grad_fn = Node(name, fn, inputs, out, saved, save_output)
                break
    return out
