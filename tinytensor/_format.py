"""PyTorch-style repr: ``tensor([ 0.5301, -1.6349], requires_grad=True)``.

The rules are PyTorch's: one format for the whole tensor, chosen from its nonzero finite
values (integers print as ``3.``, a wide range or tiny/huge values switch to ``1.0000e-05``
notation, otherwise four decimals), every element right-aligned to the widest one, 80-column
lines, and tensors with more than 1000 elements summarised to their first and last 3 rows.
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE = None  # None: chosen from the values; True/False: forced by set_printoptions

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {
    "default": _DEFAULTS,
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": float("inf"), "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set how tensors print, as ``torch.set_printoptions``: digits after the point, the
    element count above which a tensor is summarised, items shown at each edge of a summary,
    characters per line, a named ``profile`` ("default", "short", "full") and ``sci_mode``
    (True/False forces scientific notation on or off; None chooses from the values)."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        p = _PROFILES[profile]
        PRECISION, THRESHOLD = p["precision"], p["threshold"]
        EDGEITEMS, LINEWIDTH = p["edgeitems"], p["linewidth"]
    PRECISION = PRECISION if precision is None else int(precision)
    THRESHOLD = THRESHOLD if threshold is None else threshold
    EDGEITEMS = EDGEITEMS if edgeitems is None else int(edgeitems)
    LINEWIDTH = LINEWIDTH if linewidth is None else int(linewidth)
    SCI_MODE = sci_mode


class _Formatter:
    """Chooses one format for all elements shown and pads each to the common width."""

    def __init__(self, arr: np.ndarray):
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            if arr.size:
                self.width = max(len(str(v)) for v in _flat_values(arr))
            return
        vals = arr.astype(np.float64).reshape(-1)
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:
            return
        amax, amin = np.abs(vals).max(), np.abs(vals).min()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if self.int_mode:
            self.sci_mode = amax / amin > 1000.0 or amax > 1.0e8
            extra = 0 if self.sci_mode else 1  # room for the trailing "."
        else:
            self.sci_mode = amax / amin > 1000.0 or amax > 1.0e8 or amin < 1.0e-4
            extra = 0
        if SCI_MODE is not None:
            self.sci_mode = bool(SCI_MODE)
        self.width = max(len(self._plain(float(v))) + extra for v in vals)

    def _plain(self, v: float) -> str:
        if self.sci_mode:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}"
        return f"{v:.{PRECISION}f}"

    def format(self, v) -> str:
        if self.floating:
            s = self._plain(v)
            if self.int_mode and not self.sci_mode and np.isfinite(v):
                s += "."
        else:
            s = str(v)
        return " " * (self.width - len(s)) + s


def _flat_values(arr):
    return arr.reshape(-1).tolist()


def _summarized(arr: np.ndarray) -> np.ndarray:
    """Only the elements that a summarised repr shows (the format is chosen from these)."""
    if arr.ndim == 0:
        return arr
    if arr.shape[0] > 2 * EDGEITEMS:
        arr = np.concatenate([arr[:EDGEITEMS], arr[-EDGEITEMS:]])
    if arr.ndim == 1:
        return arr
    return np.stack([_summarized(row) for row in arr])


def _vector(arr, indent, summarize, fmt) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        items = (
            [fmt.format(v) for v in arr[:EDGEITEMS].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in arr[-EDGEITEMS:].tolist()]
        )
    else:
        items = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body(arr, indent, summarize, fmt) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = (
            [_body(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
            + ["..."]
            + [_body(arr[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)]
        )
    else:
        rows = [_body(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _with_suffixes(body: str, suffixes, indent: int) -> str:
    parts = [body]
    last_line = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(t, prefix: str = "tensor(") -> str:
    arr = t._data
    indent = len(prefix)
    suffixes = []
    default = arr.dtype == D.get_default_dtype().np or arr.dtype in (np.int64, np.bool_)
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype != D.get_default_dtype().np:
            suffixes.append(f"dtype={D.from_numpy_dtype(arr.dtype)}")
    else:
        if not default:
            suffixes.append(f"dtype={D.from_numpy_dtype(arr.dtype)}")
        summarize = arr.size > THRESHOLD
        fmt = _Formatter(_summarized(arr) if summarize else arr)
        body = _body(arr, indent, summarize, fmt)
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn={t._grad_fn!r}")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
