"""The issue #12 losses: module vs PyTorch in float64 (value, input gradients), gradcheck,
and CTC against a brute-force sum over every alignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn as nn
import tinytensor.nn.functional as F
from tinytensor.autograd import gradcheck

R = np.random.default_rng(7)
X, Y, Z = (R.standard_normal((4, 5)) for _ in range(3))
PM = np.array([1.0, -1.0, 1.0, -1.0])
VAR = R.uniform(0.2, 2.0, (4, 5))
LABELS = np.array([[3, 0, -1, 1, 1], [0, 1, 2, 3, 4], [-1, 1, 2, 0, 0], [4, 4, -1, 0, 0]])

# (module name, kwargs, float inputs that require grad, fixed extra inputs)
CASES = [
    ("CosineEmbeddingLoss", {"margin": 0.2}, [X, Y], [PM]),
    ("MarginRankingLoss", {"margin": 0.1}, [X[:, 0], Y[:, 0]], [PM]),
    ("TripletMarginLoss", {"swap": True}, [X, Y, Z], []),
    ("TripletMarginWithDistanceLoss", {"margin": 0.5}, [X, Y, Z], []),
    ("PoissonNLLLoss", {"full": True}, [X], [np.abs(Y) * 2]),
    ("GaussianNLLLoss", {"full": True}, [X, Y, VAR], []),
    ("SoftMarginLoss", {"reduction": "sum"}, [X], [np.sign(Y)]),
    ("MultiLabelSoftMarginLoss", {}, [X], [(Y > 0) * 1.0]),
    ("MultiLabelMarginLoss", {"reduction": "none"}, [X], [LABELS]),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs", "inputs", "extra"), CASES, ids=[c[0] for c in CASES])
def test_loss_module_matches_torch(name, kwargs, inputs, extra):
    torch = pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    a = [tt.tensor(x, requires_grad=True) for x in inputs]
    b = [torch.tensor(x, requires_grad=True) for x in inputs]
    oa = getattr(nn, name)(**kwargs)(*a, *[tt.tensor(e) for e in extra])
    ob = getattr(torch.nn, name)(**kwargs)(*b, *[torch.tensor(e) for e in extra])
    np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy(), rtol=1e-12)
    g = np.cos(np.arange(ob.numel()) + 1.0).reshape(ob.shape)
    oa.backward(tt.tensor(g))
    ob.backward(torch.tensor(g))
    for i, (p, q) in enumerate(zip(a, b)):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=f"{i}")


CTC_T, CTC_N, CTC_C = 6, 3, 4
CTC_X = R.standard_normal((CTC_T, CTC_N, CTC_C))
CTC_TARGETS = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
CTC_IN, CTC_TG = np.array([6, 5, 4]), np.array([3, 2, 1])


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_matches_torch(reduction, zero_infinity):
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    a, b = tt.tensor(CTC_X, requires_grad=True), torch.tensor(CTC_X, requires_grad=True)
    args = (CTC_TARGETS, CTC_IN, CTC_TG)
    oa = nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
        F.log_softmax(a, 2), *[tt.tensor(v) for v in args]
    )
    ob = torch.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
        torch.log_softmax(b, 2), *[torch.tensor(v) for v in args]
    )
    np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy(), rtol=1e-12)
    g = np.cos(np.arange(ob.numel()) + 1.0).reshape(ob.shape)
    oa.backward(tt.tensor(g))
    ob.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


def _collapse(path, blank=0):
    out = [k for k, _ in itertools.groupby(path)]
    return tuple(k for k in out if k != blank)


def test_ctc_brute_force_oracle():
    """-log of the sum over every length-T path that collapses to the target (NumPy only)."""
    t_len, c = 4, 3
    lp = np.log(np.random.default_rng(0).dirichlet(np.ones(c), size=t_len))
    for target in [(1,), (1, 2), (1, 1), (2, 1, 2)]:
        total = sum(
            np.exp(sum(lp[t, k] for t, k in enumerate(path)))
            for path in itertools.product(range(c), repeat=t_len)
            if _collapse(path) == target
        )
        got = F.ctc_loss(
            tt.tensor(lp[:, None, :]), tt.tensor([list(target)]), [t_len], [len(target)],
            reduction="none",
        )  # fmt: skip
        np.testing.assert_allclose(got.numpy()[0], -np.log(total), rtol=1e-12)


def test_ctc_gradcheck_raw_log_probs():
    lp = tt.tensor(CTC_X[:5, :2] * 0.5, requires_grad=True)
    assert gradcheck(
        lambda x: F.ctc_loss(x, tt.tensor(CTC_TARGETS[:2]), (5, 4), (3, 2), reduction="sum"), (lp,)
    )


GRADCHECK = {
    "cosine_embedding_loss": lambda a, b: F.cosine_embedding_loss(a, b, tt.tensor(PM), 0.1),
    "margin_ranking_loss": lambda a, b: F.margin_ranking_loss(a, b, tt.tensor(PM[:, None])),
    "triplet_margin_loss": lambda a, b: F.triplet_margin_loss(a, b, a.flip(0), swap=True),
    "poisson_nll_loss": lambda a, b: F.poisson_nll_loss(a, b.abs() * 3, full=True),
    "gaussian_nll_loss": lambda a, b: F.gaussian_nll_loss(a, b, (a * b).abs() + 0.5),
    "soft_margin_loss": lambda a, b: F.soft_margin_loss(a, tt.tensor(np.sign(Y))) + b.sum(),
    "multilabel_soft_margin_loss": lambda a, b: F.multilabel_soft_margin_loss(a, b.sigmoid()),
    "multilabel_margin_loss": lambda a, b: F.multilabel_margin_loss(a + b, tt.tensor(LABELS)),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    a, b = (tt.tensor(v, requires_grad=True) for v in (X, Y))
    assert gradcheck(GRADCHECK[name], (a, b))
