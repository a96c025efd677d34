"""Every loss against PyTorch for every reduction, gradients, stability and bad targets."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from nn.helpers import compare_with_torch
from tinytensor.testing import gradcheck

F = tt.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


# name, input maker, target maker, kwargs; targets are fixed (no gradient compared for them)
def _pointwise_rows():
    r = _rng(1)
    x = r.standard_normal((4, 5)).astype(np.float32) * 2
    t = r.standard_normal((4, 5)).astype(np.float32) * 2
    p = r.uniform(0.02, 0.98, (4, 5)).astype(np.float32)
    tb = (r.uniform(size=(4, 5)) > 0.5).astype(np.float32)
    w = r.uniform(0.5, 2, (4, 5)).astype(np.float32)
    pw = r.uniform(0.5, 3, (5,)).astype(np.float32)
    return [
        ("mse_loss", x, t, {}),
        ("l1_loss", x, t, {}),
        ("huber_loss", x, t, {"delta": 0.7}),
        ("smooth_l1_loss", x, t, {"beta": 0.5}),
        ("smooth_l1_loss", x, t, {"beta": 0.0}),
        ("binary_cross_entropy", p, tb, {}),
        ("binary_cross_entropy", p, tb, {"weight": w}),
        ("binary_cross_entropy_with_logits", x, tb, {}),
        ("binary_cross_entropy_with_logits", x, tb, {"weight": w, "pos_weight": pw}),
        ("binary_cross_entropy_with_logits", x, p, {"pos_weight": pw}),
    ]


def _kwargs(kw, lib):
    out = {}
    for k, v in kw.items():
        out[k] = lib.tensor(v) if isinstance(v, np.ndarray) else v
    return out


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("row", range(10))
def test_pointwise_losses_match_torch(row, reduction):
    torch = pytest.importorskip("torch")
    name, x, t, kw = _pointwise_rows()[row]
    compare_with_torch(
        lambda x: getattr(F, name)(x, tt.tensor(t), reduction=reduction, **_kwargs(kw, tt)),
        lambda x: getattr(torch.nn.functional, name)(
            x, torch.tensor(t), reduction=reduction, **_kwargs(kw, torch)
        ),
        [x],
    )


@pytest.mark.parametrize("row", range(10))
def test_pointwise_losses_gradcheck_input_and_target(row):
    name, x, t, kw = _pointwise_rows()[row]
    xt = tt.tensor(x.astype(np.float64), requires_grad=True)
    grad_target = name in ("mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy")
    tt_ = tt.tensor(t.astype(np.float64), requires_grad=grad_target)
    kw = {
        k: tt.tensor(v.astype(np.float64)) if isinstance(v, np.ndarray) else v
        for k, v in kw.items()
    }
    assert gradcheck(lambda x, t: getattr(F, name)(x, t, **kw), (xt, tt_))


@pytest.mark.torch
def test_logits_losses_are_stable_for_huge_logits():
    torch = pytest.importorskip("torch")
    x = np.array([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 20.0]], np.float32)
    y = np.array([1, 0])
    tb = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
    out = compare_with_torch(
        lambda x: F.cross_entropy(x, tt.tensor(y)),
        lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(y)),
        [x],
    )
    assert np.isfinite(out.item())
    out = compare_with_torch(
        lambda x: F.binary_cross_entropy_with_logits(x, tt.tensor(tb)),
        lambda x: torch.nn.functional.binary_cross_entropy_with_logits(x, torch.tensor(tb)),
        [x],
    )
    assert np.isfinite(out.item())


@pytest.mark.torch
def test_bce_clamps_log_like_torch_at_exact_zero_and_one():
    torch = pytest.importorskip("torch")
    p = np.array([0.0, 1.0, 0.5, 1.0], np.float32)
    t = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    compare_with_torch(
        lambda p: F.binary_cross_entropy(p, tt.tensor(t), reduction="none"),
        lambda p: torch.nn.functional.binary_cross_entropy(p, torch.tensor(t), reduction="none"),
        [p],
    )


# --- classification losses -----------------------------------------------------------------

CE_CASES = [
    # (input shape, kwargs)
    ((6, 5), {}),
    ((6, 5), {"weight": True}),
    ((6, 5), {"ignore_index": 2}),
    ((6, 5), {"weight": True, "ignore_index": 1}),
    ((6, 5), {"label_smoothing": 0.1}),
    ((6, 5), {"label_smoothing": 0.2, "weight": True, "ignore_index": 3}),
    ((5,), {}),  # unbatched
    ((3, 4, 2, 3), {}),  # spatial targets (N, d1, d2)
    ((3, 4, 2, 3), {"weight": True, "ignore_index": 0, "label_smoothing": 0.05}),
]


def _ce_inputs(shape, kw, seed=0):
    r = _rng(seed)
    x = r.standard_normal(shape).astype(np.float32) * 3
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    y = r.integers(0, c, tshape)
    if "ignore_index" in kw and y.ndim:
        y.reshape(-1)[0] = kw["ignore_index"]  # make sure an ignored target is present
    w = r.uniform(0.2, 2.0, c).astype(np.float32)
    return x, y, w


def _ce_kwargs(kw, w, lib):
    out = dict(kw)
    if out.pop("weight", False):
        out["weight"] = lib.tensor(w)
    return out


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kw", CE_CASES)
def test_cross_entropy_with_class_indices_matches_torch(shape, kw, reduction):
    torch = pytest.importorskip("torch")
    x, y, w = _ce_inputs(shape, kw)
    compare_with_torch(
        lambda x: F.cross_entropy(x, tt.tensor(y), reduction=reduction, **_ce_kwargs(kw, w, tt)),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(y), reduction=reduction, **_ce_kwargs(kw, w, torch)
        ),
        [x],
    )


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing,weight", [(0.0, False), (0.15, False), (0.1, True)])
def test_cross_entropy_with_probabilities_matches_torch(reduction, smoothing, weight):
    torch = pytest.importorskip("torch")
    r = _rng(5)
    x = r.standard_normal((4, 6, 2)).astype(np.float32)
    p = r.uniform(size=(4, 6, 2)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    w = r.uniform(0.5, 2, 6).astype(np.float32)
    kw = {"label_smoothing": smoothing, "reduction": reduction}
    compare_with_torch(
        lambda x: F.cross_entropy(x, tt.tensor(p), weight=tt.tensor(w) if weight else None, **kw),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(p), weight=torch.tensor(w) if weight else None, **kw
        ),
        [x],
    )


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kw", [c for c in CE_CASES if "label_smoothing" not in c[1]])
def test_nll_loss_matches_torch(shape, kw, reduction):
    torch = pytest.importorskip("torch")
    x, y, w = _ce_inputs(shape, kw, seed=2)
    compare_with_torch(
        lambda x: F.nll_loss(
            F.log_softmax(x, 0 if x.ndim == 1 else 1), tt.tensor(y), reduction=reduction,
            **_ce_kwargs(kw, w, tt),
        ),
        lambda x: torch.nn.functional.nll_loss(
            torch.log_softmax(x, 0 if x.ndim == 1 else 1), torch.tensor(y), reduction=reduction,
            **_ce_kwargs(kw, w, torch),
        ),
        [x],
    )  # fmt: skip


def test_cross_entropy_gradcheck_and_double_backward():
    from tinytensor.testing import gradgradcheck

    x = tt.randn(4, 3, dtype=tt.float64, requires_grad=True)
    y = tt.tensor([0, 2, 1, 2])
    w = tt.tensor([0.5, 1.0, 2.0], dtype=tt.float64)

    def f(x):
        return F.cross_entropy(x, y, weight=w, label_smoothing=0.1, ignore_index=1)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weight", [(1, 1.0, False), (2, 0.5, False), (1, 2.0, True)])
def test_multi_margin_loss_matches_torch(reduction, p, margin, weight):
    torch = pytest.importorskip("torch")
    r = _rng(7)
    x = r.standard_normal((5, 4)).astype(np.float32)
    y = r.integers(0, 4, 5)
    w = r.uniform(0.5, 2, 4).astype(np.float32)
    compare_with_torch(
        lambda x: F.multi_margin_loss(
            x, tt.tensor(y), p, margin, tt.tensor(w) if weight else None, reduction=reduction
        ),
        lambda x: torch.nn.functional.multi_margin_loss(
            x, torch.tensor(y), p, margin, torch.tensor(w) if weight else None,
            reduction=reduction,
        ),
        [x],
    )  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss_matches_torch(reduction, margin):
    torch = pytest.importorskip("torch")
    r = _rng(8)
    x = r.standard_normal((4, 5)).astype(np.float32)
    y = np.where(r.uniform(size=(4, 5)) > 0.5, 1.0, -1.0).astype(np.float32)
    compare_with_torch(
        lambda x: F.hinge_embedding_loss(x, tt.tensor(y), margin, reduction=reduction),
        lambda x: torch.nn.functional.hinge_embedding_loss(
            x, torch.tensor(y), margin, reduction=reduction
        ),
        [x],
    )


@pytest.mark.torch
def test_kl_div_matches_torch():
    torch = pytest.importorskip("torch")
    r = _rng(9)
    x = np.log(r.dirichlet(np.ones(5), 3)).astype(np.float32)
    p = r.dirichlet(np.ones(5), 3).astype(np.float32)
    p[0, 0] = 0.0
    for red in ("batchmean", "sum", "none"):
        compare_with_torch(
            lambda x, red=red: F.kl_div(x, tt.tensor(p), reduction=red),
            lambda x, red=red: torch.nn.functional.kl_div(x, torch.tensor(p), reduction=red),
            [x],
        )


# --- loss modules ---------------------------------------------------------------------------

MODULES = [
    ("MSELoss", {}, "pointwise"),
    ("L1Loss", {"reduction": "sum"}, "pointwise"),
    ("HuberLoss", {"delta": 0.5}, "pointwise"),
    ("SmoothL1Loss", {"beta": 2.0}, "pointwise"),
    ("BCELoss", {}, "prob"),
    ("BCEWithLogitsLoss", {"pos_weight": "pw"}, "binary"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 0}, "class"),
    ("CrossEntropyLoss", {"weight": "w"}, "class"),
    ("NLLLoss", {"reduction": "none"}, "class"),
    ("MultiMarginLoss", {"margin": 0.5}, "class"),
    ("HingeEmbeddingLoss", {"margin": 2.0}, "sign"),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,kw,kind", MODULES)
def test_loss_modules_are_thin_wrappers_matching_torch(name, kw, kind):
    torch = pytest.importorskip("torch")
    r = _rng(10)
    x = r.standard_normal((6, 4)).astype(np.float32)
    targets = {
        "pointwise": r.standard_normal((6, 4)).astype(np.float32),
        "prob": (r.uniform(size=(6, 4)) > 0.5).astype(np.float32),
        "binary": (r.uniform(size=(6, 4)) > 0.5).astype(np.float32),
        "class": r.integers(0, 4, 6),
        "sign": np.where(r.uniform(size=(6, 4)) > 0.5, 1.0, -1.0).astype(np.float32),
    }
    if kind == "prob":
        x = 1 / (1 + np.exp(-x))
    t = targets[kind]
    extra = {"pw": r.uniform(0.5, 2, 4).astype(np.float32), "w": r.uniform(0.5, 2, 4)}

    def make(lib):
        args = {
            k: lib.tensor(extra[v].astype(np.float32)) if v in extra else v for k, v in kw.items()
        }
        return getattr(lib.nn, name)(**args)

    ours, ref = make(tt), make(torch)
    compare_with_torch(lambda x: ours(x, tt.tensor(t)), lambda x: ref(x, torch.tensor(t)), [x])
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: F.cross_entropy(tt.randn(3, 4), tt.tensor([0, 4, 1])), IndexError, "target 4"),
        (lambda: F.cross_entropy(tt.randn(3, 4), tt.tensor([0, -1, 1])), IndexError, "-1"),
        (lambda: F.nll_loss(tt.randn(3, 4), tt.tensor([0, 1])), ValueError, r"\(3,\)"),
        (lambda: F.cross_entropy(tt.randn(3, 4), tt.tensor([0.0, 1.0, 2.0])), RuntimeError,
         "shape"),
        (lambda: F.cross_entropy(tt.randn(3, 4), tt.tensor([0, 1, 2]), weight=tt.ones(3)),
         ValueError, "weight"),
        (lambda: F.cross_entropy(tt.randn(3, 4), tt.tensor([0, 1, 2]), reduction="avg"),
         ValueError, "reduction"),
        (lambda: F.cross_entropy(tt.randn(3, 4), tt.tensor([0, 1, 2]), label_smoothing=1.5),
         ValueError, "label_smoothing"),
        (lambda: F.mse_loss(tt.randn(3, 2), tt.randn(3)), RuntimeError, r"\(3, 2\).*\(3,\)"),
        (lambda: F.binary_cross_entropy(tt.tensor([0.5, 1.5]), tt.tensor([0.0, 1.0])),
         RuntimeError, "between 0 and 1"),
        (lambda: F.multi_margin_loss(tt.randn(2, 3), tt.tensor([0, 3])), IndexError, "target 3"),
        (lambda: F.nll_loss(tt.randn(2, 3), tt.tensor([0.0, 1.0])), RuntimeError, "int64"),
    ],
)  # fmt: skip
def test_bad_targets_and_shapes_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.torch
def test_all_targets_ignored_gives_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((2, 3), np.float32)
    ours = F.cross_entropy(tt.tensor(x), tt.tensor([-100, -100])).item()
    ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([-100, -100])).item()
    assert np.isnan(ours) and np.isnan(ref)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, t: F.mse_loss(x, t),
        lambda x, t: F.huber_loss(x, t, delta=0.5),
        lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
        lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=tt.tensor(2.0)),
        lambda x, t: F.kl_div(F.log_softmax(x, 1), F.softmax(t, 1), reduction="batchmean"),
    ],
)
def test_losses_are_twice_differentiable_in_input_and_target(fn):
    from tinytensor.testing import gradgradcheck

    r = _rng(11)
    x = tt.tensor(r.standard_normal((3, 4)), requires_grad=True)
    t = tt.tensor(r.standard_normal((3, 4)) * 3, requires_grad=True)
    assert gradgradcheck(fn, (x, t))


def test_classification_losses_are_twice_differentiable():
    from tinytensor.testing import gradgradcheck

    x = tt.tensor(_rng(12).standard_normal((4, 3)), requires_grad=True)
    y = tt.tensor([0, 2, 1, 1])
    assert gradgradcheck(lambda x: F.nll_loss(F.log_softmax(x, 1), y), (x,))
    assert gradgradcheck(lambda x: F.multi_margin_loss(x, y, p=2, margin=0.3), (x,))
    assert gradgradcheck(
        lambda x: F.hinge_embedding_loss(x, tt.tensor(np.sign(_rng(1).standard_normal((4, 3))))),
        (x,),
    )


# --- In-place change of a saved target or weight after the forward pass (issue #10) ----------
# Rows: (lib, F) -> (loss, the tensor that is then changed in place, does PyTorch raise?).


def _logits(lib):
    x = lib.tensor(np.arange(12.0).reshape(3, 4) / 7.0, requires_grad=True)
    return x * 1.0


def _targets(lib):
    return lib.tensor([0, 3, 1])


def _weight(lib):
    return lib.tensor([1.0, 2.0, 0.5, 1.0], dtype=lib.float64)


def _loss_with(victim, make, raises=True):
    return make(victim), victim, raises


LOSS_INPLACE = {
    "cross_entropy-target": lambda L, F: _loss_with(
        _targets(L), lambda t: F.cross_entropy(_logits(L), t)
    ),
    "cross_entropy-target-sum": lambda L, F: _loss_with(
        _targets(L), lambda t: F.cross_entropy(_logits(L), t, reduction="sum")
    ),
    "cross_entropy-target-smoothing": lambda L, F: _loss_with(
        _targets(L), lambda t: F.cross_entropy(_logits(L), t, label_smoothing=0.1)
    ),
    "cross_entropy-weight": lambda L, F: _loss_with(
        _weight(L), lambda w: F.cross_entropy(_logits(L), _targets(L), w)
    ),
    "nll_loss-target": lambda L, F: _loss_with(_targets(L), lambda t: F.nll_loss(_logits(L), t)),
    "nll_loss-target-ignore": lambda L, F: _loss_with(
        _targets(L), lambda t: F.nll_loss(_logits(L), t, ignore_index=3)
    ),
    "nll_loss-input": lambda L, F: _loss_with(_logits(L), lambda x: F.nll_loss(x, _targets(L))),
    "nll_loss-weight": lambda L, F: _loss_with(
        _weight(L), lambda w: F.nll_loss(_logits(L), _targets(L), w)
    ),
    # log_softmax saves its output, not its input: PyTorch allows changing the logits.
    "cross_entropy-input": lambda L, F: _loss_with(
        _logits(L), lambda x: F.cross_entropy(x, _targets(L)), raises=False
    ),
}


def _change_in_place(lib, t):
    with lib.no_grad():
        t.copy_(t.clone())


@pytest.mark.parametrize("case", LOSS_INPLACE)
def test_changing_a_saved_target_or_weight_in_place_makes_backward_raise(case):
    loss, victim, raises = LOSS_INPLACE[case](tt, F)
    _change_in_place(tt, victim)
    if raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
    else:
        loss.backward()


@pytest.mark.torch
@pytest.mark.parametrize("case", LOSS_INPLACE)
def test_changing_a_saved_target_or_weight_in_place_matches_torch(case):
    torch = pytest.importorskip("torch")
    loss, victim, raises = LOSS_INPLACE[case](torch, torch.nn.functional)
    _change_in_place(torch, victim)
    if raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
    else:
        loss.backward()


def test_cross_entropy_gradient_after_the_logits_change_in_place_is_the_forward_ones():
    # NumPy oracle: dx = (softmax(x) - onehot(t)) / N with x as it was at the forward pass.
    leaf = tt.tensor(np.arange(12.0).reshape(3, 4) / 7.0, requires_grad=True)
    x = leaf * 1.0
    loss = F.cross_entropy(x, _targets(tt))
    with tt.no_grad():
        x.add_(5.0)
    loss.backward()
    d = leaf.detach().numpy()
    p = np.exp(d - d.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(3), [0, 3, 1]] -= 1
    np.testing.assert_allclose(leaf.grad.numpy(), p / 3)
