"""tt.onnx.load of ONNX's own LSTM, GRU and RNN nodes (written with onnx.helper, not by our
exporter), against a NumPy oracle of the ONNX operator spec: LSTM gates in the order i, o, f,
c; GRU gates z, r, h with linear_before_reset=1; biases as [Wb, Rb]; forward, reverse and
bidirectional; given initial states. ONNX Runtime checks the oracle itself."""

import numpy as np
import pytest
from onnx_helpers import onnx, ort

import tinytensor as tt
import tinytensor.onnx  # noqa: F401  (tt.onnx)

helper = onnx.helper
R = np.random.default_rng(71)
SEQ, N, IN, HID = 4, 2, 3, 5
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _sig(v):
    return 1 / (1 + np.exp(-v))


def np_onnx_recurrent(kind, x, w, r, b, h0, c0, direction, act="Tanh"):
    """ONNX's RNN/LSTM/GRU (no peepholes, no clip, default activations): Y, Y_h[, Y_c]."""
    dirs = w.shape[0]
    ys, hs, cs = [], [], []
    for d in range(dirs):
        wb, rb = np.split(b[d], 2)
        h, c = h0[d], c0[d] if c0 is not None else None
        reverse = direction == "reverse" or d == 1
        out = [None] * len(x)
        for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
            if kind == "LSTM":
                gx = x[t] @ w[d].T + wb
                gh = h @ r[d].T + rb
                i, o, f, cc = np.split(gx + gh, 4, -1)
                c = _sig(f) * c + _sig(i) * np.tanh(cc)
                h = _sig(o) * np.tanh(c)
            elif kind == "GRU":
                xz, xr, xh = np.split(x[t] @ w[d].T + wb, 3, -1)
                hz, hr, hh = np.split(h @ r[d].T + rb, 3, -1)
                z, rr = _sig(xz + hz), _sig(xr + hr)
                h = (1 - z) * np.tanh(xh + rr * hh) + z * h
            else:
                pre = x[t] @ w[d].T + h @ r[d].T + wb + rb
                h = np.maximum(pre, 0) if act == "Relu" else np.tanh(pre)
            out[t] = h
        ys.append(np.stack(out))
        hs.append(h)
        cs.append(c)
    res = [np.stack(ys, 1), np.stack(hs)]
    return res + [np.stack(cs)] if kind == "LSTM" else res


def _model(kind, direction, act="Tanh"):
    dirs = 2 if direction == "bidirectional" else 1
    g = GATES[kind]
    f32 = np.float32
    w = (R.standard_normal((dirs, g * HID, IN)) * 0.5).astype(f32)
    r = (R.standard_normal((dirs, g * HID, HID)) * 0.5).astype(f32)
    b = (R.standard_normal((dirs, 2 * g * HID)) * 0.5).astype(f32)
    inits = [onnx.numpy_helper.from_array(a, n) for a, n in ((w, "W"), (r, "R"), (b, "B"))]
    ins = ["X", "W", "R", "B", "", "h0"] + (["c0"] if kind == "LSTM" else [])
    outs = ["Y", "Y_h"] + (["Y_c"] if kind == "LSTM" else [])
    attrs = {"hidden_size": HID, "direction": direction}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    if kind == "RNN":
        attrs["activations"] = [act] * dirs
    node = helper.make_node(kind, ins, outs, **attrs)
    fl = onnx.TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("X", fl, [SEQ, N, IN]),
              helper.make_tensor_value_info("h0", fl, [dirs, N, HID])]  # fmt: skip
    if kind == "LSTM":
        inputs.append(helper.make_tensor_value_info("c0", fl, [dirs, N, HID]))
    shapes = {"Y": [SEQ, dirs, N, HID], "Y_h": [dirs, N, HID], "Y_c": [dirs, N, HID]}
    outputs = [helper.make_tensor_value_info(o, fl, shapes[o]) for o in outs]
    graph = helper.make_graph([node], kind.lower(), inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    feeds = [R.standard_normal((SEQ, N, IN)).astype(f32),
             R.standard_normal((dirs, N, HID)).astype(f32)]  # fmt: skip
    if kind == "LSTM":
        feeds.append(R.standard_normal((dirs, N, HID)).astype(f32))
    return model, (w, r, b), feeds


CASES = [(k, d) for k in ("LSTM", "GRU", "RNN") for d in ("forward", "reverse", "bidirectional")]


@pytest.mark.parametrize("kind,direction", CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_load_onnx_recurrent_node_matches_the_spec_oracle(kind, direction):
    model, (w, r, b), feeds = _model(kind, direction)
    c0 = feeds[2].astype(np.float64) if kind == "LSTM" else None
    want = np_onnx_recurrent(kind, feeds[0].astype(np.float64), w, r, b, feeds[1], c0, direction)
    blob = model.SerializeToString()
    sess = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    got_ort = sess.run(None, {i.name: a for i, a in zip(sess.get_inputs(), feeds)})
    for g, e in zip(got_ort, want):  # the oracle is ONNX's semantics
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    loaded = tt.onnx.load(blob)
    with tt.no_grad():
        got = loaded(*[tt.tensor(a) for a in feeds])
    assert len(got) == len(want)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-4, atol=1e-5)


def test_load_onnx_rnn_relu():
    model, (w, r, b), feeds = _model("RNN", "bidirectional", act="Relu")
    want = np_onnx_recurrent("RNN", feeds[0], w, r, b, feeds[1], None, "bidirectional", "Relu")
    with tt.no_grad():
        got = tt.onnx.load(model.SerializeToString())(*[tt.tensor(a) for a in feeds])
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-4, atol=1e-5)
