"""A two-layer GCN on a sparse normalised adjacency, trained by SGD, against NumPy backprop."""

import numpy as np

import tinytensor as tt
import tinytensor.nn.functional as F


def _graph(seed=3, n=30, feats=5, classes=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    upper = np.triu(rng.random((n, n)) < np.where(labels[:, None] == labels, 0.3, 0.05), 1)
    a = (upper | upper.T).astype(np.float64) + np.eye(n)
    d = 1 / np.sqrt(a.sum(1))
    a_hat = d[:, None] * a * d[None, :]
    x = rng.normal(size=(n, feats)) + labels[:, None]
    w1, w2 = rng.normal(size=(feats, 8)) * 0.4, rng.normal(size=(8, classes)) * 0.4
    b1, b2 = np.full(8, 0.1), np.zeros(classes)
    return a_hat, x, labels, [w1, b1, w2, b2]


def _numpy_step(a_hat, x, labels, mask, params, lr):
    """Loss and one SGD step, backpropagated by hand."""
    w1, b1, w2, b2 = params
    ax = a_hat @ x
    pre = ax @ w1 + b1
    h = np.maximum(pre, 0)
    ah = a_hat @ h
    z = ah @ w2 + b2
    z = z - z.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    m = mask.sum()
    loss = -logp[mask, labels[mask]].mean()
    dz = np.exp(logp)
    dz[np.arange(len(labels)), labels] -= 1
    dz[~mask] = 0
    dz /= m
    dw2, db2 = ah.T @ dz, dz.sum(0)
    dh = a_hat.T @ dz @ w2.T
    dpre = dh * (pre > 0)
    dw1, db1 = ax.T @ dpre, dpre.sum(0)
    grads = [dw1, db1, dw2, db2]
    return loss, [p - lr * g for p, g in zip(params, grads)]


def test_gcn_training_matches_numpy_backprop():
    a_hat, x, labels, params = _graph()
    mask = np.arange(len(labels)) < 20
    adj = tt.tensor(a_hat).to_sparse()  # the normalised adjacency as sparse COO
    assert adj._nnz() == int((a_hat != 0).sum())
    ps = [tt.tensor(p, requires_grad=True) for p in params]
    xt, yt, mt = tt.tensor(x), tt.tensor(labels), tt.tensor(mask)
    opt = tt.optim.SGD(ps, lr=0.5)
    np_params = params
    for _ in range(6):
        h = F.relu(tt.sparse.mm(adj, xt @ ps[0]) + ps[1])
        out = F.log_softmax(tt.spmm(adj, h @ ps[2]) + ps[3], dim=1)
        loss = F.nll_loss(out[mt], yt[mt])
        opt.zero_grad()
        loss.backward()
        opt.step()
        want, np_params = _numpy_step(a_hat, x, labels, mask, np_params, 0.5)
        np.testing.assert_allclose(loss.item(), want, rtol=1e-10)
    for p, q in zip(ps, np_params):
        np.testing.assert_allclose(p.detach().numpy(), q, rtol=1e-9, atol=1e-12)
