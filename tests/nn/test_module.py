"""nn.Module and nn.Parameter: registration, traversal, state dicts, hooks, modes, repr."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinytensor as tt
from nn.helpers import load_torch_state, load_tt_state

nn = tt.nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.register_buffer("scale", tt.ones(3))
        self.register_buffer("cache", tt.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2)])
        self.head = nn.Parameter(tt.ones(2))

    def forward(self, x):
        x = self.block(x)
        for layer in self.layers:
            x = layer(x)
        return x * self.head


def test_setattr_registers_parameters_buffers_and_modules_with_nested_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "head", "block.fc.weight", "block.fc.bias", "block.bn.weight", "block.bn.bias",
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
    ]  # fmt: skip
    assert [n for n, _ in net.named_buffers()] == [
        "block.scale", "block.cache", "block.bn.running_mean", "block.bn.running_var",
        "block.bn.num_batches_tracked",
    ]  # fmt: skip
    assert [n for n, _ in net.named_modules()] == [
        "", "block", "block.fc", "block.bn", "layers", "layers.0", "layers.1", "layers.2",
    ]  # fmt: skip
    assert [n for n, _ in net.named_children()] == ["block", "layers"]
    assert len(list(net.parameters())) == 9
    assert len(list(net.parameters(recurse=False))) == 1
    assert net.get_submodule("block.fc") is net.block.fc
    assert net.get_parameter("layers.2.bias") is net.layers[2].bias


@pytest.mark.torch
def test_state_dict_keys_match_the_equivalent_torch_model():
    torch = pytest.importorskip("torch")

    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 3)
            self.bn = torch.nn.BatchNorm1d(3)
            self.register_buffer("scale", torch.ones(3))
            self.register_buffer("cache", torch.zeros(2), persistent=False)

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = TBlock()
            self.layers = torch.nn.ModuleList(
                [torch.nn.Linear(3, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)]
            )
            self.head = torch.nn.Parameter(torch.ones(2))

    ours, ref = Net(), TNet()
    assert list(ours.state_dict()) == list(ref.state_dict())
    for k, v in ours.state_dict().items():
        assert v.shape == tuple(ref.state_dict()[k].shape), k
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]


def test_assignment_before_init_is_an_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tt.ones(1))
            super().__init__()

    class BadModule(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
            super().__init__()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()
    with pytest.raises(AttributeError, match="before Module.__init__"):
        BadModule()


def test_getattr_raises_for_unknown_names_and_never_returns_none():
    m = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'wieght'"):
        m.wieght  # noqa: B018
    assert not hasattr(m, "nonexistent")


def test_reassigning_registered_names_is_type_checked():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = tt.ones(2, 2)
    m.bias = None  # allowed: an absent parameter
    assert "bias" not in dict(m.named_parameters())
    m.register_buffer("buf", tt.ones(1))
    with pytest.raises(TypeError, match="buffer 'buf'"):
        m.buf = 3
    m.sub = nn.ReLU()
    with pytest.raises(TypeError, match="child module 'sub'"):
        m.sub = 3
    m.sub = nn.Parameter(tt.ones(1))  # a name can change kind, like PyTorch
    assert "sub" in dict(m.named_parameters()) and "sub" not in m._modules
    del m.sub
    assert not hasattr(m, "sub")


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda m: m.register_buffer("a.b", tt.ones(1)), KeyError, "contain"),
        (lambda m: m.register_buffer("", tt.ones(1)), KeyError, "empty"),
        (lambda m: m.register_buffer("weight", tt.ones(1)), KeyError, "already exists"),
        (lambda m: m.register_buffer("b", 3), TypeError, "Tensor or None"),
        (lambda m: m.register_parameter("p", tt.ones(1)), TypeError, "Parameter or None"),
        (lambda m: m.add_module("x", 3), TypeError, "not a Module"),
    ],
)
def test_registration_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(nn.Linear(2, 2))


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_parameter_basics():
    t = tt.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, tt.Tensor)
    p.data[0] = 5.0
    assert t[0].item() == 5.0  # shares storage, like PyTorch
    assert repr(p).startswith("Parameter containing:\ntensor([5., 2.], requires_grad=True)")
    assert type(p * 2) is tt.Tensor
    assert not nn.Parameter(tt.ones(1), requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(tt.tensor([1, 2]))
    q = copy.deepcopy(p)
    assert (
        isinstance(q, nn.Parameter) and q is not p and np.array_equal(q.numpy(force=True), [5, 2])
    )


def test_load_state_dict_round_trip_and_array_values():
    a, b = Net(), Net()
    sd = {k: v.numpy() * 0 + i for i, (k, v) in enumerate(a.state_dict().items())}
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for i, (k, v) in enumerate(b.state_dict().items()):
        assert (v.numpy() == i).all(), k
    assert b.block.bn.num_batches_tracked.dtype == tt.int64


def test_strict_load_errors_and_atomicity():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    sd["block.fc.weight"] = tt.zeros(3, 4)
    del sd["head"]
    sd["extra"] = tt.ones(1)
    sd["layers.0.bias"] = tt.ones(5)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "head"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    assert "size mismatch for layers.0.bias" in msg and "(5,)" in msg and "(3,)" in msg
    for k, v in net.state_dict().items():  # nothing was copied
        assert np.array_equal(v.numpy(), before[k]), k
    # shape mismatches fail even when not strict
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict(sd, strict=False)
    del sd["layers.0.bias"]
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head", "layers.0.bias"]
    assert result.unexpected_keys == ["extra"]
    assert (net.block.fc.weight.numpy(force=True) == 0).all()


def test_state_dict_shares_storage_and_is_detached():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"][0, 0] = 42.0
    assert m.weight[0, 0].item() == 42.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight
    assert list(m.state_dict(prefix="model.")) == ["model.weight", "model.bias"]


@pytest.mark.torch
def test_torch_state_dict_round_trip_gives_identical_outputs():
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64, 5),
    )  # fmt: skip
    ours = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5),
    )  # fmt: skip
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    ref(torch.tensor(x))  # move the running stats away from their defaults
    ref.eval()
    ours.eval()
    load_torch_state(ours, ref)
    expected = ref(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(tt.tensor(x)).numpy(force=True), expected, atol=1e-5)
    # and back: train ours a bit, load into torch, same outputs
    ours.train()
    opt = tt.optim.SGD(ours.parameters(), lr=0.1)
    ours(tt.tensor(x)).sum().backward()
    opt.step()
    ours.eval()
    load_tt_state(ref, ours)
    np.testing.assert_allclose(
        ref(torch.tensor(x)).detach().numpy(), ours(tt.tensor(x)).numpy(force=True), atol=1e-5
    )


def test_forward_hooks_and_pre_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    m(tt.ones(3, 2))
    assert calls == [("pre", (3, 2)), ("post", (3, 2))]
    h3 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h4 = m.register_forward_hook(lambda mod, args, out: out + 1)
    out = m(tt.ones(1, 2))
    np.testing.assert_allclose(out.numpy(force=True), m.bias.numpy(force=True)[None] + 1)
    for h in (h1, h2, h3, h4):
        h.remove()
    calls.clear()
    m(tt.ones(1, 2))
    assert calls == []
    order = []
    m.register_forward_hook(lambda *a: order.append("a"))
    m.register_forward_hook(lambda *a: order.append("b"), prepend=True)
    m(tt.ones(1, 2))
    assert order == ["b", "a"]


def test_train_eval_affect_dropout_and_batchnorm():
    tt.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    x = tt.randn(16, 4)
    assert m.training and all(mod.training for mod in m.modules())
    a, b = m(x), m(x)
    assert not np.allclose(a.numpy(force=True), b.numpy(force=True))  # dropout masks differ
    assert m[2].num_batches_tracked.item() == 2
    assert m.eval() is m and not any(mod.training for mod in m.modules())
    c, d = m(x), m(x)
    np.testing.assert_array_equal(c.numpy(force=True), d.numpy(force=True))
    assert m[2].num_batches_tracked.item() == 2  # running stats frozen in eval
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_zero_grad_requires_grad_apply_and_to():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    m(tt.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "Linear", "Sequential"]
    w = m[0].weight
    m.to(tt.float64)
    assert m[0].weight is w and w.dtype == tt.float64
    assert m(tt.ones(1, 2, dtype=tt.float64)).dtype == tt.float64
    m.float()
    assert w.dtype == tt.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(tt.int64)


@pytest.mark.torch
def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Sequential(nn.Flatten(), nn.Linear(8, 10, bias=False), nn.Dropout(0.2)),
        nn.LayerNorm(10), nn.BatchNorm1d(10), nn.Softmax(dim=1), nn.LeakyReLU(0.1),
        nn.ModuleDict({"a": nn.Identity()}),
    )  # fmt: skip
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(8, 10, bias=False), torch.nn.Dropout(0.2)
        ),
        torch.nn.LayerNorm(10), torch.nn.BatchNorm1d(10), torch.nn.Softmax(dim=1),
        torch.nn.LeakyReLU(0.1), torch.nn.ModuleDict({"a": torch.nn.Identity()}),
    )  # fmt: skip
    assert repr(ours) == repr(ref)


def test_sequential_indexing_slicing_append_and_ordered_dict():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(dict(seq.named_children())) == ["0", "1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    out = named(tt.ones(1, 2))
    assert out.shape == (1, 2)


def test_module_list_and_module_dict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Tanh"]
    assert len(list(ml.parameters())) == 2
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    md = nn.ModuleDict({"b": nn.Linear(1, 2), "a": nn.ReLU()})
    md["c"] = nn.Linear(2, 2)
    assert list(md.keys()) == ["b", "a", "c"] and "a" in md and len(md) == 3
    assert list(md.state_dict()) == ["b.weight", "b.bias", "c.weight", "c.bias"]
    md.pop("a")
    assert list(md) == ["b", "c"]


def test_deepcopy_of_a_module_is_independent():
    m = Net()
    c = copy.deepcopy(m)
    c.block.fc.weight.data[...] = 0
    assert not (m.block.fc.weight.numpy(force=True) == 0).all()
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in m.named_parameters()]


def test_missing_forward_error():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        NoForward()(tt.ones(1))
