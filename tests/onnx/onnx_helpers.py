"""Shared check for the ONNX tests: export at one batch size, run at another."""

import io

import numpy as np
import pytest

import tinytensor as tt

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def export_bytes(model, inputs, **kw):
    buf = io.BytesIO()
    names = [f"in{i}" for i in range(len(inputs))]
    kw.setdefault("input_names", names)
    kw.setdefault("dynamic_axes", {n: [0] for n in names})
    tt.onnx.export(model, tuple(inputs), buf, **kw)
    return buf.getvalue()


def ort_run(blob, inputs):
    sess = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    feed = {i.name: x.numpy() for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feed)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def check_roundtrip(model, make_inputs, batch=2, other=3, atol=1e-5, dynamic=None):
    """Export at ``batch``; ORT and tt.onnx.load at ``other`` match tinytensor to ``atol``.

    ``dynamic``: each input's batch axis (None: not dynamic); default axis 0 of every input.
    """
    model.eval()
    kw = {}
    if dynamic is not None:
        kw["dynamic_axes"] = {f"in{i}": [a] for i, a in enumerate(dynamic) if a is not None}
    blob = export_bytes(model, make_inputs(batch), **kw)
    onnx.checker.check_model(onnx.load_from_string(blob))
    xs = make_inputs(other)
    with tt.no_grad():
        want = [t.numpy() for t in _flat(model(*xs))]
    got = ort_run(blob, xs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=atol, rtol=1e-5)
    loaded = tt.onnx.load(blob)
    with tt.no_grad():
        again = [t.numpy() for t in _flat(loaded(*xs))]
    for g, w in zip(again, want):
        np.testing.assert_allclose(g, w, atol=atol, rtol=1e-5)
    return blob
