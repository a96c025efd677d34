"""``torch.utils.data.distributed``'s path: :class:`DistributedSampler`."""

from tinytensor.data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
