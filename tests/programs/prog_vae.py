"""pytorch/examples-style VAE on scikit-learn's 8x8 digits (pixels scaled to [0, 1]).

The reparameterisation draws ``torch.randn_like`` noise from each library's own generator, so the
training losses are compared loosely; the untrained network's evaluation (which decodes the mean,
no noise) is exact. As in pytorch/examples, ``torch.distributions`` is not used: the KL term is
written out as the paper's closed form (``prog_vae_distributions`` writes it with
``torch.distributions``).
"""

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.data
from sklearn.datasets import load_digits
from torch import nn, optim

from _numpy_init import init_from_numpy

TOLERANCES = {
    "train_loss": (0.05, 0.5),
    "test_loss": (0.05, 0.5),
    "recon_checksum": (0.05, 0.5),
}


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(64, 48)
        self.fc21 = nn.Linear(48, 6)
        self.fc22 = nn.Linear(48, 6)
        self.fc3 = nn.Linear(6, 48)
        self.fc4 = nn.Linear(48, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        if not self.training:
            return mu
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    # see Appendix B from VAE paper: Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def train(model, optimizer, train_loader, epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data,) in enumerate(train_loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    average = train_loss / len(train_loader.dataset)
    print("====> Epoch: {} Average loss: {:.4f}".format(epoch, average))
    return average


# pytorch/examples calls this test(); renamed so test-discovery tools do not take it
# for a pytest test
def evaluate(model, test_loader):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for (data,) in test_loader:
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
    test_loss /= len(test_loader.dataset)
    print("====> Test set loss: {:.4f}".format(test_loss))
    return test_loss


def main(seed):
    torch.manual_seed(seed)
    pixels = torch.from_numpy((load_digits().data / 16.0).astype(np.float32))
    train_set = torch.utils.data.TensorDataset(pixels[:1500])
    test_set = torch.utils.data.TensorDataset(pixels[1500:])
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=False)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=128, shuffle=False)

    model = VAE()
    init_from_numpy(model, seed)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)

    initial_test_loss = evaluate(model, test_loader)
    train_losses, test_losses = [], []
    for epoch in range(1, 6):
        train_losses.append(train(model, optimizer, train_loader, epoch))
        test_losses.append(evaluate(model, test_loader))
    with torch.no_grad():
        sample = torch.randn(16, 6)
        generated = model.decode(sample)
        recon, mu, logvar = model(pixels[1500:1508])
    return {
        "initial_test_loss": initial_test_loss,
        "train_loss": train_losses,
        "test_loss": test_losses,
        "generated_shape": list(generated.shape),
        "generated_in_unit": bool(((generated >= 0) & (generated <= 1)).all()),
        "recon_checksum": recon.sum().item(),
    }


def check(results):
    assert results["test_loss"][-1] < 0.8 * results["initial_test_loss"], results
    assert results["train_loss"][-1] < results["train_loss"][0]
