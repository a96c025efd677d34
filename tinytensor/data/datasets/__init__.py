"""Built-in datasets: MNIST, Fashion-MNIST (IDX files on disk or downloaded) and the bundled
8x8 Digits."""

from tinytensor.data.datasets.digits import Digits
from tinytensor.data.datasets.idx import IDXError, read_idx, write_idx
from tinytensor.data.datasets.mnist import MNIST, DownloadError, FashionMNIST, default_root

__all__ = [
    "MNIST",
    "FashionMNIST",
    "Digits",
    "IDXError",
    "DownloadError",
    "read_idx",
    "write_idx",
    "default_root",
]
