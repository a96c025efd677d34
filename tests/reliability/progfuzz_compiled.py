"""Fuzzed programs through ``tt.compile``: traced, replayed, and compared with eager.

``compiled_mismatch(steps)`` runs a recorded program (the same literal lists ``run_program``
replays) as a function of its leaves, eagerly and then through ``tt.compile`` twice (the
second replay runs on reused buffers), and says what differs, or None. Values must be the
same numbers (``same_numbers``: -0.0 equals +0.0, a NaN equals a NaN: the relu/max-pool
reorder may change only the sign of a zero); gradients within rounding (a leaf that is also
an output gets its gradient's terms summed in another order).
"""

from __future__ import annotations

import numpy as np
from progfuzz import _apply, leaf_values

import tinytensor as tt
from tinytensor.compiler import buffers

GRAD_RTOL, GRAD_ATOL = 1e-10, 1e-12


def same_numbers(a, b):
    """Same shape and the same numbers: -0.0 == +0.0 and NaN == NaN (not the same bytes)."""
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def sinks(steps):
    """The values no later step reads (the program's results when intermediates are private)."""
    read = {i for _, inputs, _ in steps for i in inputs}
    n = sum(op != "inplace" for op, _, _ in steps)
    return [k for k in range(n) if k not in read]


def as_function(steps, returns=None):
    """The recorded program as a function of its leaves (tinytensor) returning the values
    numbered ``returns`` (default: every value)."""

    def program(*leaves):
        pool, given = [], iter(leaves)
        for op, inputs, params in steps:
            if op == "leaf":
                pool.append(next(given))
                continue
            out = _apply(tt, op, [pool[i] for i in inputs], params)
            if out is not None:
                pool.append(out)
        return tuple(pool) if returns is None else tuple(pool[k] for k in returns)

    return program


def run_leaves(fn, leaf_params):
    """``fn`` on fresh leaves: every value, and every leaf's gradient of a weighted sum."""
    leaves = [
        tt.tensor(leaf_values(p["shape"], p["seed"]), dtype=tt.float64, requires_grad=p["grad"])
        for p in leaf_params
    ]
    outs = fn(*leaves)
    values = [o.detach().numpy().copy() for o in outs]
    loss = None
    for k, o in enumerate(outs):
        if o.requires_grad:
            w = tt.tensor(np.random.default_rng(10_000 + k).uniform(0.5, 1.5, tuple(o.shape)))
            term = (o * w).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    grads = [None if t.grad is None else t.grad.numpy().copy() for t in leaves]
    return values, grads


def compiled_mismatch(steps, replays=2, returns=None):
    """What differs between eager and ``tt.compile``'s replays of ``steps`` returning the
    values ``returns`` (default every value; ``sinks(steps)`` leaves the intermediates private),
    or None. Every private value is pooled however small (``buffers.MIN_BYTES`` = 0, as in
    tests/compiler), so the fuzzer's small programs exercise buffer reuse as a large model's
    replays do."""
    saved = buffers.MIN_BYTES
    buffers.MIN_BYTES = 0
    try:
        return _compiled_mismatch(steps, replays, returns)
    finally:
        buffers.MIN_BYTES = saved


def _compiled_mismatch(steps, replays, returns):
    leaf_params = [p for op, _, p in steps if op == "leaf"]
    fn = as_function(steps, returns)
    want = run_leaves(fn, leaf_params)
    compiled = tt.compile(fn)
    for rep in range(replays):
        got = run_leaves(compiled, leaf_params)
        for k, (a, b) in enumerate(zip(got[0], want[0])):
            if not same_numbers(a, b):
                return f"replay {rep}: value {k}\n{a}\nvs eager\n{b}"
        for k, (a, b) in enumerate(zip(got[1], want[1])):
            if a is None or b is None:
                if a is not None or b is not None:
                    return f"replay {rep}: gradient of leaf {k}: {a} vs eager {b}"
            elif a.shape != b.shape or not np.allclose(
                a, b, rtol=GRAD_RTOL, atol=GRAD_ATOL, equal_nan=True
            ):
                return f"replay {rep}: gradient of leaf {k}\n{a}\nvs eager\n{b}"
    return None
