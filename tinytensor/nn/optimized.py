"""``OptimizedModule``: what ``tinytensor.compile(module)`` returns, as PyTorch's.

A module holding the original as its child ``_orig_mod``: parameters, buffers, ``train()`` and
``eval()`` reach the original through the usual module machinery (so ``state_dict()`` keys start
with ``_orig_mod.``, as PyTorch's do), other attributes are looked up on the original, and a
call goes through ``tinytensor.compiler`` (traced once, replayed after). ``nn`` registers this
class with the compiler, which sits below ``nn`` and knows modules only by their registries.
"""

from __future__ import annotations

from tinytensor.compiler import CompiledFunction, set_module_wrapper
from tinytensor.nn.module import Module


class OptimizedModule(Module):
    """A compiled module (PyTorch's ``torch._dynamo.eval_frame.OptimizedModule``)."""

    def __init__(self, mod, fullgraph=False, dynamic=None, *, name=None, recompile_limit=None):
        super().__init__()
        self._orig_mod = mod
        compiled = CompiledFunction(
            mod._call_impl, fullgraph=fullgraph, dynamic=dynamic, module=mod, name=name,
            recompile_limit=recompile_limit,
        )  # fmt: skip
        object.__setattr__(self, "_compiled", compiled)

    def forward(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)

    @property
    def program(self):
        """The compiled program of the last call (None if it ran eagerly)."""
        return self._compiled.program

    def __repr__(self) -> str:
        return f"OptimizedModule({self._orig_mod!r})"


set_module_wrapper(OptimizedModule)
