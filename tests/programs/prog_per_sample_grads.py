"""PyTorch's torch.func tutorials as one script: per-sample gradients and model ensembling.

Per-sample gradients (the tutorial's recipe): ``grad`` of a loss written with
``functional_call(model, (params, buffers), (batch,))``, vectorised over the batch with
``vmap(..., in_dims=(None, None, 0, 0))``, checked against the loop that calls ``backward``
once per sample. Ensembling: ``stack_module_state`` over five MLPs and ``vmap`` over
``functional_call``, same minibatch and different minibatches. Then ``jacrev``, ``jacfwd`` and
``hessian`` of a small function. Data: scikit-learn's 8x8 digits; weights drawn with NumPy.
"""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, stack_module_state, vmap

from _numpy_init import init_from_numpy

TOLERANCES = {"per_sample_grad_head": (1e-3, 1e-6), "ensemble_same": (1e-4, 1e-5)}


class SimpleCNN(nn.Module):
    def __init__(self):
        super(SimpleCNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.fc1 = nn.Linear(4 * 3 * 3, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class MLP(nn.Module):
    def __init__(self):
        super(MLP, self).__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = x.flatten(1)
        return self.fc2(F.relu(self.fc1(x)))


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


def main(seed):
    torch.manual_seed(seed)
    digits = load_digits()
    data = torch.tensor((digits.images[:32] / 16.0).astype(np.float32)).unsqueeze(1)
    targets = torch.tensor(digits.target[:32])

    model = SimpleCNN()
    init_from_numpy(model, seed)

    # the loop: one backward per sample
    def compute_grad(sample, target):
        sample, target = sample.unsqueeze(0), target.unsqueeze(0)
        loss = loss_fn(model(sample), target)
        return torch.autograd.grad(loss, list(model.parameters()))

    loop_grads = [compute_grad(data[i], targets[i]) for i in range(len(data))]
    loop_grads = [torch.stack(shards) for shards in zip(*loop_grads)]

    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
        predictions = functional_call(model, (params, buffers), (batch,))
        return loss_fn(predictions, targets)

    ft_compute_grad = grad(compute_loss)
    ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
    ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
    worst = max(
        (per_sample - ft_per_sample_grads[name]).abs().max().item()
        for per_sample, name in zip(loop_grads, params)
    )

    # model ensembling
    models = [MLP() for _ in range(5)]
    for i, m in enumerate(models):
        init_from_numpy(m, seed + i)
    minibatches = data[:30].reshape(5, 6, 1, 8, 8)
    ens_params, ens_buffers = stack_module_state(models)
    base_model = copy.deepcopy(models[0])

    def fmodel(params, buffers, x):
        return functional_call(base_model, (params, buffers), (x,))

    different = vmap(fmodel)(ens_params, ens_buffers, minibatches)
    same = vmap(fmodel, in_dims=(0, 0, None))(ens_params, ens_buffers, minibatches[0])
    direct_same = torch.stack([m(minibatches[0]) for m in models])
    direct_different = torch.stack([m(mb) for m, mb in zip(models, minibatches)])

    # jacobians and a hessian of a small function
    def f(x):
        return torch.sin(x) * x.sum()

    x = torch.tensor([0.5, -1.0, 2.0])
    jac_rev, jac_fwd = jacrev(f)(x), jacfwd(f)(x)
    hess = hessian(lambda x: (x**3).sum() + x.prod())(x)
    return {
        "grad_shapes": {k: list(v.shape) for k, v in ft_per_sample_grads.items()},
        "vmap_vs_loop": worst,
        "per_sample_grad_head": ft_per_sample_grads["fc2.bias"][:3].tolist(),
        "stacked_shapes": {k: list(v.shape) for k, v in ens_params.items()},
        "ensemble_same": same[:, :2].tolist(),
        "ensemble_same_error": (same - direct_same).abs().max().item(),
        "ensemble_different_error": (different - direct_different).abs().max().item(),
        "jacrev": jac_rev.tolist(),
        "jacfwd": jac_fwd.tolist(),
        "hessian": hess.tolist(),
    }


def check(results):
    assert results["grad_shapes"]["conv1.weight"] == [32, 4, 1, 3, 3]
    assert results["vmap_vs_loop"] < 1e-5, results["vmap_vs_loop"]
    assert results["stacked_shapes"]["fc1.weight"] == [5, 32, 64]
    assert results["ensemble_same_error"] < 1e-5
    assert results["ensemble_different_error"] < 1e-5
    x = np.array([0.5, -1.0, 2.0])
    jac = np.diag(np.cos(x) * x.sum()) + np.sin(x)[:, None]
    assert np.allclose(results["jacrev"], jac, atol=1e-5)
    assert np.allclose(results["jacfwd"], jac, atol=1e-5)
    hess = np.diag(6 * x) + np.array([[0, x[2], x[1]], [x[2], 0, x[0]], [x[1], x[0], 0]])
    assert np.allclose(results["hessian"], hess, atol=1e-5)
