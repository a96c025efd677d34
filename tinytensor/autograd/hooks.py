"""Gradient hooks on tensors, and the handles that remove them."""

from __future__ import annotations

import itertools
import weakref

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


# Post-accumulate-grad hooks by ``id`` of the leaf: {id: (weakref to the leaf, {key: hook})}.
# A plain dict, so the engine's "is any registered?" test is one truth test.
post_accumulate_hooks: dict = {}


def add_post_accumulate_hook(tensor, hook):
    """Register ``hook(tensor)``, called after backward has accumulated ``tensor.grad``."""
    tid = id(tensor)
    entry = post_accumulate_hooks.get(tid)
    if entry is None or entry[0]() is not tensor:
        ref = weakref.ref(tensor, lambda _, tid=tid: post_accumulate_hooks.pop(tid, None))
        entry = post_accumulate_hooks[tid] = (ref, {})
    key = next(_ids)
    entry[1][key] = hook
    return RemovableHandle(entry[1], key)


def run_post_accumulate_hooks(leaf) -> None:
    entry = post_accumulate_hooks.get(id(leaf))
    if entry is not None and entry[0]() is leaf:
        for hook in list(entry[1].values()):
            hook(leaf)
