"""Every layer against PyTorch: constructor defaults, parameter names and shapes, default
initialisation, repr, and outputs/gradients after loading PyTorch's state dict."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
from nn.helpers import load_torch_state

nn = tt.nn

# (class name, positional args, kwargs, input shape or "idx" for integer input)
LAYERS = [
    ("Linear", (5, 3), {}, (4, 5)),
    ("Linear", (5, 3), {"bias": False}, (2, 6, 5)),
    ("Bilinear", (3, 4, 2), {}, None),
    ("Conv2d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 7, 7)),
    ("Conv2d", (4, 6, (3, 2)), {"groups": 2, "dilation": 2, "bias": False}, (1, 4, 8, 8)),
    ("Conv2d", (2, 2, 3), {"padding": "same", "padding_mode": "reflect"}, (1, 2, 5, 5)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 2, 7, 7)),
    ("AvgPool2d", (2,), {"count_include_pad": False, "padding": 1}, (2, 2, 5, 5)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 2, 7, 8)),
    ("Flatten", (), {}, (2, 3, 4)),
    ("Flatten", (0, 1), {}, (2, 3, 4)),
    ("Unflatten", (1, (2, 3)), {}, (4, 6)),
    ("Identity", (), {}, (3, 2)),
    ("ReLU", (), {}, (3, 4)),
    ("LeakyReLU", (0.2,), {}, (3, 4)),
    ("ELU", (), {"alpha": 0.5}, (3, 4)),
    ("GELU", (), {"approximate": "tanh"}, (3, 4)),
    ("SiLU", (), {}, (3, 4)),
    ("Sigmoid", (), {}, (3, 4)),
    ("Tanh", (), {}, (3, 4)),
    ("Softplus", (), {"beta": 2.0}, (3, 4)),
    ("Softmax", (), {"dim": 1}, (3, 4)),
    ("LogSoftmax", (), {"dim": 0}, (3, 4)),
    ("Dropout", (0.3,), {}, (3, 4)),  # compared in eval mode
    ("BatchNorm1d", (4,), {}, (6, 4)),
    ("BatchNorm1d", (4,), {"affine": False, "momentum": None}, (6, 4, 3)),
    ("BatchNorm2d", (3,), {"eps": 1e-3, "momentum": 0.3}, (4, 3, 2, 2)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 2, 2)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("LayerNorm", (4,), {"elementwise_affine": False}, (2, 4)),
    ("GroupNorm", (2, 4), {}, (3, 4, 2, 2)),
    ("Embedding", (10, 3), {"padding_idx": 0}, "idx"),
    ("RNNCell", (3, 5), {}, (4, 3)),
    ("RNNCell", (3, 5), {"nonlinearity": "relu", "bias": False}, (3,)),
    ("LSTMCell", (3, 5), {}, (4, 3)),
    ("RNN", (3, 5), {"num_layers": 2, "batch_first": True}, (4, 6, 3)),
    ("RNN", (3, 4), {"bidirectional": True, "nonlinearity": "relu"}, (5, 2, 3)),
    ("LSTM", (3, 4), {"num_layers": 2, "bidirectional": True}, (5, 2, 3)),
    ("LSTM", (3, 4), {}, (5, 3)),  # unbatched sequence
]


def _pair(name, args, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _inputs(shape, seed=0):
    r = np.random.default_rng(seed)
    if shape == "idx":
        return [r.integers(0, 10, (3, 4))]
    if shape is None:
        return [r.standard_normal((5, 3)).astype(np.float32),
                r.standard_normal((5, 4)).astype(np.float32)]  # fmt: skip
    return [r.standard_normal(shape).astype(np.float32)]


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.torch
@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_layer_structure_matches_torch(name, args, kwargs, shape):
    ours, ref = _pair(name, args, kwargs)
    assert repr(ours) == repr(ref)
    ours_sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert list(ours_sd) == list(ref_sd)
    for k in ref_sd:
        assert ours_sd[k].shape == tuple(ref_sd[k].shape), k
        assert ours_sd[k].dtype.name == str(ref_sd[k].dtype).replace("torch.", ""), k
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]


@pytest.mark.torch
@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layer_outputs_and_gradients_match_torch_after_loading_its_state(
    name, args, kwargs, shape, mode
):
    torch = pytest.importorskip("torch")

    ours, ref = _pair(name, args, kwargs)
    if name == "Dropout" and mode == "train":
        return  # random masks differ by design; see test_dropout_layer
    getattr(ours, mode)()
    getattr(ref, mode)()
    load_torch_state(ours, ref)
    arrays = _inputs(shape)
    floats = shape != "idx"
    xs = [tt.tensor(a, requires_grad=floats) for a in arrays]
    ts = [torch.tensor(a, requires_grad=floats) for a in arrays]
    out, expected = _first(ours(*xs)), _first(ref(*ts))
    np.testing.assert_allclose(
        out.numpy(force=True), expected.detach().numpy(), rtol=1e-4, atol=1e-5
    )
    g = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(np.float32)
    if out.requires_grad:
        out.backward(tt.tensor(g))
        expected.backward(torch.tensor(g))
        for (pname, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
            np.testing.assert_allclose(
                p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=pname
            )
        if floats:
            np.testing.assert_allclose(xs[0].grad.numpy(), ts[0].grad.numpy(), rtol=1e-4, atol=1e-5)
    # buffers (batch norm running statistics) evolve identically
    for (bname, b), (_, c) in zip(ours.named_buffers(), ref.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-5, atol=1e-6, err_msg=bname)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["RNN", "LSTM"])
def test_recurrent_layers_accept_initial_states(name):
    torch = pytest.importorskip("torch")

    ours, ref = _pair(name, (3, 4), {"num_layers": 2, "batch_first": True})
    load_torch_state(ours, ref)
    r = np.random.default_rng(2)
    x = r.standard_normal((2, 5, 3)).astype(np.float32)
    h = r.standard_normal((2, 2, 4)).astype(np.float32)
    c = r.standard_normal((2, 2, 4)).astype(np.float32)
    if name == "LSTM":
        out, (hn, cn) = ours(tt.tensor(x), (tt.tensor(h), tt.tensor(c)))
        rout, (rhn, rcn) = ref(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        np.testing.assert_allclose(cn.numpy(force=True), rcn.detach().numpy(), atol=1e-5)
    else:
        out, hn = ours(tt.tensor(x), tt.tensor(h))
        rout, rhn = ref(torch.tensor(x), torch.tensor(h))
    np.testing.assert_allclose(out.numpy(force=True), rout.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(hn.numpy(force=True), rhn.detach().numpy(), atol=1e-5)
    with pytest.raises(RuntimeError, match="hidden state of shape"):
        ours(tt.tensor(x), (tt.zeros(1, 2, 4),) * 2 if name == "LSTM" else tt.zeros(1, 2, 4))


@pytest.mark.torch
def test_rnn_long_sequence_gradient_matches_torch():
    torch = pytest.importorskip("torch")

    ours, ref = _pair("LSTM", (2, 3), {})
    load_torch_state(ours, ref)
    x = np.random.default_rng(3).standard_normal((40, 2, 2)).astype(np.float32)
    ours(tt.tensor(x))[0].sum().backward()
    ref(torch.tensor(x))[0].sum().backward()
    for p, q in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5)


# --- default initialisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,fan_in",
    [
        (lambda: nn.Linear(50, 40), 50),
        (lambda: nn.Conv2d(6, 20, 3), 54),
        (lambda: nn.Conv2d(8, 20, 5, groups=4), 50),
        (lambda: nn.Maxout(30, 10, 3), 30),
    ],
)
def test_default_init_is_kaiming_uniform_with_fan_in_bias_bound(make, fan_in):
    m = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.numpy(force=True), m.bias.numpy(force=True)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform on [-bound, bound]
    assert np.abs(b).max() <= bound
    assert w.dtype == np.float32


def test_default_init_of_other_layers():
    rnn = nn.LSTM(3, 16)
    assert all(np.abs(p.numpy(force=True)).max() <= 0.25 for p in rnn.parameters())
    emb = nn.Embedding(200, 50, padding_idx=3)
    w = emb.weight.numpy(force=True)
    assert abs(w.std() - 1) < 0.05 and (w[3] == 0).all()
    bn = nn.BatchNorm2d(4)
    assert (bn.weight.numpy(force=True) == 1).all() and (bn.bias.numpy(force=True) == 0).all()
    assert (bn.running_var.numpy() == 1).all() and bn.num_batches_tracked.item() == 0


def test_initialisation_follows_the_global_seed():
    tt.manual_seed(123)
    a = nn.Linear(4, 4).weight.numpy(force=True).copy()
    tt.manual_seed(123)
    b = nn.Linear(4, 4).weight.numpy(force=True)
    np.testing.assert_array_equal(a, b)


def test_dtype_argument_creates_float64_parameters():
    m = nn.Linear(3, 2, dtype=tt.float64)
    assert m.weight.dtype == tt.float64 and m(tt.ones(1, 3, dtype=tt.float64)).dtype == tt.float64


# --- layer-specific behaviour -----------------------------------------------------------------


@pytest.mark.torch
def test_maxout_is_a_max_over_pieces_of_a_linear_map():
    torch = pytest.importorskip("torch")
    m = nn.Maxout(4, 3, pieces=2)
    lin = torch.nn.Linear(4, 6)
    lin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    expected = lin(torch.tensor(x)).view(5, 3, 2).amax(-1)
    np.testing.assert_allclose(m(tt.tensor(x)).numpy(force=True), expected.detach().numpy(), 1e-6)
    # the seeds' form: max(w1^T x + b1, w2^T x + b2)
    w, b = m.weight.numpy(force=True), m.bias.numpy(force=True)
    manual = np.maximum(x @ w[0::2].T + b[0::2], x @ w[1::2].T + b[1::2])
    np.testing.assert_allclose(m(tt.tensor(x)).numpy(force=True), manual, rtol=1e-5)
    assert repr(m) == "Maxout(in_features=4, out_features=3, pieces=2, bias=True)"
    from tinytensor.testing import gradcheck

    m.double()
    xs = tt.tensor(x.astype(np.float64), requires_grad=True)
    assert gradcheck(
        lambda x, w, b: tt.nn.functional.linear(x, w, b).unflatten(-1, (3, 2)).amax(-1),
        (xs, m.weight, m.bias),
    )


def test_dropout_layer_train_vs_eval():
    d = nn.Dropout(0.5)
    x = tt.ones(1000)
    y = d(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    d.eval()
    assert d(x) is x


@pytest.mark.torch
def test_batchnorm_momentum_none_uses_cumulative_average():
    torch = pytest.importorskip("torch")
    ours, ref = _pair("BatchNorm1d", (3,), {"momentum": None})
    r = np.random.default_rng(5)
    for i in range(3):
        x = r.standard_normal((8, 3)).astype(np.float32) * (i + 1)
        ours(tt.tensor(x))
        ref(torch.tensor(x))
    np.testing.assert_allclose(ours.running_var.numpy(), ref.running_var.numpy(), rtol=1e-5)
    assert ours.num_batches_tracked.item() == 3


def test_layer_input_errors():
    with pytest.raises(ValueError, match="expected 4D"):
        nn.BatchNorm2d(3)(tt.randn(2, 3))
    bn = nn.BatchNorm1d(3)
    for bad in (tt.randn(4, 5), tt.randn(1, 3)):
        with pytest.raises(ValueError, match="channels|more than 1 value"):
            bn(bad)
    assert bn.num_batches_tracked.item() == 0  # a failed call changes nothing
    with pytest.raises(RuntimeError, match="linear"):
        nn.Linear(3, 2)(tt.randn(2, 4))
    with pytest.raises(RuntimeError, match="input_size. Expected 3"):  # PyTorch's class
        nn.LSTM(3, 2)(tt.randn(4, 2, 5))
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(2.0)
