"""``nn.utils.stateless.functional_call``: run a module with other parameters and buffers."""

from __future__ import annotations

from contextlib import contextmanager

from tinytensor.nn.utils.parametrize import is_parametrized

__all__ = ["functional_call"]

_MISSING = object()


def _owner(module, name):
    *path, attr = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr


def _swap(module, name, value):
    """Put ``value`` where ``module.<name>`` lives; return what was there."""
    mod, attr = _owner(module, name)
    d = mod.__dict__
    for table in ("_parameters", "_buffers"):
        if attr in d[table]:
            old = d[table][attr]
            d[table][attr] = value
            return old
    if is_parametrized(mod, attr):
        raise RuntimeError(
            f"functional_call: '{name}' is parametrized; pass "
            f"'{name.rsplit('.', 1)[0] + '.' if '.' in name else ''}parametrizations.{attr}."
            "original' instead"
        )
    old = d.get(attr, _MISSING)
    if value is _MISSING:
        d.pop(attr, None)
    else:
        d[attr] = value
    return old


@contextmanager
def _reparametrize(module, values, tie_weights, strict):
    values = dict(values)
    names = [n for n, _ in module.named_parameters(remove_duplicate=False)]
    names += [n for n, _ in module.named_buffers(remove_duplicate=False)]
    if tie_weights:
        owners = {}
        for n, t in module.named_parameters(remove_duplicate=False):
            owners.setdefault(id(t), []).append(n)
        for n, t in module.named_buffers(remove_duplicate=False):
            owners.setdefault(id(t), []).append(n)
        for group in owners.values():
            given = [n for n in group if n in values]
            if given:
                if any(values[n] is not values[given[0]] for n in given):
                    raise ValueError(
                        f"functional_call got multiple values for keys {given}, which are "
                        "tied. Consider using tie_weights=False"
                    )
                for n in group:
                    values.setdefault(n, values[given[0]])
    if strict:
        missing = [n for n in names if n not in values]
        unexpected = [n for n in values if n not in names]
        errors = []
        if unexpected:
            errors.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            errors.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        if errors:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                + "\n\t".join(errors)
            )
    saved = []
    try:
        for name, value in values.items():
            saved.append((name, _swap(module, name, value)))
        yield
    finally:
        for name, old in reversed(saved):
            _swap(module, name, old)


def functional_call(
    module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """``module(*args, **kwargs)`` with the named tensors (dotted names, as in ``state_dict``)
    in place of its own parameters and buffers for this one call; gradients flow to the given
    tensors. A tuple or list of dicts is merged (keys must not repeat)."""
    if isinstance(parameters_and_buffers, (list, tuple)):
        merged = {}
        for d in parameters_and_buffers:
            for k, v in d.items():
                if k in merged:
                    raise ValueError(
                        f"{k} appeared in multiple dictionaries; behavior of functional call is "
                        "ambiguous"
                    )
                merged[k] = v
        parameters_and_buffers = merged
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, parameters_and_buffers, tie_weights, strict):
        return module(*args, **kwargs)
