"""Word embeddings: a skip-gram model (nn.Embedding + linear scorer, F.cross_entropy) and a CBOW
model with ``nn.EmbeddingBag``, on a tiny generated corpus of two topics.

Words of one topic co-occur, so after training their embeddings are close in cosine similarity.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from _numpy_init import init_from_numpy

TOPICS = (
    ["cat", "dog", "pet", "fur", "paw", "tail"],
    ["car", "road", "wheel", "drive", "fuel", "engine"],
)

TOLERANCES = {"skipgram_loss": (1e-3, 1e-4), "cbow_loss": (1e-3, 1e-4)}


def make_corpus(seed, n_sentences=120, length=8):
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(n_sentences):
        topic = TOPICS[rng.integers(0, 2)]
        sentences.append([topic[i] for i in rng.integers(0, len(topic), size=length)])
    return sentences


class SkipGram(nn.Module):
    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear = nn.Linear(embedding_dim, vocab_size)

    def forward(self, center):
        return self.linear(self.embeddings(center))


class CBOW(nn.Module):
    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.embeddings = nn.EmbeddingBag(vocab_size, embedding_dim, mode="mean")
        self.linear = nn.Linear(embedding_dim, vocab_size)

    def forward(self, context):
        return F.log_softmax(self.linear(self.embeddings(context)), dim=1)


def main(seed):
    torch.manual_seed(seed)
    sentences = make_corpus(seed)
    vocab = sorted({w for s in sentences for w in s})
    word_to_ix = {word: i for i, word in enumerate(vocab)}

    window = 2
    pairs, contexts, targets = [], [], []
    for sentence in sentences:
        ids = [word_to_ix[w] for w in sentence]
        for i, center in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    pairs.append((center, ids[j]))
            if window <= i < len(ids) - window:
                contexts.append(ids[i - window : i] + ids[i + 1 : i + window + 1])
                targets.append(center)
    pairs = torch.tensor(pairs)
    contexts, targets = torch.tensor(contexts), torch.tensor(targets)

    model = SkipGram(len(vocab), 10)
    init_from_numpy(model, seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    skipgram_losses = []
    for epoch in range(6):
        total_loss = 0
        for start in range(0, len(pairs), 256):
            batch = pairs[start : start + 256]
            logits = model(batch[:, 0])
            loss = F.cross_entropy(logits, batch[:, 1])
            model.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        skipgram_losses.append(total_loss)

    with torch.no_grad():
        emb = F.normalize(model.embeddings.weight, dim=1)
        similarity = emb @ emb.t()
        cat = word_to_ix["cat"]
        nearest = similarity[cat].argsort(descending=True)[1:4].tolist()
        cos = F.cosine_similarity(
            model.embeddings(torch.tensor([word_to_ix["dog"]])),
            model.embeddings(torch.tensor([word_to_ix["wheel"]])),
        )

    cbow = CBOW(len(vocab), 10)
    init_from_numpy(cbow, seed)
    loss_function = nn.NLLLoss()
    optimizer = torch.optim.Adagrad(cbow.parameters(), lr=0.2)
    cbow_losses = []
    for epoch in range(6):
        total_loss = 0
        for start in range(0, len(targets), 128):
            cbow.zero_grad()
            log_probs = cbow(contexts[start : start + 128])
            loss = loss_function(log_probs, targets[start : start + 128])
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        cbow_losses.append(total_loss)

    same_topic = set(TOPICS[0])
    return {
        "vocab": vocab,
        "n_pairs": len(pairs),
        "skipgram_loss": skipgram_losses,
        "nearest_to_cat": [vocab[i] for i in nearest],
        "nearest_same_topic": sum(vocab[i] in same_topic for i in nearest),
        "cos_dog_wheel": cos.item(),
        "cbow_loss": cbow_losses,
    }


def check(results):
    assert results["skipgram_loss"][-1] < results["skipgram_loss"][0]
    assert results["cbow_loss"][-1] < results["cbow_loss"][0]
    assert results["nearest_same_topic"] == 3, results["nearest_to_cat"]
