"""tt.onnx.load: exported models round-trip, train, and `tinytensor export RUN --onnx` works."""

import numpy as np
import pytest
from onnx_helpers import export_bytes, ort_run

import tinytensor as tt
import tinytensor.onnx  # noqa: F401  (tt.onnx)
from tinytensor import nn
from tinytensor.cli import arch, main
from tinytensor.cli.train import load_model

onnx = pytest.importorskip("onnx")


def test_loaded_model_fine_tunes():
    model, _ = arch.build("mlp", (1, 8, 8))
    blob = export_bytes(model.eval(), (tt.randn(2, 1, 8, 8),))
    loaded = tt.onnx.load(blob)
    x, y = tt.randn(16, 1, 8, 8), tt.randint(0, 10, (16,))
    opt = tt.optim.SGD(loaded.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(loaded(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    # The fine-tuned weights go back into the original architecture by state_dict key.
    model.load_state_dict(loaded.state_dict())
    np.testing.assert_allclose(model(x).detach().numpy(), loaded(x).detach().numpy(), atol=1e-5)


def test_batchnorm_running_stats_load_as_buffers():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
    loaded = tt.onnx.load(export_bytes(model, (tt.randn(2, 1, 5, 5),)))
    buffers = dict(loaded.named_buffers())
    assert "1.running_mean" in buffers and "1.running_var" in buffers
    assert "1.running_mean" not in dict(loaded.named_parameters())


def test_load_from_path_and_unknown_op(tmp_path):
    path = tmp_path / "m.onnx"
    model = nn.Linear(3, 2).eval()
    tt.onnx.export(model, tt.randn(1, 3), str(path))
    x = tt.randn(1, 3)
    np.testing.assert_allclose(
        tt.onnx.load(str(path))(x).detach().numpy(), model(x).detach().numpy(), atol=1e-6
    )
    h = onnx.helper
    g = h.make_graph(
        [h.make_node("Hardmax", ["x"], ["y"])],
        "g",
        [h.make_tensor_value_info("x", 1, [2])],
        [h.make_tensor_value_info("y", 1, [2])],
    )
    with pytest.raises(NotImplementedError, match="Hardmax"):
        tt.onnx.load(h.make_model(g).SerializeToString())


def test_cli_export_runs_under_onnxruntime(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")
    run = tmp_path / "run"
    argv = ["train", "--arch", "cnn", "--epochs", "1", "--no-progress", "--out", str(run)]
    assert main(argv) == 0
    out = tmp_path / "digits.onnx"
    assert main(["export", str(run), "--onnx", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    model, meta = load_model(run)
    x = tt.randn(7, *meta["input_shape"])
    got = ort_run(out.read_bytes(), (x,))[0]
    np.testing.assert_allclose(got, model(x).detach().numpy(), atol=1e-5)
    assert main(["export", str(run), "--onnx", str(tmp_path / "x.txt")]) == 2
