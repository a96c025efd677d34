"""pygcn-style graph convolutional network (Kipf and Welling) with a sparse adjacency.

(``prog_gcn`` is pytorch/examples' GCN on a planted-partition graph; this one is the pygcn
layer, ``Parameter(torch.FloatTensor(in, out))`` with ``torch.spmm``, on a graph of digits, and
also learns edge weights.)

The graph: 400 of scikit-learn's digits, each joined to its 6 nearest neighbours (NumPy); the
features are the 64 pixels; 100 nodes are labelled. The symmetric normalised adjacency
D^-1/2 (A + I) D^-1/2 is built as a sparse COO tensor both ways programs build it
(``torch.sparse_coo_tensor`` from index pairs, and ``dense.to_sparse()``) and applied with
``torch.spmm`` / ``torch.sparse.mm``. A second part learns the edge weights: the gradient
reaches the sparse tensor's values. Dropout is 0 so the run is deterministic.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.nn.parameter import Parameter

from _numpy_init import init_from_numpy

TOLERANCES = {
    "train_loss": (1e-3, 1e-5),
    "val_loss": (1e-3, 1e-5),
    "test_accuracy": (0.0, 0.006),
    "edge_grad": (1e-3, 1e-6),
    "edge_loss": (1e-3, 1e-5),
}


class GraphConvolution(nn.Module):
    """Simple GCN layer, similar to https://arxiv.org/abs/1609.02907"""

    def __init__(self, in_features, out_features, bias=True):
        super(GraphConvolution, self).__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.FloatTensor(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.FloatTensor(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        if self.bias is not None:
            return output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super(GCN, self).__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def knn_graph(points, k):
    d = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
    adj = np.zeros(d.shape, dtype=np.float32)
    adj[np.repeat(np.arange(len(points)), k), nearest.ravel()] = 1
    return np.maximum(adj, adj.T)


def normalize(adj):
    adj = adj + np.eye(len(adj), dtype=np.float32)
    d_inv_sqrt = 1.0 / np.sqrt(adj.sum(1))
    return (d_inv_sqrt[:, None] * adj * d_inv_sqrt[None, :]).astype(np.float32)


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    return (correct.sum() / len(labels)).item()


def main(seed):
    torch.manual_seed(seed)
    digits = load_digits()
    points, target = digits.data[:400] / 16.0, digits.target[:400]
    dense = normalize(knn_graph(points, 6))
    rows, cols = np.nonzero(dense)
    indices = torch.tensor(np.stack([rows, cols]), dtype=torch.long)
    adj = torch.sparse_coo_tensor(indices, torch.tensor(dense[rows, cols]), dense.shape)
    adj_from_dense = torch.tensor(dense).to_sparse()
    features = torch.tensor(points.astype(np.float32))
    labels = torch.LongTensor(target)
    idx_train, idx_val, idx_test = torch.arange(100), torch.arange(100, 200), torch.arange(200, 400)

    model = GCN(nfeat=features.shape[1], nhid=16, nclass=10, dropout=0.0)
    init_from_numpy(model, seed)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    train_losses, val_losses = [], []
    for epoch in range(40):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss_train = F.nll_loss(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        model.eval()
        output = model(features, adj)
        train_losses.append(loss_train.item())
        val_losses.append(F.nll_loss(output[idx_val], labels[idx_val]).item())
    model.eval()
    output = model(features, adj_from_dense)
    test_accuracy = accuracy(output[idx_test], labels[idx_test])

    # learnable edge weights: the gradient reaches the sparse tensor's values
    values = torch.tensor(dense[rows, cols], requires_grad=True)
    weighted = torch.sparse_coo_tensor(indices, values, dense.shape)
    hidden = torch.sparse.mm(weighted, features @ model.gc1.weight.detach())
    edge_loss = F.cross_entropy(hidden[idx_train, :10], labels[idx_train])
    edge_loss.backward()
    return {
        "nnz": int(adj._nnz()),
        "is_sparse": [adj.is_sparse, adj_from_dense.is_sparse, features.is_sparse],
        "same_matrix": bool(torch.equal(adj.to_dense(), adj_from_dense.to_dense())),
        "coalesced_indices_sum": int(adj.coalesce().indices().sum()),
        "row_sums_head": torch.sparse.sum(adj, dim=1).to_dense()[:5].tolist(),
        "train_loss": train_losses,
        "val_loss": val_losses,
        "test_accuracy": test_accuracy,
        "edge_loss": edge_loss.item(),
        "edge_grad": values.grad[:20].tolist(),
        "edge_grad_norm": values.grad.norm().item(),
    }


def check(results):
    assert results["is_sparse"] == [True, True, False]
    assert results["same_matrix"]
    assert results["test_accuracy"] > 0.7, results["test_accuracy"]
    assert results["val_loss"][-1] < 0.5 * results["val_loss"][0], results["val_loss"]
    assert results["edge_grad_norm"] > 0
