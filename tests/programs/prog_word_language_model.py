"""pytorch/examples word_language_model, shrunk: LSTM and Transformer models on a synthetic corpus.

As the example does, the best model is kept with ``torch.save(model, f)`` (the whole module,
pickled) and read back with ``torch.load(f, weights_only=False)`` before the final test; a load
with the default ``weights_only=True`` must refuse the module's classes (PyTorch's
``UnpicklingError``) unless they are allowed with ``torch.serialization.safe_globals``. The
Transformer model (a subclass of ``nn.Transformer`` with a positional-encoding buffer) is saved
and loaded whole the same way. The corpus is a fixed Markov chain over 30 tokens drawn with
NumPy; dropout is 0 so the run is deterministic from the NumPy-drawn weights.
"""

import argparse
import math
import os
import pickle
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.serialization

from _numpy_init import init_from_numpy

TOLERANCES = {
    "train_loss": (1e-3, 1e-5),
    "val_loss": (1e-3, 1e-5),
    "test_loss": (1e-3, 1e-5),
    "transformer_train_loss": (1e-3, 1e-5),
    "transformer_test_loss": (1e-3, 1e-5),
}


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (
                weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid),
            )
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class PositionalEncoding(nn.Module):
    """Inject some information about the relative or absolute position of the tokens."""

    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    """Container module with an encoder, a recurrent or transformer module, and a decoder."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super(TransformerModel, self).__init__(
            d_model=ninp,
            nhead=nhead,
            dim_feedforward=nhid,
            num_encoder_layers=nlayers,
            num_decoder_layers=1,
            dropout=dropout,
        )
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src))
                self.src_mask = mask
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def make_corpus(seed, ntokens, length):
    rng = np.random.default_rng(seed)
    transition = rng.dirichlet(np.full(ntokens, 0.1), size=ntokens)
    tokens = [0]
    for _ in range(length - 1):
        tokens.append(int(rng.choice(ntokens, p=transition[tokens[-1]])))
    return torch.tensor(tokens, dtype=torch.int64)


def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i : i + seq_len]
    target = source[i + 1 : i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, data_source, ntokens, bptt, eval_batch_size):
    model.eval()
    total_loss = 0.0
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train_epoch(model, train_data, ntokens, bptt, batch_size, lr, clip):
    model.train()
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(batch_size)
    losses = []
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i, bptt)
        # Starting each batch, we detach the hidden state from how it was previously produced.
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return losses


def transformer_run(seed, ntokens, train_data, test_data, bptt, folder):
    """The example's --model Transformer path: train one epoch, save whole, load, test."""
    model = TransformerModel(ntokens, 16, 2, 32, 1, dropout=0.0)
    init_from_numpy(model, seed)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    model.train()
    for i in range(0, train_data.size(0) - 1, bptt):
        data, targets = get_batch(train_data, i, bptt)
        optimizer.zero_grad()
        output = model(data).view(-1, ntokens)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        losses.append(loss.item())
    save = os.path.join(folder, "transformer.pt")
    with open(save, "wb") as f:
        torch.save(model, f)
    with open(save, "rb") as f:
        model = torch.load(f, weights_only=False)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, test_data.size(0) - 1, bptt):
            data, targets = get_batch(test_data, i, bptt)
            output = model(data).view(-1, ntokens)
            total += len(data) * criterion(output, targets).item()
    return losses, total / (len(test_data) - 1), type(model).__name__


def main(seed):
    torch.manual_seed(seed)
    ntokens, bptt, batch_size, eval_batch_size = 30, 8, 8, 4
    corpus = make_corpus(seed, ntokens, 3200)
    train_data = batchify(corpus[:2400], batch_size)
    val_data = batchify(corpus[2400:2800], eval_batch_size)
    test_data = batchify(corpus[2800:], eval_batch_size)

    model = RNNModel("LSTM", ntokens, 16, 24, 1, dropout=0.0)
    init_from_numpy(model, seed)
    lr, clip, best_val_loss = 10.0, 0.25, None
    train_losses, val_losses, saved_after = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        save = os.path.join(folder, "model.pt")
        for epoch in range(1, 4):
            train_losses += train_epoch(model, train_data, ntokens, bptt, batch_size, lr, clip)
            val_loss = evaluate(model, val_data, ntokens, bptt, eval_batch_size)
            val_losses.append(val_loss)
            # Save the model if the validation loss is the best we've seen so far.
            if not best_val_loss or val_loss < best_val_loss:
                with open(save, "wb") as f:
                    torch.save(model, f)
                best_val_loss = val_loss
                saved_after.append(epoch)
            else:
                # Anneal the learning rate if no improvement has been seen in the validation set.
                lr /= 4.0

        # the default weights_only=True refuses a pickled module
        try:
            with open(save, "rb") as f:
                torch.load(f)
            refused = "loaded"
        except pickle.UnpicklingError as exc:  # PyTorch's class, or a subclass of it
            refused = "UnpicklingError" if "weights_only" in str(exc) else str(exc)
        with open(save, "rb") as f:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(f)

        # a checkpoint of plain state plus the run's argparse.Namespace: refused by default,
        # read once the class is allowed
        args = argparse.Namespace(model="LSTM", emsize=16, lr=lr)
        checkpoint = os.path.join(folder, "checkpoint.pt")
        torch.save({"args": args, "state_dict": model.state_dict(), "epoch": 3}, checkpoint)
        try:
            torch.load(checkpoint)
            namespace_default = "loaded"
        except pickle.UnpicklingError:
            namespace_default = "refused"
        with torch.serialization.safe_globals([argparse.Namespace]):
            restored = torch.load(checkpoint)
        namespace_allowed = [vars(restored["args"]), sorted(restored["state_dict"])]

        # Load the best saved model.
        with open(save, "rb") as f:
            model = torch.load(f, weights_only=False)
            # after load the rnn params are not a continuous chunk of memory
            # this makes them a continuous chunk, and will speed up forward pass
            model.rnn.flatten_parameters()
        transformer_loss, transformer_test, transformer_class = transformer_run(
            seed, ntokens, train_data, test_data, bptt, folder
        )
    # Run on test data.
    test_loss = evaluate(model, test_data, ntokens, bptt, eval_batch_size)
    return {
        "train_loss": train_losses,
        "val_loss": val_losses,
        "saved_after": saved_after,
        "lr": lr,
        "weights_only_default": refused,
        "unsafe_globals": len(unsafe) > 0 and any("RNNModel" in name for name in unsafe),
        "namespace_default": namespace_default,
        "namespace_allowed": namespace_allowed,
        "loaded_class": type(model).__name__,
        "loaded_rnn": type(model.rnn).__name__,
        "test_loss": test_loss,
        "test_ppl": math.exp(test_loss),
        "transformer_train_loss": transformer_loss,
        "transformer_test_loss": transformer_test,
        "transformer_class": transformer_class,
    }


def check(results):
    assert results["loaded_class"] == "RNNModel" and results["loaded_rnn"] == "LSTM"
    assert results["weights_only_default"] == "UnpicklingError", results["weights_only_default"]
    assert results["unsafe_globals"]
    assert results["namespace_default"] == "refused"
    assert results["namespace_allowed"][0]["model"] == "LSTM"
    assert results["test_ppl"] < 15, results["test_ppl"]  # uniform guessing gives 30
    assert results["transformer_class"] == "TransformerModel"
    assert results["transformer_test_loss"] < math.log(30), results["transformer_test_loss"]
