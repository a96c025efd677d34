"""A primitive: an op declared once, by name, kernel, backward rule and attributes.

PyTorch declares each op once in ``derivatives.yaml``; JAX declares primitives with an
``impl`` and a transpose rule. tinytensor declares a primitive beside its code::

    def _tanh_kernel(x):                    # pure NumPy: arrays in, arrays out
        return np.tanh(x)

    def _tanh_backward(g, out):             # tinytensor ops, so it differentiates again
        return (g * (1 - out * out),)

    TANH = Primitive("Tanh", _tanh_kernel, _tanh_backward)

    def tanh(input):
        return TANH.apply((input,), (input._data,), saved=(OUT,))

``apply(inputs, args, saved, attrs)`` runs ``kernel(*args, **attrs)``, wraps the result and
records the node (``autograd.node``'s protocol: ``saved`` is all backward reads; a backward
with a keyword-only ``needs`` gets PyTorch's ``needs_input_grad``; ``attrs`` are the op's
named non-tensor parameters, the kernel's keywords and ``node.attrs``). An op that wraps its
result its own way (a view) calls ``prim.compute(inputs, args, attrs)`` for the array and then
``prim.record(out, inputs, saved, attrs)``; ``prim(*args, **attrs)`` is the bare kernel, for
use inside another kernel. Whether backward wants ``needs`` and whether it
closes over an array is decided once, here, not per node.

The kernel is the part a compiler can replay without tensors or a tape
(``tinytensor.compiler``): while a tracer is active every kernel call reports its argument
inputs, argument arrays, attributes and result, and ``note`` reports an array computation an
op makes outside a kernel (a dtype cast). ``args`` must therefore be the inputs' storage
(``t._data``), arrays that earlier kernels returned, or constants (Python numbers, read-only
cached arrays): an op that computes an argument in NumPy first declares that step as a
primitive too, and every array that becomes a tensor comes out of a kernel. (A tracer that
meets any other array stops, rather than replay a stale value.)
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import Node, check_backward
from tinytensor.core import wrap

_ndarray = np.ndarray
_asarray = np.asarray
_tracer = None  # the active tracer (tinytensor.compiler), or None: one global read per op
# NumPy's warning made an error (``simplefilter("error")``) or ``np.seterr(all="raise")``: a
# ``fast`` kernel that signals one is run again as the declared kernel, which stays quiet.
_FP_SIGNALS = (RuntimeWarning, FloatingPointError)
# A C kernel (``fast``, or a NumPy function declared as the kernel) runs in this module's
# frames, so NumPy attributes its RuntimeWarning here: NaN and inf follow IEEE silently, as the
# Python kernels keep them in their own modules (ops/_pointwise.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=re.escape(__name__) + "$")


def _differ(a, b):
    return a is not b


def set_tracer(tracer):
    """Make ``tracer`` the active one (None for none); returns the previous one."""
    global _tracer
    prev, _tracer = _tracer, tracer
    return prev


def active_tracer():
    """The active tracer, or None."""
    return _tracer


def tracing() -> bool:
    """True while a compiler traces a function (``tinytensor.compiler.is_compiling``)."""
    return _tracer is not None


class Primitive:
    """One op, declared once: ``name`` (the node's, ``<NameBackward>``), a pure NumPy
    ``kernel``, its ``backward`` rule (None for an op without gradient), and flags a compiler
    reads: ``multi`` (the kernel returns a tuple of arrays), ``random`` (it draws from the
    global generator, so it is never folded into a constant), ``data_dependent`` (its
    output's shape depends on values, so Python code after it may branch on them) and
    ``mutates`` (it writes into an argument array, as batch norm's running statistics: never
    removed as dead code, never folded).

    ``fast``, optional, is the kernel as a C callable (``operator.mul`` for ``a * b``) for the
    hot ops of tiny tensors, where a Python frame costs as much as the NumPy work: ``apply`` and
    ``compute`` call it in the kernel's place (the tracer sees the same call and result), and
    where it signals a floating-point warning made an error they run ``kernel``, which keeps
    IEEE's NaN and inf quietly; a compiled program replays ``kernel``.

    ``into``, optional, is the kernel writing into arrays it is given: ``into(out, *args,
    **attrs)`` computes exactly ``kernel(*args, **attrs)`` (bit for bit) into ``out``, an
    array with the shape, dtype and strides of the kernel's own result for arguments of these
    layouts, and returns it; with ``multi``, ``out`` is a tuple with None for each result
    to be made as the kernel makes it, and the tuple of results is returned. Eager execution
    never calls it; a compiled program's replay does, for the values it keeps in buffers
    reused from call to call (``tinytensor.compiler.buffers``). The computation is written
    once: ``into`` is the body, where an output given as None is made as eager makes it, and
    ``kernel`` is that body given None (docs/contributing/adding-an-op.md)."""

    __slots__ = (
        "name",
        "kernel",
        "backward",
        "wants_needs",
        "multi",
        "random",
        "data_dependent",
        "mutates",
        "fast",
        "into",
        "_run",
    )

    def __init__(
        self,
        name,
        kernel,
        backward=None,
        *,
        multi=False,
        random=False,
        data_dependent=False,
        mutates=False,
        fast=None,
        into=None,
    ):
        self.name = name
        self.kernel = kernel
        self.fast = fast
        self.into = into
        self._run = kernel if fast is None else fast  # what apply and compute call
        self.backward = backward
        self.multi = multi
        self.random = random
        self.data_dependent = data_dependent
        self.mutates = mutates
        self.wants_needs = False
        if backward is not None:
            check_backward(backward, name)
            # A decorated backward (functools.wraps, as mutmut's trampoline) is read unwrapped.
            code = getattr(getattr(backward, "__wrapped__", backward), "__code__", None)
            self.wants_needs = code is not None and code.co_kwonlyargcount != 0

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args, **attrs):
        """The bare kernel (nothing recorded, nothing traced): for use inside another kernel."""
        return self.kernel(*args, **attrs)

    def compute(self, inputs, args, attrs=None):
        """Run the kernel on ``args`` (keywords ``attrs``) for an op on ``inputs``, reporting the
        call to an active tracer; returns the array (tuple of arrays with ``multi``)."""
        try:
            out = self._run(*args, **attrs) if attrs else self._run(*args)
        except _FP_SIGNALS:
            if self.fast is None:
                raise
            out = self.kernel(*args, **attrs) if attrs else self.kernel(*args)
        raw = out
        if self.multi:
            out = tuple([o if o.__class__ is _ndarray else _asarray(o) for o in out])
            scalar = any(map(_differ, raw, out))
        else:
            scalar = out.__class__ is not _ndarray  # a NumPy scalar, from a 0-d operation
            if scalar:
                out = _asarray(out)
        if _tracer is not None:
            _tracer.step(self, inputs, args, attrs, out, scalar)
        return out

    def apply(self, inputs, args, saved=(), attrs=None, node_attrs=None):
        """Run the kernel on ``args`` (keywords ``attrs``), wrap the result(s) and record the
        node on ``inputs`` (tensors, Python numbers or None, one per backward gradient).
        ``node_attrs`` replaces ``attrs`` on the node where the two differ."""
        try:
            out = self._run(*args, **attrs) if attrs else self._run(*args)
        except _FP_SIGNALS:
            if self.fast is None:
                raise
            out = self.kernel(*args, **attrs) if attrs else self.kernel(*args)
        if self.multi:
            raw = out
            out = tuple([o if o.__class__ is _ndarray else _asarray(o) for o in out])
            if _tracer is not None:
                _tracer.step(self, inputs, args, attrs, out, any(map(_differ, raw, out)))
            out = tuple([wrap(o) for o in out])
            if grad_state.enabled and self.backward is not None:
                for t in inputs:
                    if getattr(t, "_requires_grad", False):
                        na = attrs if node_attrs is None else node_attrs
                        node = Node(
                            self.name, self.backward, inputs, out, saved, na, self.wants_needs
                        )
                        _attach(out, node)
                        break
            return out
        if _tracer is not None:
            if out.__class__ is _ndarray:
                _tracer.step(self, inputs, args, attrs, out)
            else:  # a NumPy scalar, from a 0-d operation: the tracer sees the 0-d array
                out = _asarray(out)
                _tracer.step(self, inputs, args, attrs, out, True)
        out = wrap(out)  # (which makes a NumPy scalar a 0-d array itself, without a tracer)
        if grad_state.enabled and self.backward is not None:
            for t in inputs:
                if getattr(t, "_requires_grad", False):  # attached inline: a call less per op
                    out._grad_fn = Node(
                        self.name,
                        self.backward,
                        inputs,
                        out,
                        saved,
                        attrs if node_attrs is None else node_attrs,
                        self.wants_needs,
                    )
                    out._requires_grad = True
                    break
        return out

    def record(self, out, inputs, saved=(), attrs=None):
        """Record the node of this primitive on ``out`` (a tensor, or a tuple with None for an
        output without gradient), if grad mode is on and an input needs a gradient."""
        if grad_state.enabled and self.backward is not None:
            for t in inputs:
                if getattr(t, "_requires_grad", False):
                    _attach(
                        out,
                        Node(self.name, self.backward, inputs, out, saved, attrs, self.wants_needs),
                    )
                    break
        return out


def note(kernel, inputs, args, out, attrs=None, name=None):
    """Report to an active tracer an array computation an op on ``inputs`` made outside a
    primitive's kernel: ``out = kernel(*args, **attrs)``. Returns ``out``."""
    if _tracer is not None:
        _tracer.step(_Step(name or kernel.__name__, kernel), inputs, args, attrs, out)
    return out


class _Step:
    """What ``note`` reports: a kernel with a name, no gradient of its own."""

    __slots__ = (
        "name",
        "kernel",
        "backward",
        "wants_needs",
        "multi",
        "random",
        "data_dependent",
        "mutates",
        "into",
    )

    def __init__(self, name, kernel):
        self.name = name
        self.kernel = kernel
        self.into = None
        self.backward = None
        self.wants_needs = self.multi = self.random = self.data_dependent = False
        self.mutates = False


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
