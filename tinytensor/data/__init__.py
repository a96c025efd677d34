"""Feeding data to a model: datasets, samplers, collation, the DataLoader (in this process or in
worker processes), image transforms and the built-in datasets. Also importable as
``tinytensor.utils.data``, PyTorch's path.

>>> import tinytensor as tt
>>> from tinytensor.data import DataLoader, TensorDataset
>>> ds = TensorDataset(tt.arange(10.0).reshape(5, 2), tt.arange(5))
>>> [y.tolist() for _, y in DataLoader(ds, batch_size=2)]
[[0, 1], [2, 3], [4]]
"""

from tinytensor.data import datasets, transforms
from tinytensor.data.collate import default_collate, default_convert
from tinytensor.data.dataloader import DataLoader
from tinytensor.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from tinytensor.data.distributed import DistributedSampler
from tinytensor.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from tinytensor.data.worker import WorkerInfo, get_worker_info

#: Public names of ``torch.utils.data`` that tinytensor does not provide, each with the reason.
NOT_PLANNED: dict[str, str] = {
    "DFIterDataPipe": "datapipes (deprecated in PyTorch): use Dataset/IterableDataset",
    "DataChunk": "datapipes (deprecated in PyTorch): use Dataset/IterableDataset",
    "IterDataPipe": "datapipes (deprecated in PyTorch): use IterableDataset",
    "MapDataPipe": "datapipes (deprecated in PyTorch): use Dataset",
    "functional_datapipe": "datapipes (deprecated in PyTorch): decorator registering datapipes",
    "guaranteed_datapipes_determinism": "datapipes (deprecated in PyTorch): graph settings",
    "non_deterministic": "datapipes (deprecated in PyTorch): determinism decorator",
    "argument_validation": "datapipes type-checking decorator (deprecated in PyTorch)",
    "runtime_validation": "datapipes type-checking decorator (deprecated in PyTorch)",
    "runtime_validation_disabled": "datapipes type-checking switch (deprecated in PyTorch)",
    "_DatasetKind": "a private PyTorch enum that its __all__ exports by accident",
}

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "NOT_PLANNED",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "datasets",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
    "transforms",
]
