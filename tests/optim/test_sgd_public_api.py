"""SGD's fused in-place step goes through the public Tensor API (``numpy(force=True)``, the
arrays beneath) and ``core.bump_version``, not the tensors' private slots; and the optimizers
as a whole touch none of TensorBase's slots (tinytensor/optim is a layer above the tensors)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.core import TensorBase

OPTIM = Path(tt.__file__).resolve().parent / "optim"
SLOTS = set(TensorBase.__slots__) - {"__weakref__"}


def test_optim_reads_no_private_tensor_slot():
    assert {"_data", "_grad", "_vc"} <= SLOTS
    offenders = []
    for path in sorted(OPTIM.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr in SLOTS:
                offenders.append(f"tinytensor/optim/{path.name}:{node.lineno} .{node.attr}")
    assert not offenders, "use the public Tensor API instead of:\n  " + "\n  ".join(offenders)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_the_fused_step_updates_in_place_and_bumps_the_version(momentum, nesterov):
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((3, 4)).astype(np.float32)
    g0 = rng.standard_normal((3, 4)).astype(np.float32)
    p = tt.tensor(p0, requires_grad=True)
    storage = p.detach().numpy()
    opt = tt.optim.SGD([p], lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=0.01)
    buf = np.zeros_like(p0)
    want = p0.copy()
    for k in range(3):
        p.grad = tt.tensor(g0 * (k + 1))
        before = p._version
        opt.step()
        g = g0 * (k + 1) + np.float32(0.01) * want
        if momentum:
            buf = g.copy() if k == 0 else np.float32(momentum) * buf + g
            g = g + np.float32(momentum) * buf if nesterov else buf
        want = want + np.float32(-0.1) * g
        assert p._version == before + 1 and p.dtype == tt.float32
        assert np.shares_memory(p.detach().numpy(), storage)  # in place: the same array
        np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-6, atol=1e-6)


@pytest.mark.torch
def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    p0, grads = rng.standard_normal(5), [rng.standard_normal(5) for _ in range(4)]
    out = []
    for lib in (tt, torch):
        p = lib.tensor(p0, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.05, momentum=0.8, dampening=0.1, weight_decay=0.02)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        out.append(p.detach().numpy().copy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)
