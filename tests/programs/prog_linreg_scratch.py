"""Linear and softmax regression from scratch (the "Dive into Deep Learning" way): raw tensors
with ``requires_grad``, a hand-written minibatch iterator, SGD updates under ``torch.no_grad()``.

Minibatches are shuffled with Python's ``random`` (seeded), so both libraries see the same order.
"""

import random

import numpy as np
import torch


def synthetic_data(w, b, num_examples, rng):
    """Generate y = Xw + b + noise."""
    X = torch.from_numpy(rng.normal(0, 1, (num_examples, len(w))).astype(np.float32))
    y = torch.matmul(X, w) + b
    y += torch.from_numpy(rng.normal(0, 0.01, y.shape).astype(np.float32))
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)  # the examples are read at random, in no particular order
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i : min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def softmax(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def linear_regression(seed):
    rng = np.random.default_rng(seed)
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000, rng)

    w = torch.zeros(size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, num_epochs, batch_size = 0.03, 3, 10
    epoch_losses = []
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            l = squared_loss(linreg(X, w, b), y)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
        with torch.no_grad():
            train_l = squared_loss(linreg(features, w, b), labels)
            epoch_losses.append(float(train_l.mean()))
    return {
        "epoch_loss": epoch_losses,
        "w": w.detach().reshape(-1).tolist(),
        "b": b.item(),
        "w_error": (true_w - w.reshape(true_w.shape)).abs().max().item(),
    }


def softmax_regression(seed):
    rng = np.random.default_rng(seed + 1)
    num_inputs, num_outputs, n = 6, 3, 600
    centers = rng.normal(0, 2, (num_outputs, num_inputs))
    y_np = rng.integers(0, num_outputs, n)
    X_np = centers[y_np] + rng.normal(0, 1, (n, num_inputs))
    features = torch.tensor(X_np, dtype=torch.float32)
    labels = torch.tensor(y_np)

    W = torch.tensor(rng.normal(0, 0.01, (num_inputs, num_outputs)), dtype=torch.float32)
    W.requires_grad_(True)
    b = torch.zeros(num_outputs, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    lr, batch_size = 0.1, 32
    history = []
    for epoch in range(3):
        metric_loss, metric_acc, count = 0.0, 0.0, 0
        for X, y in data_iter(batch_size, features, labels):
            y_hat = net(X)
            l = cross_entropy(y_hat, y)
            l.mean().backward()
            with torch.no_grad():
                for param in (W, b):
                    param.sub_(lr * param.grad)
                    param.grad = None
            metric_loss += float(l.sum())
            metric_acc += accuracy(y_hat, y)
            count += y.numel()
        history.append([metric_loss / count, metric_acc / count])
    return {"history": history, "W_norm": W.norm().item()}


def main(seed):
    random.seed(seed)
    torch.manual_seed(seed)
    return {"linear": linear_regression(seed), "softmax": softmax_regression(seed)}


TOLERANCES = {"linear": (1e-3, 1e-5), "softmax": (1e-3, 1e-5)}


def check(results):
    assert results["linear"]["w_error"] < 0.01
    assert results["softmax"]["history"][-1][1] > 0.85
