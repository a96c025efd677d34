"""Affine maps: ``linear`` (and ``bilinear``)."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import record
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input, same_dtype
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.linalg.products import einsum


def linear(input, weight, bias=None):
    """f(x, W, b) = x @ W^T + b;  dx = g @ W,  dW = g^T @ x (over all leading dims),  db = g"""
    x = float_input(input, "linear")
    w = float_input(weight, "linear", "weight")
    if bias is not None:
        bias = float_input(bias, "linear", "bias")
    same_dtype("linear", input=x, weight=w, bias=bias)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(x.shape)} cannot be multiplied by weight of shape "
            f"{tuple(w.shape)} (weight is (out_features, in_features), so the input's last dim "
            f"must be {w.shape[-1] if w.ndim == 2 else '?'})"
        )
    out_f = w.shape[0]
    if bias is not None and bias.shape not in ((out_f,), ()):
        raise RuntimeError(f"linear: bias must have shape ({out_f},), got {tuple(bias.shape)}")
    d = x._data
    if d.ndim > 2:  # batch dims folded into one GEMM: NumPy loops a 3-D @ 2-D (~15% of W8's)
        out = (d.reshape(math.prod(d.shape[:-1]), d.shape[-1]) @ w._data.T).reshape(
            d.shape[:-1] + (out_f,)
        )
    else:
        out = d @ w._data.T
    if bias is not None:
        out += bias._data

    # As PyTorch's addmm/matmul: x is saved only for dW and W only for dx, so changing the
    # other in place after the forward pass is allowed.
    saved = (x if _rg(w) else None, w if _rg(x) else None, _rg(bias))
    return record(wrap(np.asarray(out)), "Linear", (x, w, bias), _linear_backward, saved)


def _linear_backward(g, x, w, bias_grad):
    """dx = g @ W,  dW = g^T @ x (leading dims flattened),  db = g"""
    if not grad_state.enabled:  # first-order pass: NumPy GEMMs, no matmul/t/reshape op dispatch
        return _linear_backward_arrays(g._data, x, w, bias_grad)
    if w is None:
        gx = None
    elif g.ndim > 2:  # one GEMM over the folded batch dims, as in the forward pass
        lead = tuple(g.shape[:-1])
        gx = g.reshape(math.prod(lead), g.shape[-1]).matmul(w).reshape(*lead, w.shape[1])
    else:
        gx = g.matmul(w)
    gw = None
    if x is not None:
        if x.ndim == 2:  # the common case: no reshapes, and t() (a few us cheaper than mT)
            gw = g.t().matmul(x)
        else:
            m = math.prod(x.shape[:-1])  # not -1: a zero-size last dim leaves it ambiguous
            gw = g.reshape(m, g.shape[-1]).mT.matmul(x.reshape(m, x.shape[-1]))
    return gx, gw, (g if bias_grad else None)


def _linear_backward_arrays(gd, x, w, bias_grad):
    """``_linear_backward`` on arrays (nothing recorded): the same products, folded alike."""
    n_out = gd.shape[-1]
    lead = gd.shape[:-1]
    # 2-D as is; 1-D g stays 1-D for dx (a vector-matrix product, as matmul does it).
    g2 = gd if gd.ndim == 2 else gd.reshape(math.prod(lead), n_out)  # not -1: zero-size dims
    gx = gw = None
    if w is not None:
        wd = w._data
        gx = wrap(gd @ wd if gd.ndim <= 2 else (g2 @ wd).reshape(lead + (wd.shape[1],)))
    if x is not None:
        xd = x._data
        gw = wrap(g2.T @ (xd if xd.ndim == 2 else xd.reshape(g2.shape[0], xd.shape[-1])))
    return gx, gw, (wrap(gd) if bias_grad else None)  # db: the engine sums it to b's shape


def bilinear(input1, input2, weight, bias=None):
    """f(x1, x2) = x1^T W_k x2 + b_k for each output k"""
    if (
        weight.ndim != 3
        or input1.shape[-1:] != weight.shape[1:2]
        or input2.shape[-1:] != weight.shape[2:3]
    ):
        raise RuntimeError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not "
            f"fit weight of shape {tuple(weight.shape)} (out_features, in1_features, "
            "in2_features)"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
