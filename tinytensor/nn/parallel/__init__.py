"""``torch.nn.parallel``: ``DistributedDataParallel`` on ``tinytensor.distributed`` (several
processes), and ``DataParallel``/``data_parallel`` as the single-device wrappers PyTorch gives
on a CPU."""

from tinytensor.nn.parallel.distributed import DistributedDataParallel
from tinytensor.nn.parallel.single_device import DataParallel, data_parallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
