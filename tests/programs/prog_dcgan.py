"""DCGAN-style training on 8x8 digits: ConvTranspose2d + BatchNorm2d generator, strided-conv
discriminator, BCEWithLogitsLoss, Adam(betas=(0.5, 0.999)).

The latent noise comes from NumPy, so with NumPy-drawn initial weights the run is deterministic.
``weights_init`` is the DCGAN paper's (normal(0, 0.02) convs, normal(1, 0.02) batch-norm scales);
its random draws are then replaced by ``init_from_numpy``.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits

from _numpy_init import init_from_numpy

nz, ngf, ndf, nc = 8, 16, 16, 1

TOLERANCES = {"loss_D": (2e-3, 2e-4), "loss_G": (2e-3, 2e-4), "D_x": (2e-3, 2e-4)}


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            # input is Z, going into a convolution: nz x 1 x 1
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 4 x 4
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. ngf x 8 x 8
            nn.Conv2d(ngf, nc, 3, 1, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            # input is nc x 8 x 8
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. ndf x 4 x 4
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 2 x 2
            nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False),
        )

    def forward(self, input):
        return self.main(input).view(-1)


def main(seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    images = load_digits().images[:512] / 8.0 - 1.0  # scaled to [-1, 1] like the Normalize(0.5)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(images.astype(np.float32)[:, None]))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=False)

    netG = Generator()
    netG.apply(weights_init)
    bn_scale_mean = netG.main[1].weight.mean().item()
    init_from_numpy(netG, seed)
    netD = Discriminator()
    netD.apply(weights_init)
    init_from_numpy(netD, seed + 1)

    criterion = nn.BCEWithLogitsLoss()
    fixed_noise = torch.from_numpy(rng.standard_normal((16, nz, 1, 1)).astype(np.float32))
    real_label = 1.0
    fake_label = 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=0.002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.002, betas=(0.5, 0.999))

    G_losses, D_losses, D_x_history = [], [], []
    for epoch in range(2):
        for i, data in enumerate(dataloader, 0):
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            netD.zero_grad()
            real_cpu = data[0]
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float)
            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = torch.sigmoid(output).mean().item()

            noise = torch.from_numpy(rng.standard_normal((b_size, nz, 1, 1)).astype(np.float32))
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            errD = errD_real + errD_fake
            optimizerD.step()

            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for generator cost
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            optimizerG.step()

            G_losses.append(errG.item())
            D_losses.append(errD.item())
            D_x_history.append(D_x)

    netG.eval()
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    return {
        "bn_scale_mean_near_1": abs(bn_scale_mean - 1.0) < 0.02,
        "loss_D": D_losses,
        "loss_G": G_losses,
        "D_x": D_x_history,
        "fake_shape": list(fake.shape),
        "fake_range_ok": bool((fake.abs() <= 1).all()),
        "fake_checksum": fake.sum().item(),
        "running_var_mean": netG.main[4].running_var.mean().item(),
        "batches_tracked": netD.main[3].num_batches_tracked.item(),
    }


def check(results):
    assert len(results["loss_D"]) == 16
    assert results["batches_tracked"] == 48
