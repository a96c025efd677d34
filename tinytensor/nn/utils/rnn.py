"""``nn.utils.rnn``: variable-length sequences for the recurrent layers.

A ``PackedSequence`` holds the steps of a batch of sequences sorted by decreasing length, time
step after time step: ``data`` is (sum of `lengths, *`), ``batch_sizes[t]`` is how many sequences
are longer than ``t``. Packing and unpacking are gathers (differentiable), as in PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tinytensor.core import wrap
from tinytensor.ops._util import as_tensor
from tinytensor.ops.join import stack
from tinytensor.ops.pad import pad
from tinytensor.ops.selection import where
from tinytensor.tensor import Tensor


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation._data)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return wrap(out)


class _PackedBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedBase):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``; build it with
    ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PyTorch's (data, batch_sizes) tuple form
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """A PackedSequence whose ``data`` is ``data.to(*args, **kwargs)``."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self):
        return self

    def double(self):
        return self._with_data(self.data.double())

    def float(self):
        return self._with_data(self.data.float())

    def half(self):
        return self._with_data(self.data.half())

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _lengths(lengths):
    if isinstance(lengths, Tensor):
        return np.asarray(lengths._data, dtype=np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _packed_index(lengths):
    """(time index, batch index) of each packed row, for lengths sorted decreasingly, and the
    batch sizes."""
    steps = int(lengths[0]) if lengths.size else 0
    batch_sizes = np.array([(lengths > t).sum() for t in range(steps)], dtype=np.int64)
    t_idx = np.repeat(np.arange(steps), batch_sizes)
    b_idx = np.concatenate([np.arange(n) for n in batch_sizes]) if steps else np.zeros(0, int)
    return t_idx, b_idx, batch_sizes


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded `(T, B, *)` (or `(B, T, *)` with ``batch_first``) batch of sequences."""
    lengths = _lengths(lengths)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = wrap(order.astype(np.int64))
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if batch_first:
        input = input.transpose(0, 1)
    if lengths.size and lengths[0] > input.shape[0]:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {lengths[0]} is longer than the input's "
            f"{input.shape[0]} time steps"
        )
    t_idx, b_idx, batch_sizes = _packed_index(lengths)
    data = input[wrap(t_idx), wrap(b_idx)]
    return PackedSequence(data, wrap(batch_sizes), sorted_indices, None)


def packed_to_padded(sequence, padding_value=0.0, total_length=None):
    """`(T, B, *)` padded batch in the packed (sorted) order, and the sorted lengths."""
    data, batch_sizes = sequence.data, _lengths(sequence.batch_sizes)
    steps = batch_sizes.size if total_length is None else total_length
    n = int(batch_sizes[0]) if batch_sizes.size else 0
    lengths = np.array([(batch_sizes > b).sum() for b in range(n)], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(np.int64)
    t = np.arange(steps)[:, None]
    valid = t < lengths[None, :]
    pos = np.where(valid, offsets[np.minimum(t, batch_sizes.size - 1)] + np.arange(n), 0)
    padded = data[wrap(pos)]
    if not valid.all():
        keep = wrap(valid.reshape(valid.shape + (1,) * (data.ndim - 1)))
        padded = where(keep, padded, padding_value)
    return padded, lengths


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: (padded, lengths), in the batch's original order."""
    max_len = int(_lengths(sequence.batch_sizes).size)
    if total_length is not None and total_length < max_len:
        raise ValueError(
            "Expected total_length to be at least the length of the longest sequence in input, "
            f"but got total_length={total_length} and max sequence length being {max_len}"
        )
    padded, lengths = packed_to_padded(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices._data)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack `(L_i, *)` sequences into `(max L, B, *)` (or `(B, max L, *)`), padding with a
    value."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = [as_tensor(s, "pad_sequence") for s in sequences]
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([extra, 0] if padding_side == "left" else [0, extra])
        padded.append(pad(s, tuple(widths), value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of `(L_i, *)` sequences inside a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of `(L_i, *)` sequences (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of `(L_i, *)` sequences inside a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]
