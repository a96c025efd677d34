"""The backward pass: sort the graph, then run each node's closure from the roots to the leaves.

Everything the engine does, in order:
1. an iterative depth-first walk from the roots' nodes gives a topological order (no recursion,
   so a chain of a million ops is fine);
2. each node, once every consumer has handed it a gradient, runs its tensor hooks, checks that
   nothing it saved was modified in place, and calls its closure;
3. each input gradient is reduced to the input's shape and dtype (broadcast reduction lives
   here, once, not in every op) and summed into the pending gradient of the input's node;
4. leaf gradients are collected and only written to ``.grad`` when the whole pass succeeded,
   so a failed backward leaves every ``.grad`` as it was.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.grad_mode import _state
from tinytensor.autograd.node import Node


def _toposort(roots):
    """Nodes reachable from ``roots``, each before every node it feeds gradients into."""
    order, seen = [], set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for e in node.next:
            if e.__class__ is Node and e not in seen:
                stack.append((e, False))
    order.reverse()
    return order


def reduce_to(g, shape, dtype, where):
    """Sum a gradient over the axes that broadcasting added, so it matches ``shape``."""
    gshape = g._data.shape
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead < 0:
            raise RuntimeError(
                f"{where}: gradient of shape {gshape} cannot be reduced to input shape {shape}"
            )
        axes = tuple(range(lead)) + tuple(
            i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
        )
        if axes:
            g = g.sum(axes, keepdim=True)
        if lead:
            g = g.reshape(shape)
        if g._data.shape != shape:
            raise RuntimeError(
                f"{where}: gradient of shape {gshape} does not broadcast to input shape {shape}"
            )
    if g._data.dtype != dtype:
        g = g.to(dtype)
    return g


def _add(a, b):
    return b if a is None else a + b


def run_backward(
    roots,
    grads,
    retain_graph=False,
    create_graph=False,
    inputs=None,
    capture=False,
    allow_unused=False,
):
    """Backpropagate ``grads`` from ``roots``.

    With ``capture`` (``autograd.grad``) return the gradients of ``inputs`` and touch no
    ``.grad``; otherwise accumulate into the leaves' ``.grad`` (only ``inputs``' if given).
    """
    from tinytensor.tensor import _wrap

    pending = {}
    leaf_grads = {}
    root_nodes = []
    for r, g in zip(roots, grads):
        fn = r._grad_fn
        if fn is None:
            if r._requires_grad:
                leaf_grads[r] = _add(leaf_grads.get(r), g)
            continue
        if fn.fn is None:
            _freed(fn)
        root_nodes.append(fn)
        _deposit(pending, fn, r._out_index, g)

    # Non-leaf tensors whose gradient autograd.grad or backward(inputs=...) asked for.
    wanted_nodes = {}
    if inputs is not None:
        for t in inputs:
            if t._grad_fn is not None:
                wanted_nodes.setdefault(t._grad_fn, []).append(t)
    captured = {}

    prev = _state.enabled
    _state.enabled = create_graph
    try:
        for node in _toposort(root_nodes):
            g = pending.pop(node, None)
            if g is None:
                continue
            if node.fn is None:
                _freed(node)
            if node.hooks is not None or node.retained is not None:
                g = _node_hooks(node, g)
            if node in wanted_nodes:
                for t in wanted_nodes[node]:
                    captured[t] = g if node.n_out == 1 else g[t._out_index]
            if node.saved or node.out_data is not None:
                node.check_saved()
            out = None
            if node.out_data is not None:
                out = _wrap(node.out_data)
                out._requires_grad = True
                out._grad_fn = node
            if node.n_out > 1:
                g = [_zeros_for(node, i) if gi is None else gi for i, gi in enumerate(g)]
            in_grads = node.fn(g, out)
            if _Anomaly_check[0]:
                _check_finite(node, in_grads)
            for e, pg in zip(node.next, in_grads):
                if pg is None or e is None:
                    continue
                if e.__class__ is Node:
                    pg = reduce_to(pg, e.shape, e.dtype, node)
                    _deposit(pending, e, 0, pg)
                else:
                    pg = reduce_to(pg, e._data.shape, e._data.dtype, node)
                    old = leaf_grads.get(e)
                    leaf_grads[e] = pg if old is None else old + pg
            if not retain_graph:
                node.release()
    finally:
        _state.enabled = prev

    if capture:
        result = []
        for t in inputs:
            g = captured.get(t) if t._grad_fn is not None else leaf_grads.get(t)
            if g is not None and t._grad_fn is None and t._hooks:
                g = _leaf_hooks(t, g)
            if g is None and not allow_unused:
                raise RuntimeError(
                    "autograd.grad: one of the differentiated tensors (shape "
                    f"{tuple(t.shape)}) was not used in the graph; pass allow_unused=True "
                    "to get None for it"
                )
            result.append(g)
        return tuple(result)

    if inputs is not None:
        keep = {id(t) for t in inputs}
        for t in inputs:
            if t._grad_fn is not None and t in captured:
                _accumulate(t, captured[t], create_graph)
        leaf_grads = {t: g for t, g in leaf_grads.items() if id(t) in keep}
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _leaf_hooks(leaf, g)
        _accumulate(leaf, g, create_graph)
    return None


def _deposit(pending, node, index, g):
    if node.n_out == 1:
        old = pending.get(node)
        pending[node] = g if old is None else old + g
    else:
        slots = pending.get(node)
        if slots is None:
            slots = pending[node] = [None] * node.n_out
        slots[index] = _add(slots[index], g)


def _zeros_for(node, i):
    from tinytensor.tensor import _wrap

    shape, dtype = node.out_meta[i]
    return _wrap(np.zeros(shape, dtype))


def _accumulate(leaf, g, create_graph):
    """Sum ``g`` into ``leaf.grad``; the stored gradient is never a view of anything else."""
    from tinytensor.tensor import _wrap

    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
        else:
            leaf._grad = _wrap(np.array(g._data, copy=True))
    elif create_graph or old._requires_grad or g._requires_grad:
        leaf._grad = old + g
    else:
        np.add(old._data, g._data, out=old._data, casting="unsafe")


def _node_hooks(node, g):
    """Run hooks registered on non-leaf tensors made by ``node``, then fill retained grads."""
    if node.hooks:
        for index, hook in list(node.hooks.values()):
            gi = g if node.n_out == 1 else g[index]
            new = hook(gi)
            if new is not None:
                if node.n_out == 1:
                    g = new
                else:
                    g = list(g)
                    g[index] = new
    if node.retained:
        for index, ref in node.retained:
            t = ref()
            if t is not None:
                gi = g if node.n_out == 1 else g[index]
                if gi is not None:
                    gi = gi if _state.enabled else gi.detach()
                    t._grad = gi if t._grad is None else t._grad + gi
    return g


def _leaf_hooks(leaf, g):
    for hook in list(leaf._hooks.values()):
        new = hook(g)
        if new is not None:
            g = new
    return g


def _freed(node):
    raise RuntimeError(
        f"Trying to backward through the graph a second time: the saved tensors of {node!r} "
        "were freed by the first backward. Specify retain_graph=True on the first "
        ".backward() or autograd.grad() call if you need to backward through it again."
    )


# Anomaly detection flag, switched by tinytensor.autograd.anomaly.detect_anomaly.
_Anomaly_check = [False]


def _check_finite(node, in_grads):
    for pg in in_grads:
        if pg is not None and not np.all(np.isfinite(pg._data)):
            where = ""
            if node.trace:
                where = "\nThe forward call that created it:\n" + "".join(node.trace.format()[-4:])
            raise RuntimeError(
                f"Function '{node.name()}' returned nan or inf values in its gradient "
                f"(input gradient of shape {pg._data.shape}).{where}"
            )
