"""Where two traces of one function differ only by the batch size.

``compile(dynamic=None)`` traces a function again when a batch of another size arrives; if the
two kernel programs are the same but for integers that are ``k`` times the batch size in both
(a reshape's target, a mean's divisor...), those integers become ``Sym(k)``, ``k*B`` in the
generated program, and one program serves every batch size.
"""

from __future__ import annotations

import numpy as np

from tinytensor.compiler.program import Sym
from tinytensor.compiler.trace import CONST, SEQ, SLOT


def batch_symbols(steps_a, steps_b, ba, bb):
    """``{(step, "arg", j) or (step, "attr", key): value with Sym}`` for the two traces'
    steps (batch sizes ``ba`` and ``bb``), or None if they differ in anything else."""
    try:
        return diff_steps(steps_a, steps_b, ba, bb)
    except NotGeneral:
        return None


class NotGeneral(Exception):
    """The traces differ in more than the batch size."""


def diff_steps(steps_a, steps_b, ba, bb):
    if len(steps_a) != len(steps_b):
        raise NotGeneral
    symbolic = {}
    for i, (x, y) in enumerate(zip(steps_a, steps_b)):
        if x.prim.kernel is not y.prim.kernel or x.outs != y.outs or x.phase != y.phase:
            raise NotGeneral
        if len(x.args) != len(y.args) or (x.attrs or {}).keys() != (y.attrs or {}).keys():
            raise NotGeneral
        for j, (ra, rb) in enumerate(zip(x.args, y.args)):
            changed, ref = diff_ref(ra, rb, ba, bb)
            if changed:
                symbolic[(i, "arg", j)] = ref
        for key, va in (x.attrs or {}).items():
            changed, v = diff_value(va, y.attrs[key], ba, bb)
            if changed:
                symbolic[(i, "attr", key)] = v
    return symbolic


def diff_ref(ra, rb, ba, bb):
    if ra[0] != rb[0]:
        raise NotGeneral
    if ra[0] == SLOT:
        if ra[1] != rb[1]:
            raise NotGeneral
        return False, ra
    if ra[0] == SEQ:
        if ra[1] is not rb[1] or len(ra[2]) != len(rb[2]):
            raise NotGeneral
        parts = [diff_ref(x, y, ba, bb) for x, y in zip(ra[2], rb[2])]
        if not any(c for c, _ in parts):
            return False, ra
        return True, (SEQ, ra[1], [r for _, r in parts])
    changed, v = diff_value(ra[1], rb[1], ba, bb)
    return changed, ((CONST, v) if changed else ra)


def diff_value(va, vb, ba, bb):
    if va is vb:
        return False, va
    if va.__class__ is not vb.__class__:
        raise NotGeneral
    if va.__class__ is int:
        if va == vb:
            return False, va
        if va and va % ba == 0 and vb % bb == 0 and va // ba == vb // bb:
            return True, Sym(va // ba)
        raise NotGeneral
    if va.__class__ in (tuple, list):
        if len(va) != len(vb):
            raise NotGeneral
        parts = [diff_value(x, y, ba, bb) for x, y in zip(va, vb)]
        if not any(c for c, _ in parts):
            return False, va
        return True, va.__class__([v for _, v in parts])
    if isinstance(va, np.ndarray):
        if va.dtype == vb.dtype and va.shape == vb.shape and np.array_equal(va, vb):
            return False, va
        raise NotGeneral
    try:
        same = bool(va == vb)
    except Exception:  # noqa: BLE001 - values that do not compare: not general
        raise NotGeneral from None
    if not same:
        raise NotGeneral
    return False, va
