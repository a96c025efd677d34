"""MNIST and Fashion-MNIST from their IDX files: found on disk, or downloaded and checked."""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from tinytensor.data.datasets.base import ImageDataset
from tinytensor.data.datasets.idx import read_idx

# Where Debian's `dataset-fashion-mnist` package installs the files.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def default_root() -> Path:
    """``$TINYTENSOR_DATA`` if set, else ``~/.cache/tinytensor``."""
    env = os.environ.get("TINYTENSOR_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinytensor"


def _file_names(split: str) -> tuple[str, str]:
    return f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"


def _existing(folder: Path, stem: str) -> Path | None:
    """``folder/stem.gz`` or ``folder/stem`` (gzipped or raw), whichever exists."""
    for name in (stem + ".gz", stem):
        p = folder / name
        if p.is_file():
            return p
    return None


def _digest(labels: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(labels, dtype=np.uint8).tobytes()).hexdigest()


# SHA-256 of the label *values* of each real split, to notice one dataset's files passed as the
# other's (both use the same file names).
_LABEL_DIGESTS = {
    "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5": "MNIST",
    "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13": "MNIST",
    "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9": "FashionMNIST",
    "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7": "FashionMNIST",
}


class MNIST(ImageDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    Reads ``train-images-idx3-ubyte``/``train-labels-idx1-ubyte`` (or ``t10k-...`` for
    ``train=False``), gzipped or raw, from the first of these folders that has them:
    ``root/mnist``, ``root/MNIST/raw`` (torchvision's layout), ``root`` itself; ``root``
    defaults to ``$TINYTENSOR_DATA``, else ``~/.cache/tinytensor``. ``download=True`` fetches
    missing files into ``root/mnist`` from the public mirrors and checks their SHA-256.

    ``dataset[i]`` is ``(image, label)`` with a float32 ``(1, 28, 28)`` image in ``[0, 1]``.
    """

    folders = ("mnist", "MNIST/raw", "MNIST")
    system_folders: tuple[Path, ...] = ()
    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    )
    sha256 = {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    }
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self, root=None, train: bool = True, download: bool = False, transform=None,
        target_transform=None,
    ):  # fmt: skip
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.train = bool(train)
        split = "train" if self.train else "t10k"
        folder = self.find(self.root, split)
        if folder is None:
            if not download:
                raise FileNotFoundError(self._not_found_message(split))
            folder = self.root / self.folders[0]
            self._download(folder, split)
        self.folder = folder
        images_path = _existing(folder, _file_names(split)[0])
        labels_path = _existing(folder, _file_names(split)[1])
        images = read_idx(images_path, expect_ndim=3, expect_type=0x08)
        labels = read_idx(labels_path, expect_ndim=1, expect_type=0x08)
        if len(images) != len(labels):
            raise ValueError(
                f"{type(self).__name__}: {images_path} holds {len(images)} images but "
                f"{labels_path} holds {len(labels)} labels; one of the files is wrong"
            )
        if len(labels) and labels.max() >= len(self.classes):
            raise ValueError(
                f"{type(self).__name__}: {labels_path} has label {int(labels.max())}; "
                f"expected 0..{len(self.classes) - 1}"
            )
        other = _LABEL_DIGESTS.get(_digest(labels))
        if other is not None and other != type(self).__name__:
            raise ValueError(
                f"{type(self).__name__}: the files in {folder} are {other}, not "
                f"{type(self).__name__} (both use the same file names); point root at the "
                f"right folder or use datasets.{other}"
            )
        self._init_arrays(images, labels, transform, target_transform)

    # --- finding files -----------------------------------------------------------------------

    @classmethod
    def candidates(cls, root) -> list[Path]:
        """The folders searched for the files, in order."""
        root = Path(root).expanduser()
        return [root / f for f in cls.folders] + [root] + list(cls.system_folders)

    @classmethod
    def find(cls, root=None, split: str = "train") -> Path | None:
        """The first candidate folder holding both files of ``split`` ('train' or 't10k')."""
        root = default_root() if root is None else root
        for folder in cls.candidates(root):
            if all(_existing(folder, stem) for stem in _file_names(split)):
                if cls._other_dataset(folder, split):
                    continue
                return folder
        return None

    @classmethod
    def _other_dataset(cls, folder: Path, split: str) -> str | None:
        """The name of the other dataset whose labels ``folder`` holds, if it is a known one."""
        try:
            labels = read_idx(_existing(folder, _file_names(split)[1]), expect_ndim=1)
        except (OSError, ValueError):
            return None  # let loading report what is wrong with the file
        other = _LABEL_DIGESTS.get(_digest(labels))
        return other if other is not None and other != cls.__name__ else None

    def _not_found_message(self, split: str) -> str:
        name = type(self).__name__
        images, labels = _file_names(split)
        searched = ", ".join(str(p) for p in self.candidates(self.root))
        msg = (
            f"{name}: could not find {images}(.gz) and {labels}(.gz) for the "
            f"{'training' if split == 'train' else 'test'} split; searched {searched}. "
            f"Put the files (gzipped or raw) in {self.root / self.folders[0]}, pass root= "
            f"the folder that holds them, or pass download=True to fetch them."
        )
        for f in self.candidates(self.root):
            if all(_existing(f, stem) for stem in _file_names(split)):
                other = self._other_dataset(f, split)
                if other:
                    msg += f" ({f} holds {other}, not {name}; use datasets.{other} for it.)"
        if split == "train" and self.find(self.root, "t10k") is not None:
            msg += (
                f" (Only the t10k test files were found, in {self.find(self.root, 't10k')}; "
                "`tinytensor train` splits those into train and test parts when the training "
                "files are missing.)"
            )
        return msg

    # --- downloading -------------------------------------------------------------------------

    def _download(self, folder: Path, split: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for stem in _file_names(split):
            if _existing(folder, stem) is None:
                download_file(stem + ".gz", folder, self.mirrors, self.sha256[stem + ".gz"])


class DownloadError(RuntimeError):
    """No mirror delivered the file with the expected SHA-256 (offline, moved, or tampered)."""


def download_file(name: str, folder: Path, mirrors, sha256: str, timeout: float = 60.0) -> Path:
    """Fetch ``name`` from the first mirror that serves it with the right SHA-256.

    The file is written to ``folder/name.part`` and renamed only once its digest matches, so an
    interrupted or tampered download never leaves a file that looks complete.
    """
    dest = folder / name
    part = folder / (name + ".part")
    failures = []
    for base in mirrors:
        url = base + name
        try:
            digest = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as f:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    f.write(chunk)
        except (urllib.error.URLError, OSError, ValueError) as e:
            failures.append(f"{url}: {getattr(e, 'reason', e)}")
            part.unlink(missing_ok=True)
            continue
        if digest.hexdigest() != sha256:
            failures.append(f"{url}: SHA-256 {digest.hexdigest()} does not match {sha256}")
            part.unlink(missing_ok=True)
            continue
        shutil.move(part, dest)
        return dest
    raise DownloadError(
        f"could not download {name}: "
        + "; ".join(failures)
        + f". Without network access, copy {name} (gzipped or raw) into {folder} yourself."
    )


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 images of 10 kinds of clothing, laid out like MNIST.

    Searched like :class:`MNIST` (``root/fashion-mnist``, ``root/FashionMNIST/raw``, ``root``)
    and also in ``/usr/share/datasets/fashion-mnist``, where Debian's ``dataset-fashion-mnist``
    package installs it.
    """

    folders = ("fashion-mnist", "FashionMNIST/raw", "FashionMNIST")
    system_folders = (DEBIAN_FASHION_MNIST,)
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    )
    sha256 = {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    }
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
