"""Sequence layers ``RNN``, ``LSTM`` and ``GRU``: ``num_layers``, ``bidirectional``, dropout
between layers, ``batch_first``, unbatched inputs, LSTM ``proj_size``, and PackedSequence inputs
(returning PackedSequence outputs).

Parameter names ``weight_ih_l{k}{_reverse}``, ``weight_hh_l...``, ``bias_ih_l...``,
``bias_hh_l...`` (and ``weight_hr_l...`` with ``proj_size``), their order, shapes and
initialisation U(-1/sqrt(hidden), 1/sqrt(hidden)) are PyTorch's. The time loop is Python; each
step is vectorised over the batch and the gates (``nn/functional/rnn.py``).
"""

from __future__ import annotations

import math
import numbers
import warnings

from tinytensor.core import wrap
from tinytensor.nn import init
from tinytensor.nn.functional.dropout import dropout as _dropout
from tinytensor.nn.functional.rnn import run_direction, step_mask_lengths
from tinytensor.nn.module import Module
from tinytensor.nn.parameter import Parameter
from tinytensor.nn.utils.rnn import PackedSequence, _packed_index, packed_to_padded
from tinytensor.ops.creation import empty, zeros
from tinytensor.ops.join import cat, stack

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The shared constructor, parameters and forward of ``RNN``, ``LSTM`` and ``GRU``."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=3,
            )
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        dirs = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size
        g = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else real_hidden * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (g, in_size)), ("weight_hh", (g, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (g,)), ("bias_hh", (g,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(empty(*shape, dtype=dtype)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op (PyTorch packs weights for cuDNN here)."""

    @property
    def _flat_weights(self):
        return [self._parameters[n] for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters of each layer and direction, as lists in PyTorch's order."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        p = self._parameters
        return tuple(p.get(n + sfx) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                              "weight_hr"))  # fmt: skip

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            x, _ = packed_to_padded(input)
            lengths = step_mask_lengths(input.batch_sizes._data)
            batched = True
            if hx is not None and input.sorted_indices is not None:
                idx = input.sorted_indices
                hx = (
                    tuple(h.index_select(1, idx) for h in hx)
                    if self.mode == "LSTM"
                    else (hx.index_select(1, idx))
                )
        else:
            if input.ndim not in (2, 3):
                raise ValueError(
                    f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D "
                    "instead"
                )
            lengths = None
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{type(self).__name__}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {x.shape[-1]}"
            )
        h0, c0 = self._initial_state(hx, batched, x)
        out, h_n, c_n = self._layers(x, h0, c0, lengths)
        if packed:
            t_idx, b_idx, _ = _packed_index(lengths)
            out = PackedSequence(out[wrap(t_idx), wrap(b_idx)], input.batch_sizes,
                                 input.sorted_indices, input.unsorted_indices)  # fmt: skip
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = None if c_n is None else c_n.index_select(1, input.unsorted_indices)
        else:
            if batched and self.batch_first:
                out = out.transpose(0, 1)
            if not batched:
                out, h_n = out.squeeze(1), h_n.squeeze(1)
                c_n = None if c_n is None else c_n.squeeze(1)
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)

    def _layers(self, x, h0, c0, lengths):
        dirs = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                seq, h, c = run_direction(
                    "RNN" if self.mode.startswith("RNN") else self.mode,
                    x,
                    h0[k],
                    c0[k] if lstm else None,
                    self._weights(layer, d),
                    reverse=bool(d),
                    lengths=lengths,
                    nonlinearity="relu" if self.mode == "RNN_RELU" else "tanh",
                )
                outs.append(seq)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        return x, stack(h_n), (stack(c_n) if lstm else None)

    def _initial_state(self, hx, batched, x):
        dirs = 2 if self.bidirectional else 1
        n = x.shape[1]
        real_hidden = self.proj_size or self.hidden_size
        h_shape = (self.num_layers * dirs, n, real_hidden)
        c_shape = (self.num_layers * dirs, n, self.hidden_size)
        lstm = self.mode == "LSTM"
        if hx is None:
            return zeros(*h_shape, dtype=x.dtype), (
                zeros(*c_shape, dtype=x.dtype) if lstm else None
            )
        states = list(hx) if lstm else [hx]
        if lstm and len(states) != 2:
            raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0)")
        if not batched:
            if any(s.ndim != 2 for s in states):
                dims = ", ".join(f"{s.ndim}-D" for s in states)
                what = "hx and cx" if lstm else "hx"
                raise RuntimeError(
                    f"For unbatched 2-D input, {what} should also be 2-D but got ({dims}) tensor"
                )
            states = [s.unsqueeze(1) for s in states]
        for i, (s, want) in enumerate(zip(states, (h_shape, c_shape))):
            if tuple(s.shape) != want:
                which = f"hidden[{i}]" if lstm else "hidden"
                raise RuntimeError(
                    f"Expected {which} size {want}, got {list(s.shape)} (the hidden state of "
                    "shape (num_layers * num_directions, batch, hidden))"
                )
        return states[0], (states[1] if lstm else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN over a sequence: (L, N, H_in) input (or (N, L, H_in) with batch_first)
    `-> (output (L, N, D*H), h_n (D*num_layers, N, H)); h_t = tanh` (or relu) of
    `x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh`."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)  # fmt: skip
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM over a sequence -> (output, (h_n, c_n)); gates ordered i, f, g, o; with
    ``proj_size`` each h is projected by ``weight_hr_l{k}`` to ``proj_size`` features."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None):  # fmt: skip
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)  # fmt: skip


class GRU(RNNBase):
    """GRU over a `sequence -> (output, h_n)`; gates ordered r, z, n:
    `h_t = (1-z)*n + z*h_{t-1}, n = tanh(x W_in^T + b_in + r*(h W_hn^T + b_hn))`."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):  # fmt: skip
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)  # fmt: skip
