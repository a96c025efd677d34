"""A tiny transformer-encoder classifier: embeddings, sinusoidal positions, padding masks.

The task: are most tokens of a (padded) sequence high ones? The padding mask must keep the pad
tokens out of the count. AdamW with a OneCycle schedule;
dropout is 0 so the run is deterministic given NumPy-drawn weights.
"""

import math

import numpy as np
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR

from _numpy_init import init_from_numpy

VOCAB = 10
PAD = 0
MAX_LEN = 12

TOLERANCES = {"losses": (2e-3, 2e-4), "lr": (1e-6, 1e-9)}


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.0, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(1, max_len, d_model)
        pe[0, :, 0::2] = torch.sin(position * div_term)
        pe[0, :, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[:, : x.size(1)]
        return self.dropout(x)


class TransformerClassifier(nn.Module):
    def __init__(self, d_model=32, nhead=4, d_hid=64, nlayers=2, num_classes=2):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(VOCAB, d_model, padding_idx=PAD)
        self.pos_encoder = PositionalEncoding(d_model)
        encoder_layers = nn.TransformerEncoderLayer(
            d_model, nhead, d_hid, dropout=0.0, batch_first=True
        )
        self.transformer_encoder = nn.TransformerEncoder(
            encoder_layers, nlayers, enable_nested_tensor=False
        )
        self.classifier = nn.Linear(d_model, num_classes)

    def forward(self, src, src_key_padding_mask=None):
        x = self.embedding(src) * math.sqrt(self.d_model)
        x = self.pos_encoder(x)
        x = self.transformer_encoder(x, src_key_padding_mask=src_key_padding_mask)
        keep = (~src_key_padding_mask).unsqueeze(-1).float()
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1)
        return self.classifier(pooled)


def make_data(seed, n):
    rng = np.random.default_rng(seed)
    tokens = np.full((n, MAX_LEN), PAD, dtype=np.int64)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        length = int(rng.integers(6, MAX_LEN + 1))
        seq = rng.integers(1, VOCAB, size=length)
        tokens[i, :length] = seq
        labels[i] = int((seq >= 6).sum() * 2 > length)
    return torch.from_numpy(tokens), torch.from_numpy(labels)


def main(seed):
    torch.manual_seed(seed)
    tokens, labels = make_data(seed, 320)
    train_x, train_y, test_x, test_y = tokens[:256], labels[:256], tokens[256:], labels[256:]

    model = TransformerClassifier()
    init_from_numpy(model, seed)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
    epochs, batch_size = 5, 32
    steps_per_epoch = len(train_x) // batch_size
    scheduler = OneCycleLR(optimizer, max_lr=5e-3, epochs=epochs, steps_per_epoch=steps_per_epoch)

    losses, lrs = [], []
    for epoch in range(epochs):
        model.train()
        for i in range(steps_per_epoch):
            src = train_x[i * batch_size : (i + 1) * batch_size]
            target = train_y[i * batch_size : (i + 1) * batch_size]
            mask = src == PAD
            output = model(src, src_key_padding_mask=mask)
            loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])

    model.eval()
    with torch.no_grad():
        mask = test_x == PAD
        logits = model(test_x, src_key_padding_mask=mask)
        accuracy = (logits.argmax(dim=-1) == test_y).float().mean().item()
        encoded = model.transformer_encoder(
            model.pos_encoder(model.embedding(test_x[:4])), src_key_padding_mask=mask[:4]
        )
        # the default encoder takes PyTorch's inference fast path, which returns padded positions
        # as zeros; load the trained weights into one and compare
        fast_encoder = nn.TransformerEncoder(model.transformer_encoder.layers[0], 2)
        fast_encoder.load_state_dict(model.transformer_encoder.state_dict())
        fast_encoder.eval()
        fast = fast_encoder(
            model.pos_encoder(model.embedding(test_x[:4])), src_key_padding_mask=mask[:4]
        )
        kept = ~mask[:4]
    return {
        "fast_path_matches_on_tokens": bool(torch.allclose(fast[kept], encoded[kept], atol=1e-5)),
        "fast_path_padded_abs_sum": fast[mask[:4]].abs().sum().item(),
        "n_params": sum(p.numel() for p in model.parameters()),
        "param_names": [name for name, _ in model.named_parameters()],
        "pe_checksum": model.pos_encoder.pe.sum().item(),
        "losses": losses,
        "lr": lrs,
        "accuracy": accuracy,
        "logits_checksum": logits.abs().sum().item(),
        "encoded_shape": list(encoded.shape),
    }


def check(results):
    losses = results["losses"]
    assert sum(losses[-4:]) < sum(losses[:4]), losses
    assert results["accuracy"] > 0.6, results["accuracy"]
