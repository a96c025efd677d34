"""Architecture strings: ``"conv(8,3,padding=1) relu maxpool(2) flatten linear(10)"`` to a model.

Each token is a layer name, optionally with arguments in parentheses written like Python
(numbers, tuples, ``True``/``False``/``None``, strings, ``key=value``). Input sizes
(``in_features``, ``in_channels``, ``num_features``, ...) are never written: they are inferred by
running a tiny dummy batch through the layers built so far. A mistake is an :class:`ArchError`
that quotes the string and puts a caret under the token at fault.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
from dataclasses import dataclass

import numpy as np

import tinytensor as tt
from tinytensor import nn

PRESETS = {
    "mlp": "flatten linear(128) relu linear(10)",
    "cnn": (
        "conv(16,3,padding=1) relu maxpool(2) conv(32,3,padding=1) relu maxpool(2) "
        "flatten linear(64) relu linear(10)"
    ),
}


class ArchError(ValueError):
    """A bad architecture string; the message points at the offending token."""


@dataclass
class Token:
    name: str  # as written
    key: str  # normalised: lower case, no underscores
    args: tuple
    kwargs: dict
    start: int
    end: int
    text: str


@dataclass
class Layer:
    token: Token
    module: object
    out_shape: tuple  # per sample, without the batch dimension


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_SEPARATORS = " \t\r\n,|>-"


def _point(arch: str, start: int, end: int, message: str) -> ArchError:
    caret = " " * start + "^" * max(1, end - start)
    return ArchError(f"{message}\n  {arch}\n  {caret}")


def tokenize(arch: str) -> list[Token]:
    """Split ``arch`` into layer tokens with their parsed arguments and positions."""
    tokens, i = [], 0
    while i < len(arch):
        if arch[i] in _SEPARATORS:
            i += 1
            continue
        m = _TOKEN.match(arch, i)
        if m is None:
            raise _point(arch, i, i + 1, f"bad architecture: unexpected character {arch[i]!r}")
        name_end = m.end()
        end, inner = name_end, None
        if name_end < len(arch) and arch[name_end] == "(":
            depth, j = 0, name_end
            while j < len(arch):
                depth += arch[j] == "("
                depth -= arch[j] == ")"
                if depth == 0:
                    break
                j += 1
            if depth:
                raise _point(arch, i, len(arch), "bad architecture: unclosed '('")
            inner, end = arch[name_end + 1 : j], j + 1
        name = m.group().removeprefix("nn.")
        args, kwargs = _parse_args(arch, i, end, inner)
        key = name.lower().replace("_", "")
        tokens.append(Token(name, key, args, kwargs, i, end, arch[i:end]))
        i = end
    if not tokens:
        raise ArchError("bad architecture: the string has no layers")
    return tokens


def _parse_args(arch, start, end, inner):
    if inner is None or not inner.strip():
        return (), {}
    try:
        call = ast.parse(f"f({inner})", mode="eval").body
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        if any(k is None for k in kwargs):
            raise ValueError("**kwargs are not allowed")
    except (SyntaxError, ValueError) as e:
        why = e.msg if isinstance(e, SyntaxError) else str(e)
        raise _point(
            arch,
            start,
            end,
            f"bad architecture: cannot read the arguments ({inner}): {why}; write numbers, "
            "tuples, True/False/None or key=value",
        ) from None
    return args, kwargs


# --- the layer table ---------------------------------------------------------------------------


def _features(shape, what):
    if len(shape) == 3:
        raise ValueError(
            f"{what} gets feature maps of shape (C, H, W) = {shape}; put `flatten` before it"
        )
    return shape[-1]


def _channels(shape, what):
    if len(shape) != 3:
        raise ValueError(
            f"{what} needs images (C, H, W) but gets shape {shape}; it belongs before `flatten`"
        )
    return shape[0]


def _seq_features(shape, what):
    if len(shape) == 3:
        return shape[0] * shape[2]  # the rows of an image are the time steps
    if len(shape) == 2:
        return shape[1]
    raise ValueError(f"{what} needs a sequence (T, F) or images (C, H, W), got shape {shape}")


def _layer_table(nn):
    """name -> (builder(shape, args, kwargs) -> module, usage)."""

    def plain(cls):
        return lambda shape, a, k: cls(*a, **k)

    def linear(shape, a, k):
        return nn.Linear(_features(shape, "linear"), *a, **k)

    def conv(shape, a, k):
        return nn.Conv2d(_channels(shape, "conv"), *a, **k)

    def batchnorm(shape, a, k):
        cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return cls(shape[0], *a, **k)

    def batchnorm1d(shape, a, k):
        return nn.BatchNorm1d(shape[0], *a, **k)

    def batchnorm2d(shape, a, k):
        return nn.BatchNorm2d(_channels(shape, "batchnorm2d"), *a, **k)

    def layernorm(shape, a, k):
        if a or "normalized_shape" in k:
            return nn.LayerNorm(*a, **k)
        return nn.LayerNorm(list(shape) if len(shape) == 3 else shape[-1], **k)

    def recurrent(name):
        def build(shape, a, k):
            cls = _nn_class(nn, name)
            sequence = k.pop("sequence", False)
            k.setdefault("batch_first", True)
            return Sequence(cls(_seq_features(shape, cls.__name__.lower()), *a, **k), sequence)

        return build

    def cell(name):
        def build(shape, a, k):
            cls = _nn_class(nn, name)
            return Cell(cls(_features(shape, name.lower()), *a, **k))

        return build

    def along_dim(cls):
        def build(shape, a, k):
            if not a:
                k.setdefault("dim", 1)  # over the classes, not PyTorch's deprecated implicit dim
            return cls(*a, **k)

        return build

    def maxout(shape, a, k):
        return nn.Maxout(_features(shape, "maxout"), *a, **k)

    Sequence, Cell = _wrappers(nn)
    act = "(no arguments)"
    table = {
        "linear": (linear, "linear(out_features, bias=True)"),
        "conv": (
            conv,
            "conv(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1)",
        ),
        "maxpool": (plain(nn.MaxPool2d), "maxpool(kernel_size, stride=None, padding=0)"),
        "avgpool": (plain(nn.AvgPool2d), "avgpool(kernel_size, stride=None, padding=0)"),
        "adaptiveavgpool": (plain(nn.AdaptiveAvgPool2d), "adaptiveavgpool(output_size)"),
        "flatten": (plain(nn.Flatten), "flatten(start_dim=1, end_dim=-1)"),
        "unflatten": (plain(nn.Unflatten), "unflatten(dim, sizes), e.g. unflatten(1,(1,28,28))"),
        "identity": (plain(nn.Identity), "identity"),
        "relu": (plain(nn.ReLU), f"relu {act}"),
        "leakyrelu": (plain(nn.LeakyReLU), "leakyrelu(negative_slope=0.01)"),
        "elu": (plain(nn.ELU), "elu(alpha=1.0)"),
        "gelu": (plain(nn.GELU), "gelu(approximate='none')"),
        "silu": (plain(nn.SiLU), f"silu {act}"),
        "sigmoid": (plain(nn.Sigmoid), f"sigmoid {act}"),
        "tanh": (plain(nn.Tanh), f"tanh {act}"),
        "softmax": (along_dim(nn.Softmax), "softmax(dim=1)"),
        "logsoftmax": (along_dim(nn.LogSoftmax), "logsoftmax(dim=1)"),
        "maxout": (maxout, "maxout(out_features, pieces=2)"),
        "dropout": (plain(nn.Dropout), "dropout(p=0.5)"),
        "batchnorm": (batchnorm, "batchnorm (2d after conv, 1d after linear)"),
        "batchnorm1d": (batchnorm1d, "batchnorm1d"),
        "batchnorm2d": (batchnorm2d, "batchnorm2d"),
        "layernorm": (layernorm, "layernorm (over (C,H,W) or the last dim)"),
        "embedding": (plain(nn.Embedding), "embedding(num_embeddings, embedding_dim)"),
        "rnn": (recurrent("RNN"), "rnn(hidden_size, num_layers=1, sequence=False)"),
        "lstm": (recurrent("LSTM"), "lstm(hidden_size, num_layers=1, sequence=False)"),
        "rnncell": (cell("RNNCell"), "rnncell(hidden_size)"),
        "lstmcell": (cell("LSTMCell"), "lstmcell(hidden_size)"),
    }
    aliases = {
        "dense": "linear",
        "fc": "linear",
        "conv2d": "conv",
        "maxpool2d": "maxpool",
        "avgpool2d": "avgpool",
        "adaptiveavgpool2d": "adaptiveavgpool",
        "globalavgpool": "adaptiveavgpool",
    }
    for alias, target in aliases.items():
        table[alias] = table[target]
    # Any other layer of nn whose sizes need not be inferred: softplus, hardtanh, dropout2d, ...
    for name in dir(nn):
        cls = getattr(nn, name)
        key = name.lower()
        if (
            isinstance(cls, type)
            and issubclass(cls, nn.Module)
            and key not in table
            and not key.endswith("loss")
            and name not in ("Module", "Sequential", "ModuleList", "ModuleDict", "Parameter")
        ):
            table[key] = (plain(cls), f"{key}(...) as nn.{name}")
    return table


def _nn_class(nn, name):
    cls = getattr(nn, name, None)
    if cls is None:
        raise ValueError(f"this build of tinytensor has no nn.{name}")
    return cls


LAYER_HELP = """\
layers (input sizes are inferred; names are case-insensitive, Conv2d/MaxPool2d/... work too):
  conv(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1)   alias conv2d
  maxpool(kernel_size, stride=None)  avgpool(kernel_size)  adaptiveavgpool(output_size)
  linear(out_features)  (aliases dense, fc)    flatten  unflatten(dim, sizes)  identity
  relu  leakyrelu(0.01)  elu(1.0)  gelu  silu  sigmoid  tanh  softmax(dim=1)  logsoftmax(dim=1)
  maxout(out_features, pieces=2)  dropout(p=0.5)  batchnorm (1d or 2d by position)
  batchnorm1d  batchnorm2d  layernorm  embedding(num, dim)
  rnn(hidden)  lstm(hidden)  rnncell(hidden)  lstmcell(hidden)
  (rnn/lstm read image rows as time steps and return the last step; sequence=True keeps all)
"""


@functools.cache
def _wrappers(nn):
    class Sequence(nn.Module):
        """Runs a batch-first RNN/LSTM over ``(B, T, F)`` or image rows ``(B, C, H, W)``.

        Returns the last step's output ``(B, hidden)``, or every step with ``sequence=True``.
        """

        def __init__(self, rnn, sequence=False):
            super().__init__()
            self.rnn = rnn
            self.sequence = bool(sequence)

        def forward(self, x):
            if x.ndim == 4:  # (B, C, H, W) -> H steps of C*W features
                x = x.permute(0, 2, 1, 3).flatten(2)
            out, _ = self.rnn(x)
            return out if self.sequence else out[:, -1]

        def extra_repr(self):
            return f"sequence={self.sequence}"

    class Cell(nn.Module):
        """An RNN/LSTM cell started from a zero state; returns the new hidden state."""

        def __init__(self, cell):
            super().__init__()
            self.cell = cell

        def forward(self, x):
            out = self.cell(x)
            return out[0] if isinstance(out, tuple) else out

    return Sequence, Cell


# --- building ----------------------------------------------------------------------------------


def expand_preset(arch: str) -> str:
    return PRESETS.get(arch.strip().lower(), arch)


def build(arch: str, input_shape, num_classes: int | None = None, input_dtype=np.float32):
    """Build ``arch`` (a string or preset name) for samples of ``input_shape`` (no batch dim).

    Returns ``(model, layers)``: an ``nn.Sequential`` and one :class:`Layer` per token with the
    module and its output shape. With ``num_classes``, the output must be ``(num_classes,)``.
    """
    arch = expand_preset(arch)
    table = _layer_table(nn)
    tokens = tokenize(arch)
    shape = tuple(int(s) for s in input_shape)
    dtype = np.dtype(input_dtype)
    layers = []
    for tok in tokens:
        if tok.key not in table:
            close = difflib.get_close_matches(tok.key, sorted(table), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _point(
                arch,
                tok.start,
                tok.end,
                f"bad architecture: unknown layer '{tok.name}'{hint}; run `tinytensor train "
                f"--help` for the list",
            )
        builder, usage = table[tok.key]
        try:
            module = builder(shape, tok.args, dict(tok.kwargs))
        except (TypeError, ValueError, RuntimeError) as e:
            why = _explain(tok.key, e)
            raise _point(
                arch, tok.start, tok.end, f"bad architecture: {tok.text}: {why} (usage: {usage})"
            ) from None
        shape, dtype = _dry_run(tt, arch, tok, module, shape, dtype, usage)
        layers.append(Layer(tok, module, shape))
    if num_classes is not None and shape != (num_classes,):
        last = tokens[-1]
        raise _point(
            arch,
            last.start,
            last.end,
            f"bad architecture: the network ends with outputs of shape {shape} per sample, but "
            f"the dataset has {num_classes} classes; end it with linear({num_classes})"
            + (" after a flatten" if len(shape) > 1 else ""),
        )
    return nn.Sequential(*[layer.module for layer in layers]), layers


def _explain(layer, error):
    """The builder's error in the words of the token: a TypeError from calling the module's
    class names the layer's missing or unknown arguments, never an internal class."""
    msg = str(error)
    if isinstance(error, TypeError):
        missing = re.search(r"missing \d+ required (?:\w+[- ])*arguments?: (.+)", msg)
        if missing:
            names = re.findall(r"'(\w+)'", missing.group(1))
            return f"{layer} needs {' and '.join(names)}"
        unknown = re.search(r"unexpected keyword argument '(\w+)'", msg)
        if unknown:
            return f"{layer} has no argument {unknown.group(1)!r}"
        if re.search(r"takes .*positional arguments? but \d+ (?:was|were) given", msg):
            return f"{layer} got more positional arguments than it takes"
    return re.sub(r"^[\w.]+\(\) ", "", msg)


def _dry_run(tt, arch, tok, module, shape, dtype, usage):
    """Per-sample output shape and dtype of ``module``, found by running a batch of two zeros."""
    x = tt.from_numpy(np.zeros((2,) + shape, dtype=dtype))
    module.eval()
    try:
        with tt.no_grad():
            out = module(x)
    except Exception as e:  # any failure here is the user's layer choice: point at it
        raise _point(
            arch,
            tok.start,
            tok.end,
            f"bad architecture: {tok.text} cannot take inputs of shape {shape} per sample: "
            f"{e} (usage: {usage})",
        ) from None
    finally:
        module.train()
    if not isinstance(out, tt.Tensor):
        raise _point(
            arch, tok.start, tok.end, f"bad architecture: {tok.text} does not return a tensor"
        )
    return tuple(out.shape[1:]), out.numpy().dtype


def summary(layers, input_shape) -> str:
    """A table: each token, the module it built, its output shape and parameter count."""
    rows = [("input", "", str(tuple(input_shape)), "")]
    total = 0
    for layer in layers:
        n = sum(p.numel() for p in layer.module.parameters())
        total += n
        module = repr(layer.module).splitlines()[0]
        module = module if len(module) <= 60 else module[:57] + "..."
        rows.append((layer.token.text, module, str(layer.out_shape), f"{n:,}" if n else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  "
        + "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    lines.append(f"  {total:,} parameters")
    return "\n".join(line.rstrip() for line in lines)
