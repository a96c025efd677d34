"""``torch.nn.modules.rnn``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.recurrent import GRU, LSTM, RNN, RNNBase
from tinytensor.nn.rnn import GRUCell, LSTMCell, RNNCell, RNNCellBase

__all__ = [
    "RNNBase",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCellBase",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
]
