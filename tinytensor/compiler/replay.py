"""Running a compiled call's program: the forward on the inputs' storage, the results
wrapped, and one autograd node, ``CompiledFunctionBackward``, whose backward runs the
backward program on the gradients and the residuals.

The node saves the tensors the backward program reads (the inputs, and outputs that are also
residuals), so an in-place change of one of them before ``backward`` raises as it would
eagerly; the other residuals are private arrays, kept in ``_Residuals``. Where the program
reuses buffers (``compiler.buffers``) and the inputs have their traced strides, the forward
takes a buffer set from the program's pool; the set's ``Lease`` rides in ``_Residuals`` and
goes back to the pool when the node's saved values are freed, or at the end of the forward
when no node is attached.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import Node, output
from tinytensor.core import TensorBase, share_version, wrap


def _flatten(value, tensors):
    """The structure of ``value`` with each tensor replaced by its index in ``tensors``."""
    if isinstance(value, TensorBase):
        tensors.append(value)
        return ("T", len(tensors) - 1)
    if isinstance(value, (tuple, list)):  # namedtuples (torch.return_types) included
        return ("S", value.__class__, [_flatten(v, tensors) for v in value])
    if value.__class__ is dict:
        return ("D", [(k, _flatten(v, tensors)) for k, v in value.items()])
    return ("V", value)


def _rebuild(structure, tensors):
    kind = structure[0]
    if kind == "T":
        return tensors[structure[1]]
    if kind == "S":
        items = [_rebuild(s, tensors) for s in structure[2]]
        cls = structure[1]
        if cls is list or cls is tuple:
            return cls(items)
        if hasattr(cls, "_fields"):  # a namedtuple
            return cls(*items)
        return cls(items)
    if kind == "D":
        return {k: _rebuild(s, tensors) for k, s in structure[1]}
    return structure[1]



class _Residuals:
    """The forward arrays the backward program reads that no one else holds (no tensor of
    the user's shares them), kept on the node beside the saved tensors, and the lease on the
    buffer set they may lie in (None where the call took none)."""

    __slots__ = ("arrays", "lease")

    def __init__(self, arrays, lease=None):
        self.arrays = arrays
        self.lease = lease


def _strides(tensors):
    return tuple([t._data.strides for t in tensors])


def replay(entry, args, kwargs):
    """The call ``entry``'s program was traced for, replayed on ``args`` and ``kwargs``."""
    prog = entry.program
    arg_tensors = []
    _flatten((args, kwargs), arg_tensors)
    inputs = arg_tensors + list(entry.externals)
    lease = None
    if prog.pool is not None and _strides(inputs) == prog.input_strides:
        lease = prog.pool.take()
        try:
            outs, res = prog.forward_pooled(lease.buffers, *[t._data for t in inputs])
        except BaseException:
            lease.release()  # every pooled value is written before it is read: reusable
            raise
    else:
        outs, res = prog.forward(*[t._data for t in inputs])
    tensors = []
    passthrough = prog.out_inputs
    for k, o in enumerate(outs):
        if passthrough[k] is not None:  # the function returned an input: that very tensor
            src = inputs[passthrough[k]]
            if entry.out_alias[k]:  # or a new tensor on its storage (detach): so again
                src = wrap(src._data)
                share_version(src, inputs[passthrough[k]])
            tensors.append(src)
            continue
        if o.__class__ is not np.ndarray:
            o = np.asarray(o)
        elif k in prog.const_outputs:
            o = o.copy(order="K")
        tensors.append(wrap(o))
    attached = False
    if prog.backward is not None and grad_state.enabled:
        wrt = [inputs[k] for k in prog.wrt_inputs]
        if any(t._requires_grad for t in wrt):
            attached = _attach_backward(entry, tensors, wrt, inputs, _Residuals(res, lease))
    if lease is not None and not attached:
        lease.release()  # no backward can read the residuals: the set is free again
    return _rebuild(entry.structure, tensors)


def _attach_backward(entry, tensors, wrt, inputs, residuals):
    """Give the outputs their node; False where none needs one."""
    prog = entry.program
    # The backward program takes one gradient per output that required grad when traced (in
    # that order); outputs that are inputs get theirs from the engine directly (zeros here).
    traced = [k for k, rg in enumerate(entry.out_rg) if rg]
    own = [k for k in traced if prog.out_inputs[k] is None]
    if not own:
        return False
    node_outs = [tensors[k] for k in own]
    slot_of = {k: i for i, k in enumerate(own)}  # output index -> the node's output number
    # What backward reads: residuals that are inputs or outputs go through saved (version
    # checked); the others are private arrays.
    saved = [residuals]
    spec = []
    for r, (oi, ii) in enumerate(zip(prog.residual_outputs, prog.residual_inputs)):
        if ii is not None:
            spec.append((len(saved), None))
            saved.append(inputs[ii])
        elif oi is not None and oi in slot_of:
            spec.append((len(saved), None))
            saved.append(output(slot_of[oi]))
        else:
            spec.append((None, r))
    metas = tuple((slot_of.get(k), tensors[k]._data.shape, tensors[k]._data.dtype) for k in traced)
    fn = _backward_fn(prog, tuple(spec), metas, len(own) > 1)
    out = node_outs[0] if len(own) == 1 else tuple(node_outs)
    node = Node("CompiledFunction", fn, tuple(wrt), out, tuple(saved), None, False)
    if len(own) == 1:
        out._requires_grad = True
        out._grad_fn = node
    else:
        for i, t in enumerate(node_outs):
            t._requires_grad = True
            t._grad_fn = node
            t._meta = i
    return True


def _backward_fn(prog, spec, metas, multi):
    run, pooled, strides = prog.backward, prog.backward_pooled, prog.grad_strides

    def compiled_backward(g, residuals, *saved):
        if grad_state.enabled:
            raise RuntimeError(
                "backward through a tinytensor.compile'd function with create_graph=True: the "
                "compiled backward program is NumPy kernels, not differentiable again; call "
                "the function without compile (or inside tt.compiler.disable) for higher "
                "derivatives"
            )
        gs = []
        for i, shape, dtype in metas:
            gi = None if i is None else (g[i] if multi else g)
            gs.append(np.zeros(shape, dtype) if gi is None else gi._data)
        arrays = residuals.arrays
        rs = [saved[i - 1]._data if i is not None else arrays[r] for i, r in spec]
        lease = residuals.lease
        if (
            lease is not None
            and tuple([d.strides for d in gs]) == strides
            and lease.lock.acquire(blocking=False)
        ):
            try:
                grads = pooled(lease.buffers, *gs, *rs)
            finally:
                lease.lock.release()
        else:
            grads = run(*gs, *rs)
        return tuple([None if d is None else wrap(np.asarray(d)) for d in grads])

    return compiled_backward
