"""``torch.nn.parallel``: ``DistributedDataParallel`` and ``SyncBatchNorm`` on
``tinytensor.distributed`` (several processes), and ``DataParallel``/``data_parallel`` as the
single-device wrappers PyTorch gives on a CPU."""

from tinytensor.nn.parallel.distributed import DistributedDataParallel
from tinytensor.nn.parallel.single_device import DataParallel, data_parallel
from tinytensor.nn.parallel.sync_batchnorm import SyncBatchNorm

__all__ = ["DataParallel", "DistributedDataParallel", "SyncBatchNorm", "data_parallel"]
