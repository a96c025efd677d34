"""``torch.nn.modules.sparse``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.embedding import Embedding, EmbeddingBag

__all__ = [
    "Embedding",
    "EmbeddingBag",
]
