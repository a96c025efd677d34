"""Op-table rows for reductions (tinytensor/ops/reduce.py).

Inputs that meet max/min/norm(inf) or var/std are drawn without ties and with well separated
values (``distinct``), so the gradient is defined and the numerical derivative is stable; the
tie-splitting rule has its own tests in test_reduce.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, distinct, floats, np_axis, reduce_inputs, shapes, tensor
from ._torch import torch_call


def _np_reduce(fn):
    def ref(x, dim=None, keepdim=False):
        # dim 0 / -1 of a 0-d tensor is the tensor itself (PyTorch's convention)
        axis = np_axis(dim) if x.ndim else None
        return np.asarray(fn(x, axis=axis, keepdims=keepdim))

    return ref


def _torch_reduce(name):
    def call(x, dim=None, keepdim=False):
        import torch

        if dim is None:
            out = getattr(torch, name)(x)
            return out.reshape((1,) * x.ndim) if keepdim else out
        return getattr(torch, name)(x, dim, keepdim=keepdim)

    return call


def _int_dim_inputs(value=None, elements=None):
    """A tensor with an int ``dim`` (valid for its ndim) and ``keepdim``."""
    return reduce_inputs(elements, allow_none=False, allow_tuple=False, value=value)


def _var_inputs(min_side=1):
    """dim/keepdim/correction with more elements in each reduced group than the correction
    (``min_side=2`` keeps std away from a one-element group, where it is 0 and not
    differentiable)."""

    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=min_side - 1, min_side=min_side))
        x = draw(distinct(shape))
        dim, keepdim = draw(tst.dim_and_keepdim(x.ndim))
        axes = range(x.ndim) if dim is None else (dim if isinstance(dim, tuple) else (dim,))
        n = int(np.prod([shape[a] for a in axes])) if shape else 1
        correction = draw(st.sampled_from([0, 1] if n > 1 else [0]))
        return Sample((x,), {"dim": dim, "keepdim": keepdim, "correction": correction})

    return draw_sample()


def _np_var(x, dim=None, keepdim=False, correction=1):
    axis = np_axis(dim) if x.ndim else None
    return np.asarray(np.var(x, axis=axis, keepdims=keepdim, ddof=correction))


def _np_std(x, dim=None, keepdim=False, correction=1):
    return np.sqrt(_np_var(x, dim, keepdim, correction))


def _torch_var(name):
    def call(x, dim=None, keepdim=False, correction=1):
        import torch

        return getattr(torch, name)(x, dim, correction=correction, keepdim=keepdim)

    return call


def _np_logsumexp(x, dim, keepdim=False):
    axis = np_axis(dim) if x.ndim else None
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=axis) if x.ndim else out.reshape(())


def _norm_inputs():
    @st.composite
    def draw_sample(draw):
        p = draw(st.sampled_from([2, "fro", 1, 3, 1.5, 0.5, float("inf"), float("-inf")]))
        shape = draw(shapes())
        x = draw(distinct(shape, signed=True))
        dim, keepdim = draw(tst.dim_and_keepdim(x.ndim))
        return Sample((x,), {"p": p, "dim": dim, "keepdim": keepdim})

    return draw_sample()


def _np_norm(x, p="fro", dim=None, keepdim=False):
    axis = np_axis(dim) if x.ndim else None
    a = np.abs(x)
    if p in ("fro", 2):
        out = np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
    elif p == float("inf"):
        out = np.max(a, axis=axis, keepdims=keepdim)
    elif p == float("-inf"):
        out = np.min(a, axis=axis, keepdims=keepdim)
    else:
        out = np.sum(a**p, axis=axis, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(out)


def _torch_norm(x, p="fro", dim=None, keepdim=False):
    import torch

    return torch.linalg.vector_norm(x, 2 if p == "fro" else p, dim=dim, keepdim=keepdim)


def _np_cumsum(x, dim):
    return np.cumsum(x, axis=dim) if x.ndim else x.copy()


def _cumsum_inputs():
    @st.composite
    def draw_sample(draw):
        x = draw(tensor(shapes()))
        return Sample((x,), {"dim": draw(tst.dims(x.ndim, allow_none=False, allow_tuple=False))})

    return draw_sample()


def _np_arg(fn):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            out = np.asarray(fn(x.reshape(-1)), dtype=np.int64)
            return out.reshape((1,) * x.ndim) if keepdim else out
        if x.ndim == 0:
            return np.asarray(0, dtype=np.int64)
        return np.asarray(fn(x, axis=dim, keepdims=keepdim), dtype=np.int64)

    return ref


def _torch_arg(name):
    def call(x, dim=None, keepdim=False):
        import torch

        return getattr(torch, name)(x, dim=dim, keepdim=keepdim)

    return call


def _max_dim_values(fn_name):
    def call(x, dim, keepdim=False):
        return getattr(tt, fn_name)(x, dim, keepdim).values

    return call


def _torch_max_dim(fn_name, field):
    def call(x, dim, keepdim=False):
        import torch

        return getattr(getattr(torch, fn_name)(x, dim, keepdim), field)

    return call


def _bool_inputs():
    @st.composite
    def draw_sample(draw):
        x = draw(tst.tensors(shape=shapes(), dtype=tt.bool))
        dim, keepdim = draw(tst.dim_and_keepdim(x.ndim))
        return Sample((x,), {"dim": dim, "keepdim": keepdim})

    return draw_sample()


NO_ZERO = floats(-2.0, 2.0, avoid=(0.0,), margin=0.3)

CASES = [
    OpCase("sum", tt.sum, _np_reduce(np.sum), _torch_reduce("sum"), reduce_inputs()),
    OpCase("mean", tt.mean, _np_reduce(np.mean), _torch_reduce("mean"), reduce_inputs()),
    OpCase(
        "prod",
        lambda x, dim=None, keepdim=False: x.prod(dim, keepdim),
        _np_reduce(np.prod),
        _torch_reduce("prod"),
        reduce_inputs(NO_ZERO, allow_tuple=False),
        rtol=1e-6,
    ),
    OpCase(
        "prod_with_zeros",
        lambda x, dim=None, keepdim=False: x.prod(dim, keepdim),
        _np_reduce(np.prod),
        _torch_reduce("prod"),
        reduce_inputs(st.sampled_from([0.0, 0.0, 0.5, -1.5, 2.0]), allow_tuple=False),
        # with a zero in a group the product of the others is computed directly in NumPy
        double_differentiable=False,
    ),
    OpCase(
        "max",
        lambda x: tt.max(x),
        lambda x: np.asarray(np.max(x)),
        torch_call("max"),
        reduce_inputs(value=distinct).map(lambda s: Sample(s.args)),
    ),
    OpCase(
        "min",
        lambda x: x.min(),
        lambda x: np.asarray(np.min(x)),
        torch_call("min"),
        reduce_inputs(value=distinct).map(lambda s: Sample(s.args)),
    ),
    OpCase(
        "max_dim",
        _max_dim_values("max"),
        _np_reduce(np.max),
        _torch_max_dim("max", "values"),
        _int_dim_inputs(value=distinct),
    ),
    OpCase(
        "min_dim",
        _max_dim_values("min"),
        _np_reduce(np.min),
        _torch_max_dim("min", "values"),
        _int_dim_inputs(value=distinct),
    ),
    OpCase(
        "max_dim_indices",
        lambda x, dim, keepdim=False: x.max(dim, keepdim).indices,
        _np_arg(np.argmax),
        _torch_max_dim("max", "indices"),
        _int_dim_inputs(value=distinct),
        differentiable=False,
    ),
    OpCase(
        "amax", tt.amax, _np_reduce(np.max), _torch_reduce("amax"), reduce_inputs(value=distinct)
    ),
    OpCase(
        "amin", tt.amin, _np_reduce(np.min), _torch_reduce("amin"), reduce_inputs(value=distinct)
    ),
    OpCase(
        "argmax",
        tt.argmax,
        _np_arg(np.argmax),
        _torch_arg("argmax"),
        reduce_inputs(value=distinct, allow_tuple=False),
        differentiable=False,
    ),
    OpCase(
        "argmin",
        lambda x, dim=None, keepdim=False: x.argmin(dim, keepdim),
        _np_arg(np.argmin),
        _torch_arg("argmin"),
        reduce_inputs(value=distinct, allow_tuple=False),
        differentiable=False,
    ),
    OpCase("var", tt.var, _np_var, _torch_var("var"), _var_inputs()),
    OpCase("std", tt.std, _np_std, _torch_var("std"), _var_inputs(min_side=2)),
    OpCase(
        "logsumexp",
        tt.logsumexp,
        _np_logsumexp,
        torch_call("logsumexp"),
        reduce_inputs(floats(-20.0, 20.0), allow_none=False),
    ),
    OpCase("norm", tt.norm, _np_norm, _torch_norm, _norm_inputs(), rtol=1e-6),
    OpCase("cumsum", tt.cumsum, _np_cumsum, torch_call("cumsum"), _cumsum_inputs()),
    OpCase(
        "all",
        tt.all,
        _np_reduce(np.all),
        _torch_reduce("all"),
        _bool_inputs(),
        differentiable=False,
    ),
    OpCase(
        "any",
        lambda x, dim=None, keepdim=False: x.any(dim, keepdim),
        _np_reduce(np.any),
        _torch_reduce("any"),
        _bool_inputs(),
        differentiable=False,
    ),
]
