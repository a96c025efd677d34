"""``Primitive.apply(..., attrs, node_attrs)`` (tinytensor/autograd/primitive.py): the kernel
gets ``attrs`` as keywords, the node records ``node_attrs`` where it is given (the form an
exporter reads, e.g. clamp's bounds as typed scalars) and ``attrs`` otherwise; the same for a
multi-output primitive. NumPy-only: the protocol has no PyTorch counterpart."""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from tinytensor.autograd.primitive import Primitive


def _scale_kernel(x, *, factor):
    return x * factor


def _scale_backward(g, factor):
    return (g * factor,)


SCALE = Primitive("Scale", _scale_kernel, _scale_backward)
# The factor as a positional argument: no kernel keywords, the node's attrs alone (as pad's).
SCALE_BY = Primitive("ScaleBy", lambda x, factor: x * factor, _scale_backward)


def _halves_kernel(x, *, factor):
    return x * factor, x / factor


def _halves_backward(gs, factor):
    ga, gb = gs
    return ((0 if ga is None else ga * factor) + (0 if gb is None else gb / factor),)


HALVES = Primitive("Halves", _halves_kernel, _halves_backward, multi=True)


def test_node_attrs_replace_the_kernels_attrs_on_the_node():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    out = SCALE.apply((x,), (x._data,), (2.0,), {"factor": 2.0}, {"factor": np.float32(2.0)})
    np.testing.assert_array_equal(out.detach().numpy(), [2.0, 4.0])  # the kernel got attrs
    node = out.grad_fn
    assert node.attrs == {"factor": 2.0}
    assert type(node.attrs["factor"]) is np.float32  # node_attrs, not attrs
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_without_node_attrs_the_node_keeps_attrs():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    out = SCALE.apply((x,), (x._data,), (3.0,), {"factor": 3.0})
    assert out.grad_fn.attrs == {"factor": 3.0} and type(out.grad_fn.attrs["factor"]) is float
    out = SCALE_BY.apply((x,), (x._data, 3.0), (3.0,), None, {"factor": "three"})
    np.testing.assert_array_equal(out.detach().numpy(), [3.0, 6.0])
    assert out.grad_fn.attrs == {"factor": "three"}


def test_multi_output_primitive_records_node_attrs_once_for_all_outputs():
    x = tt.tensor([1.0, 4.0], requires_grad=True)
    a, b = HALVES.apply((x,), (x._data,), (2.0,), {"factor": 2.0}, {"factor": "two"})
    np.testing.assert_array_equal(a.detach().numpy(), [2.0, 8.0])
    np.testing.assert_array_equal(b.detach().numpy(), [0.5, 2.0])
    assert a.grad_fn is b.grad_fn and a.grad_fn.attrs == {"factor": "two"}
    (a.sum() + b.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.5, 2.5])


def test_no_node_is_recorded_in_no_grad_mode_or_without_an_input_needing_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    with tt.no_grad():
        out = SCALE.apply((x,), (x._data,), (2.0,), {"factor": 2.0}, {"factor": "two"})
    assert out.grad_fn is None and not out.requires_grad
    y = tt.tensor([1.0, 2.0])
    out = SCALE.apply((y,), (y._data,), (2.0,), {"factor": 2.0}, {"factor": "two"})
    assert out.grad_fn is None
