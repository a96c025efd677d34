"""The backward pass: sort the graph, then run each node's closure from the roots to the leaves.

Everything the engine does, in order:
1. an iterative depth-first walk from the roots' nodes gives a topological order (no recursion,
   so a chain of a million ops is fine); with ``inputs`` it keeps only the nodes on a path to
   one of them;
2. each node, once every consumer has handed it a gradient, runs the hooks of the tensors it
   made, checks that nothing it saved was modified in place, and calls its closure (with
   recording on only under ``create_graph``, so backward formulas cost little otherwise);
3. each input gradient is reduced to the input's shape and dtype (broadcast reduction lives
   here, once, not in every op) and summed into the pending gradient of the input's node;
4. only when the whole pass succeeded are leaf hooks run, ``.grad`` written and the graph
   freed, so a failed backward leaves every ``.grad`` (and the graph) as it was.
"""

from __future__ import annotations

import gc
import sys

import numpy as np

from tinytensor.allocator import tune_allocator
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.hooks import post_hooks_used, run_post_accumulate_hooks
from tinytensor.autograd.node import Node, _Anomaly
from tinytensor.core import has_version_counter, wrap


def _toposort(roots):
    """Nodes reachable from ``roots``, each before every node it feeds gradients into.

    Depth-first: a node stays on the stack while its inputs are explored and is emitted when
    it is on top again (post-order), which reversed is a topological order. A node pushed
    twice is expanded at its latest push, the deepest place it is reached, so it is emitted
    after every node below it. Allocates no tuples: a long walk does not wake the cyclic GC.
    """
    order, state = [], {}  # node -> False once expanded, True once emitted
    stack = list(reversed(roots))
    while stack:
        node = stack[-1]
        s = state.get(node)
        if s is None:
            state[node] = False
            for e in node.next:  # a node, (node, i), a leaf tensor or None; nodes first
                cls = e.__class__
                if cls is Node:
                    if e not in state:
                        stack.append(e)
                elif cls is tuple and e[0] not in state:
                    stack.append(e[0])
        else:
            stack.pop()
            if s is False:
                state[node] = True
                order.append(node)
    order.reverse()
    return order


def _prune(order, targets):
    """The nodes of ``order`` with one of ``targets`` (leaves or nodes) below them."""
    needed = set()
    for node in reversed(order):  # leaf side first, so every edge's node is already decided
        for e in node.next:
            if e.__class__ is tuple:
                e = e[0]
            if e is not None and (e in needed or id(e) in targets):
                needed.add(node)
                break
    return needed


def reduce_to(g, shape, dtype, where):
    """Sum a gradient over the axes that broadcasting added, so it matches ``shape``."""
    gshape = g._data.shape
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead < 0 or any(n != 1 and n != gshape[lead + i] for i, n in enumerate(shape)):
            raise RuntimeError(
                f"{where}: the gradient it returned has shape {gshape}, which does not match "
                f"(or broadcast to) the shape {shape} of its input"
            )
        stretched = (lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
        axes = tuple(range(lead)) + tuple(stretched)
        if not grad_state.enabled:  # first-order pass: NumPy's sum, no two op dispatches (~5 us)
            if axes and len(axes) == lead:  # only leading axes: the sum has the shape already
                g = wrap(g._data.sum(axes))  # (a fresh array, not a view: the leaf may keep it)
            else:
                d = g._data.sum(axes, keepdims=True) if axes else g._data
                g = wrap(d.reshape(shape) if lead else d)
        else:
            if axes:
                g = g.sum(axes, keepdim=True)
            if lead:
                g = g.reshape(shape)
    if g._data.dtype != dtype:
        g = g.to(dtype)
    return g


class _Plan:
    """What one backward pass works on: the order to run nodes in, the gradients pending at
    nodes and leaves, and, with ``inputs``, which nodes lead to them (``needed``) and which
    non-leaf inputs each node made (``wanted``)."""

    __slots__ = ("order", "pending", "leaf_grads", "needed", "wanted", "targets")


def plan(roots, grads, inputs=None):
    """Seed the roots' gradients and sort the graph below them (prune it to ``inputs``)."""
    p = _Plan()
    p.pending = pending = {}  # node -> summed gradient of its output (a list for multi-output)
    p.leaf_grads = leaf_grads = {}  # leaf tensor -> summed gradient
    for r, g in zip(roots, grads):
        if r._grad_fn is None:
            leaf_grads[r] = _add(leaf_grads.get(r), g)
        else:
            _deposit(pending, r._grad_fn, r._meta, g)
    p.order = _toposort(list(pending))
    p.wanted = {}  # node -> the non-leaf tensors in ``inputs`` that it made
    p.needed = p.targets = None
    if inputs is not None:
        for t in inputs:
            if t._grad_fn is not None:
                p.wanted.setdefault(t._grad_fn, []).append(t)
        p.targets = {id(t) if t._grad_fn is None else id(t._grad_fn) for t in inputs}
        p.needed = _prune(p.order, p.targets)
    return p


def run_backward(
    roots,
    grads,
    retain_graph=False,
    create_graph=False,
    inputs=None,
    capture=False,
    allow_unused=False,
):
    """Backpropagate ``grads`` from ``roots``: ``plan``, ``run``, then ``commit``. The first
    call in a process also tunes the allocator (``tinytensor.allocator``).

    With ``capture`` (``autograd.grad``) return the gradients of ``inputs`` and touch no
    ``.grad``; otherwise sum into the leaves' ``.grad`` (only ``inputs``' if given).
    """
    if _first_pass:
        _tune_allocator_once()
    p = plan(roots, grads, inputs)
    captured = {}  # non-leaf tensor in ``inputs`` -> its gradient
    retained = []  # (tensor, gradient) for non-leaves that called retain_grad()
    ran = []
    prev = grad_state.enabled
    grad_state.enabled = create_graph
    # The collector is paused for the pass (and restored as it was): every gradient allocates
    # a few tracked objects, and each collection would rescan the whole live graph for cycles
    # that tinytensor never makes (W2's scalar MLP: about -8% per step). Freeing is by refcount.
    collecting = gc.isenabled()
    gc.disable()
    try:
        run(p, create_graph, captured, retained, ran)
        result = commit(p, inputs, captured, retained, create_graph, capture, allow_unused)
    finally:
        grad_state.enabled = prev
        if collecting:
            gc.enable()
    if not retain_graph:
        for node in ran:  # Node.release inlined: a method call less per node
            node.fn = None
            node.saved = node.checked = node.versions = ()
            node.outputs = node.attrs = None  # attrs may name saved tensors (an index, a mask)
    return result


# The process's first backward tunes glibc's allocator once (tinytensor.allocator: a training
# loop then reuses its large buffers instead of re-faulting them, about 3,000 minor faults and a
# quarter of a small CNN's step). Importing tinytensor changes nothing; TINYTENSOR_MALLOC_TUNING=0
# or the user's own MALLOC_* settings leave the allocator alone.
_first_pass = True


def _tune_allocator_once():
    global _first_pass
    _first_pass = False
    tune_allocator()


def run(p, create_graph, captured, retained, ran):
    """Run every node of ``p.order`` that received a gradient, from the roots to the leaves.

    Each node's closure gets the summed gradient of its output, after the hooks of the tensors
    it made and the in-place check of what it saved; what it returns is reduced to each
    input's shape and dtype and summed into that input's pending gradient. Nothing is written
    to any ``.grad`` here (``commit`` does that), so an error leaves every ``.grad`` as it was.
    Appends each node it runs to ``ran``, gradients of ``inputs`` made by non-leaves to
    ``captured`` and retain_grad()'s to ``retained``.
    """
    pending, leaf_grads, needed, wanted = p.pending, p.leaf_grads, p.needed, p.wanted
    pop, ran_append = pending.pop, ran.append
    anomaly = _Anomaly.enabled
    for node in p.order:
        g = pop(node, None)
        if g is None:
            continue
        if needed is not None and node not in needed and node not in wanted:
            continue
        fn = node.fn
        if fn is None:
            raise _freed(node)
        if node.hooks is not None or node.retained is not None:
            g = _node_hooks(node, g, retained, create_graph)
        if wanted and node in wanted:
            for t in wanted[node]:
                captured[t] = g if t._meta is None else g[t._meta]
            if node not in needed:  # nothing asked for lies below it
                continue
        ran_append(node)
        if anomaly:
            in_grads = _run_checked(node, g, _needs(node, p))
        else:  # Node.run inlined, and its unpack skipped when there is nothing to check
            saved = node.unpack() if node.versions or node.outputs is not None else node.saved
            if node.wants_needs:
                in_grads = fn(g, *saved, needs=_needs(node, p))
            else:
                in_grads = fn(g, *saved)
        for e, pg in zip(node.next, in_grads):
            if pg is None or e is None:
                continue
            cls = e.__class__
            if cls is Node:
                d = pg._data
                if d.shape != e.shape or d.dtype != e.dtype:
                    pg = reduce_to(pg, e.shape, e.dtype, node)
                old = pending.get(e)
                # Gradients meeting at one node or leaf are summed. Without create_graph that is
                # one NumPy add (reduce_to already matched shapes and dtypes), which skips the add
                # op's dispatch: a few us per sum, and W2's scalar MLP does about 50k a step.
                if old is not None:
                    pg = old + pg if create_graph else wrap(old._data + pg._data)
                pending[e] = pg
            elif cls is tuple:  # output i of a node with several outputs
                src, i = e
                shape, dtype = src.out_meta[i]
                _deposit(pending, src, i, reduce_to(pg, shape, dtype, node))
            else:  # a leaf tensor
                d, leaf = pg._data, e._data
                if d.shape != leaf.shape or d.dtype != leaf.dtype:
                    pg = reduce_to(pg, leaf.shape, leaf.dtype, node)
                old = leaf_grads.get(e)
                if old is not None:
                    pg = old + pg if create_graph else wrap(old._data + pg._data)
                leaf_grads[e] = pg


def _needs(node, p):
    """PyTorch's ``needs_input_grad`` for ``node``: True for each input whose gradient goes
    somewhere (with ``inputs``, somewhere on a path to one of them)."""
    needed = p.needed
    if needed is None:
        return tuple([e is not None for e in node.next])
    targets, wanted, out = p.targets, p.wanted, []
    for e in node.next:
        if e.__class__ is tuple:
            e = e[0]
        out.append(e is not None and (e in needed or e in wanted or id(e) in targets))
    return tuple(out)


def commit(p, inputs, captured, retained, create_graph, capture=False, allow_unused=False):
    """After a successful ``run``: run the leaves' hooks, then write ``.grad`` (or, with
    ``capture``, return the gradients of ``inputs`` and write nothing)."""
    leaf_grads = p.leaf_grads
    if capture:
        return _captured(inputs, leaf_grads, captured, allow_unused)
    if inputs is not None:
        keep = {id(t) for t in inputs}
        leaf_grads = {t: g for t, g in leaf_grads.items() if id(t) in keep}
        leaf_grads.update(captured)
    p.leaf_grads = None  # the only reference left to each gradient is the dict's entry
    for leaf in leaf_grads:  # every hook runs before any .grad is written
        if leaf._hooks:  # (no loop variable left holding the last gradient: see below)
            leaf_grads[leaf] = _leaf_hooks(leaf, leaf_grads[leaf])
    # Popped, not iterated over items(): that iterator keeps its last (leaf, g) tuple alive,
    # a hidden reference that made every gradient look shared to _sole_owner (never stolen).
    for leaf in list(leaf_grads):
        _accumulate(leaf, leaf_grads.pop(leaf), create_graph)
    for t, g in retained:
        t._grad = g if t._grad is None else t._grad + g
    return None


def _captured(inputs, leaf_grads, captured, allow_unused):
    result = []
    for t in inputs:
        if t._grad_fn is None:
            g = leaf_grads.get(t)
            if g is not None and t._hooks:
                g = _leaf_hooks(t, g)
        else:
            g = captured.get(t)
        if g is None and not allow_unused:
            raise RuntimeError(
                "autograd.grad: one of the differentiated tensors (shape "
                f"{tuple(t.shape)}) was not used in the graph; pass allow_unused=True "
                "to get None for it"
            )
        result.append(g)
    return tuple(result)


def _add(a, b):
    return b if a is None else a + b


def _deposit(pending, node, index, g):
    if node.out_meta is None:
        pending[node] = _add(pending.get(node), g)
    else:
        slots = pending.get(node)
        if slots is None:
            slots = pending[node] = [None] * len(node.out_meta)
        slots[index] = _add(slots[index], g)


def _accumulate(leaf, g, create_graph):
    """Sum ``g`` into ``leaf.grad``; the stored gradient is never a view of anything else."""
    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
        elif _sole_owner(g):  # as PyTorch's AccumulateGrad: steal a gradient no one else holds
            leaf._grad = g  # (saves a copy of every parameter's gradient per step)
        else:
            leaf._grad = wrap(g._data.copy())
    elif create_graph or old._requires_grad or g._requires_grad:
        leaf._grad = old + g
    else:
        old._data += g._data
    if post_hooks_used[0]:  # Tensor.register_post_accumulate_grad_hook (none yet: one test)
        run_post_accumulate_hooks(leaf)


def _sole_owner(g) -> bool:
    """True if ``g`` and its array are referenced only by the frames that hand ``g`` on
    (``_accumulate`` and this one): a fresh array, not a view, held by no saved tensor or user."""
    d = g._data
    return (
        d.base is None
        and not g._requires_grad
        and not has_version_counter(g)
        and g._hooks is None
        and sys.getrefcount(d) <= _FRESH_REFS[0]
        and sys.getrefcount(g) <= _FRESH_REFS[1]
    )


def _ref_counts(g):
    d = g._data  # as in _sole_owner: a local ``d``, and both counted through a local
    return sys.getrefcount(d), sys.getrefcount(g)


def _fresh_ref_counts(g):
    return _ref_counts(g)  # called as _accumulate calls _sole_owner, with nothing else holding g


# What a gradient held by no one else counts inside _sole_owner, measured once on this
# interpreter (the counts of frame arguments and borrowed loads differ between versions).
_FRESH_REFS = _fresh_ref_counts(wrap(np.empty(0)))


def _node_hooks(node, g, retained, create_graph):
    """Run the hooks of the non-leaf tensors ``node`` made; note gradients to retain."""
    multi = node.out_meta is not None
    if node.hooks:
        for index, hook in list(node.hooks.values()):
            gi = g[index] if multi else g
            if gi is None:
                continue
            new = hook(gi)
            if new is not None:
                if multi:
                    g = list(g)
                    g[index] = new
                else:
                    g = new
    if node.retained:
        for index, ref in node.retained:
            t = ref()
            gi = g[index] if multi else g
            if t is not None and gi is not None:
                retained.append((t, gi if create_graph else wrap(gi._data.copy())))
    return g


def _leaf_hooks(leaf, g):
    for hook in list(leaf._hooks.values()):
        new = hook(g)
        if new is not None:
            g = new
    return g


def _freed(node):
    return RuntimeError(
        f"Trying to backward through the graph a second time: the saved tensors of {node!r} "
        "were freed by the first backward. Specify retain_graph=True on the first "
        ".backward() or autograd.grad() call if you need to backward through it again."
    )


def _run_checked(node, g, needs):
    """Anomaly mode: run ``node``'s closure, pointing any error or NaN/inf to its forward call."""
    where = node.created_at() or "  (not recorded: the node was made outside detect_anomaly)\n"
    try:
        if node.wants_needs:
            in_grads = node.fn(g, *node.unpack(), needs=needs)
        else:
            in_grads = node.fn(g, *node.unpack())
    except Exception as e:
        raise RuntimeError(
            f"Error in {node.name()} during backward: {e}\n"
            f"The forward call that created {node!r}:\n{where}"
        ) from e
    if _Anomaly.check_nan:
        for i, pg in enumerate(in_grads):
            if pg is not None and not np.all(np.isfinite(pg._data)):
                raise RuntimeError(
                    f"Function '{node.name()}' returned nan or inf values in its gradient for "
                    f"input {i} (shape {tuple(pg._data.shape)}). The forward call that created "
                    f"{node!r}:\n{where}"
                )
    return in_grads
