"""Filter and feature-map pictures of a conv layer: model + images in, a Figure out."""

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
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Conv2d(4, 6, 3),
        nn.Flatten(),
        nn.Linear(6 * 6 * 6, 10),
    )


def _images(n=2):
    return tt.randn(n, 1, 8, 8)


def test_responses_are_taken_after_the_activation_in_eval_mode():
    model = _model()
    x = _images()
    image, maps, what = feature_maps(model, x)
    assert what == "after ReLU"
    model.eval()
    with tt.no_grad():
        expected = model[:3](x[:1]).numpy()[0]  # conv, batch norm, relu
    np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(image, x[0, 0].numpy())
    _, raw, what = feature_maps(model, x, activation=False)
    assert what == "raw conv output"
    with tt.no_grad():
        np.testing.assert_allclose(raw, model[0](x[:1]).numpy()[0], rtol=1e-5, atol=1e-6)
    _, second, what = feature_maps(model, x, layer=1)  # index among the convolutions
    assert what == "raw conv output (no activation follows)" and second.shape == (6, 6, 6)


def test_training_mode_and_hooks_are_restored():
    model = _model()
    model.train()
    feature_maps(model, tt.randn(1, 8, 8))  # a single (C, H, W) image is accepted
    assert model.training and model[3].training
    out = model(_images(3))  # no hook left behind stops the forward pass
    assert out.shape == (3, 10)


def test_find_conv_and_filter_images():
    model = _model()
    assert find_conv(model) is model[0] and find_conv(model, 1) is model[4]
    assert filter_images(model).shape == (4, 3, 3)
    np.testing.assert_allclose(
        filter_images(model[4]), model[4].weight.detach().numpy().astype(np.float64).mean(1)
    )
    np.testing.assert_allclose(
        filter_images(model[4], in_channel=2), model[4].weight.detach().numpy()[:, 2]
    )
    assert filter_images(nn.Conv2d(3, 5, 3)).shape == (5, 3, 3, 3)
    with pytest.raises(IndexError, match="in_channel 7"):
        filter_images(model[4], in_channel=7)
    with pytest.raises(ValueError, match="no convolution layer"):
        find_conv(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))
    with pytest.raises(IndexError, match="2 convolution layers"):
        find_conv(model, 5)


def test_filters_before_and_after_share_one_scale_with_a_colorbar(tmp_path):
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with tt.no_grad():
        model[0].weight.mul_(3.0)
    fig = plot_filters(model, before=before)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 8  # 4 before, 4 after
    limits = {im.get_clim() for im in images}
    v = float(np.abs(model[0].weight.detach().numpy().mean(1)).max())
    assert len(limits) == 1  # one scale for all, before and after
    low, high = limits.pop()
    assert high == pytest.approx(v) and low == pytest.approx(-v)  # centred on zero
    assert len(fig.axes) == 9  # the 8 panels and the colorbar
    assert "red" in fig._suptitle.get_text() and "blue" in fig._suptitle.get_text()
    titles = [ax.get_title() for ax in fig.axes]
    assert "before 0" in titles and "after 3" in titles


def test_filters_and_responses_panel_layout(tmp_path):
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fig = plot_filters_and_responses(model, _images(), before=before)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles.count("test image") == 1
    assert sum(t.startswith("before ") for t in titles) == 4
    assert sum(t.startswith("after ") for t in titles) == 4
    assert sum(t.startswith("response ") for t in titles) == 4
    labels = [ax.get_xlabel() + ax.get_ylabel() for ax in fig.axes]
    assert any("after ReLU" in text for text in labels)  # the responses' colorbar says so
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert fig._repr_png_()[:4] == b"\x89PNG"  # Jupyter shows it inline


def test_padding_border_is_cropped_and_said():
    model = _model()
    fig = plot_feature_maps(model, _images())
    maps = [im.get_array() for ax in fig.axes[1:] for im in ax.get_images()]
    assert maps and all(m.shape == (6, 6) for m in maps)  # 8x8 minus the padded border
    assert "padded border cropped" in fig._suptitle.get_text()
    fig = plot_feature_maps(model, _images(), crop_padding=False)
    assert all(im.get_array().shape == (8, 8) for ax in fig.axes[1:] for im in ax.get_images())


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m, x: plot_filters(m, layer=m[6]), TypeError, "layer must be a convolution"),
        (lambda m, x: plot_filters(x), TypeError, "expected an nn.Module"),
        (lambda m, x: plot_feature_maps(x, m), TypeError, "the model comes first"),
        (lambda m, x: plot_feature_maps(m, "image.png"), TypeError, "Tensor or NumPy"),
        (lambda m, x: plot_feature_maps(m, tt.randn(8, 8)), ValueError, r"\(C, H, W\)"),
        (lambda m, x: plot_filters(m, before=np.zeros((2, 2))), ValueError, "before="),
        (lambda m, x: plot_feature_maps(m, x, layer=nn.Conv2d(1, 2, 3)), ValueError, "not run"),
    ],
    ids=["linear-layer", "tensor-as-model", "swapped", "path", "2d-image", "bad-before", "foreign"],
)
def test_wrong_inputs_get_tinytensor_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(_model(), _images())


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    from tinytensor.viz import common

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    common._figure_class.cache_clear()
    try:
        with pytest.raises(ImportError, match="pip install matplotlib"):
            plot_filters(nn.Conv2d(1, 2, 3))
    finally:
        monkeypatch.undo()
        common._figure_class.cache_clear()
