"""The math of the recurrent layers: one step of each cell, and a time loop over a sequence.

Each step takes the input already projected (``x W_ih^T + b_ih`` for the whole sequence is one
matmul) and does the hidden-side matmul and the gates for the whole batch at once. Gate orders
are PyTorch's: LSTM (input, forget, cell, output), GRU (reset, update, new).
Not exported from ``nn.functional`` (PyTorch has no such names there).
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.nn.functional.linear import linear
from tinytensor.ops import selection as SEL
from tinytensor.ops import trig as TRIG
from tinytensor.ops import unary as UN
from tinytensor.ops.join import stack, unbind


def _live_kernel(*, lengths, t):
    """(N, 1) bool: the sequences still running at step ``t``."""
    return (np.asarray(lengths) > t)[:, None]


LIVE = Primitive("SequenceLive", _live_kernel)  # no gradient


def rnn_step(xp, h, w_hh, b_hh, nonlinearity="tanh"):
    """h' = act(xp + h W_hh^T + b_hh), act tanh or relu"""
    pre = xp + linear(h, w_hh, b_hh)
    return TRIG.tanh(pre) if nonlinearity == "tanh" else UN.relu(pre)


def lstm_step(xp, h, c, w_hh, b_hh, w_hr=None):
    """i, f, g, o = xp + h W_hh^T + b_hh;  c' = s(f)c + s(i)tanh(g);  h' = s(o)tanh(c') [W_hr^T]"""
    i, f, g, o = (xp + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = UN.sigmoid(f) * c + UN.sigmoid(i) * TRIG.tanh(g)
    h = UN.sigmoid(o) * TRIG.tanh(c)
    return (h if w_hr is None else linear(h, w_hr)), c


def gru_step(xp, h, w_hh, b_hh):
    """`r, z = s(xp_rz + h W_hrz^T + b_hrz);  n = tanh(xp_n + r*(h W_hn^T + b_hn))`;
    `h' = (1-z)*n + z*h`"""
    x_r, x_z, x_n = xp.chunk(3, -1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
    r = UN.sigmoid(x_r + h_r)
    z = UN.sigmoid(x_z + h_z)
    n = TRIG.tanh(x_n + r * h_n)
    return n + z * (h - n)


def run_direction(mode, x, h, c, weights, reverse, lengths=None, nonlinearity="tanh"):
    """Run one direction of one layer over ``x`` (T, N, in) from state ``h`` (and ``c``).

    ``weights`` are (w_ih, w_hh, b_ih, b_hh, w_hr). With ``lengths`` (a NumPy array, one per
    batch entry) steps past a sequence's end leave its state unchanged, so the final state is
    the one at its last real step (the reverse direction starts at each sequence's own end).
    Returns (outputs (T, N, H), h, c).
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    # The steps as views made by ONE op (unbind), so their gradient is one concatenation
    # (slicing each step out separately would build a full-size zero gradient per step).
    steps = unbind(linear(x, w_ih, b_ih), 0)
    seq = [None] * len(steps)
    for t in range(len(steps) - 1, -1, -1) if reverse else range(len(steps)):
        if mode == "LSTM":
            h_new, c_new = lstm_step(steps[t], h, c, w_hh, b_hh, w_hr)
        elif mode == "GRU":
            h_new, c_new = gru_step(steps[t], h, w_hh, b_hh), None
        else:
            h_new, c_new = rnn_step(steps[t], h, w_hh, b_hh, nonlinearity), None
        if lengths is not None and (lengths <= t).any():
            live = LIVE.apply((), (), (), {"lengths": tuple(int(v) for v in lengths), "t": t})
            h_new = SEL.where(live, h_new, h)
            c_new = None if c is None else SEL.where(live, c_new, c)
        h, c = h_new, c_new
        seq[t] = h
    return stack(seq), h, c


def step_mask_lengths(batch_sizes):
    """Per-sequence lengths (NumPy) from a PackedSequence's batch sizes."""
    bs = np.asarray(batch_sizes, dtype=np.int64)
    n = int(bs[0]) if bs.size else 0
    return np.array([(bs > b).sum() for b in range(n)], dtype=np.int64)
