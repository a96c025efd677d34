"""The 60-minute blitz: tensors, autograd, and a small CIFAR-10-shaped CNN trained with SGD.

The images are NumPy-drawn 3x32x32 arrays whose class shifts their colour means, so the network
has something to learn; with NumPy-drawn initial weights the whole run is deterministic.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

from _numpy_init import init_from_numpy

classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

TOLERANCES = {"losses": (1e-3, 1e-4)}


def tensor_basics():
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    shape = (2, 3)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)

    tensor = torch.ones(4, 4)
    tensor[:, 1] = 0
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    z1 = tensor * tensor
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    agg = tensor.sum()
    agg_item = agg.item()
    tensor.add_(5)

    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)  # the NumPy array shares the memory
    return {
        "x_data_sum": x_data.sum().item(),
        "x_np_equal": bool(torch.equal(x_data, x_np)),
        "x_ones": x_ones.tolist(),
        "x_rand_shape": list(x_rand.shape),
        "x_rand_in_unit": bool(((x_rand >= 0) & (x_rand < 1)).all()),
        "ones_zeros": [ones_tensor.sum().item(), zeros_tensor.sum().item()],
        "t1_shape": list(t1.shape),
        "matmul": [y1.sum().item(), y2.sum().item(), y3.sum().item()],
        "mul": [z1.sum().item(), z3.sum().item()],
        "agg": agg_item,
        "added": tensor.tolist(),
        "shared_numpy": n.tolist(),
        "dtype_is_float32": x_rand.dtype == torch.float32,
    }


def autograd_basics():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    grad_fn_exists = y.grad_fn is not None

    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a**3 - b**2
    external_grad = torch.tensor([1.0, 1.0])
    q.backward(gradient=external_grad)

    x2 = torch.linspace(-1.0, 1.0, 5, requires_grad=True)
    y2 = x2 * 2
    while y2.data.norm() < 100:
        y2 = y2 * 2
    v = torch.tensor([0.1, 1.0, 0.0001, 1.0, 0.5], dtype=torch.float)
    y2.backward(v)

    with torch.no_grad():
        no_grad_requires = (x**2).requires_grad
    detached = x.detach()
    return {
        "out": out.item(),
        "x_grad": x.grad.tolist(),
        "grad_fn_exists": grad_fn_exists,
        "a_grad": a.grad.tolist(),
        "b_grad": b.grad.tolist(),
        "vjp": x2.grad.tolist(),
        "y2": y2.tolist(),
        "no_grad_requires": no_grad_requires,
        "detached_requires": detached.requires_grad,
        "y_is_leaf": y.is_leaf,
        "x_is_leaf": x.is_leaf,
    }


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def make_cifar_like(seed, n):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    colour = rng.normal(0.0, 1.0, size=(10, 3, 1, 1))
    images = rng.normal(0.0, 1.0, size=(n, 3, 32, 32)) + colour[labels]
    return images.astype(np.float32), labels


def main(seed):
    results = {"basics": tensor_basics(), "autograd": autograd_basics()}

    images, labels = make_cifar_like(seed, 160)
    trainset = list(zip(torch.from_numpy(images[:128]), torch.from_numpy(labels[:128])))
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=16, shuffle=False)
    test_images = torch.from_numpy(images[128:])
    test_labels = torch.from_numpy(labels[128:])

    net = Net()
    init_from_numpy(net, seed)
    params = list(net.parameters())
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.02, momentum=0.9)

    losses = []
    for epoch in range(3):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels_batch = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels_batch)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
            if i % 4 == 3:
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 4:.3f}")
                running_loss = 0.0
    print("Finished Training")

    correct = 0
    total = 0
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}
    with torch.no_grad():
        outputs = net(test_images)
        _, predicted = torch.max(outputs.data, 1)
        total += test_labels.size(0)
        correct += (predicted == test_labels).sum().item()
        for label, prediction in zip(test_labels, predicted):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1

    results.update(
        n_params=len(params),
        conv1_weight_shape=list(params[0].size()),
        losses=losses,
        accuracy=correct / total,
        correct_pred=correct_pred,
        total_pred=total_pred,
        output_checksum=outputs.abs().sum().item(),
    )
    return results


def check(results):
    assert results["losses"][-1] < results["losses"][0]
    assert results["accuracy"] > 0.3
