# Hogwild on the bundled digits, as pytorch/examples' mnist_hogwild writes it: only the
# imports name tinytensor. Run: python hogwild.py [--num-processes 2] [--epochs 2]
import argparse

import tinytensor as torch
import tinytensor.multiprocessing as mp
import tinytensor.nn as nn
import tinytensor.nn.functional as F
import tinytensor.optim as optim
from tinytensor.data import DataLoader
from tinytensor.data.datasets import Digits


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return F.log_softmax(self.fc2(F.relu(self.fc1(torch.flatten(x, 1)))), dim=1)


def train(rank, args, model):
    torch.manual_seed(args.seed + rank)
    loader = DataLoader(Digits(train=True), batch_size=args.batch_size, shuffle=True)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    model.train()
    for _ in range(args.epochs):
        for data, target in loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()  # writes the shared parameters every process sees


def test(model):
    model.eval()
    loader = DataLoader(Digits(train=False), batch_size=256)
    correct = 0
    with torch.no_grad():
        for data, target in loader:
            correct += int((model(data).argmax(dim=1) == target).sum().item())
    print(f"Test set: accuracy {correct}/{len(loader.dataset)} "
          f"({100.0 * correct / len(loader.dataset):.1f}%)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="tinytensor Hogwild example")
    parser.add_argument("--num-processes", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    mp.set_start_method("spawn", force=True)
    model = Net()
    model.share_memory()  # gradients are allocated lazily, so they are not shared here
    processes = []
    for rank in range(args.num_processes):
        p = mp.Process(target=train, args=(rank, args, model))
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
    test(model)
