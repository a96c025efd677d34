"""Devices: tinytensor computes on the CPU, and says so clearly when asked for anything else.

PyTorch programs open with ``device = torch.device("cuda" if torch.cuda.is_available() else
"cpu")`` and pass ``device=`` everywhere. Here ``cuda.is_available()`` is False, so such a
program picks the CPU and runs unchanged; naming another device where a tensor would be made
or moved is an error that says tinytensor computes on the CPU only.
"""

from __future__ import annotations

_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "mtia", "privateuseone", "ipu")


class device:
    """A device name, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``,
    ``device("cuda:0")``. Only ``"cpu"`` can hold tensors here."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise RuntimeError("device(): an index was given twice")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(
                f"device({type}): an ordinal alone names an accelerator, and tinytensor "
                "computes on the CPU only; use device('cpu')"
            )
        if not isinstance(type, str):
            raise TypeError(
                f"device(): expected a string or a device, got {type.__class__.__name__}"
            )
        name, sep, ordinal = type.partition(":")
        if name not in _KNOWN:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN)} device type at start of device string: {type}"
            )
        if sep:
            if index is not None:
                raise RuntimeError(f"device({type!r}, {index}): the index was given twice")
            if not ordinal.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(ordinal)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index!r}")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        check_device(self)
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")
_default = [CPU]


def check_device(d, where="tinytensor"):
    """``d`` (None, a string or a device) as the CPU device; any other device is an error."""
    if d is None:
        return _default[0]
    if not isinstance(d, device):
        d = device(d)
    if d.type != "cpu":
        raise RuntimeError(
            f"{where}: device {str(d)!r} is not available; tinytensor computes on the CPU only "
            "(torch.cuda.is_available() is False here). Use device='cpu', or pick the device "
            "with `'cuda' if tinytensor.cuda.is_available() else 'cpu'`"
        )
    return CPU


def set_default_device(device) -> None:
    """Set the device new tensors are made on: only the CPU (or None, the same) is accepted."""
    _default[0] = CPU if device is None else check_device(device, "set_default_device")


def get_default_device() -> device:
    """The device new tensors are made on: always ``device(type='cpu')`` in tinytensor."""
    return _default[0]
