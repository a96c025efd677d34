"""Filter and feature-map pictures of a conv layer."""

import sys

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.viz import plot_feature_maps, plot_filters, plot_filters_and_responses
from tinytensor.viz.filters import feature_maps, filter_images, find_conv

pytest.importorskip("matplotlib")


def _model():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Conv2d(4, 6, 3),
        nn.Flatten(),
        nn.Linear(6 * 6 * 6, 10),
    )


def test_feature_maps_are_the_layer_output_in_eval_mode():
    model = _model()
    x = tt.randn(2, 1, 8, 8)
    image, maps = feature_maps(model, x, layer=model[3])
    model.eval()
    with tt.no_grad():
        expected = model[:4](x[:1]).numpy()[0]
    np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(image, x[0, 0].numpy())


def test_training_mode_and_hooks_are_restored():
    model = _model()
    model.train()
    feature_maps(model, tt.randn(1, 8, 8))  # a single (C, H, W) image is accepted
    assert model.training and model[2].training
    out = model(tt.randn(3, 1, 8, 8))  # no hook left behind stops the forward pass
    assert out.shape == (3, 10)


def test_find_conv_and_filter_images():
    model = _model()
    assert find_conv(model) is model[0]
    assert filter_images(model).shape == (4, 3, 3)
    np.testing.assert_allclose(
        filter_images(model[3]), model[3].weight.detach().numpy().astype(np.float64).mean(1)
    )
    np.testing.assert_allclose(
        filter_images(model[3], in_channel=2), model[3].weight.detach().numpy()[:, 2]
    )
    rgb = nn.Conv2d(3, 5, 3)
    assert filter_images(rgb).shape == (5, 3, 3, 3)
    with pytest.raises(IndexError, match="in_channel 7"):
        filter_images(model[3], in_channel=7)
    with pytest.raises(ValueError, match="no convolution layer"):
        find_conv(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))


def test_figures_have_a_panel_per_filter(tmp_path):
    model = _model()
    assert len(plot_filters(model).axes) == 4
    assert len(plot_feature_maps(model, tt.randn(1, 1, 8, 8), layer=model[3]).axes) == 7
    fig = plot_filters_and_responses(model, tt.randn(1, 1, 8, 8))
    assert len(fig.axes) == 1 + 2 * 4
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_inputs():
    model = _model()
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        feature_maps(model, tt.randn(8, 8))
    with pytest.raises(ValueError, match="did not run"):
        feature_maps(model, tt.randn(1, 1, 8, 8), layer=nn.Conv2d(1, 2, 3))


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_filters(nn.Conv2d(1, 2, 3))
