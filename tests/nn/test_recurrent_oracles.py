"""RNN, LSTM and GRU without torch: a NumPy oracle of the whole layer stack (gate orders i, f, g,
o and r, z, n, proj_size, relu, several layers, both directions, batch_first, given h0/c0), a
bidirectional layer equal to a forward run plus a reversed run of unidirectional layers holding
the same weights, and packed sequences equal to running each sequence alone."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

R = np.random.default_rng(41)


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _np_step(mode, x, h, c, p, sfx, relu=False):
    w_ih, w_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
    b_ih = p.get("bias_ih" + sfx, 0.0)
    b_hh = p.get("bias_hh" + sfx, 0.0)
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, -1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        if "weight_hr" + sfx in p:
            h = h @ p["weight_hr" + sfx].T
        return h, c
    if mode == "GRU":
        xr, xz, xn = np.split(gi, 3, -1)
        hr, hz, hn = np.split(gh, 3, -1)
        r, z = _sig(xr + hr), _sig(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.maximum(pre, 0) if relu else np.tanh(pre)), None


def np_recurrent(m, x, h0=None, c0=None):
    """The layer ``m`` in NumPy from its named parameters; x is (T, N, in) (sequence first)."""
    mode = type(m).__name__
    p = {k: v.detach().numpy() for k, v in m.named_parameters()}
    dirs = 2 if m.bidirectional else 1
    out_size = m.proj_size if getattr(m, "proj_size", 0) else m.hidden_size
    n = x.shape[1]
    h0 = np.zeros((m.num_layers * dirs, n, out_size)) if h0 is None else h0
    c0 = np.zeros((m.num_layers * dirs, n, m.hidden_size)) if c0 is None else c0
    hs, cs = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            k, sfx = layer * dirs + d, f"_l{layer}" + ("_reverse" if d else "")
            h, c = h0[k], c0[k]
            seq = [None] * len(x)
            for t in (range(len(x) - 1, -1, -1) if d else range(len(x))):
                h, c = _np_step(mode, x[t], h, c, p, sfx, getattr(m, "nonlinearity", "") == "relu")
                seq[t] = h
            outs.append(np.stack(seq))
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(hs), (np.stack(cs) if mode == "LSTM" else None)


CASES = {
    "RNN-tanh-2layer-bi": (nn.RNN, dict(num_layers=2, bidirectional=True)),
    "RNN-relu": (nn.RNN, dict(nonlinearity="relu", bias=False)),
    "LSTM-2layer-bi": (nn.LSTM, dict(num_layers=2, bidirectional=True)),
    "LSTM-proj-bi": (nn.LSTM, dict(proj_size=2, bidirectional=True)),
    "GRU-2layer-bi-batch-first": (nn.GRU, dict(num_layers=2, bidirectional=True, batch_first=True)),
    "GRU-no-bias": (nn.GRU, dict(bias=False)),
}
BIDIRECTIONAL = [n for n, (_, cfg) in CASES.items() if cfg.get("bidirectional")]


def _build(name):
    cls, cfg = CASES[name]
    tt.manual_seed(7)
    return cls(3, 4, dtype=tt.float64, **cfg)


def _states(m, n):
    dirs = 2 if m.bidirectional else 1
    out_size = m.proj_size if getattr(m, "proj_size", 0) else m.hidden_size
    h0 = R.standard_normal((m.num_layers * dirs, n, out_size))
    c0 = R.standard_normal((m.num_layers * dirs, n, m.hidden_size))
    return h0, c0


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("given_state", [False, True], ids=["zeros", "h0"])
def test_recurrent_layer_numpy_oracle(name, given_state):
    m = _build(name)
    x = R.standard_normal((5, 2, 3))  # (T, N, in)
    lstm = isinstance(m, nn.LSTM)
    h0, c0 = _states(m, 2) if given_state else (None, None)
    xin = x.transpose(1, 0, 2) if m.batch_first else x
    args = ()
    if given_state:
        args = ((tt.tensor(h0), tt.tensor(c0)),) if lstm else (tt.tensor(h0),)
    out, state = m(tt.tensor(xin), *args)
    want, h_n, c_n = np_recurrent(m, x, h0, c0)
    got = out.detach().numpy()
    np.testing.assert_allclose(got.transpose(1, 0, 2) if m.batch_first else got, want,
                               rtol=1e-10, atol=1e-12)  # fmt: skip
    h = state[0] if lstm else state
    np.testing.assert_allclose(h.detach().numpy(), h_n, rtol=1e-10, atol=1e-12)
    if lstm:
        np.testing.assert_allclose(state[1].detach().numpy(), c_n, rtol=1e-10, atol=1e-12)


def _one_direction(m, layer, d, input_size):
    """A unidirectional one-layer copy of direction ``d`` of ``layer`` of ``m``."""
    kw = dict(bias=m.bias, dtype=tt.float64)
    if isinstance(m, nn.LSTM):
        kw["proj_size"] = m.proj_size
    if isinstance(m, nn.RNN):
        kw["nonlinearity"] = m.nonlinearity
    one = type(m)(input_size, m.hidden_size, **kw)
    sfx = f"_l{layer}" + ("_reverse" if d else "")
    with tt.no_grad():
        for name, p in one.named_parameters():
            p.copy_(getattr(m, name.replace("_l0", sfx)))
    return one


@pytest.mark.parametrize("name", BIDIRECTIONAL)
def test_bidirectional_is_a_forward_run_and_a_reversed_run(name):
    """Output = cat(forward(x), flip(backward(flip(x)))) along features, layer by layer, and
    h_n stacks (layer 0 forward, layer 0 backward, layer 1 forward, ...)."""
    m = _build(name)
    x = tt.tensor(R.standard_normal((5, 2, 3)))
    out, state = m(x.transpose(0, 1) if m.batch_first else x)
    lstm = isinstance(m, nn.LSTM)
    layer_in, hs, cs = x, [], []
    for layer in range(m.num_layers):
        size = layer_in.shape[-1]
        fwd, fs = _one_direction(m, layer, 0, size)(layer_in)
        bwd, bs = _one_direction(m, layer, 1, size)(layer_in.flip(0))
        layer_in = tt.cat([fwd, bwd.flip(0)], -1)
        for s in (fs, bs):
            hs.append(s[0] if lstm else s)
            cs.append(s[1] if lstm else None)
    got = out.transpose(0, 1) if m.batch_first else out
    np.testing.assert_allclose(got.detach().numpy(), layer_in.detach().numpy(), rtol=1e-12,
                               atol=1e-13)  # fmt: skip
    h = state[0] if lstm else state
    np.testing.assert_allclose(h.detach().numpy(), tt.cat(hs).detach().numpy(), rtol=1e-12)
    if lstm:
        np.testing.assert_allclose(state[1].detach().numpy(), tt.cat(cs).detach().numpy(),
                                   rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("lengths", [[5, 2, 4], [4, 1, 5]], ids=["2-4-5", "with-length-1"])
@pytest.mark.parametrize("name", BIDIRECTIONAL)
def test_packed_bidirectional_equals_each_sequence_alone(name, lengths):
    """Each sequence of a packed batch gives the outputs and final state it gives alone: the
    reverse direction starts at the sequence's own last step, not at the padding (a sequence
    of length 1 makes the batch shrink after the first step)."""
    m = _build(name)
    x = R.standard_normal((5, 3, 3))
    xin = tt.tensor(x.transpose(1, 0, 2) if m.batch_first else x)
    packed = pack_padded_sequence(xin, lengths, batch_first=m.batch_first, enforce_sorted=False)
    out, state = m(packed)
    padded, got_lengths = pad_packed_sequence(out, batch_first=m.batch_first)
    padded = padded.detach().numpy()
    if m.batch_first:
        padded = padded.transpose(1, 0, 2)
    assert got_lengths.tolist() == lengths
    lstm = isinstance(m, nn.LSTM)
    h = (state[0] if lstm else state).detach().numpy()
    for b, n in enumerate(lengths):
        want, h_n, c_n = np_recurrent(m, x[:n, b : b + 1])
        np.testing.assert_allclose(padded[:n, b], want[:, 0], rtol=1e-10, atol=1e-12)
        assert np.all(padded[n:, b] == 0)
        np.testing.assert_allclose(h[:, b], h_n[:, 0], rtol=1e-10, atol=1e-12)
        if lstm:
            np.testing.assert_allclose(state[1].detach().numpy()[:, b], c_n[:, 0], rtol=1e-10)


@pytest.mark.parametrize("cell,mode", [(nn.RNNCell, "RNN"), (nn.LSTMCell, "LSTM"),
                                       (nn.GRUCell, "GRU")])  # fmt: skip
def test_cells_numpy_oracle(cell, mode):
    tt.manual_seed(3)
    m = cell(3, 4, dtype=tt.float64)
    p = {k + "_l0": v.detach().numpy() for k, v in m.named_parameters()}
    x, h, c = R.standard_normal((2, 3)), R.standard_normal((2, 4)), R.standard_normal((2, 4))
    want = _np_step(mode, x, h, c, p, "_l0")
    if mode == "LSTM":
        got_h, got_c = m(tt.tensor(x), (tt.tensor(h), tt.tensor(c)))
        np.testing.assert_allclose(got_c.detach().numpy(), want[1], rtol=1e-12)
    else:
        got_h = m(tt.tensor(x), tt.tensor(h))
    np.testing.assert_allclose(got_h.detach().numpy(), want[0], rtol=1e-12)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_dropout_only_between_layers(cls):
    """Dropout acts on each layer's output but the last: in training, the output is the last
    layer's undropped states (its last step equals h_n), and the first layer's h_n (taken
    before dropout) is the eval-mode value."""
    tt.manual_seed(2)
    m = cls(3, 4, num_layers=2, dropout=0.5, dtype=tt.float64).train()
    x = tt.tensor(R.standard_normal((6, 2, 3)))
    out, state = m(x)
    h = state[0] if cls is nn.LSTM else state
    np.testing.assert_allclose(out[-1].detach().numpy(), h[-1].detach().numpy(), rtol=1e-12)
    want, h_n, _ = np_recurrent(m, x.numpy())  # dropout off
    np.testing.assert_allclose(h[0].detach().numpy(), h_n[0], rtol=1e-10, atol=1e-12)
    assert not np.allclose(out.detach().numpy(), want)  # dropout did act between the layers
    m.eval()
    np.testing.assert_allclose(m(x)[0].detach().numpy(), want, rtol=1e-10, atol=1e-12)
