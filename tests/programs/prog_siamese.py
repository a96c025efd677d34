"""pytorch/examples-style siamese network: are two digits the same class?

As the example does with torchvision's ResNet-18, a ResNet (a small one, written out here)
gets its first convolution replaced for one-channel input (``resnet.conv1 = nn.Conv2d(1, ...)``,
which must keep its slot among the children) and loses its classifier through
``nn.Sequential(*list(resnet.children())[:-1])``. Both images of a pair go through the same
network, so every BatchNorm runs twice before the one backward. Pairs of scikit-learn's 8x8
digits, drawn with NumPy, are batched by ``torch.utils.data.sampler.BatchSampler``.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.modules.batchnorm
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.sampler import BatchSampler, SequentialSampler

from _numpy_init import init_from_numpy

TOLERANCES = {
    "train_loss": (2e-3, 1e-5),
    "test_loss": (2e-3, 1e-5),
    "test_accuracy": (0.0, 0.01),
    "bn_running_mean": (2e-3, 1e-5),
}


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """torchvision's ResNet layout, two stages of one block each."""

    def __init__(self, widths=(8, 16), num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(widths[0], widths[0]))
        down = nn.Sequential(
            nn.Conv2d(widths[0], widths[1], 1, stride=2, bias=False), nn.BatchNorm2d(widths[1])
        )
        self.layer2 = nn.Sequential(BasicBlock(widths[0], widths[1], 2, down))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[1] * BasicBlock.expansion, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SiameseNetwork(nn.Module):
    def __init__(self):
        super(SiameseNetwork, self).__init__()
        self.resnet = ResNet()
        # over-write the first conv layer to be able to read one-channel images
        self.resnet.conv1 = nn.Conv2d(
            1, 8, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False
        )
        self.child_names = [name for name, _ in self.resnet.named_children()]
        self.fc_in_features = self.resnet.fc.in_features
        # remove the last layer of resnet (linear layer which is before avgpool layer)
        self.resnet = torch.nn.Sequential(*(list(self.resnet.children())[:-1]))
        self.fc = nn.Sequential(
            nn.Linear(self.fc_in_features * 2, 32),
            nn.ReLU(inplace=True),
            nn.Linear(32, 1),
        )
        self.sigmoid = nn.Sigmoid()
        self.resnet.apply(self.init_weights)
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        output = self.resnet(x)
        output = output.view(output.size()[0], -1)
        return output

    def forward(self, input1, input2):
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)
        output = torch.cat((output1, output2), 1)
        output = self.fc(output)
        output = self.sigmoid(output)
        return output


class DigitPairs(Dataset):
    """Pairs of digit images; target 1 when both show the same digit (half the pairs)."""

    def __init__(self, images, labels, n_pairs, seed):
        rng = np.random.default_rng(seed)
        by_class = [np.flatnonzero(labels == c) for c in range(10)]
        self.images, firsts, seconds, targets = images, [], [], []
        for i in range(n_pairs):
            a = int(rng.integers(len(labels)))
            same = i % 2 == 0
            other = labels[a] if same else (labels[a] + rng.integers(1, 10)) % 10
            firsts.append(a)
            seconds.append(int(rng.choice(by_class[other])))
            targets.append(float(same))
        self.pairs = list(zip(firsts, seconds, targets))

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        if isinstance(index, list):  # a whole batch from the BatchSampler
            return self.collate([self.pairs[i] for i in index])
        return self.collate([self.pairs[index]])

    def collate(self, pairs):
        a, b, t = zip(*pairs)
        return (
            self.images[list(a)],
            self.images[list(b)],
            torch.tensor(t, dtype=torch.float32),
        )


def train(model, train_loader, optimizer, epoch):
    model.train()
    criterion = nn.BCELoss()
    losses = []
    for batch_idx, (images_1, images_2, targets) in enumerate(train_loader):
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, test_loader):
    model.eval()
    test_loss, correct, n = 0, 0, 0
    criterion = nn.BCELoss(reduction="sum")
    with torch.no_grad():
        for images_1, images_2, targets in test_loader:
            outputs = model(images_1, images_2).squeeze()
            test_loss += criterion(outputs, targets).item()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
            n += len(targets)
    return test_loss / n, correct / n


def main(seed):
    torch.manual_seed(seed)
    digits = load_digits()
    images = torch.from_numpy((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
    labels = digits.target
    train_set = DigitPairs(images[:1400], labels[:1400], 384, seed)
    test_set = DigitPairs(images[1400:], labels[1400:], 200, seed + 1)

    def loader(ds, batch_size):
        sampler = BatchSampler(SequentialSampler(ds), batch_size=batch_size, drop_last=False)
        return DataLoader(ds, sampler=sampler, batch_size=None)

    model = SiameseNetwork()
    init_from_numpy(model, seed)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    train_losses, test_losses, accuracies = [], [], []
    for epoch in range(1, 4):
        train_losses += train(model, loader(train_set, 32), optimizer, epoch)
        loss, accuracy = evaluate(model, loader(test_set, 100))
        test_losses.append(loss)
        accuracies.append(accuracy)
        scheduler.step()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm.BatchNorm2d)]
    return {
        "child_names": model.child_names,
        "children_kept": [type(m).__name__ for m in model.resnet.children()],
        "first_conv_in_channels": model.resnet[0].in_channels,
        "state_keys_head": list(model.state_dict().keys())[:4],
        "n_batchnorms": len(bns),
        "batches_tracked": int(bns[0].num_batches_tracked),
        "bn_running_mean": bns[0].running_mean.tolist(),
        "train_loss": train_losses,
        "test_loss": test_losses,
        "test_accuracy": accuracies,
        "lr": scheduler.get_last_lr(),
    }


def check(results):
    names = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "avgpool", "fc"]
    assert results["child_names"] == names, results["child_names"]
    assert results["children_kept"][0] == "Conv2d" and "Linear" not in results["children_kept"]
    assert results["first_conv_in_channels"] == 1
    assert results["batches_tracked"] == 2 * 3 * 12  # twice per step: both images of a pair
    first, last = results["train_loss"][:12], results["train_loss"][-12:]
    assert sum(last) < 0.95 * sum(first), results["train_loss"]
