"""Autograd hooks as ``Tensor`` methods beyond ``tensor.py``'s ``backward``/``register_hook``/
``retain_grad``: ``register_post_accumulate_grad_hook``."""

from __future__ import annotations

from tinytensor.autograd import hooks


class AutogradMethods:
    __slots__ = ()

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after backward has accumulated this leaf's ``.grad``; returns a
        handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors (this one "
                f"was made by {self._grad_fn.name()}); register it on the leaf"
            )
        return hooks.add_post_accumulate_hook(self, hook)
