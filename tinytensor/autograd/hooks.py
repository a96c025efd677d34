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


# Post-accumulate-grad hooks live on their leaf (its ``_post_hooks`` slot, unset until the
# first): they go with it, and a hook whose closure holds the leaf is a cycle gc collects. This
# flag only says whether any was ever registered, so that until then the engine's test per
# accumulated leaf is one truth test.
post_hooks_used = [False]


def add_post_accumulate_hook(tensor, hook):
    """Register ``hook(tensor)``, called after backward has accumulated ``tensor.grad``."""
    table = getattr(tensor, "_post_hooks", None)
    if table is None:
        table = tensor._post_hooks = {}
    key = next(_ids)
    table[key] = hook
    post_hooks_used[0] = True
    return RemovableHandle(table, key)


def run_post_accumulate_hooks(leaf) -> None:
    """Call ``leaf``'s post-accumulate hooks, in the order they were registered."""
    table = getattr(leaf, "_post_hooks", None)
    if table:
        for hook in list(table.values()):
            hook(leaf)
