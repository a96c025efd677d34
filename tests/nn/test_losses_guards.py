"""NumPy-only tests for the losses' guards and bookkeeping: each error names its op and the
shapes, results keep the input's dtype (float32 in, float32 out, whatever the dtype of the
weight or target), the legacy ``size_average``/``reduce`` flags reach every loss, the nodes
that save inputs notice an in-place change, and masked (-inf) logits stay finite.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

RNG = np.random.default_rng(17)
X = RNG.standard_normal((3, 4))
P = RNG.uniform(0.1, 0.9, (3, 4))
Y = RNG.uniform(0.0, 1.0, (3, 4))
T = np.array([0, 3, 1])


def _t(a, grad=False, dtype=np.float64):
    return tt.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


POINTWISE = [
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_shape_error_names_op_and_fix(name):
    # The BCE losses refuse another target shape (ValueError); the others broadcast it with a
    # warning, as PyTorch, so shapes that do not broadcast are its RuntimeError.
    bce = name.startswith("binary")
    with pytest.raises(
        ValueError if bce else RuntimeError,
        match=rf"^{name}: input of shape \(3, 4\) and target of shape \(3, 3\) differ; they "
        r"must have the same shape \(reshape one, e\.g\. target\.view_as\(input\)\)$"
        if bce else rf"^{name}: shapes \(3, 4\) and \(3, 3\) cannot be broadcast",
    ):
        getattr(F, name)(_t(P), _t(P[:, :3]))
    if not bce:
        with pytest.warns(UserWarning, match="target size"):
            out = getattr(F, name)(_t(P), _t(P[:, :1]), reduction="none")
        assert tuple(out.shape) == P.shape


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weight_shape_error_names_op(name):
    with pytest.raises(ValueError, match=rf"^{name}: Weights and input must have the same size"):
        getattr(F, name)(_t(X), _t(X), weight=_t(X[:2]))


@pytest.mark.parametrize(
    "name",
    ["l1_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"],
)
def test_legacy_flags_reach_each_pointwise_loss(name):
    fn = getattr(F, name)
    none = fn(_t(P), _t(Y), reduction="none").numpy()
    np.testing.assert_allclose(fn(_t(P), _t(Y), reduce=False).numpy(), none)
    np.testing.assert_allclose(fn(_t(P), _t(Y), size_average=False).numpy(), none.sum())
    np.testing.assert_allclose(fn(_t(P), _t(Y), reduce=True).numpy(), none.mean())


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy", "multi_margin_loss"])
def test_legacy_flags_reach_each_class_loss(name):
    fn = getattr(F, name)
    x = X if name != "nll_loss" else np.log(P / P.sum(1, keepdims=True))
    none = fn(_t(x), tt.tensor(T), reduction="none").numpy()
    np.testing.assert_allclose(fn(_t(x), tt.tensor(T), reduce=False).numpy(), none)
    np.testing.assert_allclose(fn(_t(x), tt.tensor(T), size_average=False).numpy(), none.sum())
    np.testing.assert_allclose(fn(_t(x), tt.tensor(T), reduce=True).numpy(), none.mean())


def test_hinge_and_kl_legacy_flags():
    y = np.where(Y > 0.5, 1, -1)
    none = F.hinge_embedding_loss(_t(X), tt.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(F.hinge_embedding_loss(_t(X), tt.tensor(y), reduce=False).numpy(),
                               none)  # fmt: skip
    got = F.hinge_embedding_loss(_t(X), tt.tensor(y), size_average=False).numpy()
    np.testing.assert_allclose(got, none.sum())
    none = F.kl_div(_t(X), _t(P), reduction="none").numpy()
    np.testing.assert_allclose(F.kl_div(_t(X), _t(P), reduce=False).numpy(), none)


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_loss_errors_name_op(name):
    fn = getattr(F, name)
    with pytest.raises(ValueError, match=rf"^{name}: reduction must be"):
        fn(_t(X), tt.tensor(T), reduction="avg")
    with pytest.raises(TypeError, match=rf"^{name}: expected a floating point input"):
        fn(tt.tensor(np.zeros((3, 4), np.int64)), tt.tensor(T))
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number"):
        fn(_t(X), object())
    with pytest.raises(ValueError, match=rf"^{name}: input must .*\(C,\) or \(N, C, \.\.\.\)"):
        fn(_t(1.0), tt.tensor(0))
    with pytest.raises(ValueError, match=rf"^{name}: weight must have shape \(4,\)"):
        fn(_t(X), tt.tensor(T), weight=_t([1.0, 2.0]))
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number"):
        fn(_t(X), tt.tensor(T), weight=object())
    with pytest.raises(ValueError, match=r"^nll_loss: input must have at least 1 dimension"):
        F.nll_loss(_t(1.0), tt.tensor(0))


def test_class_target_shape_errors_name_shapes():
    shapes = r"\(input of shape \(2, 3, 4\), target of shape \(2, 5\)"
    head = r"^nll_loss: expected target size \[2, 4\], got \[2, 5\] "
    with pytest.raises(RuntimeError, match=head + shapes):
        F.nll_loss(_t(np.zeros((2, 3, 4))), tt.tensor(np.zeros((2, 5), np.int64)))
    with pytest.raises(RuntimeError, match=r"^nll_loss: expected target size \[\], got \[2\]"):
        F.nll_loss(_t(np.zeros(5)), tt.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"batch_size \(3\) to match target batch_size \(2\) "
                       r"\(input of shape \(3, 4\), target of shape \(2,\)"):  # fmt: skip
        F.cross_entropy(_t(X), tt.tensor([0, 1]))
    # two bad targets: the message names the first
    with pytest.raises(IndexError, match=r"^cross_entropy: target 7 is out of bounds for 4 "
                       r"classes \(valid: 0\.\.3, or ignore_index=-100\)$"):  # fmt: skip
        F.cross_entropy(_t(X), tt.tensor([0, 7, 9]))
    with pytest.raises(IndexError, match=r"^multi_margin_loss: target 5 is out of bounds for 4 "
                       r"classes \(valid: 0\.\.3\)$"):  # fmt: skip
        F.multi_margin_loss(_t(X), tt.tensor([5, 6, 0]))
    with pytest.raises(RuntimeError, match=r"have shape \(2, 5\)$"):
        F.cross_entropy(_t(np.zeros((2, 3, 5))), tt.tensor(np.zeros((2, 3, 5), np.int64)))
    with pytest.raises(RuntimeError, match=r"have shape \(3,\)$"):
        F.cross_entropy(_t(X), tt.tensor(np.zeros((3, 4), np.int64)))
    with pytest.raises(RuntimeError, match=r"have shape \(\)$"):
        F.cross_entropy(_t(X[0]), tt.tensor(np.zeros(4, np.int64)))


def test_empty_batch_and_single_class_with_ignored_targets():
    empty = F.nll_loss(_t(np.zeros((0, 4))), tt.tensor(np.zeros(0, np.int64)), reduction="sum")
    assert empty.item() == 0.0
    # one class, one ignored target: the ignored entry reads no out-of-range class
    x = _t([[-0.5], [-1.0], [-2.0]])
    t = tt.tensor([0, -100, 0])
    assert F.nll_loss(x, t, weight=_t([2.0])).item() == pytest.approx(1.25)
    assert F.nll_loss(x, t, weight=_t([2.0]), reduction="sum").item() == pytest.approx(5.0)
    assert F.nll_loss(x, t).item() == pytest.approx(1.25)


def test_ignored_target_reads_no_class_and_masked_logits_stay_finite():
    with np.errstate(divide="ignore"):  # log(0) = -inf where the ignored row reads class 1
        logp = np.log(np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]))
    t = tt.tensor([0, -100, 2])
    got = F.nll_loss(_t(logp), t, reduction="none").numpy()
    np.testing.assert_array_equal(got, [-logp[0, 0], 0.0, -logp[2, 2]])
    x = np.array([[1.0, -np.inf, 0.5], [-np.inf, 2.0, 0.0]])
    tt_ = tt.tensor([0, 1])
    want = -(x[0, 0] - np.log(np.exp(1.0) + np.exp(0.5)) + x[1, 1] - np.log(np.exp(2.0) + 1.0))
    for kw in ({}, {"reduction": "sum"}, {"weight": _t([1.0, 1.0, 1.0])}):
        got = F.cross_entropy(_t(x), tt_, **kw).item()
        assert got == pytest.approx(want / (2 if kw.get("reduction") != "sum" else 1))


def test_all_ignored_mean_is_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = F.nll_loss(_t(X), tt.tensor([-100, -100, -100]), weight=_t([1.0, 2.0, 3.0, 4.0]))
        assert np.isnan(got.item())
        got = F.binary_cross_entropy(_t([0.0, 1.0]), _t([1.0, 0.0]), reduction="none")
        np.testing.assert_array_equal(got.numpy(), [100.0, 100.0])
        y = _t([0.5, 0.5], grad=True)
        F.binary_cross_entropy(_t([0.0, 1.0]), y, reduction="sum").backward()
        np.testing.assert_array_equal(y.grad.numpy(), [100.0, -100.0])


def test_dtypes_follow_the_input():
    x32 = tt.tensor(X.astype(np.float32))
    w64 = _t([0.5, 1.0, 2.0, 1.5])
    for kw in ({"reduction": "none"}, {"reduction": "mean"}, {"reduction": "sum"}):
        assert F.nll_loss(x32, tt.tensor(T), weight=w64, **kw).dtype == tt.float32
        assert F.nll_loss(x32, tt.tensor([0, -100, 1]), **kw).dtype == tt.float32
        assert F.cross_entropy(x32, tt.tensor(T), weight=w64, label_smoothing=0.1,
                               **kw).dtype == tt.float32  # fmt: skip
        assert F.cross_entropy(x32, tt.tensor(T), label_smoothing=0.1, **kw).dtype == tt.float32
        assert F.cross_entropy(x32, _t(P), **kw).dtype == tt.float32
        assert F.cross_entropy(x32, _t(P), weight=w64, **kw).dtype == tt.float32
        assert F.multi_margin_loss(x32, tt.tensor(T), weight=w64, **kw).dtype == tt.float32
    xg = tt.tensor(X.astype(np.float32), requires_grad=True)
    F.nll_loss(xg, tt.tensor([0, -100, 1]), weight=w64).backward()
    assert xg.grad.dtype == tt.float32
    v = tt.tensor(X[0].astype(np.float32), requires_grad=True)
    out = F.nll_loss(v, tt.tensor(2), reduction="none")
    assert out.shape == () and out.dtype == tt.float32
    out.backward()
    np.testing.assert_array_equal(v.grad.numpy(), [0, 0, -1, 0])
    # a float64 weight with float64 input stays exact
    got = F.nll_loss(_t(X), tt.tensor(T), weight=tt.tensor([0.5, 1, 2, 1.5], dtype=tt.float32))
    assert got.dtype == tt.float64


def test_soft_targets_weighted_nd_and_1d_mean():
    x = RNG.standard_normal((2, 3, 5))
    p = RNG.uniform(0, 1, x.shape)
    w = np.array([0.2, 1.0, 3.0])
    z = x - x.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    want = -(logp * w[None, :, None] * p).sum(1).mean()
    got = F.cross_entropy(_t(x), _t(p), weight=_t(w)).item()
    assert got == pytest.approx(want)
    v, q = x[0, :, 0], p[0, :, 0]
    want = -(logp[0, :, 0] * q).sum()
    assert F.cross_entropy(_t(v), _t(q)).item() == pytest.approx(want)  # divides by 1


def test_fused_cross_entropy_used_for_the_common_case():
    x = _t(X, grad=True)
    assert F.cross_entropy(x, tt.tensor(T)).grad_fn.name() == "CrossEntropyBackward"


@pytest.mark.parametrize(
    "name, kw, args",
    [
        ("mse_loss", {"weight": _t(np.ones((3, 4)))}, "xt"),
        ("mse_loss", {}, "xt"),
        ("huber_loss", {}, "xt"),
        ("smooth_l1_loss", {}, "xt"),
        ("smooth_l1_loss", {"beta": 0.0}, "xt"),
        ("binary_cross_entropy_with_logits", {}, "xt"),
        ("binary_cross_entropy_with_logits", {"weight": _t(P)}, "w"),
        ("binary_cross_entropy_with_logits", {"pos_weight": _t([1.0, 2, 3, 4])}, "p"),
    ],
)
def test_saved_inputs_are_version_checked(name, kw, args):
    """Changing a saved input in place after the forward pass fails backward, as in PyTorch."""
    targets = []
    for which in args:
        a = _t(X, grad=True)
        x, t = a * 1.0, _t(Y)
        kw2 = {k: (_t(v.numpy()) if k in ("weight", "pos_weight") else v) for k, v in kw.items()}
        out = getattr(F, name)(x, t, **kw2)
        victim = {"x": x, "t": t, "w": kw2.get("weight"), "p": kw2.get("pos_weight")}[which]
        victim.mul_(0.5)
        with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
            out.backward()
        targets.append(which)
    assert targets == list(args)


@pytest.mark.parametrize(
    "name, kw, node",
    [
        ("mse_loss", {"weight": _t(np.ones((3, 4)))}, "MseLoss"),
        ("smooth_l1_loss", {"beta": 0.0}, "SmoothL1Loss"),
        ("binary_cross_entropy_with_logits", {}, "BinaryCrossEntropyWithLogits"),
    ],
)
def test_composite_node_names(name, kw, node):
    out = getattr(F, name)(_t(X, grad=True), _t(Y), **kw)
    assert out.grad_fn.name() == f"{node}Backward"


def test_margin_and_kl_errors_name_op():
    y = tt.tensor(np.where(Y > 0.5, 1, -1))
    for name, call in [
        ("hinge_embedding_loss", lambda x, **k: F.hinge_embedding_loss(x, y, **k)),
        ("multi_margin_loss", lambda x, **k: F.multi_margin_loss(x, tt.tensor(T), **k)),
        ("kl_div", lambda x, **k: F.kl_div(x, _t(P), **k)),
    ]:
        with pytest.raises(ValueError, match=rf"^{name}: reduction must be"):
            call(_t(X), reduction="avg")
        with pytest.raises(TypeError, match=rf"^{name}: expected a floating point input"):
            call(tt.tensor(np.zeros((3, 4), np.int64)))
    with pytest.raises(TypeError, match=r"^hinge_embedding_loss: expected a Tensor or a number"):
        F.hinge_embedding_loss(_t(X), object())
    with pytest.raises(ValueError, match=r"^hinge_embedding_loss: input \(3, 4\) and target "
                       r"\(4,\) must have the same shape$"):  # fmt: skip
        F.hinge_embedding_loss(_t(X), tt.tensor([1, -1, 1, 1]))
    with pytest.raises(TypeError, match=r"^kl_div: expected a floating point target, got dtype"):
        F.kl_div(_t(X), tt.tensor(np.ones((3, 4), np.int64)))
    with pytest.raises(RuntimeError, match=r"^kl_div: input of shape \(3, 4\) and target of "
                       r"shape \(3,\) do not broadcast together$"):  # fmt: skip
        F.kl_div(_t(X), _t([0.1, 0.2, 0.7]))


def test_kl_div_zero_targets_take_no_log_of_zero():
    p = _t([[0.0, 0.25, 0.75], [0.5, 0.0, 0.5]])
    x = _t(np.log([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]]), grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.kl_div(x, p, reduction="sum")
        out.backward()
    assert np.isfinite(out.item())
    np.testing.assert_array_equal(x.grad.numpy(), -p.numpy())


def test_multi_margin_saves_and_node_name():
    w = _t([1.0, 2.0, 0.5, 1.5])
    a = _t(X, grad=True)
    out = F.multi_margin_loss(a * 1.0, tt.tensor(T), weight=w)
    assert out.grad_fn.name() == "MultiMarginLossBackward"
    w.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
        out.backward()
    x = a * 1.0
    out = F.multi_margin_loss(x, tt.tensor(T), p=2)
    x.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
        out.backward()
    t = tt.tensor(T)
    out = F.multi_margin_loss(a * 1.0, t)
    t.add_(0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
        out.backward()


def test_bce_range_error_points_to_the_logits_form():
    with pytest.raises(RuntimeError, match=r"^binary_cross_entropy: all elements of input "
                       r"should be between 0 and 1 \(probabilities\); for logits use "
                       r"binary_cross_entropy_with_logits$"):  # fmt: skip
        F.binary_cross_entropy(_t([0.5, 1.5]), _t([1.0, 0.0]))


def test_kl_div_target_gradient_is_zero_where_the_target_is():
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]]))
    p = np.array([[0.0, 0.25, 0.75], [0.5, 0.0, 0.5]])
    pt = _t(p, grad=True)
    F.kl_div(_t(x), pt, reduction="sum").backward()
    with np.errstate(divide="ignore"):
        want = np.where(p > 0, np.log(p) + 1 - x, 0.0)
    np.testing.assert_allclose(pt.grad.numpy(), want, rtol=1e-12)


def test_cross_entropy_target_messages():
    with pytest.raises(RuntimeError, match=r"for class probabilities pass a float target with "
                       r"the input's shape$"):  # fmt: skip
        F.cross_entropy(_t(X), _t([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"^cross_entropy: weight must have shape \(4,\)"):
        F.cross_entropy(_t(X), _t(P), weight=_t([1.0, 2.0]))
