"""Turning samples into batches: ``default_collate`` (batched loading) and ``default_convert``
(``batch_size=None``), with PyTorch's rules."""

from __future__ import annotations

import collections.abc as abc
import numbers

import numpy as np

import tinytensor as tt

_COLLATE_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}. "
    "Pass collate_fn= to the DataLoader to batch such samples yourself"
)


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _array_to_tensor(array: np.ndarray):
    # not np.ascontiguousarray: it turns a 0-d array into shape (1,)
    return tt.from_numpy(array if array.flags.c_contiguous else array.copy(order="C"))


def _stack_tensors(batch):
    first = tuple(batch[0].shape)
    for i, t in enumerate(batch):
        if not isinstance(t, tt.Tensor):
            raise TypeError(
                f"default_collate: entry {i} of a batch of tensors is {type(t).__name__}; every "
                "sample must have the same structure"
            )
        if tuple(t.shape) != first:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got {first} at "
                f"entry 0 and {tuple(t.shape)} at entry {i}; pad the samples or pass a collate_fn"
            )
    return tt.stack(list(batch), 0)


def _rebuild(elem, items):
    """A container like ``elem`` holding ``items`` (a list), falling back to a list."""
    try:
        return type(elem)(items)
    except TypeError:  # a Sequence subclass whose constructor takes other arguments
        return items


def default_collate(batch):
    """Merge a list of samples into a batch, with PyTorch's ``default_collate`` rules.

    Tensors are stacked along a new first dimension; NumPy arrays become tensors and are
    stacked; Python ints become an int64 tensor, floats a float64 tensor, bools a bool tensor;
    NumPy scalars a tensor of their dtype; strings and bytes stay a list; dicts are collated
    key by key, namedtuples field by field (keeping their type), and other sequences position by
    position (tuples come back as lists, as in PyTorch).

    >>> default_collate([(1, 2.0), (3, 4.0)])
    [tensor([1, 3]), tensor([2., 4.], dtype=tinytensor.float64)]
    """
    if not isinstance(batch, abc.Sequence) or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate: expected a list of samples, got {type(batch).__name__}")
    if len(batch) == 0:
        raise IndexError("default_collate: cannot collate an empty batch (no samples to merge)")
    elem = batch[0]
    if isinstance(elem, tt.Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic):
        if np.asarray(elem).dtype.kind in "SaUO":
            raise TypeError(_COLLATE_ERR.format(f"a NumPy array of dtype {np.asarray(elem).dtype}"))
        if np.ndim(elem) == 0:
            return _array_to_tensor(np.array(batch, dtype=np.asarray(elem).dtype))
        return _stack_tensors([_array_to_tensor(np.asarray(b)) for b in batch])
    if isinstance(elem, bool):
        return tt.tensor(list(batch), dtype=tt.bool)
    if isinstance(elem, numbers.Integral):
        return tt.tensor(list(batch), dtype=tt.int64)
    if isinstance(elem, numbers.Real):
        return tt.tensor(list(batch), dtype=tt.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size; got "
                f"sample lengths {sorted({len(s) for s in batch})} (every sample must have the "
                "same number of fields)"
            )
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild(elem, fields)
    raise TypeError(_COLLATE_ERR.format(type(elem).__name__))


def default_convert(data):
    """Turn NumPy arrays inside one sample into tensors, leaving everything else as it is.

    The collate function a ``DataLoader`` uses when ``batch_size=None`` (no batching); it
    recurses into dicts, namedtuples and sequences like ``default_collate`` does.
    """
    if isinstance(data, tt.Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        if np.asarray(data).dtype.kind in "SaUO":
            return data
        return _array_to_tensor(np.asarray(data))
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
