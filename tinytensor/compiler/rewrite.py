"""Rewrites of a traced program that eager execution, which runs ops in the order written,
cannot make: the program is known whole before it runs, so steps may be reordered where the
mathematics allows.

**ReLU before max pooling runs after it.** ``max_pool(relu(x))`` equals ``relu(max_pool(x))``:
max commutes with a non-decreasing function, so each window's maximum is the same number
(a NaN is still the first NaN of the window). The rewritten program takes relu, its mask and
its gradient on the pooled tensor, a quarter of the size for 2x2 windows:

    eager order                           replayed order
    v = Relu(x)                           p, i' = MaxPool(x)
    p, i = MaxPool(v)                     p = Relu(p)
    ...                                   ...
    gv = MaxPoolBackward(gp, i)           m' = ReluMask(p)
    m = ReluMask(v)                       gq = ReluBackward(gp, m')
    gx = ReluBackward(gv, m)              gx = MaxPoolBackward(gq, i')

The gradient is the same too. Where a window's maximum is positive, ``x`` and ``relu(x)``
have their first maximum at the same place and the mask passes there; where it is not
positive, the mask is false and every element of the window gets 0 in both orders (eager
routes the gradient to the first of the zeros, then masks it; the rewrite masks it first).
Only the sign of a zero can differ: for the window (-0.0, -2.0) the rewrite gives
``relu(-0.0)``, -0.0, where eager pools (-0.0, +0.0) and may keep either zero. A pattern is
rewritten only when nothing else reads relu's output, its mask, the pooling's argmax offsets or
the gradient in between, none of them is a result of the call, and no in-place step writes
the pooled values (eager's backward never reads them; the rewritten one does, so they must not
be a result of the call either where the call has a backward).
"""

from __future__ import annotations

import numpy as np

from tinytensor.compiler.buffers import memory_owner
from tinytensor.compiler.trace import SLOT, Step, slots_of

_POOLS = frozenset({"MaxPool1D", "MaxPool2D", "MaxPool3D"})


def _owner(a):
    """The id of the array that owns ``a``'s memory (the end of its chain of views)."""
    return id(memory_owner(a)[0]) if isinstance(a, np.ndarray) else id(a)


def _one_slot(step, name, phase):
    """The slot of ``step``'s single argument if it is a ``name`` step of ``phase`` reading
    one slot and nothing else, else None."""
    if step.prim.name != name or step.phase != phase or step.attrs:
        return None
    if len(step.args) != 1 or step.args[0][0] != SLOT:
        return None
    return step.args[0][1]


def reorder_relu_pool(tracer, steps, keep, frozen=()):
    """``steps`` with each ReLU-then-max-pooling pattern rewritten (module docstring); the
    traced ``steps`` are left as they are (a new list, the same length: each step keeps its
    index). ``keep``: the slots the program returns (outputs and gradients), which must be made
    exactly as traced; ``frozen``: step indices not to touch (a dynamic program's symbols name
    them). New slots are added to ``tracer`` with their values on the traced arrays; the slots
    the rewritten steps reuse keep the traced arrays (what views and in-place writes of them the
    buffer planner finds goes by those)."""
    readers, producer = {}, {}
    for i, st in enumerate(steps):
        for s in slots_of(st.args, []):
            readers.setdefault(s, []).append(i)
        for s in st.outs:
            producer[s] = i
    # The memory in-place steps write (each slot by the array that owns its memory): a pooled
    # value written in place must stay out, since relu's backward would read it after the write.
    written = {_owner(tracer.arrays[s]) for st in steps if st.prim.mutates
               for s in slots_of(st.args, [])}  # fmt: skip
    out = list(steps)
    for b, pool in enumerate(steps):
        if pool.prim.name not in _POOLS or pool.phase != "forward" or len(pool.outs) != 2:
            continue
        if (pool.attrs or {}).get("with_indices") is not False or pool.args[0][0] != SLOT:
            continue
        v, (pv, iv) = pool.args[0][1], pool.outs
        a = producer.get(v)
        x = None if a is None else _one_slot(steps[a], "Relu", "forward")
        if x is None or v in keep or iv in keep:
            continue
        others = [i for i in readers.get(v, ()) if i != b]
        backward = None
        if others:
            backward = _backward_pattern(steps, readers, producer, others, v, iv, keep)
            if backward is None:
                continue
        elif readers.get(iv):
            continue
        touched = {a, b} | set(backward[0] if backward else ())
        if touched & set(frozen) or any(out[i] is not steps[i] for i in touched):
            continue
        if _owner(tracer.arrays[pv]) in written or (backward and pv in keep):
            # The backward would read the pooled values after the write; or, a result of the
            # call, they would be saved, and writing them in place after the call (as eager
            # allows: no backward reads them there) would raise.
            continue
        pool_arrays = pool.prim.kernel(tracer.arrays[x], **pool.attrs)
        p_new = tracer._new_slot(pool_arrays[0], ("step", a))
        i_new = tracer._new_slot(pool_arrays[1], ("step", a))
        relu = steps[a]
        out[a] = Step(pool.prim, [(SLOT, x)], pool.attrs, (p_new, i_new), "forward")
        out[b] = Step(relu.prim, [(SLOT, p_new)], relu.attrs, (pv,), "forward")
        if backward is None:
            continue
        (c, d, e), gp = backward
        scatter, mask, grad = steps[c], steps[d], steps[e]
        m_arr = mask.prim.kernel(tracer.arrays[pv])
        m_new = tracer._new_slot(m_arr, ("step", d))
        gq_arr = grad.prim.kernel(tracer.arrays[gp], m_arr)
        gq = tracer._new_slot(gq_arr, ("step", e))
        first, second = sorted((c, d))
        out[first] = Step(mask.prim, [(SLOT, pv)], mask.attrs, (m_new,), "backward")
        out[second] = Step(grad.prim, [(SLOT, gp), (SLOT, m_new)], grad.attrs, (gq,), "backward")
        out[e] = Step(scatter.prim, [(SLOT, gq), (SLOT, i_new)], scatter.attrs, grad.outs,
                      "backward")  # fmt: skip
    return out


def _backward_pattern(steps, readers, producer, others, v, iv, keep):
    """``((c, d, e), gp)`` where step ``d`` is ``ReluMask(v)``, ``c`` is
    ``MaxPoolBackward(gp, iv)``, and ``e`` is ``ReluBackward`` of the two, each result read
    only by the next and none kept; else None."""
    if len(others) != 1:
        return None
    d = others[0]
    if _one_slot(steps[d], "ReluMask", "backward") != v:
        return None
    m = steps[d].outs[0]
    if m in keep or len(readers.get(m, ())) != 1:
        return None
    e = readers[m][0]
    grad = steps[e]
    if grad.prim.name != "ReluBackward" or grad.phase != "backward" or grad.attrs:
        return None
    if len(grad.args) != 2 or grad.args[1] != (SLOT, m) or grad.args[0][0] != SLOT:
        return None
    gv = grad.args[0][1]
    c = producer.get(gv)
    if c is None or gv in keep or readers.get(gv) != [e] or readers.get(iv) != [c]:
        return None
    scatter = steps[c]
    if scatter.prim.name != "MaxPoolBackward" or scatter.phase != "backward":
        return None
    if len(scatter.args) != 2 or scatter.args[1] != (SLOT, iv) or scatter.args[0][0] != SLOT:
        return None
    if not (c < e and d < e):
        return None
    return (c, d, e), scatter.args[0][1]
