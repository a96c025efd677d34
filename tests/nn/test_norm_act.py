"""The issue #12 normalisation, activation, distance and embedding layers: each compared with
PyTorch from the same weights in float64 (output, input and parameter gradients, train and
eval), gradcheck of each new functional, and NumPy-only oracles."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn as nn
import tinytensor.nn.functional as F
from tinytensor.autograd import gradcheck

LAYERS = [
    ("PReLU", (), {}, (3, 4)),
    ("PReLU", (4,), {"init": 0.1}, (3, 4, 2)),
    ("RReLU", (), {}, (3, 4)),
    ("Hardswish", (), {}, (3, 4)),
    ("Hardsigmoid", (), {}, (3, 4)),
    ("CELU", (0.5,), {}, (3, 4)),
    ("GLU", (), {"dim": 1}, (3, 4)),
    ("Softshrink", (0.3,), {}, (3, 4)),
    ("Hardshrink", (0.3,), {}, (3, 4)),
    ("Tanhshrink", (), {}, (3, 4)),
    ("Threshold", (0.1, -2.0), {}, (3, 4)),
    ("Softmax2d", (), {}, (2, 3, 2, 2)),
    ("ChannelShuffle", (2,), {}, (2, 4, 3)),
    ("BatchNorm3d", (3,), {}, (2, 3, 2, 2, 2)),
    ("InstanceNorm1d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 5)),
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 4)),
    ("InstanceNorm3d", (3,), {}, (2, 3, 2, 3, 2)),
    ("LocalResponseNorm", (3,), {"alpha": 0.1}, (2, 5, 3)),
    ("RMSNorm", ((3, 4),), {}, (2, 3, 4)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3)),
]


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize(
    ("name", "args", "kwargs", "shape"),
    LAYERS,
    ids=[f"{n}-{i}" for i, (n, *_) in enumerate(LAYERS)],
)
def test_layer_matches_torch(name, args, kwargs, shape, mode):
    torch = pytest.importorskip(
        "torch", reason="PyTorch not installed: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    ref = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    with torch.no_grad():
        for p in ref.parameters():
            p.uniform_(0.5, 1.5)
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    if mode == "eval":
        ref.eval(), ours.eval()
    x = np.random.default_rng(0).standard_normal(shape) * 2
    a, b = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if name == "RReLU" and mode == "train":  # random slopes: check their range instead
        out = ours(a)
        slope = out.detach().numpy() / x
        assert np.all((slope >= 1 / 8 - 1e-12) & (slope <= 1 / 3 + 1e-12) | (x >= 0))
        return
    oa, ob = ours(a), ref(b)
    np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.cos(np.arange(ob.numel())).reshape(ob.shape)
    oa.backward(tt.tensor(g))
    ob.backward(torch.tensor(g))
    # rtol 1e-7: PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-12)
    for (k, p), q in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
    for k, v in ref.state_dict().items():  # running statistics
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-12, err_msg=k)
    assert repr(ours).replace("tinytensor", "torch") == repr(ref)


def _x(*shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return tt.tensor(np.where(np.abs(x) < 0.05, 0.3, x), requires_grad=True)


GRADCHECK = {
    "hardswish": lambda x: F.hardswish(x * 4),
    "hardsigmoid": lambda x: F.hardsigmoid(x * 4),
    "celu": lambda x: F.celu(x, 0.7),
    "glu": lambda x: F.glu(x, 1),
    "softshrink": lambda x: F.softshrink(x, 0.02),
    "hardshrink": lambda x: F.hardshrink(x, 0.02),
    "tanhshrink": F.tanhshrink,
    "threshold": lambda x: F.threshold(x, 0.01, 2.0),
    "prelu": lambda x: F.prelu(x, tt.tensor([0.1, 0.2, 0.3, 0.4], dtype=tt.float64)),
    "rrelu_eval": F.rrelu,
    "instance_norm": lambda x: F.instance_norm(x.reshape(1, 3, 4)),
    "rms_norm": lambda x: F.rms_norm(x, (4,)),
    "local_response_norm": lambda x: F.local_response_norm(x.reshape(1, 3, 4), 2, 0.5),
    "cosine_similarity": lambda x: F.cosine_similarity(x, x.flip(0) + 1.0),
    "pairwise_distance": lambda x: F.pairwise_distance(x, x.flip(0)),
    "pdist": F.pdist,
    "channel_shuffle": lambda x: F.channel_shuffle(x.reshape(1, 4, 3), 2),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    assert gradcheck(GRADCHECK[name], (_x(3, 4),))


def test_gradcheck_embedding_bag_modes():
    w = _x(5, 3)
    idx, off = tt.tensor([0, 2, 4, 1, 3, 3]), tt.tensor([0, 2, 5])
    for mode in ("sum", "mean", "max"):
        assert gradcheck(lambda w, m=mode: F.embedding_bag(idx, w, off, mode=m), (w,))


def test_rms_norm_numpy_oracle():
    x = np.random.default_rng(1).standard_normal((2, 5))
    w = np.linspace(0.5, 1.5, 5)
    expect = x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-6) * w
    got = nn.RMSNorm(5, eps=1e-6).double()
    got.weight.data.copy_(tt.tensor(w))
    np.testing.assert_allclose(got(tt.tensor(x)).detach().numpy(), expect, rtol=1e-12)


def test_hardswish_numpy_oracle():
    x = np.linspace(-5, 5, 41)
    expect = np.where(x <= -3, 0, np.where(x >= 3, x, x * (x + 3) / 6))
    np.testing.assert_allclose(F.hardswish(tt.tensor(x)).numpy(), expect, atol=1e-15)


def test_gumbel_softmax_is_seeded_and_hard_is_one_hot():
    logits = tt.tensor(np.random.default_rng(2).standard_normal((4, 6)), requires_grad=True)
    tt.manual_seed(3)
    soft = F.gumbel_softmax(logits, tau=0.5)
    tt.manual_seed(3)
    again = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_array_equal(soft.detach().numpy(), again.detach().numpy())
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1.0)
    tt.manual_seed(3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(hard.detach().numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(hard.detach().numpy().argmax(1), soft.detach().numpy().argmax(1))
    hard.sum().backward()  # straight-through: the soft sample's gradient (sum of softmax: 0)
    np.testing.assert_allclose(logits.grad.numpy(), 0.0, atol=1e-12)


def test_parameter_list_and_dict_register_parameters():
    pl = nn.ParameterList([nn.Parameter(tt.ones(2)), tt.zeros(3)])
    pl.append(tt.ones(1))
    assert list(pl.state_dict()) == ["0", "1", "2"] and len(pl) == 3
    assert all(isinstance(p, nn.Parameter) for p in pl)
    pd = nn.ParameterDict({"a": tt.ones(2)})
    pd["b"] = tt.zeros(2)
    assert list(pd.state_dict()) == ["a", "b"] and "b" in pd
    assert len(list(nn.Module.parameters(pd))) == 2


@pytest.mark.torch
def test_embedding_bag_module_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    ref = torch.nn.EmbeddingBag(6, 3, mode="max", padding_idx=1).double()
    ours = nn.EmbeddingBag(6, 3, mode="max", padding_idx=1).double()
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    idx, off = [1, 2, 4, 5, 1, 3, 2, 0], [0, 2, 2, 5]
    oa = ours(tt.tensor(idx), tt.tensor(off))
    ob = ref(torch.tensor(idx), torch.tensor(off))
    np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy())
    oa.sum().backward()
    ob.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy())
    assert repr(ours) == repr(ref)
