"""Feeding data to a model: datasets, random splits and the batching DataLoader.

>>> import tinytensor as tt
>>> from tinytensor.data import DataLoader, TensorDataset
>>> ds = TensorDataset(tt.arange(10.0).reshape(5, 2), tt.arange(5))
>>> [y.tolist() for _, y in DataLoader(ds, batch_size=2)]
[[0, 1], [2, 3], [4]]
"""

from tinytensor.data import datasets
from tinytensor.data.dataloader import DataLoader, default_collate
from tinytensor.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "DataLoader",
    "default_collate",
    "random_split",
    "datasets",
]
