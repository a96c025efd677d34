"""Recurrent cells: ``RNNCell``, ``LSTMCell`` and ``GRUCell`` (one step; the math is in
``nn/functional/rnn.py``). The sequence layers ``RNN``, ``LSTM`` and ``GRU`` are in
``nn/recurrent.py``.

Parameter names, shapes, gate order and initialisation U(-1/sqrt(hidden), 1/sqrt(hidden)) are
PyTorch's, so state dicts move across unchanged.
"""

from __future__ import annotations

import math

from tinytensor.nn import init
from tinytensor.nn.functional.linear import linear
from tinytensor.nn.functional.rnn import gru_step, lstm_step, rnn_step
from tinytensor.nn.module import Module
from tinytensor.nn.parameter import Parameter
from tinytensor.ops.creation import empty, zeros


class RNNCellBase(Module):
    """The parameters of a cell: ``weight_ih`` `(num_chunks*hidden, input)`, ``weight_hh``
    `(num_chunks*hidden, hidden)` and, with ``bias``, ``bias_ih`` and ``bias_hh``."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
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

    def _batched(self, input):
        who = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{who}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{who}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        return (input.unsqueeze(0), False) if input.ndim == 1 else (input, True)

    def _state(self, h, x, batched, what="hidden0"):
        if h is None:
            return zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        if h.ndim != (2 if batched else 1):
            raise RuntimeError(
                f"{type(self).__name__}: for {'batched 2-D' if batched else 'unbatched 1-D'} "
                f"input, {what} should also be {2 if batched else 1}-D but got {h.ndim}-D"
            )
        h = h if batched else h.unsqueeze(0)
        if h.shape[0] != x.shape[0]:
            raise RuntimeError(
                f"Input batch size {x.shape[0]} doesn't match {what} batch size {h.shape[0]}"
            )
        if h.shape[1] != self.hidden_size:
            raise RuntimeError(
                f"{what} has inconsistent hidden_size: got {h.shape[1]}, expected "
                f"{self.hidden_size}"
            )
        return h

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._batched(input)
        h = self._state(hx, x, batched)
        xp = linear(x, self.weight_ih, self.bias_ih)
        out = rnn_step(xp, h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """(h', c') from gates `i, f, g, o = x W_ih^T + b_ih + h W_hh^T + b_hh`:
    `c' = sigmoid(f)*c + sigmoid(i)*tanh(g),  h' = sigmoid(o)*tanh(c')`."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, batched = self._batched(input)
        h, c = (None, None) if hx is None else hx
        h = self._state(h, x, batched)
        c = self._state(c, x, batched, "cx")
        xp = linear(x, self.weight_ih, self.bias_ih)
        h, c = lstm_step(xp, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """`h' = (1-z)*n + z*h` with `r, z = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z})`
    and `n = tanh(x W_in^T + b_in + r*(h W_hn^T + b_hn))`."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, batched = self._batched(input)
        h = self._state(hx, x, batched)
        xp = linear(x, self.weight_ih, self.bias_ih)
        out = gru_step(xp, h, self.weight_hh, self.bias_hh)
        return out if batched else out.squeeze(0)
