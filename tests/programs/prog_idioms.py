"""Everyday PyTorch idioms: tensor plumbing, init with ``model.apply``, freezing, plateau LR.

A small CNN classifies the 8x8 digits; its first block is frozen after a warm-up epoch, the rest
is fine-tuned with ``ReduceLROnPlateau`` watching the validation loss.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.optim.lr_scheduler import ReduceLROnPlateau

from _numpy_init import init_from_numpy

TOLERANCES = {
    "kaiming_std_ratio": (0.0, 0.15),
    "train_loss": (1e-3, 1e-4),
    "lbfgs": (1e-3, 1e-5),
}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.features(x)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 2 * 2)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.constant_(m.bias, 0)


def tensor_idioms(seed):
    rng = np.random.default_rng(seed)
    a_np = rng.normal(size=(4, 5)).astype(np.float32)
    a = torch.from_numpy(a_np)
    b = torch.tensor(rng.normal(size=(4, 5)), dtype=torch.float32)
    stacked = torch.stack([a, b])
    catted = torch.cat((a, b), dim=0)
    probs = F.softmax(a, dim=1)
    top_values, top_indices = torch.topk(probs, k=2, dim=1)
    clipped = torch.clamp(a, min=-0.5, max=0.5)
    where = torch.where(a > 0, a, torch.zeros_like(a))
    mask = a > 0
    counts = mask.sum(dim=1)
    masked_mean = a[mask].mean()
    values, indices = torch.max(a, 1)
    as_long = (a * 10).long()
    as_float = as_long.float() / 10
    chunks = torch.chunk(catted, 4, dim=0)
    squeezed = a.unsqueeze(0).unsqueeze(-1).squeeze()
    a_back = a.detach().cpu().numpy()
    permuted = stacked.permute(1, 0, 2).contiguous()
    eye_sum = torch.eye(3).sum().item()
    ar = torch.arange(0, 10, 2)
    return {
        "stacked_shape": list(stacked.size()),
        "cat_size0": catted.size(0),
        "softmax_row_sums": probs.sum(dim=1).tolist(),
        "topk_values": top_values.tolist(),
        "topk_indices": top_indices.tolist(),
        "clamp_sum": clipped.sum().item(),
        "where_sum": where.sum().item(),
        "positive_counts": counts.tolist(),
        "masked_mean": masked_mean.item(),
        "max_values": values.tolist(),
        "argmax": indices.tolist(),
        "long_dtype": as_long.dtype == torch.long,
        "float_sum": as_float.sum().item(),
        "n_chunks": len(chunks),
        "squeezed_shape": list(squeezed.shape),
        "numpy_roundtrip": bool(np.array_equal(a_back, a_np)),
        "shares_memory": bool(np.shares_memory(a.numpy(), a_np)),
        "permuted_shape": list(permuted.shape),
        "eye_sum": eye_sum,
        "arange": ar.tolist(),
        "mean_std": [b.mean().item(), b.std().item()],
        "is_tensor": torch.is_tensor(a),
    }


def lbfgs_fit(seed):
    """Curve fitting with LBFGS, which needs ``optimizer.step(closure)``."""
    rng = np.random.default_rng(seed)
    x = torch.linspace(-2, 2, 50).unsqueeze(1)
    y = torch.tanh(1.5 * x) + torch.from_numpy(rng.normal(0, 0.05, (50, 1)).astype(np.float32))
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([0.5], requires_grad=True)
    optimizer = optim.LBFGS([a, b], lr=0.5, max_iter=20, history_size=10)

    def closure():
        optimizer.zero_grad()
        loss = F.mse_loss(a * torch.tanh(b * x), y)
        loss.backward()
        return loss

    losses = [optimizer.step(closure).item() for _ in range(3)]
    return {"losses": losses, "a": a.item(), "b": b.item()}


def evaluate(model, criterion, x, y):
    model.eval()
    with torch.no_grad():
        outputs = model(x)
        loss = criterion(outputs, y).item()
        _, preds = torch.max(outputs.data, 1)
        corrects = torch.sum(preds == y.data)
    return loss, corrects.double().item() / y.size(0)


def main(seed):
    torch.manual_seed(seed)
    results = {"tensors": tensor_idioms(seed), "lbfgs": lbfgs_fit(seed)}

    model = Net()
    model.apply(init_weights)
    w = model.fc1.weight
    results["kaiming_std_ratio"] = w.std().item() / (2.0 / w.size(1)) ** 0.5
    results["biases_zero_after_apply"] = all(
        bool((p == 0).all()) for n, p in model.named_parameters() if n.endswith("bias")
    )
    results["param_names"] = [n for n, _ in model.named_parameters()]
    results["buffer_names"] = [n for n, _ in model.named_buffers()]
    init_from_numpy(model, seed)

    digits = load_digits()
    x = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    y = torch.from_numpy(digits.target).long()
    x_train, y_train, x_val, y_val = x[:800], y[:800], x[1500:], y[1500:]

    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train_losses, val_losses, val_accs, lrs = [], [], [], []

    def run_epoch(optimizer):
        model.train()
        for i in range(0, x_train.size(0), 100):
            inputs, labels = x_train[i : i + 100], y_train[i : i + 100]
            optimizer.zero_grad(set_to_none=True)
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            train_losses.append(loss.item())

    run_epoch(optimizer)
    val_loss, val_acc = evaluate(model, criterion, x_val, y_val)
    val_losses.append(val_loss)
    val_accs.append(val_acc)

    # freeze the feature extractor and fine-tune the rest
    for param in model.features.parameters():
        param.requires_grad_(False)
    frozen_before = model.features[0].weight.clone()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=0.01)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)
    for epoch in range(4):
        run_epoch(optimizer)
        val_loss, val_acc = evaluate(model, criterion, x_val, y_val)
        scheduler.step(val_loss)
        val_losses.append(val_loss)
        val_accs.append(val_acc)
        lrs.append(optimizer.param_groups[0]["lr"])

    results.update(
        n_trainable=len(trainable),
        n_total=sum(1 for _ in model.parameters()),
        n_trainable_elements=sum(p.numel() for p in trainable),
        frozen_unchanged=bool(torch.equal(frozen_before, model.features[0].weight)),
        frozen_grad_is_none=model.features[0].weight.grad is None,
        bn_running_mean=model.features[1].running_mean.tolist(),
        bn_batches_tracked=int(model.features[1].num_batches_tracked),
        train_loss=train_losses,
        val_loss=val_losses,
        val_accuracy=val_accs,
        lr=lrs,
    )
    return results


def check(results):
    assert results["val_accuracy"][-1] > 0.6, results["val_accuracy"]
    assert results["frozen_unchanged"]
    assert results["biases_zero_after_apply"]
