"""Gradient hooks on tensors, and the handles that remove them."""

from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook off again."""

    def __init__(self, table, key):
        self._table = table
        self._key = key

    def remove(self) -> None:
        self._table.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(node, index, hook):
    """Register ``hook(grad) -> grad or None`` on output ``index`` of ``node``."""
    if node.hooks is None:
        node.hooks = {}
    key = next(_ids)
    node.hooks[key] = (index, hook)
    return RemovableHandle(node.hooks, key)


def add_leaf_hook(tensor, hook):
    if tensor._hooks is None:
        tensor._hooks = {}
    key = next(_ids)
    tensor._hooks[key] = hook
    return RemovableHandle(tensor._hooks, key)
