"""Linear algebra: matmul (1-D, 2-D, batched with broadcasting), dot, outer, einsum."""

from __future__ import annotations

import string

import numpy as np

from tinytensor._dtype import promote_types
from tinytensor.autograd.node import record
from tinytensor.core import share_version, wrap
from tinytensor.ops._util import as_tensor, binary
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.creation import eye, ones


def _float_check(ad, bd, name, a, b):
    if ad.dtype == np.bool_:
        raise RuntimeError(f"{name}: not implemented for bool tensors")


def _sparse_product(a, b, op):
    """A product with a sparse COO operand (``tinytensor.sparse``): it computes it itself."""
    if getattr(a, "is_sparse", False) is True:
        return a._matmul_dense(b, op)
    return b._rmatmul_dense(a, op)


def matmul(input, other):
    """f(a, b) = a @ b;  da = g @ b^T,  db = a^T @ g (vectors treated as rows/columns)"""
    a, b = input, other
    if getattr(a, "is_sparse", False) is True or getattr(b, "is_sparse", False) is True:
        return _sparse_product(a, b, "matmul")
    a, b, ad, bd = binary(as_tensor(a, "matmul"), as_tensor(b, "matmul"), "matmul")
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
    k_a = ad.shape[-1]
    k_b = bd.shape[-2] if bd.ndim > 1 else bd.shape[0]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({k_a} != {k_b}); the last dim of the first must equal the "
            f"{'second-to-last' if bd.ndim > 1 else 'only'} dim of the second"
        )
    _float_check(ad, bd, "matmul", a, b)
    try:
        with np.errstate(all="ignore"):  # overflow, inf * 0: IEEE silently, as PyTorch
            out = np.matmul(ad, bd)
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from None
    # As in PyTorch, da reads only b and db only a: each is saved only if the other's gradient
    # is needed (so changing it in place afterwards is otherwise no error).
    saved = (a if _rg(b) else None, b if _rg(a) else None, ad.ndim, bd.ndim)
    name = "Mm" if ad.ndim == bd.ndim == 2 else "Matmul"
    return record(wrap(out), name, (a, b), _matmul_backward, saved)


def _matmul_backward(g, a, b, na, nb):
    # b is None when a needs no gradient, a is None when b needs none.
    ga = gb = None
    if na == 1 and nb == 1:
        return (None if b is None else g * b, None if a is None else g * a)
    if na == 1:
        # (k) @ (..., k, m) -> (..., m)
        g2 = g.unsqueeze(-2)
        if b is not None:
            ga = matmul(g2, b.mT).squeeze(-2)
        if a is not None:
            gb = matmul(a.unsqueeze(-1), g2)
        return ga, gb
    if nb == 1:
        # (..., n, k) @ (k) -> (..., n)
        g2 = g.unsqueeze(-1)
        if b is not None:
            ga = matmul(g2, b.unsqueeze(-2))
        if a is not None:
            gb = matmul(a.mT, g2).squeeze(-1)
        return ga, gb
    if b is not None:
        ga = matmul(g, b.mT)
    if a is not None:
        gb = matmul(a.mT, g)
    return ga, gb


def mm(input, mat2):
    """Matrix product of two 2-D tensors: ``(n, m) @ (m, p) -> (n, p)``. No broadcasting; use
    ``matmul`` for batches. ``d input = g @ mat2^T``, ``d mat2 = input^T @ g``."""
    a, b = input, mat2
    if getattr(a, "is_sparse", False) is True or getattr(b, "is_sparse", False) is True:
        return _sparse_product(a, b, "mm")
    a, b = as_tensor(a, "mm"), as_tensor(b, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(
            f"mm: expected 2-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return matmul(a, b)


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors with the same batch size:
    ``(b, n, m) @ (b, m, p) -> (b, n, p)``. No broadcasting; use ``matmul`` for that.

    >>> tt.bmm(tt.ones(2, 1, 3), tt.ones(2, 3, 2)).shape
    tinytensor.Size([2, 1, 2])"""
    a, b = input, mat2
    a, b = as_tensor(a, "bmm"), as_tensor(b, "bmm")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"bmm: expected 3-D tensors with the same batch size, got shapes {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
    return matmul(a, b)


def dot(input, tensor):
    """`f(a, b) = sum(a*b)` for 1-D a, b"""
    a, b = input, tensor
    a, b = as_tensor(a, "dot"), as_tensor(b, "dot")
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(
            f"dot: expected two 1-D tensors of the same size, got shapes {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )
    return matmul(a, b)


def outer(input, vec2):
    """`f(a, b)_ij = a_i * b_j`"""
    a, b = input, vec2
    a, b = as_tensor(a, "outer"), as_tensor(b, "outer")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(
            f"outer: expected two 1-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return a.unsqueeze(1) * b.unsqueeze(0)


ger = outer


def _parse_einsum(equation, operands):
    """Explicit subscripts with ``...`` expanded into letters, and the output subscript."""
    eq = equation.replace(" ", "")
    bad = sorted(set(eq) - set(string.ascii_letters + ",.->"))
    if bad or eq.count("->") > 1:
        raise RuntimeError(
            f"einsum: invalid equation {equation!r}: subscripts are letters, operands are "
            f"separated by ',', '...' stands for batch dims and one '->' starts the output"
            + (f" (got {''.join(bad)!r})" if bad else "")
        )
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(
            f"einsum: equation {equation!r} names {len(terms)} operand(s) but {len(operands)} "
            "were given"
        )
    used = set(eq) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    ell_dims = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            ell_dims = max(ell_dims, op.ndim - (len(t) - 3))
    ell = "".join(free[:ell_dims])
    out_terms = []
    for t, op in zip(terms, operands):
        if "..." in t:
            n = op.ndim - (len(t) - 3)
            t = t.replace("...", ell[ell_dims - n :] if n else "")
        if len(t) != op.ndim:
            raise RuntimeError(
                f"einsum: subscript {t!r} has {len(t)} letters but its operand has shape "
                f"{tuple(op.shape)}"
            )
        out_terms.append(t)
    if rhs is None:
        counts = {}
        for t in out_terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return out_terms, rhs


def einsum(equation, *operands):
    """Einstein summation; the gradient of each operand is another einsum of g with the others."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(as_tensor(o, "einsum") for o in operands)
    terms, rhs = _parse_einsum(equation, operands)
    _label_sizes(terms, operands, equation)
    if len(operands) == 1:
        return _einsum_node(terms, rhs, operands)
    # As PyTorch does (without opt_einsum), contract left to right, one pair at a time: each
    # step then saves what PyTorch's saves (the running result, not the operands before it).
    left, lt = operands[0], terms[0]
    for i in range(1, len(operands)):
        later = set(rhs).union(*terms[i + 1 :])
        keep = "".join(c for c in dict.fromkeys(lt + terms[i]) if c in later)
        out_term = rhs if i == len(operands) - 1 else keep
        left, lt = _einsum_pair(lt, left, terms[i], operands[i], out_term), out_term
    return left


def _label_sizes(terms, operands, equation):
    sizes = {}
    for t, op in zip(terms, operands):
        for c, n in zip(t, op.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise RuntimeError(
                    f"einsum: subscript {c!r} has size {n} for one operand and {sizes[c]} for "
                    f"another in {equation!r}"
                )
            sizes[c] = max(sizes[c], n)
    return sizes


def _einsum_pair(lt, a, rt, b, out_term):
    """One contraction step. A label only one side has, summed away, is summed out of that
    side first (PyTorch does the same, so it saves the sum rather than the operand)."""
    terms, ops = [lt, rt], [a, b]
    for k in range(2):
        t, other = terms[k], terms[1 - k]
        lone = [c for c in t if c not in other and c not in out_term]
        if lone and len(set(t)) == len(t):
            kept = "".join(c for c in t if c not in lone)
            ops[k] = _einsum_node([t], kept, (ops[k],))
            terms[k] = kept
    return _einsum_node(terms, out_term, tuple(ops))


def _einsum_node(terms, rhs, operands):
    """One recorded einsum over explicit letter subscripts."""
    sizes = _label_sizes(terms, operands, ",".join(terms) + "->" + rhs)
    spec = ",".join(terms) + "->" + rhs
    dt = operands[0].dtype
    for o in operands[1:]:
        dt = promote_types(dt, o.dtype)
    datas = [o._data.astype(dt.np, copy=False) for o in operands]
    out = np.einsum(spec, *datas)
    res = wrap(np.asarray(out))
    for o in operands:
        # A pure permutation or diagonal comes back as a NumPy view of the operand (a view in
        # PyTorch too): share its version counter so an in-place change is caught in backward.
        if np.may_share_memory(res._data, o._data):
            share_version(res, o)
            break
    # Operand j is read by the gradients of the others: saved only if one of them needs it.
    needs = tuple(_rg(o) for o in operands)
    n_need = sum(needs)
    kept = tuple(o if n_need - needs[j] else None for j, o in enumerate(operands))
    shapes = tuple(o.shape for o in operands)
    saved = (kept, needs, shapes, tuple(terms), rhs, sizes)
    return record(res, "Einsum", operands, _einsum_backward, saved)


def _einsum_backward(g, operands, needs, shapes, terms, rhs, sizes):
    return tuple(
        _einsum_grad(g, rhs, terms, operands, shapes, i, sizes) if needs[i] else None
        for i in range(len(operands))
    )


def _einsum_grad(g, rhs, terms, operands, shapes, i, sizes):
    """d/d(operand i) = einsum(g, other operands -> term i), with a ones operand for letters
    only operand i has, and identity operands for letters it repeats (diagonals)."""
    target = terms[i]
    used = set("".join(terms) + rhs)
    free = (c for c in string.ascii_letters if c not in used)
    # A letter repeated in the target: rename later copies, tie them with an identity.
    renamed, extra_terms, extra_ops, seen = [], [], [], set()
    for c in target:
        if c in seen:
            new = next(free)
            extra_terms.append(c + new)
            extra_ops.append(eye(sizes[c], dtype=g.dtype))
            renamed.append(new)
        else:
            seen.add(c)
            renamed.append(c)
    renamed = "".join(renamed)
    in_terms = [rhs] + [t for j, t in enumerate(terms) if j != i] + extra_terms
    in_ops = [g] + [o for j, o in enumerate(operands) if j != i] + extra_ops
    present = set("".join(in_terms))
    for c in set(renamed) - present:
        in_terms.append(c)
        in_ops.append(ones(sizes[c], dtype=g.dtype))
    shape_here = tuple(sizes[c] for c in target)
    out = einsum(",".join(in_terms) + "->" + renamed, *in_ops)
    if out.shape != shapes[i] and shape_here != shapes[i]:
        return out.sum(tuple(k for k, n in enumerate(shapes[i]) if n == 1), keepdim=True)
    return out
