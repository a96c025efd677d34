"""The engine's side of ``needs`` (issue #20): a backward that declares a keyword-only ``needs``
is called with one bool per input, True where that input's gradient goes somewhere (PyTorch's
``needs_input_grad``; under ``autograd.grad``/``backward(inputs=...)`` only the inputs on a path
to what was asked for, as PyTorch's ``should_compute_output``); any other backward is called
exactly as before, without it."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.autograd.node import record
from tinytensor.core import wrap

SEEN = []  # the needs tuples the probe's backward received, in call order


def _probe_backward(g, *, needs):
    SEEN.append(needs)
    return tuple(g if n else None for n in needs)


def _plain_backward(g, *saved):
    SEEN.append(saved)
    return g, g


def probe(*inputs, backward=_probe_backward):
    """An op whose output is the sum of its (same-shaped) inputs, recorded with ``backward``."""
    out = wrap(sum(t._data for t in inputs))
    return record(out, "Probe", inputs, backward)


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()
    yield
    SEEN.clear()


def _leaf(v, requires_grad=True):
    return tt.tensor([v, v], requires_grad=requires_grad)


def test_needs_follows_which_inputs_require_grad():
    a, b, c = _leaf(1.0), _leaf(2.0, requires_grad=False), _leaf(3.0)
    probe(a, b, c).sum().backward()
    assert SEEN == [(True, False, True)]
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
    assert b.grad is None


def test_a_backward_without_needs_is_called_as_before():
    a, b = _leaf(1.0), _leaf(2.0)
    probe(a, b, backward=_plain_backward).sum().backward()
    assert SEEN == [()]  # no needs= keyword: the saved entries only (none here)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_grad_with_inputs_asks_only_for_the_paths_to_them():
    a, b = _leaf(1.0), _leaf(2.0)
    (ga,) = tt.autograd.grad(probe(a, b).sum(), [a])
    assert SEEN == [(True, False)]
    np.testing.assert_array_equal(ga.numpy(), [1.0, 1.0])
    SEEN.clear()
    a.grad = b.grad = None
    probe(a, b).sum().backward(inputs=[b])
    assert SEEN == [(False, True)]
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_needs_is_true_for_a_non_leaf_input_on_the_way_to_an_asked_one():
    a, b = _leaf(1.0), _leaf(2.0)
    h = a * 2  # a node between the probe and a
    (ga,) = tt.autograd.grad(probe(h, b).sum(), [a])
    assert SEEN == [(True, False)]
    np.testing.assert_array_equal(ga.numpy(), [2.0, 2.0])


def test_needs_is_true_for_a_non_leaf_that_is_itself_asked_for():
    a, b = _leaf(1.0), _leaf(2.0)
    h = a * 2
    (gh,) = tt.autograd.grad(probe(h, b).sum(), [h])
    assert SEEN == [(True, False)]
    np.testing.assert_array_equal(gh.numpy(), [1.0, 1.0])


def test_anomaly_mode_passes_needs_too():
    a, b = _leaf(1.0), _leaf(2.0, requires_grad=False)
    with tt.autograd.detect_anomaly():
        probe(a, b).sum().backward()
    assert SEEN == [(True, False)]


def test_create_graph_passes_needs_and_records_the_backward():
    a, b = _leaf(1.0), _leaf(2.0)
    y = (probe(a * a, b) * 1.0).sum()
    (ga,) = tt.autograd.grad(y, [a], create_graph=True)
    assert SEEN == [(True, False)]
    np.testing.assert_array_equal(ga.detach().numpy(), [2.0, 2.0])
    assert ga.requires_grad
