"""``torch.utils.checkpoint`` without the memory saving: the function is simply called.

PyTorch's checkpointing frees a segment's intermediate activations after the forward pass and
recomputes them during backward, trading compute for memory. tinytensor keeps every
activation (the graph holds them), so ``checkpoint(fn, *args)`` returns ``fn(*args)`` with
the same values and the same gradients, only without the saving. Programs written for memory
savings run unchanged; none of PyTorch's keyword arguments change the result here.
"""

from __future__ import annotations

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=None,
    determinism_check="default",
    debug=False,
    early_stop=True,
    preserve_rng_state=True,
    **kwargs,
):
    """``function(*args, **kwargs)``: same values and gradients as PyTorch's checkpoint, with
    every activation kept (no recomputation in backward). The other keywords are accepted and
    ignored."""
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):  # noqa: A002
    """Run ``functions`` (a ``Sequential`` or a list of modules/functions) on ``input`` in
    order, as PyTorch's ``checkpoint_sequential`` computes it; ``segments`` only decides where
    PyTorch would recompute, so it changes nothing here."""
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(
            f"checkpoint_sequential: segments must be a positive int, got {segments!r}"
        )
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for fn in functions:
        input = fn(input)
    return input
