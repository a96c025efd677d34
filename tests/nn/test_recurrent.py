"""RNN, LSTM, GRU and their cells vs PyTorch from the same weights (float64: outputs, input and
parameter gradients, train and eval), packed sequences, nn.utils.rnn, a NumPy oracle for one
GRU step, gradcheck of a GRU cell, errors and reprs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
from nn.module_compare import compare
from tinytensor.nn.utils import rnn as U
from tinytensor.testing import gradcheck

R = np.random.default_rng(21)
X = R.standard_normal((5, 3, 4))
LENGTHS = [3, 5, 2]
CONFIGS = {
    "default": {},
    "2layer_bidir": {"num_layers": 2, "bidirectional": True},
    "batch_first_nobias": {"batch_first": True, "bias": False},
    "3layer_dropout0": {"num_layers": 3, "dropout": 0.0},
}
EXTRA = {"RNN": {"relu": {"nonlinearity": "relu"}}, "LSTM": {"proj": {"num_layers": 2,
         "proj_size": 2, "bidirectional": True}}, "GRU": {}}  # fmt: skip
CASES = [(cls, name, cfg) for cls in ("RNN", "LSTM", "GRU")
         for name, cfg in {**CONFIGS, **EXTRA[cls]}.items()]  # fmt: skip


def _pair(torch, cls, cfg, *args):
    torch.manual_seed(0)
    return getattr(tt.nn, cls)(*args, dtype=tt.float64, **cfg), getattr(torch.nn, cls)(
        *args, **cfg
    ).double()


def _states(cls, cfg, batch=3):
    d = (2 if cfg.get("bidirectional") else 1) * cfg.get("num_layers", 1)
    h = R.standard_normal((d, batch, cfg.get("proj_size", 3)))
    return [h, R.standard_normal((d, batch, 3))] if cls == "LSTM" else [h]


def _run(m, x, *state):
    hx = None if not state else (tuple(state) if len(state) == 2 else state[0])
    return m(x, hx)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize(("cls", "name", "cfg"), CASES, ids=[f"{c}-{n}" for c, n, _ in CASES])
def test_layer_matches_torch(cls, name, cfg, mode):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, cls, cfg, 4, 3)
    assert repr(ours) == repr(theirs)
    x = X.transpose(1, 0, 2).copy() if cfg.get("batch_first") else X
    compare(ours, theirs, [x], _run, train=mode == "train")
    compare(ours, theirs, [x, *_states(cls, cfg)], _run, train=mode == "train")


@pytest.mark.torch
@pytest.mark.parametrize(("cls", "name", "cfg"), CASES, ids=[f"{c}-{n}" for c, n, _ in CASES])
def test_unbatched_input_matches_torch(cls, name, cfg):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, cls, cfg, 4, 3)
    states = [s[:, 0] for s in _states(cls, cfg)]
    compare(ours, theirs, [X[:, 0], *states], _run, train=True)


def _packed_run(m, x, *state):
    """Pack (unsorted lengths), run, unpack: both the padded output and the final state."""
    lib = tt if isinstance(x, tt.Tensor) else __import__("torch")
    rnn_utils = U if lib is tt else lib.nn.utils.rnn
    p = rnn_utils.pack_padded_sequence(x, LENGTHS, m.batch_first, enforce_sorted=False)
    out, h = _run(m, p, *state)
    assert isinstance(out, rnn_utils.PackedSequence)
    return rnn_utils.pad_packed_sequence(out, batch_first=m.batch_first)[0], h


@pytest.mark.torch
@pytest.mark.parametrize(("cls", "name", "cfg"), CASES, ids=[f"{c}-{n}" for c, n, _ in CASES])
def test_packed_sequence_matches_torch(cls, name, cfg):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, cls, cfg, 4, 3)
    x = X.transpose(1, 0, 2).copy() if cfg.get("batch_first") else X
    compare(ours, theirs, [x, *_states(cls, cfg)], _packed_run, train=True)


@pytest.mark.torch
@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(cls):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = getattr(tt.nn, cls)(4, 3, dtype=tt.float64)
    theirs = getattr(torch.nn, cls)(4, 3).double()
    assert repr(ours) == repr(theirs)
    n_states = 2 if cls == "LSTMCell" else 1
    states = [R.standard_normal((3, 3)) for _ in range(n_states)]
    compare(ours, theirs, [X[0]], _run)
    compare(ours, theirs, [X[0], *states], _run)
    compare(ours, theirs, [X[0, 0], *[s[0] for s in states]], _run)


@pytest.mark.torch
def test_nn_utils_rnn_matches_torch():
    torch = pytest.importorskip("torch")
    seqs = [R.standard_normal((n, 2)) for n in (2, 5, 3, 5)]
    ours = U.pack_sequence([tt.tensor(s) for s in seqs], enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], False)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        np.testing.assert_array_equal(getattr(ours, field).numpy(), getattr(theirs, field))
    a, la = U.pad_packed_sequence(ours, True, -1.0, total_length=6)
    b, lb = torch.nn.utils.rnn.pad_packed_sequence(theirs, True, -1.0, total_length=6)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(la.numpy(), lb.numpy())
    for side in ("left", "right"):
        np.testing.assert_array_equal(
            U.pad_sequence([tt.tensor(s) for s in seqs], True, 2.0, side).numpy(),
            torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], True, 2.0, side),
        )


def test_pack_and_unpack_round_trip_and_gradients():
    seqs = [tt.tensor(R.standard_normal((n, 2)), requires_grad=True) for n in (2, 4, 3)]
    packed = U.pack_sequence(seqs, enforce_sorted=False)
    back = U.unpack_sequence(packed)
    for s, b in zip(seqs, back):
        np.testing.assert_array_equal(s.detach().numpy(), b.detach().numpy())
    sum(b.sum() for b in back).backward()
    for s in seqs:
        np.testing.assert_array_equal(s.grad.numpy(), 1.0)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        U.pack_sequence(seqs)
    with pytest.raises(ValueError, match="total_length"):
        U.pad_packed_sequence(packed, total_length=2)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_gru_step_numpy_oracle():
    cell = tt.nn.GRUCell(4, 3, dtype=tt.float64)
    x, h = R.standard_normal((2, 4)), R.standard_normal((2, 3))
    w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in cell.parameters())
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = _sigmoid(gi[:, :3] + gh[:, :3])
    z = _sigmoid(gi[:, 3:6] + gh[:, 3:6])
    n = np.tanh(gi[:, 6:] + r * gh[:, 6:])
    want = (1 - z) * n + z * h
    np.testing.assert_allclose(cell(tt.tensor(x), tt.tensor(h)).detach().numpy(), want, rtol=1e-12)


def test_gru_cell_gradcheck():
    cell = tt.nn.GRUCell(3, 2, dtype=tt.float64)
    x = tt.tensor(R.standard_normal((2, 3)), requires_grad=True)
    h = tt.tensor(R.standard_normal((2, 2)), requires_grad=True)
    params = tuple(cell.parameters())
    assert gradcheck(lambda x, h, *p: cell(x, h), (x, h, *params))


def test_multilayer_gru_gradcheck():
    gru = tt.nn.GRU(2, 2, num_layers=2, bidirectional=True, dtype=tt.float64)
    x = tt.tensor(R.standard_normal((3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x: gru(x)[0], (x,))


def test_parameters_init_and_dropout_between_layers():
    tt.manual_seed(0)
    lstm = tt.nn.LSTM(4, 5, num_layers=2, proj_size=2, bidirectional=True)
    names = [n for n, _ in lstm.named_parameters()][:5]
    assert names == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert tuple(lstm.weight_ih_l1.shape) == (20, 4) and tuple(lstm.weight_hh_l0.shape) == (20, 2)
    for p in lstm.parameters():
        assert np.abs(p.detach().numpy()).max() <= 1 / np.sqrt(5)
    gru = tt.nn.GRU(4, 3, num_layers=2, dropout=0.5)
    x = tt.tensor(R.standard_normal((5, 3, 4)).astype(np.float32))
    tt.manual_seed(1)
    a = gru(x)[0].detach().numpy()
    tt.manual_seed(2)
    assert not np.allclose(a, gru(x)[0].detach().numpy())  # dropout between the layers in training
    gru.eval()
    with tt.no_grad():
        np.testing.assert_array_equal(gru(x)[0].numpy(), gru(x)[0].numpy())


def test_errors_and_warnings():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        tt.nn.GRU(3, 4, dropout=0.2)
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        tt.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number"):
        tt.nn.GRU(3, 4, dropout=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        tt.nn.RNN(3, 4, nonlinearity="sigmoid")
    gru = tt.nn.GRU(3, 4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
            gru(tt.randn(1, 2, 3, 3))
        with pytest.raises(RuntimeError, match="must be equal to input_size"):
            gru(tt.randn(4, 2, 5))
        with pytest.raises(RuntimeError, match="Expected hidden size"):
            gru(tt.randn(4, 2, 3), tt.randn(1, 2, 4))
        with pytest.raises(RuntimeError, match="unbatched 2-D input"):
            gru(tt.randn(4, 3), tt.randn(2, 1, 4))
        cell = tt.nn.GRUCell(3, 4)
        with pytest.raises(RuntimeError, match="inconsistent input_size"):
            cell(tt.randn(2, 5))
        with pytest.raises(RuntimeError, match="batch size"):
            cell(tt.randn(2, 3), tt.randn(3, 4))
