"""``functional_call`` and ``stack_module_state``: modules as functions of their tensors."""

from __future__ import annotations

from tinytensor.nn.utils.stateless import functional_call as _stateless_call
from tinytensor.ops.join import stack

__all__ = ["functional_call", "stack_module_state"]


def functional_call(
    module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` (one dict
    of dotted names, as ``named_parameters``/``state_dict`` spell them, or a tuple of dicts
    whose keys must not repeat) in place of the module's own for this call. ``args`` that is
    not a tuple is the single positional argument. ``tie_weights``: a value given for one of
    several tied names is used for all of them. ``strict``: every parameter and buffer must be
    given, and nothing else. Gradients flow to the given tensors, so ``grad`` and ``vmap`` can
    differentiate a module with respect to a dict of its parameters."""
    if not isinstance(parameter_and_buffer_dicts, (dict, tuple, list)):
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts).__name__}"
        )
    if isinstance(parameter_and_buffer_dicts, (tuple, list)):
        for d in parameter_and_buffer_dicts:
            if not isinstance(d, dict):
                raise ValueError(
                    "Expected all elements of parameter_and_buffer_dicts to be dictionaries, "
                    f"got {type(d).__name__}"
                )
    return _stateless_call(
        module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights, strict=strict
    )


def stack_module_state(models):
    """``(params, buffers)``: for a list of modules of one architecture, each parameter and
    buffer name maps to the tensors of every model stacked along a new first dimension.
    Stacked parameters are new leaves (detached from the models, ``requires_grad`` as the
    originals), ready for ``vmap(functional_call-based function, in_dims=(0, 0, None))`` to
    run an ensemble at once."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    kind = type(models[0])
    if any(type(m) is not kind for m in models):
        raise RuntimeError(
            "stack_module_state: Expected all models to be of the same class, got "
            + ", ".join(sorted({type(m).__name__ for m in models}))
        )

    def stacked(named):
        names = [n for n, _ in named(models[0])]
        out = {}
        for n in names:
            ts = [dict(named(m))[n] for m in models]
            s = stack([t.detach() for t in ts])
            if ts[0].requires_grad:
                s.requires_grad_(True)
            out[n] = s
        return out

    params = stacked(lambda m: list(m.named_parameters()))
    buffers = stacked(lambda m: list(m.named_buffers()))
    return params, buffers
