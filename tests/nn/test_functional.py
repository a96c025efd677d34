"""Activations, softmax, linear, dropout, normalisation, embedding and one_hot: PyTorch
agreement, numerical gradients (hypothesis over shapes via tinytensor.testing.strategies)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt
from nn.helpers import compare_with_torch
from tinytensor.testing import gradcheck, gradgradcheck
from tinytensor.testing import strategies as tst

F = tt.nn.functional

# name, kwargs, whether it has a kink at 0 (gradcheck inputs are kept away from it)
ACTIVATIONS = [
    ("relu", {}, True),
    ("relu6", {}, True),
    ("hardtanh", {"min_val": -0.5, "max_val": 0.7}, True),
    ("leaky_relu", {"negative_slope": 0.2}, True),
    ("elu", {"alpha": 0.7}, True),
    ("selu", {}, True),
    ("gelu", {}, False),
    ("gelu", {"approximate": "tanh"}, False),
    ("silu", {}, False),
    ("mish", {}, False),
    ("softplus", {"beta": 2.0, "threshold": 5.0}, True),
    ("logsigmoid", {}, False),
    ("softsign", {}, True),
    ("sigmoid", {}, False),
    ("tanh", {}, False),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,kw,kink", ACTIVATIONS)
def test_activation_matches_torch(name, kw, kink):
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(0).standard_normal((3, 4, 5)) * 3).astype(np.float32)
    x[0, 0, :3] = [30.0, -30.0, 0.5]  # large magnitudes, threshold regions
    compare_with_torch(
        lambda x: getattr(F, name)(x, **kw),
        lambda x: getattr(torch.nn.functional, name)(x, **kw),
        [x],
    )


@pytest.mark.parametrize("name,kw,kink", ACTIVATIONS)
@given(x=tst.tensors(shape=tst.shapes(min_dims=1, max_dims=3), min_value=-4, max_value=4))
def test_activation_gradients_first_and_second_order(name, kw, kink, x):
    if kink:  # keep finite differences off the kinks (0, and the clamp edges)
        d = x.numpy()
        d[np.abs(d) < 1e-2] = 0.3
        for edge in (-0.5, 0.7, 2.5, 6.0):
            d[np.abs(d - edge) < 1e-2] += 0.05
    x.requires_grad_(True)
    assert gradcheck(lambda x: getattr(F, name)(x, **kw), (x,))
    assert gradgradcheck(lambda x: getattr(F, name)(x, **kw), (x,))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh"])
def test_inplace_activations_change_the_input_and_keep_gradients(name):
    x = tt.randn(3, 4, requires_grad=True)
    y = x * 1.0
    expected = getattr(F, name)(y).detach().numpy().copy()
    out = getattr(F, name)(y, inplace=True)
    assert out is y
    np.testing.assert_allclose(y.detach().numpy(), expected)
    y.sum().backward()
    assert x.grad is not None and x.grad.shape == (3, 4)


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@given(data=st.data(), x=tst.tensors(shape=tst.shapes(min_dims=1, max_dims=3), dtype=tt.float32))
def test_softmax_family_matches_torch_on_every_dim(fn, data, x):
    torch = pytest.importorskip("torch")
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    compare_with_torch(
        lambda x: getattr(F, fn)(x, dim),
        lambda x: getattr(torch.nn.functional, fn)(x, dim),
        [x.numpy()],
        atol=1e-5,
    )


def test_softmax_is_stable_and_twice_differentiable():
    x = tt.tensor([[1000.0, 0.0, -1000.0]])
    assert np.isfinite(F.softmax(x, 1).numpy()).all()
    assert np.isfinite(F.log_softmax(x, 1).numpy()).all()
    x = tt.randn(2, 4, dtype=tt.float64, requires_grad=True)
    assert gradgradcheck(lambda x: F.log_softmax(x, 1), (x,))
    assert gradgradcheck(lambda x: F.softmax(x, 0), (x,))


def test_softmax_without_dim_warns_and_uses_torchs_implicit_dim():
    x = tt.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.numpy(), F.softmax(x, 1).numpy())


@pytest.mark.torch
@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(x_shape, bias):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1)
    arrs = [r.standard_normal(x_shape), r.standard_normal((4, 3))] + (
        [r.standard_normal(4)] if bias else []
    )
    arrs = [a.astype(np.float32) for a in arrs]
    compare_with_torch(F.linear, torch.nn.functional.linear, arrs)
    x, w = (tt.tensor(a.astype(np.float64), requires_grad=True) for a in arrs[:2])
    assert gradgradcheck(lambda x, w: F.linear(x, w), (x, w))


def test_linear_shape_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 5\).*\(4, 3\)"):
        F.linear(tt.randn(2, 5), tt.randn(4, 3))


@pytest.mark.torch
def test_bilinear_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(2)
    arrs = [r.standard_normal(s).astype(np.float32) for s in [(3, 4), (3, 5), (2, 4, 5), (2,)]]
    compare_with_torch(F.bilinear, torch.nn.functional.bilinear, arrs)


def test_dropout_statistics_scaling_and_eval():
    tt.manual_seed(3)
    x = tt.ones(200, 200, requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)  # same mask
    assert F.dropout(x, 0.3, training=False) is x
    assert (F.dropout(x, 1.0).detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_is_reproducible_under_manual_seed():
    tt.manual_seed(7)
    a = F.dropout(tt.ones(50), 0.5).numpy()
    tt.manual_seed(7)
    b = F.dropout(tt.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout2d_drops_whole_channels():
    y = F.dropout2d(tt.ones(4, 8, 3, 3), 0.5).numpy()
    per_channel = y.reshape(4, 8, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_matches_torch_including_running_stats(training, shape):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(4)
    x = r.standard_normal(shape).astype(np.float32) * 2 + 1
    w, b = r.standard_normal(3).astype(np.float32), r.standard_normal(3).astype(np.float32)
    rm, rv = r.standard_normal(3).astype(np.float32), r.uniform(0.5, 2, 3).astype(np.float32)
    ours_rm, ours_rv = tt.tensor(rm), tt.tensor(rv)
    ref_rm, ref_rv = torch.tensor(rm), torch.tensor(rv)
    compare_with_torch(
        lambda x, w, b: F.batch_norm(x, ours_rm, ours_rv, w, b, training, 0.2, 1e-3),
        lambda x, w, b: torch.nn.functional.batch_norm(
            x, ref_rm, ref_rv, w, b, training, 0.2, 1e-3
        ),
        [x, w, b],
    )
    np.testing.assert_allclose(ours_rm.numpy(), ref_rm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_rv.numpy(), ref_rv.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_gradcheck_and_single_value_error():
    x = tt.randn(4, 3, 2, dtype=tt.float64, requires_grad=True)
    w = tt.randn(3, dtype=tt.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.batch_norm(x, None, None, w, None, True), (x, w))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(tt.randn(1, 3), None, None, training=True)


@pytest.mark.torch
@pytest.mark.parametrize("norm_shape", [(5,), (4, 5)])
def test_layer_norm_matches_torch(norm_shape):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    arrs = [r.standard_normal(s).astype(np.float32) for s in [(3, 4, 5), norm_shape, norm_shape]]
    compare_with_torch(
        lambda x, w, b: F.layer_norm(x, norm_shape, w, b, 1e-4),
        lambda x, w, b: torch.nn.functional.layer_norm(x, norm_shape, w, b, 1e-4),
        arrs,
    )
    x = tt.randn(2, *norm_shape, dtype=tt.float64, requires_grad=True)
    assert gradgradcheck(lambda x: F.layer_norm(x, norm_shape), (x,))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(tt.randn(3, 4), (5,))


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_first_and_second_derivatives_numerically(affine):
    # First order runs one fused kernel from the saved statistics; create_graph runs the
    # composite of ops (so it differentiates again): gradcheck sees the one, gradgradcheck both.
    r = np.random.default_rng(6)
    x = tt.tensor(r.standard_normal((3, 4, 5)), requires_grad=True)
    w = tt.tensor(r.standard_normal((4, 5)), requires_grad=True) if affine else None
    b = tt.tensor(r.standard_normal((4, 5)), requires_grad=True) if affine else None
    args = (x, w, b) if affine else (x,)

    def f(x, w=None, b=None):
        return F.layer_norm(x, (4, 5), w, b, 1e-3)

    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


@pytest.mark.torch
def test_group_norm_and_normalize_match_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(6)
    arrs = [r.standard_normal(s).astype(np.float32) for s in [(2, 6, 3, 3), (6,), (6,)]]
    compare_with_torch(
        lambda x, w, b: F.group_norm(x, 3, w, b),
        lambda x, w, b: torch.nn.functional.group_norm(x, 3, w, b),
        arrs,
    )
    compare_with_torch(
        lambda x: F.normalize(x, 2.0, 1),
        lambda x: torch.nn.functional.normalize(x, 2.0, 1),
        arrs[:1],
    )


@pytest.mark.torch
@pytest.mark.parametrize("padding_idx", [None, 1])
@pytest.mark.parametrize("scale", [False, True])
def test_embedding_matches_torch_with_repeated_indices(padding_idx, scale):
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(7).standard_normal((6, 3)).astype(np.float32)
    idx = np.array([[1, 2, 1], [5, 1, 0]])
    compare_with_torch(
        lambda w: F.embedding(tt.tensor(idx), w, padding_idx, scale_grad_by_freq=scale),
        lambda w: torch.nn.functional.embedding(
            torch.tensor(idx), w, padding_idx, scale_grad_by_freq=scale
        ),
        [w],
    )


@pytest.mark.torch
def test_embedding_max_norm_renormalises_like_torch():
    torch = pytest.importorskip("torch")
    w = (np.random.default_rng(8).standard_normal((5, 4)) * 3).astype(np.float32)
    ours, ref = tt.tensor(w.copy()), torch.tensor(w.copy())
    idx = np.array([0, 2, 2])
    out = F.embedding(tt.tensor(idx), ours, max_norm=1.0)
    expected = torch.nn.functional.embedding(torch.tensor(idx), ref, max_norm=1.0)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5)


def test_embedding_errors():
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(tt.tensor([0, 6]), tt.randn(6, 2))
    with pytest.raises(TypeError, match="integer"):
        F.embedding(tt.tensor([0.0]), tt.randn(6, 2))


@pytest.mark.torch
def test_one_hot_matches_torch_and_validates():
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(
        F.one_hot(tt.tensor(idx), 5).numpy(), torch.nn.functional.one_hot(torch.tensor(idx), 5)
    )
    assert F.one_hot(tt.tensor(idx)).shape == (2, 2, 4)
    assert F.one_hot(tt.tensor(idx)).dtype == tt.int64
    with pytest.raises(RuntimeError, match="class values"):
        F.one_hot(tt.tensor([0, 5]), 3)


# --- In-place change after the forward pass (issue #10): activation, linear, conv, pooling and
# dropout functionals save what PyTorch 2.13 saves. One row per tensor argument (and per tensor
# returned beside the output): it is changed in place after the forward pass, then backward
# runs. Changing a saved tensor raises RuntimeError; changing one that was not saved leaves the
# gradient as it was. PyTorch is the oracle of the first test; the second asserts the recorded
# outcome without it.

_X = ((3, 4), True)
_IMG = ((2, 3, 5, 5), True)


def _no_grad(shape):
    return (shape, False)


# id, call(F, *tensors), tensor arguments (shape, requires_grad), slot changed (an argument's
# position, or "indices" for the indices max_pool2d returns), whether backward then raises
INPLACE_ROWS = [
    ("hardtanh-input", lambda F, x: F.hardtanh(x, -0.5, 0.5), [_X], 0, True),
    ("relu6-input", lambda F, x: F.relu6(x * 4), [_X], 0, False),  # x*4 saves no x
    ("relu6-input-direct", lambda F, x: F.relu6(x), [_X], 0, True),
    ("leaky_relu-input", lambda F, x: F.leaky_relu(x, 0.2), [_X], 0, True),
    ("elu-input", lambda F, x: F.elu(x, 0.7), [_X], 0, True),
    ("selu-input", lambda F, x: F.selu(x), [_X], 0, True),
    ("gelu-input", lambda F, x: F.gelu(x), [_X], 0, True),
    ("gelu_tanh-input", lambda F, x: F.gelu(x, approximate="tanh"), [_X], 0, True),
    ("silu-input", lambda F, x: F.silu(x), [_X], 0, True),
    ("mish-input", lambda F, x: F.mish(x), [_X], 0, True),
    ("softplus-input", lambda F, x: F.softplus(x, 2.0, 1.0), [_X], 0, True),
    ("logsigmoid-input", lambda F, x: F.logsigmoid(x), [_X], 0, True),
    ("softsign-input", lambda F, x: F.softsign(x), [_X], 0, True),
    ("softmax-input", lambda F, x: F.softmax(x, 1), [_X], 0, False),  # saves its output
    ("log_softmax-input", lambda F, x: F.log_softmax(x, 0), [_X], 0, False),
    ("softmin-input", lambda F, x: F.softmin(x, 1), [_X], 0, False),
    *[
        (f"linear{tag}-{slot}", lambda F, x, w, b: F.linear(x, w, b), args, i, raises)
        for tag, args, raises_by_slot in [
            ("", [((5, 3), True), ((4, 3), True), ((4,), True)], (True, True, False)),
            ("_3d", [((2, 5, 3), True), ((4, 3), True), ((4,), True)], (True, True, False)),
            # x is saved for dW only and W for dx only (as addmm)
            ("_input_grad_only", [((5, 3), True), _no_grad((4, 3)), _no_grad((4,))],
             (False, True, False)),
            ("_weight_grad_only", [_no_grad((5, 3)), ((4, 3), True), _no_grad((4,))],
             (True, False, False)),
        ]
        for i, (slot, raises) in enumerate(zip(("input", "weight", "bias"), raises_by_slot))
    ],
    *[
        (f"bilinear-{slot}", lambda F, a, b, w, c: F.bilinear(a, b, w, c),
         [((5, 3), True), ((5, 2), True), ((4, 3, 2), True), ((4,), True)], i, i < 3)
        for i, slot in enumerate(("input1", "input2", "weight", "bias"))
    ],
    *[
        (f"conv2d{tag}-{slot}", lambda F, x, w, b: F.conv2d(x, w, b, padding=1), args, i, i < 2)
        for tag, args in [
            ("", [_IMG, ((4, 3, 3, 3), True), ((4,), True)]),
            # input and weight are saved whatever needs a gradient, as PyTorch's convolution
            ("_input_no_grad", [_no_grad((2, 3, 5, 5)), ((4, 3, 3, 3), True), ((4,), True)]),
            ("_weight_no_grad", [_IMG, _no_grad((4, 3, 3, 3)), _no_grad((4,))]),
        ]
        for i, slot in enumerate(("input", "weight", "bias"))
    ],
    ("conv2d_unbatched-input", lambda F, x, w: F.conv2d(x, w, stride=2),
     [((3, 6, 6), True), ((4, 3, 3, 3), True)], 0, True),
    # odd 'same' padding convolves a padded copy, so the input itself is not saved
    ("conv2d_same-input", lambda F, x, w: F.conv2d(x, w, padding="same"),
     [_IMG, ((4, 3, 2, 2), True)], 0, False),
    ("unfold-input", lambda F, x: F.unfold(x, 2, padding=1), [_IMG], 0, False),
    ("fold-input", lambda F, x: F.fold(x, (4, 4), 2), [((2, 12, 9), True)], 0, False),
    ("max_pool2d-input", lambda F, x: F.max_pool2d(x, 3, 1, 1), [_IMG], 0, True),
    ("max_pool2d_unbatched-input", lambda F, x: F.max_pool2d(x, 2), [((3, 4, 4), True)], 0,
     True),
    ("max_pool2d-indices", lambda F, x: F.max_pool2d(x, 2, return_indices=True), [_IMG],
     "indices", True),
    ("avg_pool2d-input", lambda F, x: F.avg_pool2d(x, 3, 2, 1), [_IMG], 0, True),
    ("adaptive_avg_pool2d-input", lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), [_IMG], 0,
     True),
    # output size 1 is a mean, which saves nothing
    ("adaptive_avg_pool2d_1x1-input", lambda F, x: F.adaptive_avg_pool2d(x, 1), [_IMG], 0, False),
    ("dropout-input", lambda F, x: F.dropout(x, 0.5), [_X], 0, False),  # saves only its mask
    ("dropout2d-input", lambda F, x: F.dropout2d(x, 0.5), [_IMG], 0, False),
]  # fmt: skip
_RANDOM = {"dropout-input", "dropout2d-input"}  # different masks: compare outcomes only


def _inplace_after_forward(lib, fn, args, slot):
    """Forward, change ``slot`` in place, backward of a weighted sum: ('raise', error class)
    or ('ok', gradients)."""
    rng = np.random.default_rng(0)
    ts = [lib.tensor(rng.standard_normal(s), requires_grad=g) for s, g in args]
    lib.manual_seed(0)
    out = fn(lib.nn.functional, *ts)
    out, changed = (out[0], out[1]) if slot == "indices" else (out, ts[slot])
    with lib.no_grad():
        changed.add_(1)
    weights = lib.tensor(np.linspace(-1.0, 1.0, out.numel()).reshape(tuple(out.shape)))
    try:
        (out * weights).sum().backward()
    except RuntimeError as e:
        return "raise", type(e)
    return "ok", [None if t.grad is None else t.grad.numpy() for t in ts]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("fn,args,slot", [pytest.param(*r[1:4], id=r[0]) for r in INPLACE_ROWS])
def test_inplace_change_after_forward_matches_torch(request, fn, args, slot):
    torch = pytest.importorskip("torch")
    want = _inplace_after_forward(torch, fn, args, slot)
    got = _inplace_after_forward(tt, fn, args, slot)
    assert got[0] == want[0]
    if got[0] == "raise":
        assert got[1] is want[1]
    elif request.node.callspec.id not in _RANDOM:
        for ours, ref in zip(got[1], want[1]):
            assert (ours is None) == (ref is None)
            if ref is not None:
                np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize(
    "fn,args,slot,raises", [pytest.param(*r[1:], id=r[0]) for r in INPLACE_ROWS]
)
def test_inplace_change_after_forward_raises_only_for_saved_tensors(fn, args, slot, raises):
    outcome = _inplace_after_forward(tt, fn, args, slot)
    assert outcome[0] == ("raise" if raises else "ok")


# --- In-place change after the forward pass (issue #10): embedding (sparse.py) ------------------


def _embedding_then_change(lib, victim_name, **kwargs):
    weight = lib.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    indices = lib.tensor([[0, 1], [4, 1]])
    out = lib.nn.functional.embedding(indices, weight, **kwargs)
    victim = indices if victim_name == "indices" else weight
    with lib.no_grad():
        victim.copy_(victim.clone())
    return out, weight


EMBEDDING_INPLACE = {
    "indices": ("indices", {}, True),
    "indices-padding-freq": ("indices", {"padding_idx": 1, "scale_grad_by_freq": True}, True),
    "weight": ("weight", {}, False),  # PyTorch saves only the indices
}


@pytest.mark.parametrize("case", EMBEDDING_INPLACE)
def test_embedding_changed_in_place_after_forward_raises_only_for_indices(case):
    victim, kwargs, raises = EMBEDDING_INPLACE[case]
    out, weight = _embedding_then_change(tt, victim, **kwargs)
    if raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
    else:
        out.sum().backward()
        assert weight.grad.tolist() == [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]


@pytest.mark.torch
@pytest.mark.parametrize("case", EMBEDDING_INPLACE)
def test_embedding_changed_in_place_after_forward_matches_torch(case):
    torch = pytest.importorskip("torch")
    victim, kwargs, raises = EMBEDDING_INPLACE[case]
    out, _ = _embedding_then_change(torch, victim, **kwargs)
    if raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
    else:
        out.sum().backward()


@pytest.mark.parametrize("name", ["elu", "selu", "leaky_relu", "hardtanh", "relu6", "silu"])
def test_inplace_activation_gives_the_out_of_place_value_and_gradient(name):
    x = tt.tensor(np.linspace(-3.0, 3.0, 12).reshape(3, 4), requires_grad=True)
    weights = tt.tensor(np.linspace(-1.0, 1.0, 12).reshape(3, 4))
    (expected,) = tt.autograd.grad((getattr(F, name)(x) * weights).sum(), x)
    y = x * 1.0
    out = getattr(F, name)(y, inplace=True)
    assert out is y  # selu used to leave elu(x) in y and return a new, scaled tensor
    np.testing.assert_allclose(y.detach().numpy(), getattr(F, name)(x).detach().numpy())
    (y * weights).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected.numpy(), rtol=1e-12)
