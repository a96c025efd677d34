"""`tinytensor eval RUN` scores a saved run; `tinytensor predict RUN FILE...` classifies images."""

import json
import re

import numpy as np
import pytest

from tinytensor.cli import main
from tinytensor.cli.evaluate import read_images, resize
from tinytensor.data.datasets import Digits

pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "run"
    argv = ["train", "--arch", "conv(8,3,padding=1) relu maxpool(2) flatten linear(10)"]
    assert main(argv + ["--epochs", "3", "--no-progress", "--out", str(out)]) == 0
    return out


def test_eval_prints_the_numbers_training_ended_with(run, capsys):
    capsys.readouterr()
    assert main(["eval", str(run), "--no-progress"]) == 0
    text = capsys.readouterr().out
    last = json.loads((run / "metrics.json").read_text())["epochs"][-1]
    m = re.search(r"test loss ([\d.]+)  test accuracy ([\d.]+)% \((\d+)/359\)", text)
    assert float(m.group(1)) == pytest.approx(last["test_loss"], abs=6e-5)
    assert float(m.group(2)) == pytest.approx(100 * last["test_accuracy"], abs=6e-3)
    rows = re.findall(r"^ +(\d) (\d) +[\d.]+% \((\d+)/(\d+)\)$", text, flags=re.M)
    assert [r[0] for r in rows] == [str(i) for i in range(10)]
    assert sum(int(r[2]) for r in rows) == int(m.group(3))
    assert sum(int(r[3]) for r in rows) == 359
    matrix = text.split("columns: predicted class):\n")[1].strip().splitlines()[1:]
    counts = np.array([[int(v) for v in line.split()[1:]] for line in matrix])
    assert counts.shape == (10, 10) and counts.sum() == 359
    assert np.trace(counts) == int(m.group(3))


def test_eval_rewrites_the_pictures(run, capsys):
    (run / "confusion.png").unlink()
    assert main(["eval", str(run), "--pictures", "--no-progress"]) == 0
    assert (run / "confusion.png").is_file() and "confusion.png" in capsys.readouterr().out


def test_eval_errors_name_the_argument(tmp_path, capsys, run):
    assert main(["eval", str(tmp_path)]) == 2
    assert f"RUN {tmp_path}: no checkpoint.npz" in capsys.readouterr().err
    assert main(["eval", str(run), "--dataset", "digits", "--data", str(tmp_path / "x")]) == 2
    assert "--data" in capsys.readouterr().err


def test_predict_npy_and_png_as_in_training(run, tmp_path, capsys):
    x, y = Digits(train=False).arrays()
    np.save(tmp_path / "digit.npy", x[0, 0])
    np.save(tmp_path / "batch.npy", (x[:3, 0] * 255).astype(np.uint8))
    plt = pytest.importorskip("matplotlib.pyplot")
    big = np.kron(1.0 - x[0, 0], np.ones((4, 4)))  # 32x32, dark strokes on white
    plt.imsave(tmp_path / "digit.png", big, cmap="gray", vmin=0, vmax=1)
    assert main(["eval", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    files = [str(tmp_path / n) for n in ("digit.npy", "digit.png", "batch.npy")]
    assert main(["predict", str(run), *files]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5
    top = [re.search(r": (\d) \(([\d.]+)%\)  (\d) \(([\d.]+)%\)  (\d)", ln) for ln in lines]
    assert all(top)
    assert top[0].group(1) == top[1].group(1) == top[2].group(1)  # same image, same answer
    assert "(inverted: dark on light)" in lines[1] and "inverted" not in lines[0]
    assert float(top[0].group(2)) >= float(top[0].group(4))  # sorted, most likely first
    assert lines[2].startswith(files[2] + "[0]: ")


def test_read_images_and_resize(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="expected an image"):
        read_images(str(tmp_path / "a.npy"))
    (tmp_path / "b.txt").write_text("x")
    with pytest.raises(ValueError, match="give .png or .npy"):
        read_images(str(tmp_path / "b.txt"))
    img = np.arange(16, dtype=np.float64).reshape(4, 4)
    small = resize(img, 2, 2)
    np.testing.assert_allclose(small, [[2.5, 4.5], [10.5, 12.5]])  # block means
    assert resize(small, 4, 4).shape == (4, 4)
