"""``DistributedSampler``: each rank of a data-parallel job reads its own share of a dataset.

The order is PyTorch's for the same seed and epoch: the shuffle is ``torch.randperm`` with a
generator seeded ``seed + epoch``, which is the 32-bit Mersenne Twister (mt19937) driving a
Fisher-Yates pass that draws ``random() % (n - i)`` at step ``i``; NumPy's legacy
``RandomState`` is the same Mersenne Twister with the same seeding, so the indices match
PyTorch's exactly.
"""

from __future__ import annotations

import math

import numpy as np

import tinytensor.distributed as dist
from tinytensor.data.sampler import Sampler


def torch_randperm(n: int, seed: int) -> list[int]:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()``."""
    if n < 0:
        raise ValueError(f"torch_randperm: n must be >= 0, got {n}")
    if n >= 2**32 // 20:
        raise ValueError(f"torch_randperm: n={n} is past the 32-bit draws this reproduces")
    draws = np.random.RandomState(seed % 2**32).randint(0, 2**32, size=max(n - 1, 0),
                                                        dtype=np.uint32)  # fmt: skip
    out = list(range(n))
    for i, z in enumerate(draws.tolist()):
        j = z % (n - i) + i
        out[i], out[j] = out[j], out[i]
    return out


class DistributedSampler(Sampler):
    """The indices of rank ``rank`` out of ``num_replicas`` (default: the process group's):
    shuffled by ``seed + epoch`` when ``shuffle``, padded by repeating the first indices so each
    rank gets as many (or, with ``drop_last``, cut to a multiple of ``num_replicas``), then every
    ``num_replicas``-th index from ``rank``. Call ``set_epoch(e)`` at each epoch's start, or
    every epoch repeats the same order."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):  # fmt: skip
        if num_replicas is None or rank is None:
            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: num_replicas and rank default to the process group's; "
                    "call tinytensor.distributed.init_process_group first or pass them"
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:
            raise RuntimeError("DistributedSampler: the dataset's length changed")
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``seed + epoch`` for the next shuffle, so each epoch has a new order (the same on
        every rank)."""
        self.epoch = epoch
