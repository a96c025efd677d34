"""d2l.ai "Residual Networks (ResNet)" (8.6), written out as a script.

The book's ``Residual`` block (``LazyConv2d``, ``LazyBatchNorm2d``, optional 1x1 convolution)
and its ``ResNet`` built stage by stage with ``add_module`` (``b1`` then ``b2``... then a
``LazyLinear`` head), shrunk to two narrow stages for scikit-learn's 8x8 digits. The
block's shape checks from the page, then a few epochs from NumPy-drawn weights.

Only the first steps are compared number for number. After about eight steps at this learning
rate the run takes one of two trajectories, both correct float32 arithmetic: perturbing the
bias gradients by one part in a million (below float32 summation-order noise) switches it from
PyTorch's to the other in one seed of three, through a value that lands on the other side of a
ReLU or max-pool tie. So the losses of the first ``EXACT_STEPS`` steps and the running variance
after them are compared at the default tolerance; the later numbers by shape, and ``check``
asserts that the whole run learns.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from _numpy_init import init_from_numpy

EXACT_STEPS = 6
TOLERANCES = {
    "train_loss": "structure",
    "val_loss": "structure",
    "val_acc": "structure",
    "running_var": "structure",
}


class Residual(nn.Module):
    """The Residual block of ResNet models."""

    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class ResNet(nn.Module):
    def b1(self):
        return nn.Sequential(
            nn.LazyConv2d(8, kernel_size=3, stride=1, padding=1),
            nn.LazyBatchNorm2d(),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        )

    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    def __init__(self, arch, lr=0.1, num_classes=10):
        super(ResNet, self).__init__()
        self.lr = lr
        self.net = nn.Sequential(self.b1())
        for i, b in enumerate(arch):
            self.net.add_module(f"b{i + 2}", self.block(*b, first_block=(i == 0)))
        self.net.add_module(
            "last",
            nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(num_classes)),
        )

    def forward(self, X):
        return self.net(X)

    def layer_summary(self, X_shape):
        X = torch.zeros(*X_shape)
        shapes = []
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)
            shapes.append(list(X.shape))
        return shapes


def main(seed):
    torch.manual_seed(seed)
    digits = load_digits()
    big = (digits.images / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(big))
    X, y = torch.tensor(big[order]).unsqueeze(1), torch.tensor(digits.target[order])

    blk = Residual(3)
    same_shape = list(blk(torch.zeros(4, 3, 6, 6)).shape)
    blk = Residual(6, use_1x1conv=True, strides=2)
    halved_shape = list(blk(torch.zeros(4, 3, 6, 6)).shape)

    model = ResNet(arch=((1, 8), (1, 16)), lr=0.2)
    model.eval()  # materialise in evaluation mode: the running statistics stay at their start
    shapes = model.layer_summary((1, 1, 8, 8))
    init_from_numpy(model, seed)
    optim = torch.optim.SGD(model.parameters(), lr=model.lr)
    X_train, y_train, X_val, y_val = X[:640], y[:640], X[1500:], y[1500:]
    train_losses, val_losses, val_accs = [], [], []
    for epoch in range(2):
        model.train()
        for i in range(0, len(X_train), 64):
            loss = F.cross_entropy(model(X_train[i : i + 64]), y_train[i : i + 64])
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                optim.step()
            train_losses.append(loss.item())
            if len(train_losses) == EXACT_STEPS:
                early_var = model.net.b3[0].bn2.running_var[:6].tolist()
        model.eval()
        with torch.no_grad():
            Y_hat = model(X_val)
            val_losses.append(F.cross_entropy(Y_hat, y_val).item())
            val_accs.append((Y_hat.argmax(axis=1) == y_val).float().mean().item())
    return {
        "residual_same_shape": same_shape,
        "residual_halved_shape": halved_shape,
        "stage_names": [name for name, _ in model.net.named_children()],
        "layer_shapes": shapes,
        "n_params": sum(p.numel() for p in model.parameters()),
        "running_var": model.net.b3[0].bn2.running_var[:6].tolist(),
        "early_train_loss": train_losses[:EXACT_STEPS],
        "early_running_var": early_var,
        "train_loss": train_losses,
        "val_loss": val_losses,
        "val_acc": val_accs,
    }


def check(results):
    assert results["residual_same_shape"] == [4, 3, 6, 6]
    assert results["residual_halved_shape"] == [4, 6, 3, 3]
    assert results["stage_names"] == ["0", "b2", "b3", "last"]
    assert results["layer_shapes"] == [[1, 8, 4, 4], [1, 8, 4, 4], [1, 16, 2, 2], [1, 10]]
    assert results["train_loss"][-1] < 0.5 * results["train_loss"][0], results["train_loss"]
    assert results["val_loss"][-1] < results["val_loss"][0], results["val_loss"]
