"""Scattering: a copy of the input with a source written into it at given places, differentiable
in the input and the source. ``scatter_reduce`` along a dim, ``index_copy``/``index_fill``/
``index_reduce`` of whole slices, ``put`` at flat indices, and the ``select``/``slice``/
``diagonal``/``as_strided`` ``_scatter`` embeddings (the inverses of those views). ``scatter``,
``scatter_add`` and ``index_add``, the adjoints of ``gather`` and ``index_select``, live beside
them in ``ops/gather.py``; ``masked_scatter``, beside ``masked_select`` in ``ops/masked.py``."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import compare as CMP
from tinytensor.ops import gather as G
from tinytensor.ops import index as I
from tinytensor.ops import reduce as R
from tinytensor.ops import selection as SEL
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops.creation import zeros_of

__all__ = [
    "as_strided_scatter",
    "diagonal_scatter",
    "index_copy",
    "index_fill",
    "index_reduce",
    "put",
    "scatter_reduce",
    "select_scatter",
    "slice_scatter",
]


_REDUCE_UFUNC = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum}


_REDUCE_UFUNC["amin"] = np.minimum


def _identity(reduce, dtype):
    info = np.iinfo(dtype) if dtype.kind in "iu" else None  # floats use +-inf, bools False/True
    if reduce == "amax":
        return -np.inf if dtype.kind == "f" else info.min if info else False
    if reduce == "amin":
        return np.inf if dtype.kind == "f" else info.max if info else True
    return 1 if reduce == "prod" else 0


def _zeros(shape, like):
    return zeros_of(tuple(shape), like._data.dtype)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """f(a, s) = a with s reduced (sum/prod/mean/amax/amin) into it at index along dim;
    gradients as PyTorch's scatter_reduce_backward"""
    a = as_tensor(input, "scatter_reduce")
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(
            f"scatter_reduce: reduce argument must be one of sum, prod, mean, amax, amin, got "
            f"{reduce!r}"
        )
    d, index = G._check_index(a, dim, index, "scatter_reduce")
    src = as_tensor(src, "scatter_reduce")
    G._same_dtype(a, src, "scatter_reduce", "src")
    if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
        raise RuntimeError(
            f"scatter_reduce: src {tuple(src.shape)} must be at least as large as index "
            f"{tuple(index.shape)} in every dimension"
        )
    if src.shape != index.shape:
        src = I.getitem(src, tuple(slice(0, n) for n in index.shape))
    inputs = (a, src, index) if index._data.flags.writeable else (a, src)
    out, hit, count = SCATTER_REDUCE.compute(
        inputs, (a._data, index._data, src._data, d, reduce, include_self)
    )
    result, hit = wrap(out), wrap(hit)
    count = wrap(count) if reduce == "mean" else None
    saved = (a, index, src, OUT, d, reduce, include_self, hit, count)
    return SCATTER_REDUCE.record(result, (a, src), saved)


def _scatter_reduce_kernel(x, index, src, dim, reduce, include_self):
    """(the result, where index points, the mean's counts: empty unless reduce is "mean")"""
    at = G._along(index, dim)
    hit = np.zeros(x.shape, bool)
    hit[at] = True
    out = x.copy()
    if not include_self:
        out[hit] = _identity(reduce, out.dtype)
    with np.errstate(all="ignore"):  # NaN, inf, overflow: IEEE results silently, as PyTorch
        _REDUCE_UFUNC[reduce].at(out, at, src)
    count = np.zeros(0, out.dtype)
    if reduce == "mean":
        n = np.zeros(x.shape, np.int64) + (1 if include_self else 0)
        np.add.at(n, at, 1)
        n = np.maximum(n, 1)
        out = out / n if out.dtype.kind == "f" else out // n
        count = n.astype(out.dtype)
    return out.astype(x.dtype, copy=False), hit, count


def _scatter_reduce_backward(g, a, index, src, out, d, reduce, include_self, hit, count):
    keep = CMP.logical_not(hit) if not include_self else None
    if reduce == "sum":
        ga, gs = g, G.gather(g, d, index)
    elif reduce == "mean":
        ga, gs = g / count, G.gather(g / count, d, index)
    elif reduce == "prod":
        ga, gs = _prod_grads(g, a, index, src, out, d, include_self)
    else:
        a_is = CMP.eq(a, out) if keep is None else CMP.logical_and(CMP.eq(a, out), keep)
        s_is = CMP.eq(src, G.gather(out, d, index))
        n = G.scatter_add(a_is.to(g.dtype), d, index, s_is.to(g.dtype))
        share = g / SEL.where(CMP.eq(n, 0.0), 1.0, n)
        ga, gs = share * a_is.to(g.dtype), G.gather(share, d, index) * s_is.to(g.dtype)
    if keep is not None:
        ga = ga * keep.to(g.dtype)
    return ga, gs


# One kernel, three arrays: the result (the node's output), and the mask and counts its
# backward reads (saved as tensors).
SCATTER_REDUCE = Primitive(
    "ScatterReduce", _scatter_reduce_kernel, _scatter_reduce_backward, multi=True
)


def _prod_grads(g, a, index, src, out, d, include_self):
    """d out / d x = product of the other members of x's group: out / x, or for a zero x the
    product of the group's non-zero members if x is its only zero (else 0)."""
    a_zero, s_zero = CMP.eq(a, 0.0), CMP.eq(src, 0.0)
    a1, s1 = SEL.where(a_zero, 1.0, a), SEL.where(s_zero, 1.0, src)
    zeros = G.scatter_add(
        a_zero.to(g.dtype) if include_self else _zeros(a.shape, g), d, index, s_zero.to(g.dtype)
    )
    nonzero_prod = scatter_reduce(a1, d, index, s1, "prod", include_self=include_self)
    lone = nonzero_prod * CMP.eq(zeros, 1.0).to(g.dtype)
    ga = g * SEL.where(a_zero, lone, out / a1)
    gs = G.gather(g, d, index) * SEL.where(
        s_zero, G.gather(lone, d, index), G.gather(out, d, index) / s1
    )
    return ga, gs


def index_fill(input, dim, index, value):
    """f(a) = a with value written at index along dim;  da = g zeroed there,
    dvalue = sum of g there"""
    a = as_tensor(input, "index_fill")
    d = one_dim(dim, a.ndim, "index_fill")
    index = G._vector_index(
        a, d, index, "index_fill", IndexError, dtypes=G._INT64, dtype_error=IndexError,
        negative=True,
    )
    if isinstance(value, TensorBase) and value.ndim != 0:
        raise RuntimeError(
            f"index_fill only supports a 0-dimensional value tensor, got {value.ndim} dims"
        )
    v = value._data if isinstance(value, TensorBase) else value
    reads = (a, value) if isinstance(value, TensorBase) else (a,)
    out = INDEX_FILL.compute(I._reads(reads, index), (a._data, index._data, v, d))
    return INDEX_FILL.record(wrap(out), (a, value), (index, d))


def _index_fill_kernel(x, index, value, dim):
    out = x.copy()
    if x.ndim:
        out[(slice(None),) * dim + (index.reshape(-1),)] = value
    elif index.size:
        out[...] = value
    return out


def _index_fill_backward(g, index, d, *, needs):
    ga = index_fill(g, d, index, 0.0) if needs[0] else None
    gv = None
    if needs[1]:
        if g.ndim:  # the sum of g over the filled slices (each once, however often named)
            hit = wrap(INDEX_HIT.compute(I._reads((), index), (index._data, g.shape[d])))
            line = (1,) * d + (g.shape[d],) + (1,) * (g.ndim - d - 1)
            gv = R.sum(SEL.where(S.reshape(hit, line), g, 0.0))
        else:
            gv = g * float(index._data.size > 0)
    return ga, gv


INDEX_FILL = Primitive("IndexFill", _index_fill_kernel, _index_fill_backward)


def _index_hit_kernel(index, n):
    hit = np.zeros(n, bool)
    hit[index.reshape(-1)] = True
    return hit


INDEX_HIT = Primitive("IndexHit", _index_hit_kernel)  # a mask of the named positions: no gradient


def index_copy(input, dim, index, source):
    """f(a, s) = a with s's slices written at index along dim;  da = g zeroed there,
    ds = g's slices at index"""
    a = as_tensor(input, "index_copy")
    d = one_dim(dim, a.ndim, "index_copy")
    # PyTorch: a 0-d input takes exactly one index (IndexError)
    index = G._vector_index(
        a, d, index, "index_copy", IndexError, scalar_error=IndexError, dtypes=G._INT64
    )
    source = as_tensor(source, "index_copy")
    G._same_dtype(a, source, "index_copy", "source")
    idx = index._data.reshape(-1)
    expect = a.shape[:d] + (len(idx),) + a.shape[d + 1 :] if a.ndim else source.shape
    if source.shape != expect:
        raise RuntimeError(
            f"index_copy: source must have shape {tuple(expect)} for input {tuple(a.shape)}, "
            f"dim {dim} and {len(idx)} indices; got {tuple(source.shape)}"
        )
    args = (a._data, index._data, source._data, d)
    out = INDEX_COPY.compute(I._reads((a, source), index), args)
    # PyTorch saves index and source: changing either in place before backward is an error.
    return INDEX_COPY.record(wrap(out), (a, source), (index, source, d))


def _index_copy_kernel(x, index, src, dim):
    out = x.copy()
    if x.ndim:
        out[(slice(None),) * dim + (index.reshape(-1),)] = src
    else:  # a 0-d input and its one index
        out[...] = src
    return out


def _index_copy_backward(g, index, source, d):
    return index_fill(g, d, index, 0.0), G.index_select(g, d, index)


INDEX_COPY = Primitive("IndexCopy", _index_copy_kernel, _index_copy_backward)


def put(input, index, source, accumulate=False):
    """f(a, s) = a.flatten() with s written (or added) at index, reshaped;
    da = g (zeroed at index unless accumulating),  ds = g.take(index)"""
    a = as_tensor(input, "put")
    index = as_tensor(index, "put")
    source = as_tensor(source, "put")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"put: index must be an int64 tensor, got {index.dtype}")
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"put: source dtype {source.dtype} must equal the input's {a.dtype}; convert it "
            "with .to(input.dtype)"
        )
    if index._data.size != source._data.size:
        raise RuntimeError(
            f"put: source {tuple(source.shape)} and index {tuple(index.shape)} must have the "
            "same number of elements"
        )
    n = a._data.size
    idx = index._data.reshape(-1)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min() if idx.min() < -n else idx.max())
        raise IndexError(f"put: index {bad} is out of range for a tensor of {n} elements")
    args = (a._data, index._data, source._data, accumulate)
    out = PUT.compute(I._reads((a, source), index), args)
    return PUT.record(wrap(out), (a, source), (index, source, accumulate))


def _put_kernel(x, index, src, accumulate):
    flat = x.copy().reshape(-1)
    src = src.reshape(-1)  # of x's dtype (checked)
    if accumulate:
        np.add.at(flat, index.reshape(-1), src)
    else:
        flat[index.reshape(-1)] = src
    return flat.reshape(x.shape)


def _put_backward(g, index, source, accumulate):
    ga = g if accumulate else put(g, index, _zeros(source.shape, g))
    return ga, S.reshape(G.take(g, index), source.shape)


PUT = Primitive("Put", _put_kernel, _put_backward)


def _positions(shape):
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def _scatter_into(a, src, pos, name):
    """``a`` with ``src`` written at the flat positions ``pos`` (an int64 array of src's shape)."""
    pos = np.asarray(pos)  # a NumPy scalar where one position is selected
    if tuple(src.shape) != pos.shape:
        raise RuntimeError(
            f"{name}: src must have the shape of the slice it fills, {pos.shape}, got "
            f"{tuple(src.shape)}"
        )
    if src._data.dtype != a._data.dtype:
        src = src.to(a.dtype)
    # The positions come from the shapes alone: a constant of a compiled program.
    return _flat_scatter(a, src, wrap(I.const_array(pos)), name)


def _flat_scatter(a, src, pos, name):
    """f(a, s) = a with a.flat[pos] = s;  da = g with g.flat[pos] = 0,  ds = g.flat[pos]"""
    prim = _FLAT_SCATTER[name]
    out = prim.compute(I._reads((a, src), pos), (a._data, pos._data, src._data))
    return prim.record(wrap(out), (a, src), (pos, name))


def _flat_scatter_kernel(x, pos, src):
    out = x.copy()
    out.reshape(-1)[pos.reshape(-1)] = src.reshape(-1)
    return out


def _flat_scatter_backward(g, pos, name):
    zeros = _zeros(pos.shape, g)
    return _flat_scatter(g, zeros, pos, name), G.take(g, pos)


_FLAT_SCATTER = {
    name: Primitive(
        "".join(w.capitalize() for w in name.split("_")),
        _flat_scatter_kernel,
        _flat_scatter_backward,
    )
    for name in ("select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter")
}


def select_scatter(input, src, dim, index):  # noqa: A002 - PyTorch's argument name
    """f(a, s) = a with a.select(dim, index) replaced by s"""
    a, src = as_tensor(input, "select_scatter"), as_tensor(src, "select_scatter")
    if a.ndim == 0:
        raise IndexError("select_scatter: cannot select from a 0-d tensor")
    d = one_dim(dim, a.ndim, "select_scatter")
    n = a.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select_scatter: index {index} is out of range for dim {d} of size {n} "
            f"(input shape {tuple(a.shape)})"
        )
    pos = np.take(_positions(a.shape), index % n, axis=d)
    return _scatter_into(a, src, pos, "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):  # noqa: A002
    """f(a, s) = a with a[..., start:end:step, ...] (along dim) replaced by s"""
    a, src = as_tensor(input, "slice_scatter"), as_tensor(src, "slice_scatter")
    d = one_dim(dim, a.ndim, "slice_scatter")
    if step is None or step < 1:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(a, src, _positions(a.shape)[key], "slice_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002
    """f(a, s) = a with its diagonal (offset, dim1, dim2) replaced by s"""
    a, src = as_tensor(input, "diagonal_scatter"), as_tensor(src, "diagonal_scatter")
    if a.ndim < 2:
        raise RuntimeError(
            f"diagonal_scatter: input must have at least 2 dimensions, got {tuple(a.shape)}"
        )
    d1 = one_dim(dim1, a.ndim, "diagonal_scatter")
    d2 = one_dim(dim2, a.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal_scatter: dim1 and dim2 are the same dimension ({d1})")
    pos = np.diagonal(_positions(a.shape), offset, d1, d2)
    return _scatter_into(a, src, np.ascontiguousarray(pos), "diagonal_scatter")


def as_strided_scatter(input, src, size, stride, storage_offset=None):  # noqa: A002
    """f(a, s) = a with the elements of a.as_strided(size, stride, offset) replaced by s"""
    a, src = as_tensor(input, "as_strided_scatter"), as_tensor(src, "as_strided_scatter")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    offset = 0 if storage_offset is None else int(storage_offset)
    if len(size) != len(stride) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(
            f"as_strided_scatter: size {list(size)} and stride {list(stride)} must have the same "
            f"length, with no negative stride or offset ({offset})"
        )
    pos = np.full(size, offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        line = (1,) * k + (n,) + (1,) * (len(size) - k - 1)
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(line)
    if pos.size and pos.max() >= a.numel():
        raise RuntimeError(
            f"as_strided_scatter: sizes {list(size)}, strides {list(stride)} and offset "
            f"{offset} reach past the {a.numel()} elements of input {tuple(a.shape)}"
        )
    return _scatter_into(a, src, pos, "as_strided_scatter")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):  # noqa: A002
    """f(a, s) = a with s[..., i, ...] reduced (prod/mean/amax/amin) into a[..., index[i], ...];
    gradients as scatter_reduce's (ties in amax/amin share the gradient evenly)"""
    a = as_tensor(input, "index_reduce")
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce: expected reduce to be one of prod, mean, amax or amin, got {reduce!r}"
        )
    d = one_dim(dim, a.ndim, "index_reduce")
    index, src = as_tensor(index, "index_reduce"), as_tensor(source, "index_reduce")
    G._same_dtype(a, src, "index_reduce", "source")
    if index.ndim > 1 or index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"index_reduce: index must be a 1-D integer tensor, got {index.dtype} of shape "
            f"{tuple(index.shape)}"
        )
    scalar = a.ndim == 0  # computed as a 1-element vector, with a 0-d source
    src_shape = (1,) if scalar and src.ndim == 0 else tuple(src.shape)
    want = (1,) if scalar else tuple(a.shape)
    n = index.numel()
    if len(src_shape) != len(want) or (scalar and src.ndim) or any(
        s != (n if k == d else w) for k, (s, w) in enumerate(zip(src_shape, want))
    ):
        raise RuntimeError(
            f"index_reduce: source {tuple(src.shape)} must have the shape of input "
            f"{tuple(a.shape)} with dim {d} of size len(index) = {n}"
        )
    size = want[d]
    if n and (index._data.max() >= size or index._data.min() < 0):
        bad = int(index._data.min() if index._data.min() < 0 else index._data.max())
        # PyTorch counts no index from the end here (as in index_add and index_select)
        raise IndexError(
            f"index_reduce: index {bad} is out of range for dim {d} of size {size}: each index "
            f"must lie in [0, {size}) (negative indices are not counted from the end; add "
            f"{size} to them first)"
        )
    # A view of the caller's index (same version counter), so changing it in place before
    # backward is caught, as PyTorch's saved index is.
    line = (1,) * d + (n,) + (1,) * (len(want) - d - 1)
    idx = S.expand(S.reshape(index, line), src_shape)
    if scalar:
        a1, src1 = S.reshape(a, (1,)), S.reshape(src, (1,))
        return S.reshape(scatter_reduce(a1, 0, idx, src1, reduce, include_self=include_self), ())
    return scatter_reduce(a, d, idx, src, reduce, include_self=include_self)

