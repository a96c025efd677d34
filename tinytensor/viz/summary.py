"""``tt.viz.summary(model, input_size)``: a torchinfo-style table of a model's layers."""

from __future__ import annotations

import tinytensor as tt


class Summary:
    """The table (``str``/``repr``), plus its rows and totals for programs to read."""

    def __init__(self, rows, total, trainable, input_size, output_shape):
        self.rows = rows  # (depth, name, type, output shape, parameter count)
        self.total_params = total
        self.trainable_params = trainable
        self.input_size = input_size
        self.output_shape = output_shape

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Param #")
        body = []
        for depth, name, kind, shape, n in self.rows:
            label = "  " * depth + (f"{name} ({kind})" if name else kind)
            shape_text = str(list(shape)) if shape else "--"
            body.append((label, shape_text, f"{n:,}" if n else "--"))
        widths = [max(len(r[i]) for r in [header, *body]) + 2 for i in range(3)]
        width = sum(widths)
        line = "=" * width

        def fmt(r):
            return r[0].ljust(widths[0]) + r[1].ljust(widths[1]) + r[2].rjust(widths[2])

        out = [line, fmt(header), line, *map(fmt, body), line]
        out.append(f"Total params: {self.total_params:,}")
        out.append(f"Trainable params: {self.trainable_params:,}")
        out.append(f"Non-trainable params: {self.total_params - self.trainable_params:,}")
        out.append(f"Input size: {list(self.input_size)}  Output shape: {list(self.output_shape)}")
        out.append(line)
        return "\n".join(out)

    __repr__ = __str__

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": str(self)}


def summary(model, input_size, dtype=None) -> Summary:
    """Run a zero batch of ``input_size`` (batch dimension included, e.g. ``(1, 1, 28, 28)``)
    through ``model`` and tabulate every sub-module: its output shape and its own parameters.

    At the REPL the returned object shows itself as the table; ``print`` it in a script.
    """
    if not isinstance(model, tt.nn.Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    try:
        size = tuple(int(s) for s in input_size)
    except TypeError:
        raise TypeError(
            f"summary: input_size must be a tuple of ints with the batch dimension, e.g. "
            f"(1, 1, 28, 28); got {input_size!r}"
        ) from None
    if not size or any(s <= 0 for s in size):
        raise ValueError(f"summary: input_size {size} must be positive sizes, batch first")
    names = {id(m): name for name, m in model.named_modules()}
    depth = {id(m): (name.count(".") + 1 if name else 0) for name, m in model.named_modules()}
    calls = []

    def hook(module, inputs, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        shape = tuple(out.shape) if isinstance(out, tt.Tensor) else None
        calls.append((module, shape))

    handles = [m.register_forward_hook(hook) for m in model.modules() if m is not model]
    x = tt.zeros(*size, dtype=dtype or tt.get_default_dtype())
    training = model.training
    model.eval()
    try:
        with tt.no_grad():
            out = model(x)
    except Exception as e:
        raise ValueError(
            f"summary: {type(model).__name__} cannot take an input of size {size}: {e}"
        ) from None
    finally:
        for h in handles:
            h.remove()
        model.train(training)
    out = out[0] if isinstance(out, (tuple, list)) else out
    # Containers finish after their children: order rows by when each module was entered.
    order = {id(m): i for i, m in enumerate(model.modules())}
    seen, rows = set(), []
    for module, shape in sorted(calls, key=lambda c: order.get(id(c[0]), 0)):
        if id(module) in seen:
            continue
        seen.add(id(module))
        own = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append((depth[id(module)] - 1, names[id(module)].rsplit(".", 1)[-1],
                     type(module).__name__, shape, own))  # fmt: skip
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return Summary(rows, total, trainable, size, tuple(out.shape))
