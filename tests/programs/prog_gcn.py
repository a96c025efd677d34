"""pytorch/examples' GCN (Kipf & Welling) on a synthetic citation-like graph.

The examples' pattern: a normalised adjacency D^-1/2 (A + I) D^-1/2 built as a sparse COO
tensor (``sparse_coo_tensor``, ``torch.sparse.sum`` for the degrees, ``coalesce``), layers that
compute ``torch.spmm(adj, x @ W)`` / ``torch.sparse.mm``, log-softmax and NLL on the training
nodes, Adam with weight decay. Dropout is off so that the run is deterministic from the shared
initial weights; Cora is replaced by a planted-partition graph drawn with NumPy.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from _numpy_init import init_from_numpy


def make_graph(seed, n=120, classes=3, feats=16):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    same = labels[:, None] == labels[None, :]
    p = np.where(same, 0.12, 0.01)
    upper = np.triu(rng.random((n, n)) < p, 1)
    rows, cols = np.nonzero(upper | upper.T)
    centers = rng.normal(size=(classes, feats))
    x = centers[labels] + 1.5 * rng.normal(size=(n, feats))
    return x.astype(np.float32), labels, np.stack([rows, cols])


def normalized_adjacency(edges, n):
    loops = np.arange(n)
    indices = torch.tensor(np.concatenate([edges, np.stack([loops, loops])], 1))
    ones = torch.ones(indices.shape[1])
    adj = torch.sparse_coo_tensor(indices, ones, (n, n), check_invariants=True).coalesce()
    deg = torch.sparse.sum(adj, dim=1).to_dense()
    d_inv_sqrt = deg.pow(-0.5)
    i = adj.indices()
    values = d_inv_sqrt[i[0]] * adj.values() * d_inv_sqrt[i[1]]
    return torch.sparse_coo_tensor(i, values, (n, n))


class GraphConv(nn.Module):
    def __init__(self, input_dim, output_dim, use_bias=True):
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)
        self.bias = nn.Parameter(torch.full((output_dim,), 0.1)) if use_bias else None

    def forward(self, input_tensor, adj_mat):
        support = torch.mm(input_tensor, self.kernel)
        output = torch.spmm(adj_mat, support)
        if self.bias is not None:
            output = output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, dropout_p=0.0):
        super().__init__()
        self.gc1 = GraphConv(input_dim, hidden_dim)
        self.gc2 = GraphConv(hidden_dim, output_dim)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input_tensor, adj_mat):
        x = self.gc1(input_tensor, adj_mat)
        x = F.relu(x)
        x = self.dropout(x)
        x = self.gc2(x, adj_mat)
        return F.log_softmax(x, dim=1)


def main(seed):
    torch.manual_seed(seed)
    x_np, labels_np, edges = make_graph(seed)
    n = x_np.shape[0]
    features, labels = torch.tensor(x_np), torch.tensor(labels_np)
    adj = normalized_adjacency(edges, n)
    idx_train, idx_val = torch.arange(0, 60), torch.arange(60, 120)

    model = GCN(features.shape[1], 16, 3)
    init_from_numpy(model, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    train_loss, val_loss = [], []
    for _ in range(40):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss = F.nll_loss(output[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        train_loss.append(loss.item())
        model.eval()
        with torch.no_grad():
            output = model(features, adj)
            val_loss.append(F.nll_loss(output[idx_val], labels[idx_val]).item())
    pred = output.argmax(1)
    # the sparse product itself, through torch.sparse.mm and the dense adjacency
    probe = torch.sparse.mm(adj, features)
    dense_probe = adj.to_dense() @ features
    return {
        "nnz": adj._nnz(),
        "train_loss": train_loss,
        "val_loss": val_loss,
        "val_accuracy": (pred[idx_val] == labels[idx_val]).float().mean().item(),
        "sparse_mm_matches_dense": bool(torch.allclose(probe, dense_probe, atol=1e-5)),
    }


def check(results):
    assert results["train_loss"][-1] < 0.5 * results["train_loss"][0]
    assert results["val_accuracy"] > 0.8
    assert results["sparse_mm_matches_dense"]
