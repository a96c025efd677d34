"""d2l.ai "Builders' Guide" (6.1-6.6), written out as one script.

Layers and modules (a custom ``MLP``, ``MySequential`` with ``add_module``, ``FixedHiddenMLP``
with a constant weight and Python control flow, ``NestMLP``), parameter management (``state_dict``
of a layer, ``named_parameters``, a shared layer), initialisation through ``net.apply``, lazy
initialisation (``UninitializedParameter`` until the first call), custom layers
(``CenteredLayer``, ``MyLinear`` with ``nn.Parameter``) and file I/O (``torch.save``/``torch.load``
of a tensor, a list, a dict and a ``state_dict``; a clone answering as the original). Random
draws the book makes with ``torch.rand`` come from NumPy here so both libraries agree.
"""

import os
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from _numpy_init import init_from_numpy


class MLP(nn.Module):
    def __init__(self):
        # Call the constructor of the parent class nn.Module to perform the necessary
        # initialization
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.out = nn.LazyLinear(10)

    # Define the forward propagation of the model, that is, how to return the required model
    # output based on the input X
    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


class FixedHiddenMLP(nn.Module):
    def __init__(self, rand_weight):
        super().__init__()
        # Random weight parameters that will not compute gradients and therefore keep constant
        # during training
        self.rand_weight = rand_weight
        self.linear = nn.LazyLinear(20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        # Reuse the fully connected layer. This is equivalent to sharing parameters with two
        # fully connected layers
        X = self.linear(X)
        # Control flow
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(32), nn.ReLU())
        self.linear = nn.LazyLinear(16)

    def forward(self, X):
        return self.linear(self.net(X))


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


class MyLinear(nn.Module):
    def __init__(self, in_units, units, weight, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(weight))
        self.bias = nn.Parameter(torch.tensor(bias))
        assert self.weight.shape == (in_units, units)

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


def init_constant(module):
    if type(module) == nn.Linear:  # noqa: E721 - as the book
        nn.init.constant_(module.weight, 1)
        nn.init.zeros_(module.bias)


def my_init(module):
    if type(module) == nn.Linear:  # noqa: E721 - as the book
        print("Init", *[(name, param.shape) for name, param in module.named_parameters()][0])
        # the book draws uniform(-10, 10) and zeroes the small ones; the draw is replaced by a
        # fixed ramp so both libraries agree
        with torch.no_grad():
            ramp = torch.linspace(-10, 10, module.weight.numel()).reshape(module.weight.shape)
            module.weight.copy_(ramp)
        module.weight.data *= module.weight.data.abs() >= 5


def main(seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X = torch.tensor(rng.uniform(size=(2, 20)).astype(np.float32))
    results = {}

    # 6.1 layers and modules
    net = MLP()
    results["mlp_lazy_before"] = isinstance(net.hidden.weight, nn.parameter.UninitializedParameter)
    net(X)
    init_from_numpy(net, seed)
    results["mlp_out"] = net(X).tolist()
    seq = MySequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    seq(X)
    init_from_numpy(seq, seed)
    results["mysequential_out"] = seq(X).tolist()
    results["mysequential_children"] = [name for name, _ in seq.named_children()]
    rand_weight = torch.tensor(rng.uniform(size=(20, 20)).astype(np.float32))
    fixed = FixedHiddenMLP(rand_weight)
    fixed(X)
    init_from_numpy(fixed, seed)
    results["fixed_hidden_out"] = fixed(X).item()
    chimera = nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP(rand_weight))
    chimera(X)
    init_from_numpy(chimera, seed)
    results["chimera_out"] = chimera(X).item()
    results["chimera_names"] = [name for name, _ in chimera.named_parameters()]

    # 6.2 parameter management
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    net(X)
    init_from_numpy(net, seed)
    results["layer2_state_keys"] = list(net[2].state_dict().keys())
    results["layer2_bias"] = net[2].bias.data.tolist()
    results["layer2_grad_none"] = net[2].weight.grad is None
    results["all_shapes"] = [(name, list(param.shape)) for name, param in net.named_parameters()]
    shared = nn.LazyLinear(8)
    net = nn.Sequential(
        nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.LazyLinear(1)
    )
    net(X)
    results["shared_same"] = bool((net[2].weight.data[0] == net[4].weight.data[0]).all())
    net[2].weight.data[0, 0] = 100
    results["shared_same_after_write"] = bool(
        (net[2].weight.data[0] == net[4].weight.data[0]).all()
    )
    results["shared_n_params"] = len(list(net.parameters()))

    # 6.3 parameter initialisation
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    net(X)
    net.apply(init_constant)
    results["constant_init"] = [net[0].weight.data[0].tolist(), net[0].bias.data[0].item()]
    net.apply(my_init)
    results["my_init_rows"] = net[0].weight[:2].tolist()

    # 6.4 lazy initialisation
    net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    results["lazy_repr"] = type(net[0].weight).__name__
    net(X)
    results["lazy_shapes_after"] = [list(p.shape) for p in net.parameters()]

    # 6.5 custom layers
    layer = CenteredLayer()
    results["centered"] = layer(torch.tensor([1.0, 2, 3, 4, 5])).tolist()
    net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())
    Y = net(torch.tensor(rng.uniform(size=(4, 8)).astype(np.float32)))
    results["centered_mean_small"] = abs(Y.mean().item()) < 1e-5
    weight = rng.normal(size=(5, 3)).astype(np.float32)
    bias = rng.normal(size=(3,)).astype(np.float32)
    linear = MyLinear(5, 3, weight, bias)
    Xl = torch.tensor(rng.uniform(size=(2, 5)).astype(np.float32))
    results["mylinear_out"] = linear(Xl).tolist()
    net = nn.Sequential(
        MyLinear(64, 8, rng.normal(size=(64, 8)).astype(np.float32), np.zeros(8, np.float32)),
        MyLinear(8, 1, rng.normal(size=(8, 1)).astype(np.float32), np.zeros(1, np.float32)),
    )
    results["mylinear_net_out"] = net(
        torch.tensor(rng.uniform(size=(2, 64)).astype(np.float32))
    ).tolist()

    # 6.6 file I/O
    with tempfile.TemporaryDirectory() as folder:
        x = torch.arange(4)
        torch.save(x, os.path.join(folder, "x-file"))
        x2 = torch.load(os.path.join(folder, "x-file"))
        y = torch.zeros(4)
        torch.save([x, y], os.path.join(folder, "x-files"))
        x2, y2 = torch.load(os.path.join(folder, "x-files"))
        mydict = {"x": x, "y": y}
        torch.save(mydict, os.path.join(folder, "mydict"))
        mydict2 = torch.load(os.path.join(folder, "mydict"))
        net = MLP()
        X = torch.tensor(rng.normal(size=(2, 20)).astype(np.float32))
        Y = net(X)
        torch.save(net.state_dict(), os.path.join(folder, "mlp.params"))
        clone = MLP()
        clone.load_state_dict(torch.load(os.path.join(folder, "mlp.params")))
        clone.eval()
        Y_clone = clone(X)
        results["io_tensor"] = x2.tolist()
        results["io_list"] = [x2.tolist(), y2.tolist()]
        results["io_dict"] = {k: v.tolist() for k, v in mydict2.items()}
        results["io_clone_equal"] = bool((Y_clone == Y).all())
        results["io_clone_class"] = type(clone.hidden).__name__
    return results


def check(results):
    assert results["mlp_lazy_before"]
    assert results["mysequential_children"] == ["0", "1", "2"]
    assert results["layer2_grad_none"]
    assert results["shared_same"] and results["shared_same_after_write"]
    assert results["shared_n_params"] == 6
    assert results["constant_init"][0] == [1.0] * 20 and results["constant_init"][1] == 0
    assert all(v == 0 or abs(v) >= 5 for row in results["my_init_rows"] for v in row)
    assert results["lazy_repr"] == "UninitializedParameter"
    assert results["lazy_shapes_after"] == [[256, 20], [256], [10, 256], [10]]
    assert results["centered"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert results["centered_mean_small"]
    assert results["io_clone_equal"] and results["io_clone_class"] == "Linear"
