"""Products, the ground floor of linear algebra: ``matmul``/``mm``/``bmm``/``mv``, ``dot``/``vdot``/
``inner``/``outer``, ``einsum``, ``tensordot``, ``kron``, and the BLAS-style
``addmm``/``addmv``/``addr``/``addbmm``/``baddbmm``. Floors above: factorizations.py, then
functions.py, solvers.py, distances.py and legacy.py."""

from __future__ import annotations

import functools
import math
import string

import numpy as np

from tinytensor._dtype import promote_types
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import share_version, wrap
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops._util import FP_SIGNALS, as_tensor, quiet_module
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.creation import eye, ones

__all__ = [
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "dot", "einsum", "ger", "inner",
    "kron", "matmul", "mm", "mv", "outer", "tensordot", "vdot",
]  # fmt: skip
quiet_module(__name__)  # matmul's kernel runs bare: see ops/_util.py


def _shapes(a, b):
    return f"{tuple(a.shape)} and {tuple(b.shape)}"


def _sparse_product(a, b, op):
    """A product with a sparse COO operand (``tinytensor.sparse``): it computes it itself."""
    return a._matmul_dense(b, op) if getattr(a, "is_sparse", 0) is True else b._rmatmul_dense(a, op)


def matmul(input, other):
    """f(a, b) = a @ b;  da = g @ b^T,  db = a^T @ g (vectors treated as rows/columns)"""
    a, b = input, other
    if getattr(a, "is_sparse", False) is True or getattr(b, "is_sparse", False) is True:
        return _sparse_product(a, b, "matmul")
    a, b = as_tensor(a, "matmul"), as_tensor(b, "matmul")
    ad, bd = a._data, b._data
    na, nb = ad.ndim, bd.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(
            "matmul: both arguments need at least 1 dimension, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    k_a = ad.shape[-1]
    k_b = bd.shape[-2] if nb > 1 else bd.shape[0]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({k_a} != {k_b}); the last dim of the first must equal the "
            f"{'second-to-last' if nb > 1 else 'only'} dim of the second"
        )
    if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:  # after the shapes, as PyTorch
        raise RuntimeError(
            f"matmul: expected both operands to have the same dtype, got {a.dtype} and "
            f"{b.dtype}; convert one with .to(other.dtype)"
        )
    if ad.dtype == np.bool_:
        raise NotImplementedError("matmul: not implemented for bool tensors, as in PyTorch")
    # As in PyTorch, da reads only b and db only a: each is saved only if the other's gradient
    # is needed (so changing it in place afterwards is otherwise no error).
    saved = (a if _rg(b) else None, b if _rg(a) else None, na, nb) if grad_state.enabled else ()
    try:
        return (MM if na == nb == 2 else MATMUL).apply((a, b), (ad, bd), saved)
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from None


def _matmul_kernel(a, b):
    try:
        return np.matmul(a, b)  # bare: see ops/_util.py (overflow, inf * 0 silently)
    except FP_SIGNALS:
        with np.errstate(all="ignore"):
            return np.matmul(a, b)


def _matmul_backward(g, a, b, na, nb):
    # b is None when a needs no gradient, a is None when b needs none.
    ga = gb = None
    if na == 1 and nb == 1:
        return (None if b is None else g * b, None if a is None else g * a)
    if na == 1:  # (k) @ (..., k, m) -> (..., m)
        g2 = g.unsqueeze(-2)
        if b is not None:
            ga = matmul(g2, b.mT).squeeze(-2)
        if a is not None:
            gb = matmul(a.unsqueeze(-1), g2)
        return ga, gb
    if nb == 1:  # (..., n, k) @ (k) -> (..., n)
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


MATMUL = Primitive("Matmul", _matmul_kernel, _matmul_backward)
MM = Primitive("Mm", _matmul_kernel, _matmul_backward)  # the same op on two matrices


def mm(input, mat2):
    """Matrix product of two 2-D tensors: ``(n, m) @ (m, p) -> (n, p)``. No broadcasting; use
    ``matmul`` for batches. ``d input = g @ mat2^T``, ``d mat2 = input^T @ g``."""
    a, b = input, mat2
    if getattr(a, "is_sparse", False) is True or getattr(b, "is_sparse", False) is True:
        return _sparse_product(a, b, "mm")
    a, b = as_tensor(a, "mm"), as_tensor(b, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {_shapes(a, b)}")
    return matmul(a, b)


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors with the same batch size:
    ``(b, n, m) @ (b, m, p) -> (b, n, p)``. No broadcasting; use ``matmul`` for that.

    >>> tt.bmm(tt.ones(2, 1, 3), tt.ones(2, 3, 2)).shape
    tinytensor.Size([2, 1, 2])"""
    a, b = as_tensor(input, "bmm"), as_tensor(mat2, "bmm")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"bmm: expected 3-D tensors with the same batch size, got {_shapes(a, b)}"
        )
    return matmul(a, b)


def dot(input, tensor):
    """`f(a, b) = sum(a*b)` for 1-D a, b"""
    a, b = as_tensor(input, "dot"), as_tensor(tensor, "dot")
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(f"dot: expected two 1-D tensors of the same size, got {_shapes(a, b)}")
    return matmul(a, b)


def outer(input, vec2):
    """`f(a, b)_ij = a_i * b_j`"""
    a, b = as_tensor(input, "outer"), as_tensor(vec2, "outer")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {_shapes(a, b)}")
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
    if len({o._data.dtype for o in operands}) > 1:  # PyTorch does not promote them
        raise RuntimeError(f"einsum: operands of dtypes {[str(o.dtype) for o in operands]}")
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
    dt = functools.reduce(promote_types, [o.dtype for o in operands])
    attrs = {"equation": spec, "dtype": dt.np}
    res = wrap(EINSUM.compute(operands, tuple(o._data for o in operands), attrs))
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
    saved = (kept, shapes, tuple(terms), rhs, sizes)
    return EINSUM.record(res, operands, saved, {"equation": spec})


def _einsum_kernel(*operands, equation, dtype):
    return np.einsum(equation, *[o.astype(dtype, copy=False) for o in operands])


def _einsum_backward(g, operands, shapes, terms, rhs, sizes, *, needs):
    return tuple(
        _einsum_grad(g, rhs, terms, operands, shapes, i, sizes) if needs[i] else None
        for i in range(len(operands))
    )


EINSUM = Primitive("Einsum", _einsum_kernel, _einsum_backward)


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


def _unsafe_view(a, shape):
    """f(a) = a reshaped, sharing its memory but not its version counter (PyTorch's
    ``_unsafe_view``): a node that saves it misses a change to ``a`` and reads the new values."""
    return UNSAFE_VIEW.apply((a,), (a._data,), (tuple(a.shape),), {"shape": shape})


def _unsafe_view_kernel(a, *, shape):
    return a.reshape(shape)


def _unsafe_view_backward(g, old):
    return (S.reshape(g, old),)


UNSAFE_VIEW = Primitive("UnsafeView", _unsafe_view_kernel, _unsafe_view_backward)


def kron(input, other):
    """Kronecker product: `out[i*nb + k] = a[i] * b[k]` along every dim.

    As PyTorch: unsafe views of a (n, 1) and b (1, k) per dim, multiplied, so ``mul`` saves
    views that do not share the inputs' version counters."""
    a, b = as_tensor(input, "kron"), as_tensor(other, "kron")
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    a2 = _unsafe_view(a, sum(((n, 1) for n in sa), ()))
    b2 = _unsafe_view(b, sum(((1, n) for n in sb), ()))
    return _unsafe_view(a2 * b2, tuple(x * y for x, y in zip(sa, sb)))


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of a with the first of b, or the listed dim pairs.

    As PyTorch: a contracted dim of size 1 on one side is summed away on the other; then
    a.permute(rest, contracted).reshape(size1, csize) @ b.permute(contracted, rest).reshape(
    csize, size2), reshaped to the result."""
    a, b = as_tensor(a, "tensordot"), as_tensor(b, "tensordot")
    if isinstance(dims, int) or (hasattr(dims, "ndim") and dims.ndim == 0):
        k = int(dims)
        if k < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={k}")
        da, db = list(range(a.ndim - k, a.ndim)), list(range(k))
    else:
        da, db = ([int(d)] if np.ndim(d) == 0 else [int(x) for x in d] for d in dims)
    da = [d % max(a.ndim, 1) for d in da]
    db = [d % max(b.ndim, 1) for d in db]
    if len(da) != len(db):
        raise RuntimeError("tensordot: both dimension lists should have same length")
    t1, t2, csize = a, b, 1
    for i, j in zip(da, db):
        s1, s2 = a.shape[i], b.shape[j]
        if s2 == 1:  # a broadcast dim: summed right away
            t1 = R.sum(t1, i, True)
        elif s1 == 1:
            t2 = R.sum(t2, j, True)
        elif s1 != s2:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size {s1} in "
                f"dim {i} and second has size {s2} in dim {j} (shapes {tuple(a.shape)} and "
                f"{tuple(b.shape)})"
            )
        else:
            csize *= s1
    rest1 = [i for i in range(a.ndim) if i not in da]
    rest2 = [j for j in range(b.ndim) if j not in db]
    sizes = [t1.shape[i] for i in rest1] + [t2.shape[j] for j in rest2]
    t1 = S.reshape(S.permute(t1, rest1 + da), (math.prod(sizes[: len(rest1)]), csize))
    t2 = S.reshape(S.permute(t2, db + rest2), (csize, math.prod(sizes[len(rest1) :])))
    return S.reshape(matmul(t1, t2), sizes)


def inner(input, other):
    """`f(a, b) = sum` over the last dim of `a_...i b_...i` (`a * b` for scalars):
    tensordot over the last dims, as PyTorch."""
    a, b = as_tensor(input, "inner"), as_tensor(other, "inner")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner: last dims must match, got shapes {_shapes(a, b)}")
    return tensordot(a, b, ([-1], [-1]))


def mv(input, vec):
    """Matrix-vector product: ``(n, m) @ (m,) -> (n,)``.

    >>> tt.mv(tt.tensor([[1.0, 2.0], [3.0, 4.0]]), tt.tensor([1.0, 1.0]))
    tensor([3., 7.])"""
    A, x = as_tensor(input, "mv"), as_tensor(vec, "mv")
    if A.ndim != 2 or x.ndim != 1:
        raise RuntimeError(
            f"mv: expected a 2-D matrix and a 1-D vector, got shapes {tuple(A.shape)} and "
            f"{tuple(x.shape)}"
        )
    return matmul(A, x)


def vdot(input, other):
    """Dot product of two 1-D tensors of the same size: ``sum_i a_i b_i`` (no conjugation is
    needed: tinytensor has no complex dtype).

    >>> tt.vdot(tt.tensor([1.0, 2.0]), tt.tensor([3.0, 4.0]))
    tensor(11.)"""
    a, b = as_tensor(input, "vdot"), as_tensor(other, "vdot")
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(
            f"vdot: expected two 1-D tensors of the same size, got {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )
    return matmul(a, b)


def _scaled(beta, x, alpha, y, name="addmm"):
    """`beta * x + alpha * y`, with x ignored (nan included) when beta is 0. As PyTorch: x has
    y's dtype (addr promotes), and for integer ones beta and alpha are truncated to ints (addr
    refuses floats)."""
    x = as_tensor(x, name)
    if name != "addr" and x._data.dtype != y._data.dtype:
        raise RuntimeError(f"{name}: input ({x.dtype}) and the product ({y.dtype}) differ in dtype")
    if y._data.dtype.kind in "iu" and (isinstance(beta, float) or isinstance(alpha, float)):
        if name == "addr":
            raise RuntimeError("addr: integer tensors take integer beta and alpha, not floats")
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        y = y * alpha
    if beta == 0:
        return y
    return (x if beta == 1 else x * beta) + y


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    """`f = beta * input + alpha * (mat1 @ mat2)`"""
    if as_tensor(mat1).ndim != 2 or as_tensor(mat2).ndim != 2:
        raise RuntimeError(
            f"addmm: mat1 and mat2 must be 2-D, got {tuple(mat1.shape)} and {tuple(mat2.shape)}"
        )
    return _scaled(beta, input, alpha, matmul(mat1, mat2))


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    """`f = beta * input + alpha * (mat @ vec)`"""
    return _scaled(beta, input, alpha, mv(mat, vec), "addmv")


def addr(input, vec1, vec2, *, beta=1, alpha=1):  # noqa: A002
    """`f = beta * input + alpha * outer(vec1, vec2)`"""
    vec1, vec2 = as_tensor(vec1, "addr"), as_tensor(vec2, "addr")
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(
            f"addr: vec1 and vec2 must be 1-D vectors, got shapes {tuple(vec1.shape)} and "
            f"{tuple(vec2.shape)}"
        )
    return _scaled(beta, input, alpha, S.unsqueeze(vec1, 1) * S.unsqueeze(vec2, 0), "addr")


def _bmm_check(b1, b2, name):
    b1, b2 = as_tensor(b1, name), as_tensor(b2, name)
    if b1.ndim != 3 or b2.ndim != 3 or b1.shape[0] != b2.shape[0]:
        raise RuntimeError(
            f"{name}: batch1 and batch2 must be 3-D with the same batch size, got "
            f"{tuple(b1.shape)} and {tuple(b2.shape)}"
        )
    return matmul(b1, b2)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """`f = beta * input + alpha * sum_b batch1[b] @ batch2[b]`"""
    return _scaled(beta, input, alpha, R.sum(_bmm_check(batch1, batch2, "addbmm"), 0), "addbmm")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """`f = beta * input + alpha * (batch1 @ batch2)`"""
    return _scaled(beta, input, alpha, _bmm_check(batch1, batch2, "baddbmm"), "baddbmm")
