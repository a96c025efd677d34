"""The ``Optimizer`` base class: parameter groups, per-group options, state and state dicts.

A subclass declares its defaults and writes ``_update(p, grad, state, group)``: the math for
one parameter, done in place with Tensor methods. The base class runs it under ``no_grad``,
loops over groups and parameters, skips parameters without a gradient and applies
``maximize``. Only the public Tensor API is used, so version counters are bumped by the
in-place methods themselves.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

import tinytensor as tt
from tinytensor.autograd.grad_mode import enable_grad, no_grad
from tinytensor.tensor import Tensor


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()

# Flags that select another PyTorch implementation of the same rule. ``foreach`` gives the
# same numbers (one loop here), so any value is accepted; the others need machinery that
# tinytensor has no use for, so only their "off" values are.
_UNSUPPORTED_FLAGS = {
    "capturable": "it makes the step capturable in a CUDA graph",
    "differentiable": "it records the step itself for autograd",
    "fused": "it selects a fused device kernel",
}


def check_arg(ok, opt, what, value, expected):
    """Raise ``ValueError("<opt>: invalid <what> <value>; expected <expected>")`` unless ok."""
    if not ok:
        raise ValueError(f"{opt}: invalid {what} {value}; expected {expected}")


def check_lr(opt, lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError(f"{opt}: Tensor lr must be 1-element, got shape {tuple(lr.shape)}")
    check_arg(float(lr) >= 0.0, opt, "learning rate", lr, "lr >= 0")


def check_betas(opt, betas):
    for i, b in enumerate(betas):
        check_arg(
            0.0 <= float(b) < 1.0, opt, f"beta parameter at index {i}:", b, f"0 <= betas[{i}] < 1"
        )


_SPELLED = {"eps": "epsilon"}  # the word PyTorch's messages use for the argument


def check_nonnegative(opt, **values):
    """``check_arg(value >= 0)`` for each ``name=value`` in order, worded as PyTorch words it:
    ``"Adam: invalid epsilon value -1; expected eps >= 0"``."""
    for name, value in values.items():
        what = _SPELLED.get(name, name)
        what = what if what.endswith("value") else f"{what} value"
        check_arg(value >= 0.0, opt, what, value, f"{name} >= 0")


def check_adam_args(opt, lr, betas, eps, weight_decay):
    """The Adam family's constructor checks, in PyTorch's order: lr, eps, betas, weight_decay."""
    check_lr(opt, lr)
    check_nonnegative(opt, eps=eps)
    check_betas(opt, betas)
    check_nonnegative(opt, weight_decay=weight_decay)


def scalar_dtype():
    """The dtype of 0-d bookkeeping tensors (``step``...): float64 only when it is the default,
    as PyTorch's ``_get_scalar_dtype``."""
    return tt.float64 if tt.get_default_dtype() == tt.float64 else tt.float32


def scalar(value):
    """A 0-d state tensor (``step``, ``mu_product``, ``eta``...) of PyTorch's dtype."""
    return tt.tensor(float(value), dtype=scalar_dtype())


def lerp_(t, end, weight):
    """`t += weight*(end - t)` in place, in PyTorch's two-sided form for precision."""
    if weight < 0.5:
        t.add_(end - t, alpha=weight)
    else:
        t.copy_(end - (end - t) * (1 - weight))
    return t


def addcmul_(t, a, b, value=1.0):
    """`t += value*a*b` in place."""
    return t.add_(a * b, alpha=value)


def addcdiv_(t, a, b, value=1.0):
    """`t += value*a/b` in place."""
    return t.add_(a / b, alpha=value)


def bump(state, key="step"):
    """Add one to the 0-d counter ``state[key]`` and return the new count as a float."""
    state[key].add_(1)
    return state[key].item()


class Optimizer:
    """Base class of every optimizer.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups) such as ``[{"params": model.fc.parameters(), "lr": 1e-3}, {"params": rest}]``;
    options missing from a group come from ``defaults``. ``state[p]`` holds each parameter's
    buffers.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be an "
                f"iterable of Tensors or dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k not in ("params", "param_names"):
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines) + "\n)"

    def __getstate__(self):
        return dict(self.__dict__)

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with "params" and optional per-group options)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            names = [n for n, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor")
            if not p.is_floating_point():
                raise ValueError(
                    f"{name}: can't optimize a tensor of dtype {p.dtype}; use a float dtype"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: optimizer parameter group contains the same parameter twice")
        group = dict(param_group, params=params)
        if names is not None:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required optimization "
                    f"parameter {key}"
                )
            group.setdefault(key, default)
        for flag, why in _UNSUPPORTED_FLAGS.items():
            if group.get(flag):
                raise NotImplementedError(
                    f"{name}: {flag}={group[flag]!r} is not supported in tinytensor ({why}); "
                    f"leave {flag} at its default"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    with no_grad():
                        p.grad.zero_()

    def step(self, closure=None):
        """One update of every parameter with a gradient; ``closure`` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._prepare_group(group)
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = -p.grad if group.get("maximize", False) else p.grad
                    self._update(p, grad, self.state[p], group)
        return loss

    def _prepare_group(self, group):
        """Hook for per-group work before the parameter loop (none by default)."""

    def _update(self, p, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # --- state dicts ------------------------------------------------------------------------

    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``;
        parameters are referred to by their position across all groups."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state and options saved by ``state_dict``; groups must match in size.
        Floating-point state is cast to its parameter's dtype, except ``step``, as PyTorch."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                f"{name}: optimizer state_dict must be a dict with keys 'state' and 'param_groups'"
            )
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"{name}: loaded state dict has a different number of parameter groups "
                f"({len(saved)}) than the optimizer ({len(self.param_groups)})"
            )
        for ours, theirs in zip(self.param_groups, saved):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError(
                    f"{name}: loaded state dict contains a parameter group that doesn't match "
                    f"the size of optimizer's group ({len(theirs['params'])} vs "
                    f"{len(ours['params'])} parameters)"
                )
        id_map = {}
        for ours, theirs in zip(self.param_groups, saved):
            for p, i in zip(ours["params"], theirs["params"]):
                id_map[i] = p
        new_state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.isdigit() else key
            if k not in id_map:
                raise ValueError(f"{name}: state_dict refers to unknown parameter index {key!r}")
            p = id_map[k]
            new_state[p] = {n: _cast_state(v, p, n) for n, v in value.items()}
        new_groups = []
        for ours, theirs in zip(self.param_groups, saved):
            g = copy.deepcopy({k: v for k, v in theirs.items() if k != "params"})
            g["params"] = ours["params"]
            new_groups.append(g)
        self.state = new_state
        self.param_groups = new_groups


def _cast_state(value, p, key):
    """A private copy of one saved state value, as a Tensor where it was an array."""
    if key == "step" and isinstance(value, (int, float)):
        return scalar(value)
    if isinstance(value, np.ndarray):
        value = tt.tensor(value)
    if isinstance(value, Tensor):
        value = value.detach().clone()
        if key != "step" and value.is_floating_point():
            value = value.to(p.dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(v, p, key) for v in value)
    return copy.deepcopy(value)
