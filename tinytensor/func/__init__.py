"""``tinytensor.func`` (``torch.func``): function transforms.

``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd`` and ``hessian`` differentiate
whole functions; ``vmap`` maps a per-sample function over a batch; ``functional_call`` runs a
module with a dict of tensors in place of its parameters and ``stack_module_state`` stacks
the parameters of several models, so that per-sample gradients and model ensembles are one
line each::

    params = {k: v.detach() for k, v in model.named_parameters()}
    loss = lambda p, x, y: F.cross_entropy(functional_call(model, p, (x[None],)), y[None])
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)

Everything is built on the tape (reverse mode); ``jacfwd`` uses the double-backward trick.
``vmap`` is exact and batched where a batching rule exists and otherwise runs the function once
per batch entry (with PyTorch's performance warning).
"""

from tinytensor.func._grad import grad, grad_and_value, hessian, jacfwd, jacrev, vjp
from tinytensor.func._module import functional_call, stack_module_state
from tinytensor.func._vmap import vmap

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "stack_module_state",
    "vjp",
    "vmap",
]
