"""The shared shape of the built-in image datasets: uint8 images in memory, int labels."""

from __future__ import annotations

import numpy as np

import tinytensor as tt
from tinytensor.data.dataset import Dataset


class ImageDataset(Dataset):
    """Grayscale images held as a uint8 array ``(N, H, W)`` plus integer labels ``(N,)``.

    ``dataset[i]`` is ``(image, label)``: the image a float32 tensor of shape ``(1, H, W)``
    scaled to ``[0, 1]`` (then passed through ``transform`` if given), the label a Python int
    (through ``target_transform``). ``.data`` and ``.targets`` expose the raw uint8 images and
    int64 labels as tensors, as torchvision does.
    """

    classes: list[str] = []
    _max_value = 255.0

    def _init_arrays(self, images: np.ndarray, labels: np.ndarray, transform, target_transform):
        self._images = images
        self._labels = labels.astype(np.int64)
        self.transform = transform
        self.target_transform = target_transform

    @property
    def data(self):
        return tt.from_numpy(self._images)

    @property
    def targets(self):
        return tt.from_numpy(self._labels)

    @property
    def _fast_ok(self) -> bool:
        return self.transform is None and self.target_transform is None

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):
        if not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"{type(self).__name__}: index with an int, got {type(index).__name__}; use a "
                "DataLoader or Subset for batches"
            )
        scaled = self._images[index][None] / np.float32(self._max_value)
        image = tt.from_numpy(scaled.astype(np.float32))
        target = int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _get_batch(self, indices: np.ndarray) -> list:
        images = self._images[indices][:, None].astype(np.float32) / np.float32(self._max_value)
        return [tt.from_numpy(images), tt.from_numpy(self._labels[indices])]

    def arrays(self, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        """All images as ``(N, 1, H, W)`` values in ``[0, 1]`` and the labels, as NumPy arrays."""
        return (self._images[:, None].astype(dtype) / dtype(self._max_value), self._labels)

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        if not hasattr(self, "_images"):  # failed while loading
            return f"<{type(self).__name__} (not loaded)>"
        h, w = self._images.shape[1:]
        lines = [
            f"Dataset {type(self).__name__}",
            f"    Number of datapoints: {len(self)}",
            f"    Split: {'Train' if self.train else 'Test'}",
            f"    Images: 1x{h}x{w}, {len(self.classes)} classes",
        ]
        extra = self._extra_repr()
        return "\n".join(lines + ([extra] if extra else []))
