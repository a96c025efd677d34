"""The ``Optimizer`` base class: parameter groups, per-group options, state and state dicts.

A subclass declares its defaults and writes ``_update``: the math for one parameter, done in
place on NumPy arrays (no graph is recorded). The base class loops over groups and
parameters, skips parameters without a gradient, applies ``maximize`` and bumps versions.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from tinytensor.autograd.grad_mode import enable_grad, no_grad
from tinytensor.tensor import Tensor, _wrap


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def check_range(name, value, low=0.0, high=None, closed_high=False):
    """Raise ValueError('Invalid <name>: <value>') unless low <= value (< or <= high)."""
    bad = value < low
    if high is not None:
        bad = bad or (value > high if closed_high else value >= high)
    if bad:
        raise ValueError(f"Invalid {name}: {value}")


class Optimizer:
    """Base class of every optimizer.

    ``params`` is an iterable of tensors or of dicts (parameter groups) such as
    ``[{"params": model.fc.parameters(), "lr": 1e-3}, {"params": rest}]``; options missing
    from a group come from ``defaults``. ``state[p]`` holds each parameter's buffers.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with "params" and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if p._data.dtype.kind != "f":
                raise ValueError(f"can't optimize a tensor of dtype {p.dtype}; use a float dtype")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer parameter group contains the same parameter twice")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
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
                    p.grad._data[...] = 0

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
                    g = p.grad._data
                    if g.dtype != p._data.dtype:
                        g = g.astype(p._data.dtype)
                    if group.get("maximize", False):
                        g = -g
                    self._update(p._data, g, self.state[p], group)
                    if p._vc is None:
                        p._vc = [1]
                    else:
                        p._vc[0] += 1
        return loss

    def _prepare_group(self, group):
        """Hook for per-group work before the parameter loop (none by default)."""

    def _update(self, param, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    @staticmethod
    def _buffer(state, name, like, fill=0.0):
        """The state tensor ``name``'s array, created filled with ``fill`` on first use."""
        t = state.get(name)
        if t is None:
            t = state[name] = _wrap(np.full_like(like, fill))
        return t._data

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
        """Restore state and options saved by ``state_dict``; groups must match in size."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(
                "optimizer state_dict must be a dict with keys 'state' and 'param_groups'"
            )
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for ours, theirs in zip(self.param_groups, saved):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        id_map = {}
        for ours, theirs in zip(self.param_groups, saved):
            for p, i in zip(ours["params"], theirs["params"]):
                id_map[i] = p
        new_state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.isdigit() else key
            if k not in id_map:
                raise ValueError(f"optimizer state_dict refers to unknown parameter index {key!r}")
            p = id_map[k]
            new_state[p] = {name: self._cast_state(v, p, name) for name, v in value.items()}
        new_groups = []
        for ours, theirs in zip(self.param_groups, saved):
            g = copy.deepcopy({k: v for k, v in theirs.items() if k != "params"})
            g["params"] = ours["params"]
            new_groups.append(g)
        self.state = new_state
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(value, p, name):
        if isinstance(value, (Tensor, np.ndarray)):
            arr = value._data if isinstance(value, Tensor) else value
            if arr.shape == p.shape and arr.dtype.kind == "f":
                arr = arr.astype(p._data.dtype)
            return _wrap(np.array(arr, copy=True))
        return copy.deepcopy(value)
