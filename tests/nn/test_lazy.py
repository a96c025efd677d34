"""Lazy modules (issue #21): shapes from the first call, placeholders materialised in place,
state dicts into uninitialised modules, PyTorch's errors; a d2l-style model trained vs PyTorch."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinytensor as tt

nn = tt.nn

LAYERS = [  # (lazy class, its arguments, input shape, the class it becomes, weight shape)
    ("LazyLinear", (5,), (2, 7), "Linear", (5, 7)),
    ("LazyConv1d", (4, 3), (2, 6, 9), "Conv1d", (4, 6, 3)),
    ("LazyConv2d", (4, 3), (2, 6, 7, 7), "Conv2d", (4, 6, 3, 3)),
    ("LazyConv3d", (4, 2), (1, 6, 4, 4, 4), "Conv3d", (4, 6, 2, 2, 2)),
    ("LazyConvTranspose1d", (4, 3), (2, 6, 5), "ConvTranspose1d", (6, 4, 3)),
    ("LazyConvTranspose2d", (4, 3), (2, 6, 5, 5), "ConvTranspose2d", (6, 4, 3, 3)),
    ("LazyConvTranspose3d", (4, 2), (1, 6, 3, 3, 3), "ConvTranspose3d", (6, 4, 2, 2, 2)),
    ("LazyBatchNorm1d", (), (4, 6), "BatchNorm1d", (6,)),
    ("LazyBatchNorm2d", (), (2, 6, 3, 3), "BatchNorm2d", (6,)),
    ("LazyBatchNorm3d", (), (2, 6, 2, 2, 2), "BatchNorm3d", (6,)),
    ("LazyInstanceNorm1d", (), (2, 6, 5), "InstanceNorm1d", (6,)),
    ("LazyInstanceNorm2d", (), (2, 6, 3, 3), "InstanceNorm2d", (6,)),
    ("LazyInstanceNorm3d", (), (2, 6, 2, 2, 2), "InstanceNorm3d", (6,)),
]


@pytest.mark.parametrize("name,args,shape,becomes,wshape", LAYERS)
def test_first_call_materialises_in_place(name, args, shape, becomes, wshape):
    tt.manual_seed(0)
    m = getattr(nn, name)(*args)
    assert m.has_uninitialized_params()
    w = m.weight
    assert isinstance(w, nn.UninitializedParameter) and repr(w) == "<UninitializedParameter>"
    opt = tt.optim.SGD(m.parameters(), lr=0.5)  # built before the first call
    y = m(tt.randn(*shape))
    assert type(m) is getattr(nn, becomes) and not isinstance(m, nn.LazyModuleMixin)
    assert m.weight is w and type(w) is nn.Parameter and w.shape == wshape
    assert opt.param_groups[0]["params"][0] is w
    before = w.detach().clone()
    (y * y).sum().backward()
    opt.step()
    assert not np.allclose(w.detach().numpy(), before.numpy())  # the optimizer trained it


def test_linear_init_is_linears_and_bias_false():
    tt.manual_seed(3)
    lazy = nn.LazyLinear(4, bias=False)
    assert lazy.bias is None
    lazy(tt.ones(2, 9))
    bound = 1 / np.sqrt(9)  # kaiming_uniform(a=sqrt(5)) on fan_in 9
    w = lazy.weight.detach().numpy()
    assert w.shape == (4, 9) and np.abs(w).max() <= bound and w.std() > bound / 4
    assert lazy.in_features == 9
    assert repr(lazy) == "Linear(in_features=9, out_features=4, bias=False)"


def test_batchnorm_buffers_and_repr():
    bn = nn.LazyBatchNorm1d()
    assert "running_mean" in bn.state_dict() and isinstance(bn.running_mean, nn.UninitializedBuffer)
    assert repr(bn).startswith("LazyBatchNorm1d(0, eps=1e-05")
    x = tt.randn(8, 3)
    bn(x)
    np.testing.assert_allclose(bn.weight.detach().numpy(), 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.numpy().mean(0), rtol=1e-5)
    assert int(bn.num_batches_tracked) == 1 and bn.num_features == 3
    nb = nn.LazyBatchNorm2d(affine=False, track_running_stats=False)
    assert not nb.has_uninitialized_params()
    nb(tt.randn(2, 3, 2, 2))
    assert type(nb) is nn.BatchNorm2d and nb.weight is None and nb.running_mean is None


def test_uninitialized_refuses_use_and_shape():
    p = nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        p.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        p.sum()
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        p.numel()
    with pytest.raises((ValueError, RuntimeError), match="uninitialized"):
        p + 1
    with pytest.raises((ValueError, RuntimeError), match="uninitialized"):
        nn.functional.linear(tt.ones(2, 3), p)
    with pytest.raises(RuntimeError, match="Can't share memory"):
        p.share_memory_()
    # what PyTorch allows: dtype, flags, size, moving dtype
    assert p.requires_grad and p.is_leaf and p.is_floating_point() and tuple(p.size()) == (0,)
    assert p.double() is p and p.dtype == tt.float64
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == tt.float64
    b = nn.UninitializedBuffer(dtype=tt.float16)
    b.materialize(4)
    assert type(b) is tt.Tensor and b.shape == (4,) and b.dtype == tt.float16


def test_errors_of_lazy_conv_and_mixin():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(tt.randn(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        nn.LazyConv2d(4, 3)(tt.randn(5, 5))
    conv = nn.LazyConv1d(2, 3)
    conv(tt.randn(3, 8))  # unbatched: in_channels from dim 0
    assert conv.weight.shape == (2, 3, 3)

    class Half(nn.LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.UninitializedParameter()

        def initialize_parameters(self, x):
            pass  # forgets to materialise

        def forward(self, x):
            return x

    with pytest.raises(RuntimeError, match="module Half has not been fully initialized"):
        Half()(tt.ones(1))

    class NoInit(nn.LazyModuleMixin, nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented"):
        NoInit()(tt.ones(1))


def test_state_dict_into_uninitialised_and_back():
    tt.manual_seed(1)
    src = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    src(tt.randn(4, 5))
    dst = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    w_obj = dst[0].weight
    dst.load_state_dict(src.state_dict())
    assert dst[0].weight is w_obj and type(w_obj) is nn.Parameter
    for k, v in src.state_dict().items():
        np.testing.assert_array_equal(dst.state_dict()[k].numpy(), v.numpy())
    assert isinstance(dst[0], nn.LazyLinear) and dst[0].in_features == 0  # until its first call
    dst(tt.randn(2, 5))
    assert type(dst[0]) is nn.Linear and dst[0].in_features == 5
    # a loaded module keeps the loaded values on its first call
    np.testing.assert_array_equal(dst[0].weight.detach().numpy(), src[0].weight.detach().numpy())
    # the first call then checks the loaded width
    other = nn.LazyLinear(3)
    other.load_state_dict(src[0].state_dict())
    with pytest.raises(AssertionError, match="in_features inferred from input: 4"):
        other(tt.randn(2, 4))
    # uninitialised into initialised is refused, and nothing changes
    full = nn.Linear(5, 3)
    before = full.weight.detach().clone()
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        full.load_state_dict(nn.LazyLinear(3).state_dict())
    np.testing.assert_array_equal(full.weight.detach().numpy(), before.numpy())
    # uninitialised into uninitialised loads nothing and keeps the placeholders
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(nn.LazyLinear(3).state_dict())
    assert lazy.has_uninitialized_params()


def test_dtype_before_the_dry_run_and_deepcopy():
    m = nn.Sequential(nn.LazyLinear(2), nn.LazyBatchNorm1d()).double()
    c = copy.deepcopy(m)
    assert c[0].weight is not m[0].weight and c[0].has_uninitialized_params()
    m(tt.randn(3, 4, dtype=tt.float64))
    assert m[0].weight.dtype == tt.float64 and m[1].running_mean.dtype == tt.float64
    c(tt.randn(3, 4, dtype=tt.float64))
    assert c[0].weight.dtype == tt.float64


def test_forward_pre_hook_with_kwargs():
    seen = []

    class M(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = M()

    def hook(mod, args, kwargs):
        seen.append(dict(kwargs))
        return args, {"scale": 3.0}

    h = m.register_forward_pre_hook(hook, with_kwargs=True)
    assert float(m(tt.ones(()), scale=2.0)) == 3.0 and seen == [{"scale": 2.0}]
    h.remove()
    m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="tuple of \\(new_args, new_kwargs\\)"):
        m(tt.ones(()))


def _d2l_model(lib):
    n = lib.nn
    return n.Sequential(
        n.LazyConv2d(6, kernel_size=5, padding=2), n.LazyBatchNorm2d(), n.Sigmoid(),
        n.AvgPool2d(kernel_size=2, stride=2),
        n.LazyConv2d(16, kernel_size=5), n.LazyBatchNorm2d(), n.Sigmoid(),
        n.AvgPool2d(kernel_size=2, stride=2), n.Flatten(),
        n.LazyLinear(120), n.LazyBatchNorm1d(), n.Sigmoid(),
        n.LazyLinear(84), n.LazyBatchNorm1d(), n.Sigmoid(), n.LazyLinear(10),
    )  # fmt: skip


def _train(lib, model, xs, ys, steps=4):
    opt = lib.optim.SGD(model.parameters(), lr=0.1)  # built before the dry run in tt, as d2l
    losses = []
    for i in range(steps):
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(xs[i])), lib.tensor(ys[i]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.torch
def test_d2l_lenet_bn_trains_like_torch():
    """d2l's concise LeNet with batch norm (chapter 8.5): tinytensor's model is materialised by
    its first training step (optimizer made before it, as the book's trainer does), PyTorch's is
    given the same initial weights; losses and final weights agree."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4, 8, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, (4, 8))
    tt.manual_seed(0)
    probe = _d2l_model(tt)
    probe.eval()(tt.zeros(2, 1, 28, 28))  # the weights tt's first call draws with this seed
    b = _d2l_model(torch)
    b.eval()(torch.zeros(2, 1, 28, 28))  # eval: the dry runs leave the running stats alone
    b.train()
    b.load_state_dict({k: torch.tensor(v.numpy()) for k, v in probe.state_dict().items()})
    tt.manual_seed(0)
    a = _d2l_model(tt)
    a_losses = _train(tt, a, xs, ys)
    b_losses = _train(torch, b, xs, ys)
    np.testing.assert_allclose(a_losses, b_losses, rtol=1e-4)
    for k, v in b.state_dict().items():
        np.testing.assert_allclose(a.state_dict()[k].numpy(), v.numpy(), rtol=1e-3, atol=1e-5)
    assert [type(m).__name__ for m in a] == [type(m).__name__ for m in b]
    assert not any(isinstance(m, nn.LazyModuleMixin) for m in a.modules())


def test_optimizer_built_before_first_call_trains_real_weights_numpy():
    """NumPy oracle: a LazyLinear regression trained by an optimizer made before its first call
    moves exactly as the closed-form SGD step says."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    t = rng.standard_normal((6, 2)).astype(np.float32)
    m = nn.LazyLinear(2)
    opt = tt.optim.SGD(m.parameters(), lr=0.1)
    loss = ((m(tt.tensor(x)) - tt.tensor(t)) ** 2).mean()
    w0, b0 = m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()
    loss.backward()
    opt.step()
    r = x @ w0.T + b0 - t
    gw = 2 * r.T @ x / r.size
    gb = 2 * r.sum(0) / r.size
    np.testing.assert_allclose(m.weight.detach().numpy(), w0 - 0.1 * gw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.bias.detach().numpy(), b0 - 0.1 * gb, rtol=1e-5, atol=1e-6)


@pytest.mark.torch
def test_lazy_state_dict_keys_and_shapes_match_torch():
    torch = pytest.importorskip("torch")
    for name, args, shape, _, _ in LAYERS:
        a, b = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert list(a.state_dict()) == list(b.state_dict()), name
        assert repr(a) == repr(b), name
        a(tt.randn(*shape))
        b(torch.randn(*shape))
        assert repr(a) == repr(b), name
        assert {k: tuple(v.shape) for k, v in a.state_dict().items()} == {
            k: tuple(v.shape) for k, v in b.state_dict().items()
        }, name


def test_saving_an_uninitialised_state_dict_keeps_the_placeholders(tmp_path):
    """As torch.save: the placeholders are pickled; weights_only refuses their class unless
    allowed; a trusted load gives placeholders again, which a lazy module loads as nothing."""
    path = tmp_path / "lazy.pt"
    tt.save(nn.LazyLinear(3).state_dict(), path)
    with pytest.raises(tt.serialization.WeightsOnlyUnpicklingError,
                       match="tinytensor.nn.parameter.UninitializedParameter"):  # fmt: skip
        tt.load(path)
    sd = tt.load(path, weights_only=False)
    assert isinstance(sd["weight"], nn.UninitializedParameter)
    with tt.serialization.safe_globals([nn.UninitializedParameter]):
        assert isinstance(tt.load(path)["bias"], nn.UninitializedParameter)
    m = nn.LazyLinear(3)
    m.load_state_dict(sd)
    assert m.has_uninitialized_params()
    m(tt.ones(2, 4))
    assert m.weight.shape == (3, 4)


def test_uninitialized_buffer_assigned_registers_with_its_persistence():
    m = nn.Module()
    m.kept = nn.UninitializedBuffer()
    m.scratch = nn.UninitializedBuffer(persistent=False)
    assert set(m._buffers) == {"kept", "scratch"}
    assert list(m.state_dict()) == ["kept"]
    with pytest.raises(TypeError, match="persistent"):
        nn.UninitializedBuffer(persistent="no")


@pytest.mark.torch
def test_uninitialized_buffer_registration_matches_torch():
    torch = pytest.importorskip("torch")
    for lib in (tt, torch):
        m = lib.nn.Module()
        m.kept = lib.nn.UninitializedBuffer()
        m.scratch = lib.nn.UninitializedBuffer(persistent=False)
        assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
        assert m._non_persistent_buffers_set == {"scratch"}
