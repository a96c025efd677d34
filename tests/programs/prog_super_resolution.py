"""pytorch/examples super_resolution (sub-pixel convolution, ESPCN), shrunk to 8x8 digits.

4x4 block means of scikit-learn's 8x8 digits are upscaled x2 by ``Conv2d`` layers and
``PixelShuffle``; the example's ``torch.save(model, "model_epoch_{}.pth")`` checkpoints and the
``super_resolve`` step's ``torch.load(path, weights_only=False)`` are kept. The classes are
imported through ``torch.nn.modules.*`` paths, batches come from
``torch.utils.data.distributed.DistributedSampler`` (one replica, shuffled with a seed: the same
order as PyTorch's), and the losses go to ``torch.utils.tensorboard.SummaryWriter``.
"""

import glob
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn.init as init
import torch.optim as optim
import torch.utils.data as data
from sklearn.datasets import load_digits
from torch.nn.modules.activation import ReLU
from torch.nn.modules.conv import Conv2d
from torch.nn.modules.loss import MSELoss
from torch.nn.modules.module import Module
from torch.nn.modules.pixelshuffle import PixelShuffle
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torch.utils.tensorboard import SummaryWriter

from _numpy_init import init_from_numpy

TOLERANCES = {"train_loss": (1e-3, 1e-6), "psnr": (1e-3, 1e-4), "super_resolved": (1e-3, 1e-5)}


class Net(Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = ReLU()
        self.conv1 = Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = Conv2d(8, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


class DatasetFromDigits(data.Dataset):
    def __init__(self, images):
        super(DatasetFromDigits, self).__init__()
        self.target = torch.tensor(images)
        low = images.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4))
        self.input = torch.tensor(low.astype(np.float32))

    def __getitem__(self, index):
        return self.input[index].unsqueeze(0), self.target[index].unsqueeze(0)

    def __len__(self):
        return len(self.target)


def main(seed):
    torch.manual_seed(seed)
    images = (load_digits().images / 16.0).astype(np.float32)
    train_set, test_set = DatasetFromDigits(images[:640]), DatasetFromDigits(images[1500:])
    sampler = DistributedSampler(train_set, num_replicas=1, rank=0, shuffle=True, seed=seed)
    training_data_loader = DataLoader(dataset=train_set, batch_size=64, sampler=sampler)
    testing_data_loader = DataLoader(dataset=test_set, batch_size=100, shuffle=False)

    model = Net(upscale_factor=2)
    orthogonal_gain = model.conv1.weight.flatten(1).norm(dim=1).mean().item()
    init_from_numpy(model, seed)
    criterion = MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    train_losses, psnrs, first_indices = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        writer = SummaryWriter(log_dir=os.path.join(folder, "runs"))
        for epoch in range(1, 4):
            sampler.set_epoch(epoch)
            first_indices.append(list(iter(sampler))[:5])
            epoch_loss = 0
            for iteration, batch in enumerate(training_data_loader, 1):
                input, target = batch[0], batch[1]
                optimizer.zero_grad()
                loss = criterion(model(input), target)
                epoch_loss += loss.item()
                loss.backward()
                optimizer.step()
            train_losses.append(epoch_loss / len(training_data_loader))
            writer.add_scalar("loss/train", train_losses[-1], epoch)
            avg_psnr = 0
            with torch.no_grad():
                for batch in testing_data_loader:
                    input, target = batch[0], batch[1]
                    mse = criterion(model(input), target)
                    avg_psnr += 10 * math.log10(1 / mse.item())
            psnrs.append(avg_psnr / len(testing_data_loader))
            writer.add_scalar("psnr/test", psnrs[-1], epoch)
            model_out_path = os.path.join(folder, "model_epoch_{}.pth".format(epoch))
            torch.save(model, model_out_path)
        writer.close()
        event_files = glob.glob(os.path.join(folder, "runs", "events.out.tfevents.*"))
        # super_resolve: the last checkpoint, read back whole
        model = torch.load(os.path.join(folder, "model_epoch_3.pth"), weights_only=False)
        with torch.no_grad():
            out = model(test_set[0][0].unsqueeze(0))
    return {
        "orthogonal_gain": orthogonal_gain,
        "first_indices": first_indices,
        "train_loss": train_losses,
        "psnr": psnrs,
        "event_files": len(event_files),
        "loaded_class": type(model).__name__,
        "super_resolved_shape": list(out.shape),
        "super_resolved": out[0, 0, :2].tolist(),
    }


def check(results):
    assert abs(results["orthogonal_gain"] - 2**0.5) < 1e-3, results["orthogonal_gain"]
    assert results["first_indices"][0] != results["first_indices"][1]
    assert results["psnr"][-1] > results["psnr"][0], results["psnr"]
    assert results["event_files"] == 1
    assert results["loaded_class"] == "Net" and results["super_resolved_shape"] == [1, 1, 8, 8]
