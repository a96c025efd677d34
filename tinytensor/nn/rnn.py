"""Recurrent layers: ``RNNCell``, ``LSTMCell``, and the multi-layer ``RNN`` and ``LSTM``.

Parameter names, shapes, gate order (LSTM: input, forget, cell, output) and initialisation
U(-1/sqrt(hidden), 1/sqrt(hidden)) are PyTorch's, so state dicts move across unchanged.
The input projection of a whole sequence is one matmul; only the recurrence loops over time.
"""

from __future__ import annotations

import math

from tinytensor.autograd.function import Function
from tinytensor.core import wrap
from tinytensor.nn import functional as F
from tinytensor.nn import init
from tinytensor.nn.module import Module
from tinytensor.nn.parameter import Parameter
from tinytensor.ops import elementwise as E
from tinytensor.ops.creation import empty, zeros
from tinytensor.ops.shape import cat, stack


class _Unbind(Function):
    """Split dim 0 into separate tensors with ONE node, so the gradient is a single stack
    (slicing each step out separately would build a full-size zero gradient per step)."""

    @staticmethod
    def forward(ctx, x):
        return tuple(wrap(x._data[i]) for i in range(x.shape[0]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads))


def _rnn_step(x_proj, h, w_hh, b_hh, nonlinearity):
    pre = x_proj + F.linear(h, w_hh, b_hh)
    return E.tanh(pre) if nonlinearity == "tanh" else E.relu(pre)


def _lstm_step(x_proj, h, c, w_hh, b_hh):
    gates = x_proj + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = E.sigmoid(f) * c + E.sigmoid(i) * E.tanh(g)
    return E.sigmoid(o) * E.tanh(c), c


class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = self._gates * hidden_size
        self.weight_ih = Parameter(empty(g, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(g, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(g, dtype=dtype))
            self.bias_hh = Parameter(empty(g, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _batched(self, input, who):
        if input.ndim not in (1, 2):
            raise ValueError(f"{who}: expected 1-D or 2-D input, got {input.ndim}-D")
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: input has {input.shape[-1]} features, expected input_size="
                f"{self.input_size}"
            )
        return (input.unsqueeze(0), False) if input.ndim == 1 else (input, True)

    def _zeros(self, n, x):
        return zeros(n, self.hidden_size, dtype=x.dtype)

    def _check_hidden(self, h, x, who, what="hidden state"):
        want = (x.shape[0], self.hidden_size)
        if tuple(h.shape) != want:
            raise ValueError(
                f"{who}: {what} has shape {tuple(h.shape)}, expected {want} for input of shape "
                f"{tuple(x.shape)} and hidden_size={self.hidden_size}"
            )
        return h

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(_CellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'; use 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._batched(input, "RNNCell")
        h = self._zeros(x.shape[0], x) if hx is None else (hx if batched else hx.unsqueeze(0))
        self._check_hidden(h, x, "RNNCell")
        proj = F.linear(x, self.weight_ih, self.bias_ih)
        out = _rnn_step(proj, h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return out if batched else out.squeeze(0)


class LSTMCell(_CellBase):
    """(h', c') from gates i, f, g, o = x W_ih^T + b_ih + h W_hh^T + b_hh:
    c' = sigmoid(f)*c + sigmoid(i)*tanh(g),  h' = sigmoid(o)*tanh(c')."""

    _gates = 4

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        x, batched = self._batched(input, "LSTMCell")
        if hx is None:
            h = c = self._zeros(x.shape[0], x)
        else:
            h, c = hx if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_hidden(h, x, "LSTMCell")
        self._check_hidden(c, x, "LSTMCell", "cell state")
        proj = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(proj, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class _RNNBase(Module):
    _gates = 1
    _lstm = False

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):  # fmt: skip
        super().__init__()
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout should be a number in range [0, 1], got {dropout}")
        if num_layers < 1 or hidden_size < 1:
            raise ValueError("num_layers and hidden_size must be positive integers")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        dirs = 2 if bidirectional else 1
        g = self._gates * hidden_size
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                setattr(self, "weight_ih" + sfx, Parameter(empty(g, in_size, dtype=dtype)))
                setattr(self, "weight_hh" + sfx, Parameter(empty(g, hidden_size, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(empty(g, dtype=dtype)))
                    setattr(self, "bias_hh" + sfx, Parameter(empty(g, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        p = self._parameters
        return (
            p["weight_ih" + sfx],
            p["weight_hh" + sfx],
            p.get("bias_ih" + sfx),
            p.get("bias_hh" + sfx),
        )

    def forward(self, input, hx=None):
        who = type(self).__name__
        if input.ndim not in (2, 3):
            raise ValueError(f"{who}: expected 2-D (unbatched) or 3-D input, got {input.ndim}-D")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: input has {x.shape[-1]} features, expected input_size={self.input_size}"
            )
        dirs = 2 if self.bidirectional else 1
        n = x.shape[1]
        expect = (self.num_layers * dirs, n, self.hidden_size)
        h0, c0 = self._initial_state(hx, batched, expect, x, who)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                steps = _Unbind.apply(F.linear(x, w_ih, b_ih))
                order = range(len(steps) - 1, -1, -1) if d else range(len(steps))
                h, c = h0[k], (c0[k] if self._lstm else None)
                seq = [None] * len(steps)
                for t in order:
                    if self._lstm:
                        h, c = _lstm_step(steps[t], h, c, w_hh, b_hh)
                    else:
                        h = _rnn_step(steps[t], h, w_hh, b_hh, self.nonlinearity)
                    seq[t] = h
                outs.append(stack(seq))
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        out = x
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
        h_n = stack(h_n) if batched else stack(h_n).squeeze(1)
        if not self._lstm:
            return out, h_n
        c_n = stack(c_n) if batched else stack(c_n).squeeze(1)
        return out, (h_n, c_n)

    def _initial_state(self, hx, batched, expect, x, who):
        if hx is None:
            z = zeros(*expect, dtype=x.dtype)
            return z, z
        if self._lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{who}: hx must be a tuple (h_0, c_0)")
            states = list(hx)
        else:
            states = [hx]
        if not batched:
            states = [s.unsqueeze(1) for s in states]
        for s in states:
            if tuple(s.shape) != expect:
                raise RuntimeError(
                    f"{who}: expected hidden state of shape {expect}, got {tuple(s.shape)}"
                )
        return states[0], (states[1] if self._lstm else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
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


class RNN(_RNNBase):
    """Elman RNN over a sequence: (L, N, H_in) input (or (N, L, H_in) with batch_first)
    -> (output (L, N, D*H), h_n (D*num_layers, N, H))."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'; use 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)  # fmt: skip
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    """LSTM over a sequence -> (output, (h_n, c_n)); gates ordered i, f, g, o."""

    _gates = 4
    _lstm = True

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None):  # fmt: skip
        if proj_size:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)  # fmt: skip
