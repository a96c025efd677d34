"""The version counter is private to ``core`` (issue #20): every in-place write outside it goes
through ``core.bump_version`` / ``share_version`` / ``version_counter``, so none can forget the
bump. Regression tests for the two writes that forgot it (``load_state_dict``,
``vector_to_parameters``: a silently wrong gradient), with PyTorch and without."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.core import version

PACKAGE = Path(tt.__file__).resolve().parent
SLOT = "_vc"

# The only reads of the slot allowed outside core/: the forward hot loop that snapshots the
# versions of what a node saves, and the check in backward (a call to core.version per saved
# tensor would cost every recorded op). Reads only; each function is named with why in node.py.
ALLOWED_READS = {("autograd/node.py", "Node.__init__"), ("autograd/node.py", "Node.check_saved")}


def _slot_uses(path):
    """(qualified function name, is_read, line) of each ``._vc`` or ``"_vc"`` in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node, scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = f"{scope}.{node.name}" if scope else node.name
        if isinstance(node, ast.Attribute) and node.attr == SLOT:
            found.append((scope, isinstance(node.ctx, ast.Load), node.lineno))
        elif isinstance(node, ast.Constant) and node.value == SLOT:  # getattr(t, "_vc")
            found.append((scope, False, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, "")
    return found


def test_version_slot_is_private_to_core():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("core/"):
            continue
        for scope, is_read, line in _slot_uses(path):
            if is_read and (rel, scope) in ALLOWED_READS:
                continue
            offenders.append(f"tinytensor/{rel}:{line} ({scope or 'module level'})")
    assert not offenders, (
        "the version counter is private to tinytensor/core: use core.bump_version, "
        "share_version, shares_version, version, version_counter or set_version_counter "
        "instead of the slot at:\n  " + "\n  ".join(offenders)
    )


def test_the_guard_sees_a_poke(tmp_path):
    # The scanner itself: a write, a read and a getattr by name are all found.
    src = tmp_path / "m.py"
    src.write_text(
        "def f(t):\n    t._vc = [0]\n\nclass A:\n    def g(self, t):\n"
        "        return t._vc or getattr(t, '_vc')\n"
    )
    assert _slot_uses(src) == [("f", False, 2), ("A.g", True, 6), ("A.g", False, 6)]


def test_allowed_reads_still_exist():
    # An allowance that no longer matches anything is stale: remove it from ALLOWED_READS.
    for rel, scope in ALLOWED_READS:
        uses = _slot_uses(PACKAGE / rel)
        assert any(s == scope and r for s, r, _ in uses), (rel, scope)


# --- the two writes that skipped the bump ----------------------------------------------------


def _module_with_scale(lib):
    m = lib.nn.Module()
    m.scale = lib.nn.Parameter(lib.ones(2))
    return m


def test_load_state_dict_bumps_the_version():
    m = _module_with_scale(tt)
    y = (m.scale * m.scale).sum()
    before = version(m.scale)
    m.load_state_dict({"scale": tt.full((2,), 3.0)})
    assert version(m.scale) == before + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    assert m.scale.grad is None  # nothing was accumulated before the error
    np.testing.assert_array_equal(m.scale.detach().numpy(), [3.0, 3.0])


def test_load_state_dict_assign_bumps_the_version():
    # assign=True swaps the storage of the same Parameter object: the saved tensor is that
    # object, so using it would read the new values; raising is the only right answer here.
    m = _module_with_scale(tt)
    y = (m.scale * m.scale).sum()
    m.load_state_dict({"scale": tt.full((2,), 3.0)}, assign=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_load_state_dict_then_a_fresh_graph_is_fine():
    m = _module_with_scale(tt)
    m.load_state_dict({"scale": tt.full((2,), 3.0)})
    (m.scale * m.scale).sum().backward()
    np.testing.assert_array_equal(m.scale.grad.numpy(), [6.0, 6.0])


def test_vector_to_parameters_bumps_the_version():
    p = tt.nn.Parameter(tt.ones(2))
    q = tt.nn.Parameter(tt.zeros(3))
    y = (p * p).sum() + (q * q).sum()
    tt.nn.utils.vector_to_parameters(tt.arange(5.0), [p, q])
    np.testing.assert_array_equal(p.detach().numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(q.detach().numpy(), [2.0, 3.0, 4.0])
    assert version(p) == 1 and version(q) == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_init_and_views_share_one_counter():
    t = tt.ones(3)
    p = tt.nn.Parameter(t)  # shares t's storage, so it shares t's counter
    y = (p * p).sum()
    with tt.no_grad():
        t.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    w = tt.nn.Parameter(tt.ones(2, 2))
    v = w[0]
    tt.nn.init.constant_(w, 2.0)
    assert version(w) == version(v) == 1


@pytest.mark.torch
def test_load_state_dict_raises_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib, full in ((tt, tt.full), (torch, torch.full)):
        m = _module_with_scale(lib)
        y = (m.scale * m.scale).sum()
        m.load_state_dict({"scale": full((2,), 3.0)})
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
        assert m.scale._version == 1
    # and without a graph in flight, the same values and gradients
    grads = []
    for lib, full in ((tt, tt.full), (torch, torch.full)):
        m = _module_with_scale(lib)
        m.load_state_dict({"scale": full((2,), 3.0)})
        (m.scale * m.scale).sum().backward()
        grads.append(m.scale.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.torch
def test_vector_to_parameters_is_a_copy_as_pytorch():
    # PyTorch's vector_to_parameters assigns ``param.data``, which keeps the version, so a
    # graph in flight silently reads the new values (grad 2*3 for a graph built at 1). Here it
    # is the in-place copy that PyTorch's ``copy_`` is: same values, and the graph raises as
    # PyTorch raises after ``copy_``.
    torch = pytest.importorskip("torch")
    vec = np.arange(5.0, dtype=np.float32)
    outs = []
    for lib in (tt, torch):
        p, q = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.zeros(3))
        lib.nn.utils.vector_to_parameters(lib.tensor(vec), [p, q])
        ((p * p).sum() + (q**3).sum()).backward()
        outs.append([p.detach().numpy(), q.detach().numpy(), p.grad.numpy(), q.grad.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    p = torch.nn.Parameter(torch.ones(2))
    y = (p * p).sum()
    with torch.no_grad():
        p.copy_(torch.full((2,), 3.0))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    p = tt.nn.Parameter(tt.ones(2))
    y = (p * p).sum()
    tt.nn.utils.vector_to_parameters(tt.full((2,), 3.0), [p])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# --- other in-place writes that skipped the bump -----------------------------------------------


def _reset_stats_then_backward(lib):
    bn = lib.nn.BatchNorm1d(3)
    y = (lib.ones(3, requires_grad=True) * bn.running_mean).sum()
    bn.reset_running_stats()
    y.backward()


def _zero_grad_then_backward(lib):
    m = lib.nn.Linear(2, 2)
    m(lib.ones(1, 2)).sum().backward()
    y = (lib.ones(2, 2, requires_grad=True) * m.weight.grad).sum()
    m.zero_grad(set_to_none=False)
    y.backward()


@pytest.mark.parametrize("run", [_reset_stats_then_backward, _zero_grad_then_backward])
def test_reset_running_stats_and_zero_grad_bump(run):
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(tt)


@pytest.mark.torch
@pytest.mark.parametrize("run", [_reset_stats_then_backward, _zero_grad_then_backward])
def test_reset_running_stats_and_zero_grad_bump_as_pytorch(run):
    torch = pytest.importorskip("torch")
    for lib in (tt, torch):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            run(lib)
