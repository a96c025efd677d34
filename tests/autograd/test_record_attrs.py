"""``record(..., attrs=)`` and ``needs=`` (issue #20): an op's named parameters live on the node,
backward learns which inputs need a gradient from the engine (not from flags in ``saved``), and
the ONNX exporter reads ``node.attrs``, never ``node.saved``."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd.node import record
from tinytensor.core import wrap

F = tt.nn.functional
PACKAGE = Path(tt.__file__).resolve().parent


def _leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return tt.tensor(rng.uniform(0.5, 1.5, shape), requires_grad=True)


# --- record and the node ------------------------------------------------------------------------


def test_record_keeps_attrs_and_backward_frees_them():
    x = _leaf(3)
    y = record(wrap(x._data * 2), "Twice", (x,), lambda g: (g * 2.0,), (), {"factor": 2})
    node = y.grad_fn
    assert node.attrs == {"factor": 2} and not node.wants_needs
    assert (x * 2).grad_fn.attrs is None  # an op with no parameters records none
    y.sum().backward()
    assert node.attrs is None  # freed with what was saved (attrs may name saved tensors)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_a_backward_with_needs_gets_one_bool_per_input():
    seen = []

    def backward(g, *, needs):
        seen.append(needs)
        return tuple(g if n else None for n in needs)

    a, b, c = _leaf(2), tt.ones(2), _leaf(2, seed=1)
    out = record(wrap(a._data + b._data + c._data), "Add3", (a, b, c, 1.0), backward)
    assert out.grad_fn.wants_needs
    out.sum().backward(retain_graph=True)
    assert seen == [(True, False, True, False)]
    tt.autograd.grad(out.sum(), [c])  # inputs= prunes: only c is on the way
    assert seen[-1] == (False, False, True, False)


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: tt.div(a, b),
        lambda a, b: tt.pow(a, b),
        lambda a, b: tt.where(a > 1.0, a, b),
        lambda a, b: tt.atan2(a, b),
        lambda a, b: tt.xlogy(a, b),
        lambda a, b: tt.lerp(a, b, 0.25),
        lambda a, b: tt.copysign(a, b),
        lambda a, b: tt.logaddexp(a, b),
        lambda a, b: tt.logaddexp2(a, b),
        lambda a, b: tt.fmax(a, b),
        lambda a, b: tt.fmin(a, b),
        lambda a, b: tt.clamp_min(a, b),
        lambda a, b: tt.clamp_max(a, b),
        lambda a, b: tt.addcdiv(a, a, b, value=0.5),
        lambda a, b: tt.special.xlog1py(a, b),
        lambda a, b: tt.scatter(a, 0, tt.tensor([2, 0, 1]), b),
        lambda a, b: tt.masked_fill(a, a > 1.0, b.sum()),
    ],
    ids=[
        "div", "pow", "where", "atan2", "xlogy", "lerp", "copysign", "logaddexp", "logaddexp2",
        "fmax", "fmin", "clamp_min", "clamp_max", "addcdiv", "xlog1py", "scatter", "masked_fill",
    ],  # fmt: skip
)
def test_needs_replaces_flags_in_saved(make):
    for ra, rb in ((True, True), (True, False), (False, True)):
        a, b = _leaf(3), _leaf(3, seed=1)
        a.requires_grad_(ra)
        b.requires_grad_(rb)
        out = make(a, b)
        node = out.grad_fn
        assert node.wants_needs
        assert not any(isinstance(s, (bool, np.bool_)) for s in node.saved), node.saved
        out.sum().backward()
        assert (a.grad is not None) == ra and (b.grad is not None) == rb


def test_needs_gradients_equal_the_finite_differences():
    # The converted rules still compute the right numbers, each input alone and both together.
    for fn in (tt.atan2, tt.logaddexp, tt.xlogy, tt.div):
        a = tt.tensor([0.7, 1.3], dtype=tt.float64, requires_grad=True)
        b = tt.tensor([1.1, 0.4], dtype=tt.float64, requires_grad=True)
        assert tt.autograd.gradcheck(fn, (a, b))


def test_conv_backward_gets_needs_not_flags():
    x, w = _leaf(1, 2, 5, 5), _leaf(3, 2, 3, 3, seed=1)
    out = F.conv2d(x, w, padding=1)
    assert out.grad_fn.wants_needs
    assert out.grad_fn.attrs == {
        "kernel_size": (3, 3), "stride": (1, 1), "padding": (1, 1), "dilation": (1, 1),
        "groups": 1,
    }  # fmt: skip
    (gw,) = tt.autograd.grad(out.sum(), [w])  # only the weight gradient is computed
    assert gw.shape == w.shape


# --- the attributes ops record ------------------------------------------------------------------


def test_reductions_and_shape_ops_name_their_parameters():
    x = _leaf(2, 3)
    assert x.sum(1, keepdim=True).grad_fn.attrs == {"dim": (1,), "keepdim": True}
    assert x.max(0).values.grad_fn.attrs == {"dim": 0, "keepdim": False}
    assert x.var(1, correction=0).grad_fn.attrs == {"dim": (1,), "keepdim": False, "correction": 0}
    assert tt.softmax(x, 1).grad_fn.attrs == {"dim": 1}
    assert x.permute(1, 0).grad_fn.attrs == {"dims": (1, 0)}
    assert tt.cat([x, x], 1).grad_fn.attrs == {"dim": 1}
    assert x.flip(0).grad_fn.attrs == {"dims": (0,)}
    assert x.clamp(0.8, 1.2).grad_fn.attrs["max"] == pytest.approx(1.2)
    assert F.leaky_relu(x, 0.2).grad_fn.attrs == {"negative_slope": 0.2}
    idx = tt.tensor([[0, 2]])
    attrs = tt.gather(x, 1, idx).grad_fn.attrs
    assert attrs["dim"] == 1 and attrs["index"] is idx


def test_norm_and_elu_have_one_layout_per_name():
    x = _leaf(2, 3)
    n2, n3 = tt.norm(x, 2, 1).grad_fn, tt.norm(x, 3, 1).grad_fn
    assert n2.name() == n3.name() == "NormBackward"
    assert len(n2.saved) == len(n3.saved) and n2.saved[2] == 2.0 and n3.saved[2] == 3.0
    assert n2.attrs == {"p": 2.0, "dim": (1,), "keepdim": False}
    e1 = F.elu(x, 0.5).grad_fn
    y = x.detach().clone().requires_grad_(True) * 1.0
    e2 = F.elu(y, 0.5, inplace=True).grad_fn  # elu_'s tensor takes the Elu node's history
    assert e1.name() == e2.name() == "EluBackward"
    assert len(e1.saved) == len(e2.saved) and e1.attrs == e2.attrs == {"alpha": 0.5, "scale": 1.0}


def test_cross_entropy_fast_path_uses_the_log_softmax_primitive():
    x, t = _leaf(4, 3), tt.tensor([0, 2, 1, 1])
    loss = F.cross_entropy(x, t)
    lsm = loss.grad_fn.saved[0]
    assert lsm.grad_fn.name() == "LogSoftmaxBackward" and lsm.grad_fn.attrs == {"dim": 1}
    np.testing.assert_allclose(lsm.detach().numpy(), tt.log_softmax(x, 1).detach().numpy())


def test_the_exporter_reads_attrs_never_saved():
    readers = []
    for path in sorted((PACKAGE / "onnx").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "saved":
                readers.append(f"{path.name}:{node.lineno}")
    assert not readers, f"the ONNX exporter reads node.saved at {readers}; use node.attrs"
