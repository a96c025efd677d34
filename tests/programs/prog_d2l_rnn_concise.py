"""d2l.ai "Concise Implementation of Recurrent Neural Networks" (9.6) and of GRUs (10.2).

The book's ``RNN``/``RNNLMScratch``/``RNNLM`` classes and its ``clip_gradients`` are inlined: an
``nn.RNN`` (then an ``nn.GRU``) reads one-hot characters (``F.one_hot``) and a ``LazyLinear``
head predicts the next one. The text is the Zen of Python, which ships with Python (``this``),
standing in for The Time Machine; the book's ``predict`` continues a prefix greedily.
"""

import codecs
import contextlib
import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from _numpy_init import init_from_numpy

TOLERANCES = {"rnn_ppl": (1e-3, 1e-4), "gru_ppl": (1e-3, 1e-4)}


def zen_corpus():
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    text = codecs.decode(this.s, "rot13").lower()
    vocab = sorted(set(text))
    return text, vocab


class RNN(nn.Module):
    """The RNN model implemented with high-level APIs."""

    def __init__(self, num_inputs, num_hiddens, cell="rnn"):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.rnn = (nn.RNN if cell == "rnn" else nn.GRU)(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class RNNLM(nn.Module):
    """The RNN-based language model implemented with high-level APIs."""

    def __init__(self, rnn, vocab_size, lr=1.0):
        super().__init__()
        self.rnn, self.vocab_size, self.lr = rnn, vocab_size, lr
        self.init_params()

    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def one_hot(self, X):
        # Output shape: (num_steps, batch_size, vocab_size)
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)

    def loss(self, Y_hat, Y):
        return F.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), Y.reshape((-1,)))

    def predict(self, prefix, num_preds, char_to_idx, idx_to_char):
        state, outputs = None, [char_to_idx[prefix[0]]]
        for i in range(len(prefix) + num_preds - 1):
            X = torch.tensor([[outputs[-1]]])
            embs = self.one_hot(X)
            rnn_outputs, state = self.rnn(embs, state)
            if i < len(prefix) - 1:  # Warm-up period
                outputs.append(char_to_idx[prefix[i + 1]])
            else:  # Predict num_preds steps
                Y = self.linear(rnn_outputs)
                outputs.append(int(Y.argmax(axis=2).reshape(1)))
        return "".join([idx_to_char[i] for i in outputs])


def clip_gradients(grad_clip_val, model):
    params = [p for p in model.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum(p.grad**2) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm


def train(cell, seed, X, Y, vocab, epochs):
    char_to_idx = {c: i for i, c in enumerate(vocab)}
    lr = 2.0 if cell == "rnn" else 4.0  # the book trains its GRU with a larger rate
    model = RNNLM(RNN(num_inputs=len(vocab), num_hiddens=32, cell=cell), len(vocab), lr=lr)
    model(X[:1])
    init_from_numpy(model, seed)
    optim = torch.optim.SGD(model.parameters(), lr=model.lr)
    ppl = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for i in range(0, len(X), 32):
            loss = model.loss(model(X[i : i + 32]), Y[i : i + 32])
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                clip_gradients(1, model)
                optim.step()
            total += loss.item() * len(X[i : i + 32])
            count += len(X[i : i + 32])
        ppl.append(math.exp(total / count))
    text = model.predict("beautiful is ", 12, char_to_idx, vocab)
    return model, ppl, text


def main(seed):
    torch.manual_seed(seed)
    text, vocab = zen_corpus()
    corpus = np.array([vocab.index(c) for c in text])
    num_steps = 16
    starts = np.arange(0, len(corpus) - num_steps - 1, 3)
    X = torch.tensor(np.stack([corpus[s : s + num_steps] for s in starts]))
    Y = torch.tensor(np.stack([corpus[s + 1 : s + num_steps + 1] for s in starts]))
    rnn_model, rnn_ppl, rnn_text = train("rnn", seed, X, Y, vocab, 6)
    gru_model, gru_ppl, gru_text = train("gru", seed, X, Y, vocab, 6)
    return {
        "vocab_size": len(vocab),
        "n_sequences": len(X),
        "head_shape": list(rnn_model.linear.weight.shape),
        "rnn_ppl": rnn_ppl,
        "gru_ppl": gru_ppl,
        "rnn_prediction": rnn_text,
        "gru_prediction": gru_text,
    }


def check(results):
    assert results["head_shape"] == [results["vocab_size"], 32]
    assert results["rnn_ppl"][-1] < 0.6 * results["rnn_ppl"][0], results["rnn_ppl"]
    assert results["gru_ppl"][-1] < 0.75 * results["gru_ppl"][0], results["gru_ppl"]
    assert results["rnn_prediction"].startswith("beautiful is ")
    assert len(results["gru_prediction"]) == len("beautiful is ") + 12
