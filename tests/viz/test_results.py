"""Confusion matrix, mistakes and summary: model + images in, the right numbers out."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.viz import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_mistakes,
    predict,
    summary,
)


class Fixed(nn.Module):
    """Predicts the class stored in the image's first pixel."""

    def forward(self, x):
        idx = x[:, 0, 0, 0].numpy().astype(np.int64)
        return tt.tensor(np.eye(3, dtype=np.float32)[idx])


def _data():
    x = np.zeros((6, 1, 4, 4), dtype=np.float32)
    x[:, 0, 0, 0] = [0, 1, 2, 2, 1, 0]
    y = np.array([0, 1, 2, 1, 1, 2])
    return x, y


def test_predict_and_confusion_matrix_count_right():
    x, y = _data()
    assert predict(Fixed(), x).tolist() == [0, 1, 2, 2, 1, 0]
    m = confusion_matrix(Fixed(), x, y, num_classes=3)
    assert m.tolist() == [[1, 0, 0], [0, 2, 1], [1, 0, 1]]


def test_confusion_and_mistakes_pictures():
    pytest.importorskip("matplotlib")
    x, y = _data()
    fig = plot_confusion_matrix(Fixed(), x, y, classes=["a", "b", "c"])
    assert "4 of 6" in fig._suptitle.get_text() or "66.67%" in fig._suptitle.get_text()
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["1", "1", "1", "1", "2"]
    fig = plot_mistakes(Fixed(), x, y, classes=["a", "b", "c"])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["true b\npred c", "true c\npred a"]
    assert "2 of 6 test images misclassified" in fig._suptitle.get_text()
    given = plot_mistakes(Fixed(), x, y, predictions=np.array([0, 1, 2, 1, 1, 2]))
    assert "0 of 6" in given._suptitle.get_text()


def test_wrong_labels_and_models_are_named():
    x, y = _data()
    with pytest.raises(ValueError, match="labels must be 6 integer class indices"):
        confusion_matrix(Fixed(), x, y[:3])
    with pytest.raises(TypeError, match="expected an nn.Module"):
        plot_mistakes(x, x, y)


def test_summary_table_like_torchinfo():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 10)
    )
    s = summary(model, (2, 1, 8, 8))
    text = str(s)
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "0 (Conv2d)" in text and "[2, 4, 8, 8]" in text and "[2, 10]" in text
    assert f"Total params: {40 + 2570:,}" in text and "Trainable params: 2,610" in text
    assert repr(s) == text and s.total_params == 2610 and s.output_shape == (2, 10)
    model[0].weight.requires_grad_(False)
    assert summary(model, (1, 1, 8, 8)).trainable_params == 2610 - 36
    with pytest.raises(ValueError, match="cannot take an input of size"):
        summary(model, (1, 3, 8, 8))
    with pytest.raises(TypeError, match="input_size"):
        summary(model, 8)
