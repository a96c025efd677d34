"""Nested containers of tensors (tuples, lists, dicts) flattened to a list of leaves and back.

The function transforms take and return such trees: ``grad`` of a function of a dict of
parameters returns a dict of gradients, ``vmap``'s ``in_dims`` mirrors the arguments' nesting.
A leaf is anything that is not a tuple, list or dict (tensors, numbers, None, modules).
"""

from __future__ import annotations

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "broadcast_prefix"]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves in order, and what ``tree_unflatten`` needs to rebuild."""
    leaves = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(tree, leaves):
    if isinstance(tree, dict):
        keys = list(tree)
        return ("dict", type(tree), keys, [_flatten(tree[k], leaves) for k in keys])
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__ if type(tree) in (tuple, list) else "seq", type(tree),
                None, [_flatten(x, leaves) for x in tree])  # fmt: skip
    leaves.append(tree)
    return ("leaf", None, None, None)


def tree_unflatten(leaves, spec):
    """The tree of ``spec`` with ``leaves`` put back in order."""
    it = iter(leaves)
    out = _unflatten(it, spec)
    return out


def _unflatten(it, spec):
    kind, typ, keys, children = spec
    if kind == "leaf":
        return next(it)
    items = [_unflatten(it, c) for c in children]
    if kind == "dict":
        d = typ() if typ is not dict else {}
        for k, v in zip(keys, items):
            d[k] = v
        return d
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    return typ(*items) if hasattr(typ, "_fields") else typ(items)


def tree_map(fn, tree):
    """``tree`` with every leaf replaced by ``fn(leaf)``."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def tree_str(spec):
    """A short picture of a tree's nesting, for error messages."""
    kind, _, keys, children = spec
    if kind == "leaf":
        return "*"
    inner = ", ".join(tree_str(c) for c in children)
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {tree_str(c)}" for k, c in zip(keys, children)) + "}"
    if kind == "list":
        return "[" + inner + "]"
    return "(" + inner + ("," if len(children) == 1 else "") + ")"


def broadcast_prefix(prefix, tree, what):
    """One value of ``prefix`` per leaf of ``tree``: a non-container ``prefix`` applies to the
    whole subtree it stands over; a container must match ``tree``'s container at that level.
    A mismatch raises ``ValueError`` naming ``what``."""
    out = []
    _broadcast(prefix, tree, out, what)
    return out


def _broadcast(prefix, tree, out, what):
    if not isinstance(prefix, (tuple, list, dict)):
        leaves, _ = tree_flatten(tree)
        out.extend([prefix] * len(leaves))
        return
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(prefix) != set(tree):
            raise ValueError(what)
        for k in tree:
            _broadcast(prefix[k], tree[k], out, what)
        return
    if not isinstance(tree, (tuple, list)) or len(prefix) != len(tree):
        raise ValueError(what)
    for p, t in zip(prefix, tree):
        _broadcast(p, t, out, what)
