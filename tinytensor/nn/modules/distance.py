"""``torch.nn.modules.distance``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.distance import CosineSimilarity, PairwiseDistance

__all__ = [
    "PairwiseDistance",
    "CosineSimilarity",
]
