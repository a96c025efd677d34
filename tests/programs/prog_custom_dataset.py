"""A custom ``Dataset`` subclass with a transform, loaded by worker processes.

The "data loading tutorial" pattern: ``__len__``/``__getitem__`` returning a dict sample, a
callable transform class, ``DataLoader(num_workers=2)``, ``Subset``, a ``collate_fn``, plus
``random_split`` with a seeded generator (whose split differs between libraries, so only its
sizes are compared). An MLP with a LR warm-up (``LambdaLR``) trains on the worker-loaded batches.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, Dataset, Subset, random_split

from _numpy_init import init_from_numpy

TOLERANCES = {"train_loss": (1e-3, 1e-4)}


class Normalize(object):
    """Scale pixels to [0, 1] and standardise with the given mean and std."""

    def __init__(self, mean, std):
        self.mean = mean
        self.std = std

    def __call__(self, sample):
        image, label = sample["image"], sample["label"]
        return {"image": (image / 16.0 - self.mean) / self.std, "label": label}


class ToTensor(object):
    """Convert ndarrays in sample to Tensors."""

    def __call__(self, sample):
        image, label = sample["image"], sample["label"]
        return {"image": torch.from_numpy(image.astype(np.float32)), "label": label}


class Compose(object):
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, sample):
        for t in self.transforms:
            sample = t(sample)
        return sample


class DigitsDataset(Dataset):
    """The 8x8 digits as a map-style dataset."""

    def __init__(self, transform=None):
        digits = load_digits()
        self.images = digits.images
        self.labels = digits.target
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        sample = {"image": self.images[idx].reshape(-1), "label": int(self.labels[idx])}
        if self.transform:
            sample = self.transform(sample)
        return sample


def pad_collate(batch):
    """A hand-written collate_fn: stack images, gather labels into a LongTensor."""
    images = torch.stack([item["image"] for item in batch])
    labels = torch.tensor([item["label"] for item in batch], dtype=torch.long)
    return images, labels


def main(seed):
    torch.manual_seed(seed)
    transform = Compose([Normalize(0.3, 0.35), ToTensor()])
    dataset = DigitsDataset(transform=transform)
    train_set = Subset(dataset, range(0, 1000))
    test_set = Subset(dataset, range(1500, len(dataset)))

    sizes = [len(s) for s in random_split(dataset, [0.8, 0.2], torch.Generator().manual_seed(42))]

    default_loader = DataLoader(train_set, batch_size=4)
    first = next(iter(default_loader))
    train_loader = DataLoader(
        train_set,
        batch_size=50,
        shuffle=False,
        num_workers=2,
        collate_fn=pad_collate,
        persistent_workers=True,
    )
    test_loader = DataLoader(test_set, batch_size=100, num_workers=2, collate_fn=pad_collate)

    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    init_from_numpy(model, seed)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 10))

    losses, lrs = [], []
    for epoch in range(3):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            warmup.step()
            losses.append(loss.item())
        lrs.append(warmup.get_last_lr()[0])

    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.size(0)

    return {
        "len_dataset": len(dataset),
        "random_split_sizes": sizes,
        "default_collate_keys": sorted(first.keys()),
        "default_collate_image_shape": list(first["image"].shape),
        "default_collate_labels": first["label"].tolist(),
        "default_collate_label_is_long": first["label"].dtype == torch.int64,
        "n_batches": len(train_loader),
        "train_loss": losses,
        "lr": lrs,
        "test_accuracy": correct / total,
    }


def check(results):
    assert results["test_accuracy"] > 0.8, results["test_accuracy"]
    assert results["random_split_sizes"] == [1438, 359]
