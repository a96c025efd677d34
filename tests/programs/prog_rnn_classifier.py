"""Variable-length sequence classification with an LSTM and a GRU over packed sequences.

Each sequence is a list of token ids; the label says whether token 1 occurs more often than
token 2. Batches are padded with ``pad_sequence``, packed with ``pack_padded_sequence``
(unsorted lengths) and the last hidden state feeds a linear head; gradients are clipped with
``clip_grad_norm_``.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from _numpy_init import init_from_numpy

VOCAB = 6
PAD = 0


class SequenceClassifier(nn.Module):
    def __init__(self, rnn_type="lstm", embed_dim=8, hidden_dim=16, num_classes=2):
        bidirectional = rnn_type == "bilstm"
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, embed_dim, padding_idx=PAD)
        rnn_cls = nn.GRU if rnn_type == "gru" else nn.LSTM
        self.rnn = rnn_cls(
            embed_dim,
            hidden_dim,
            num_layers=2 if bidirectional else 1,
            batch_first=True,
            bidirectional=bidirectional,
        )
        self.bidirectional = bidirectional
        self.fc = nn.Linear(hidden_dim * (2 if bidirectional else 1), num_classes)

    def forward(self, tokens, lengths):
        embedded = self.embedding(tokens)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        packed_output, hidden = self.rnn(packed)
        if isinstance(hidden, tuple):  # LSTM returns (h_n, c_n)
            hidden = hidden[0]
        output, output_lengths = pad_packed_sequence(packed_output, batch_first=True)
        if self.bidirectional:  # the last layer's forward and backward final states
            features = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
        else:
            features = hidden[-1]
        return self.fc(features), output, output_lengths


def make_sequences(seed, n):
    rng = np.random.default_rng(seed)
    sequences, labels = [], []
    for _ in range(n):
        length = int(rng.integers(3, 13))
        seq = rng.integers(1, VOCAB, size=length)
        sequences.append(torch.tensor(seq, dtype=torch.long))
        labels.append(int((seq == 1).sum() > (seq == 2).sum()))
    return sequences, torch.tensor(labels)


def batches(sequences, labels, batch_size):
    for start in range(0, len(sequences), batch_size):
        seqs = sequences[start : start + batch_size]
        lengths = torch.tensor([len(s) for s in seqs])
        padded = pad_sequence(seqs, batch_first=True, padding_value=PAD)
        yield padded, lengths, labels[start : start + batch_size]


def train_one(rnn_type, seed, train_data, test_data):
    model = SequenceClassifier(rnn_type)
    init_from_numpy(model, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses, norms = [], []
    for epoch in range(4):
        model.train()
        for padded, lengths, target in batches(*train_data, batch_size=32):
            optimizer.zero_grad()
            logits, _, _ = model(padded, lengths)
            loss = F.cross_entropy(logits, target)
            loss.backward()
            total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            losses.append(loss.item())
            norms.append(float(total_norm))
    model.eval()
    correct = 0
    with torch.no_grad():
        for padded, lengths, target in batches(*test_data, batch_size=50):
            logits, output, out_lengths = model(padded, lengths)
            correct += (logits.argmax(1) == target).sum().item()
    return {
        "losses": losses,
        "grad_norms": norms,
        "accuracy": correct / len(test_data[1]),
        "padded_output_shape": list(output.shape),
        "output_lengths": out_lengths.tolist(),
        "padded_output_zero_after_length": bool((output[0, out_lengths[0] :] == 0).all()),
        "output_checksum": output.abs().sum().item(),
    }


def main(seed):
    torch.manual_seed(seed)
    sequences, labels = make_sequences(seed, 300)
    train_data = (sequences[:200], labels[:200])
    test_data = (sequences[200:], labels[200:])
    return {rnn: train_one(rnn, seed, train_data, test_data) for rnn in ("lstm", "gru", "bilstm")}


TOLERANCES = {"lstm": (1e-3, 1e-4), "gru": (1e-3, 1e-4), "bilstm": (1e-3, 1e-4)}


def check(results):
    for rnn in ("lstm", "gru", "bilstm"):
        assert results[rnn]["losses"][-1] < results[rnn]["losses"][0], rnn
        assert results[rnn]["accuracy"] > 0.6, (rnn, results[rnn]["accuracy"])
