"""Conv1d/2d/3d, ConvTranspose1d/2d/3d, Fold/Unfold: PyTorch agreement from the same weights in
float64 (output, input and parameter gradients, train and eval), gradcheck of each functional,
the adjoint identity <conv(x), y> == <x, conv_transpose(y)>, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck, gradgradcheck

F = tt.nn.functional


def compare_layer(ours, ref, x, *extra, rtol=1e-10, atol=1e-10, out_index=None):
    """Same state dict, same float64 input: outputs, input grad and parameter grads agree, in
    train and in eval mode; reprs agree. ``extra`` arguments that are arrays become each
    library's tensors."""
    import torch

    ref, ours = ref.double(), ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for train in (True, False):
        ours.train(train)
        ref.train(train)
        ours.zero_grad()
        ref.zero_grad()
        a = tt.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        mine = [tt.tensor(e) if isinstance(e, np.ndarray) else e for e in extra]
        theirs = [torch.tensor(e) if isinstance(e, np.ndarray) else e for e in extra]
        out, want = ours(a, *mine), ref(b, *theirs)
        if out_index is not None:
            out, want = out[out_index], want[out_index]
        np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol, atol)
        g = np.random.default_rng(1).standard_normal(tuple(want.shape))
        out.backward(tt.tensor(g))
        want.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol, atol, err_msg="input")
        for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol, atol, err_msg=name)


# (layer, in shape, constructor args): stride, padding, dilation, groups, padding modes
CONV_LAYERS = {
    "conv1d": ("Conv1d", (2, 4, 11), (4, 6, 3), {}),
    "conv1d-stride-pad-dil-groups": (
        "Conv1d",
        (2, 4, 13),
        (4, 6, 3),
        dict(stride=2, padding=2, dilation=2, groups=2),
    ),
    "conv1d-same-reflect": (
        "Conv1d",
        (2, 3, 9),
        (3, 2, 4),
        dict(padding="same", padding_mode="reflect"),
    ),
    "conv1d-circular-nobias": (
        "Conv1d",
        (1, 2, 8),
        (2, 3, 3),
        dict(padding=2, padding_mode="circular", bias=False),
    ),
    "conv2d-replicate": (
        "Conv2d",
        (2, 3, 7, 6),
        (3, 4, 3),
        dict(padding=(1, 2), padding_mode="replicate"),
    ),
    "conv2d-same-dilated": (
        "Conv2d",
        (1, 2, 7, 7),
        (2, 2, (2, 3)),
        dict(padding="same", dilation=2),
    ),
    "conv3d": ("Conv3d", (2, 2, 5, 6, 4), (2, 3, 3), {}),
    "conv3d-stride-pad-groups": (
        "Conv3d",
        (1, 4, 6, 5, 5),
        (4, 2, (3, 2, 3)),
        dict(stride=(2, 1, 2), padding=1, groups=2),
    ),
    "conv3d-valid-zeros-dilated": (
        "Conv3d",
        (1, 2, 7, 7, 7),
        (2, 2, 2),
        dict(padding="valid", dilation=(1, 2, 3)),
    ),
    "conv3d-circular": (
        "Conv3d",
        (1, 1, 4, 4, 4),
        (1, 2, 3),
        dict(padding=1, padding_mode="circular"),
    ),
    "convT1d": ("ConvTranspose1d", (2, 4, 7), (4, 3, 3), {}),
    "convT1d-stride-outpad-groups": (
        "ConvTranspose1d",
        (2, 4, 6),
        (4, 6, 4),
        dict(stride=3, padding=1, output_padding=2, groups=2),
    ),
    "convT2d": (
        "ConvTranspose2d",
        (2, 3, 5, 4),
        (3, 2, 3),
        dict(stride=2, padding=1, output_padding=1),
    ),
    "convT2d-dilated-groups": (
        "ConvTranspose2d",
        (1, 4, 4, 5),
        (4, 4, (2, 3)),
        dict(dilation=(2, 1), groups=4, bias=False),
    ),
    "convT3d": (
        "ConvTranspose3d",
        (1, 2, 3, 4, 3),
        (2, 2, 3),
        dict(stride=(1, 2, 2), padding=(0, 1, 1)),
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", list(CONV_LAYERS), ids=list(CONV_LAYERS))
def test_conv_layers_match_torch(case):
    torch = pytest.importorskip("torch")
    name, shape, args, kwargs = CONV_LAYERS[case]
    x = np.random.default_rng(0).standard_normal(shape)
    compare_layer(
        getattr(tt.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs), x
    )


@pytest.mark.torch
def test_conv_transpose_output_size_matches_torch():
    torch = pytest.importorskip("torch")
    ours, ref = (
        tt.nn.ConvTranspose2d(2, 3, 3, stride=2),
        torch.nn.ConvTranspose2d(2, 3, 3, stride=2),
    )
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    compare_layer(ours, ref, x, [10, 10])
    with pytest.raises(ValueError, match="valid sizes"):
        ours(tt.tensor(x), [12, 12])


@pytest.mark.torch
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_default_init_and_unbatched_match_torch(nd):
    torch = pytest.importorskip("torch")
    for name in (f"Conv{nd}d", f"ConvTranspose{nd}d"):
        ours, ref = getattr(tt.nn, name)(4, 6, 3), getattr(torch.nn, name)(4, 6, 3)
        bound = 1 / np.sqrt((4 if "T" not in name else 6) * 3**nd)
        assert np.abs(ours.weight.detach().numpy()).max() <= bound + 1e-7
        assert ours.weight.shape == tuple(ref.weight.shape)
        x = np.random.default_rng(0).standard_normal((4, *(5,) * nd))
        ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
        np.testing.assert_allclose(
            ours(tt.tensor(x, dtype=tt.float32)).detach().numpy(),
            ref(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
            rtol=1e-5,
            atol=1e-5,
        )


# functional, input shape, weight shape, kwargs
FUNCTIONALS = {
    "conv1d": (F.conv1d, (1, 4, 7), (2, 2, 3), dict(stride=2, padding=1, groups=2)),
    "conv3d": (
        F.conv3d,
        (1, 2, 4, 3, 4),
        (2, 1, 2, 2, 2),
        dict(padding=1, dilation=(1, 1, 2), groups=2),
    ),
    "conv_transpose1d": (
        F.conv_transpose1d,
        (1, 2, 4),
        (2, 3, 3),
        dict(stride=2, output_padding=1),
    ),
    "conv_transpose2d": (
        F.conv_transpose2d,
        (1, 2, 3, 3),
        (2, 2, 2, 3),
        dict(stride=2, padding=1, dilation=2, groups=2),
    ),
    "conv_transpose3d": (
        F.conv_transpose3d,
        (1, 2, 2, 3, 2),
        (2, 1, 2, 2, 2),
        dict(stride=(2, 1, 2)),
    ),
}


@pytest.mark.parametrize("name", list(FUNCTIONALS), ids=list(FUNCTIONALS))
def test_conv_functionals_gradcheck_first_and_second_order(name):
    fn, xs, ws, kw = FUNCTIONALS[name]
    x = tt.randn(*xs, dtype=tt.float64, requires_grad=True)
    w = tt.randn(*ws, dtype=tt.float64, requires_grad=True)
    cout = ws[0] if "transpose" not in name else ws[1] * kw.get("groups", 1)
    b = tt.randn(cout, dtype=tt.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: fn(x, w, b, **kw), (x, w, b))
    assert gradgradcheck(lambda x, w, b: fn(x, w, b, **kw), (x, w, b))


@pytest.mark.torch
@pytest.mark.parametrize("name", list(FUNCTIONALS), ids=list(FUNCTIONALS))
def test_conv_functionals_match_torch_unbatched(name):
    torch = pytest.importorskip("torch")
    fn, xs, ws, kw = FUNCTIONALS[name]
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(xs[1:]), rng.standard_normal(ws)
    ref = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(w), **kw)
    np.testing.assert_allclose(fn(tt.tensor(x), tt.tensor(w), **kw).numpy(), ref.numpy(), 1e-10)


# nd, stride, padding, dilation, groups, kernel
ADJOINT = [
    (1, 1, 0, 1, 1, 3),
    (1, 3, 2, 2, 2, 4),
    (2, 2, 1, 1, 1, 3),
    (2, (2, 3), (1, 0), (1, 2), 3, (3, 2)),
    (3, 2, 1, 1, 1, 2),
    (3, (1, 2, 3), (0, 1, 1), (2, 1, 1), 2, 3),
]


@pytest.mark.parametrize("nd,s,p,d,g,k", ADJOINT)
def test_conv_transpose_is_the_adjoint_of_conv(nd, s, p, d, g, k):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for random x, y: the transposed
    convolution is the adjoint of the convolution with the same weight and geometry."""
    rng = np.random.default_rng(nd * 10 + g)
    conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    convt = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
    k = (k,) * nd if isinstance(k, int) else k
    x = tt.tensor(rng.standard_normal((2, 2 * g, *(9 - nd,) * nd)))
    w = tt.tensor(rng.standard_normal((3 * g, 2, *k)))
    y_shape = conv(x, w, None, s, p, d, g).shape
    y = tt.tensor(rng.standard_normal(y_shape))
    # output_padding restores the input size when the stride dropped trailing rows
    xt = convt(y, w, None, s, p, 0, g, d)
    op = tuple(a - b for a, b in zip(x.shape[2:], xt.shape[2:]))
    xt = convt(y, w, None, s, p, op, g, d)
    assert xt.shape == x.shape
    lhs = float((conv(x, w, None, s, p, d, g) * y).sum())
    rhs = float((x * xt).sum())
    assert lhs == pytest.approx(rhs, rel=1e-10)


def test_conv1d_equals_a_numpy_loop_oracle():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 10)), rng.standard_normal((4, 3, 3))
    out = F.conv1d(tt.tensor(x), tt.tensor(w), stride=2, dilation=2).numpy()
    ref = np.stack(
        [np.einsum("nck,ock->no", x[:, :, i : i + 5 : 2], w) for i in range(0, 10 - 4, 2)], -1
    )
    np.testing.assert_allclose(out, ref, rtol=1e-12)


@pytest.mark.torch
def test_fold_unfold_layers_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 5))
    compare_layer(tt.nn.Unfold(2, 1, 1, 2), torch.nn.Unfold(2, 1, 1, 2), x)
    cols = np.random.default_rng(6).standard_normal((2, 12, 10))
    compare_layer(tt.nn.Fold((4, 5), 2, padding=(1, 0), stride=(1, 2)),
                  torch.nn.Fold((4, 5), 2, padding=(1, 0), stride=(1, 2)), cols)  # fmt: skip


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: tt.nn.Conv1d(3, 4, 3, groups=2), ValueError, "divisible by groups"),
        (lambda: tt.nn.Conv3d(2, 4, 3, padding="same", stride=2), ValueError, "strided"),
        (lambda: tt.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"), ValueError, "zeros"),
        (lambda: tt.nn.Conv2d(2, 2, 3, padding_mode="mirror"), ValueError, "padding_mode"),
        (lambda: F.conv1d(tt.randn(1, 2, 5), tt.randn(3, 2, 3, 3)), RuntimeError, "3-D"),
        (
            lambda: F.conv3d(tt.randn(1, 3, 4, 4, 4), tt.randn(2, 2, 2, 2, 2)),
            RuntimeError,
            "channels",
        ),
        (
            lambda: F.conv_transpose2d(tt.randn(1, 3, 4, 4), tt.randn(2, 2, 2, 2)),
            RuntimeError,
            "channels",
        ),
        (
            lambda: F.conv_transpose1d(
                tt.randn(1, 2, 4), tt.randn(2, 2, 3), stride=2, output_padding=2
            ),
            RuntimeError,
            "output_padding",
        ),
        (
            lambda: F.conv1d(tt.randn(1, 2, 2), tt.randn(2, 2, 3)),
            RuntimeError,
            "larger than the padded",
        ),
    ],
    ids=[
        "groups",
        "same-strided",
        "transpose-mode",
        "bad-mode",
        "weight-dims",
        "channels",
        "transpose-channels",
        "output-padding",
        "kernel-too-big",
    ],
)
def test_conv_errors_name_the_op_and_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()
