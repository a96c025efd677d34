"""``tinytensor.func`` (``torch.func``): function transforms.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd`` and
``hessian`` differentiate whole functions; ``vmap`` maps a per-sample function over a batch;
``functional_call`` runs a module with a dict of tensors in place of its parameters and
``stack_module_state`` stacks the parameters of several models, so that per-sample gradients
and model ensembles are one line each::

    params = {k: v.detach() for k, v in model.named_parameters()}
    loss = lambda p, x, y: F.cross_entropy(functional_call(model, p, (x[None],)), y[None])
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)

Everything is built on the tape (reverse mode); ``jacfwd``, ``jvp`` and ``linearize`` use the
double-backward trick. ``functionalize`` is not planned: tinytensor runs eagerly, so there is
no graph to rewrite; call the function itself.
``vmap`` is exact and batched where a batching rule exists and otherwise runs the function once
per batch entry (with PyTorch's performance warning).
"""

from tinytensor.func._grad import (
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
)
from tinytensor.func._module import functional_call, stack_module_state
from tinytensor.func._vmap import vmap

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "stack_module_state",
    "vjp",
    "vmap",
]


_NOT_PLANNED = {
    "functionalize": "a torch.compile pass that removes mutation from a traced graph; tinytensor "
    "runs eagerly and has no graph to rewrite: call the function itself",
    "debug_unwrap": "functorch's wrapper tensors do not exist in tinytensor (its transforms work "
    "on plain tensors): use the tensor as it is",
}


def __getattr__(name):
    if name in _NOT_PLANNED:
        raise AttributeError(
            f"tinytensor.func.{name} (torch.func.{name}) is not planned: {_NOT_PLANNED[name]}"
        )
    raise AttributeError(f"module 'tinytensor.func' has no attribute {name!r}")
