"""The architecture-string parser: every layer kind builds with inferred sizes; bad strings
point at the token at fault."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor import nn
from tinytensor.cli.arch import PRESETS, ArchError, build, summary, tokenize

IMG = (1, 8, 8)

# (architecture, input shape, output shape per sample, class names of the built layers)
LAYERS = [
    ("conv(4,3)", IMG, (4, 6, 6), ["Conv2d"]),
    ("conv2d(4, 3, stride=2, padding=1)", IMG, (4, 4, 4), ["Conv2d"]),
    ("Conv2d(4,3,dilation=2,bias=False)", IMG, (4, 4, 4), ["Conv2d"]),
    ("conv(4,1) conv(6,3,groups=2,padding=1)", IMG, (6, 8, 8), ["Conv2d", "Conv2d"]),
    ("maxpool(2)", IMG, (1, 4, 4), ["MaxPool2d"]),
    ("MaxPool2d(3, stride=1)", IMG, (1, 6, 6), ["MaxPool2d"]),
    ("avgpool(2)", IMG, (1, 4, 4), ["AvgPool2d"]),
    ("adaptiveavgpool((3,2))", IMG, (1, 3, 2), ["AdaptiveAvgPool2d"]),
    ("globalavgpool(1)", IMG, (1, 1, 1), ["AdaptiveAvgPool2d"]),
    ("flatten", IMG, (64,), ["Flatten"]),
    ("flatten(2)", IMG, (1, 64), ["Flatten"]),
    ("flatten unflatten(1,(4,16))", IMG, (4, 16), ["Flatten", "Unflatten"]),
    ("identity", IMG, IMG, ["Identity"]),
    ("flatten linear(7)", IMG, (7,), ["Flatten", "Linear"]),
    ("flatten dense(7, bias=False) fc(3)", IMG, (3,), ["Flatten", "Linear", "Linear"]),
    ("relu", IMG, IMG, ["ReLU"]),
    ("leakyrelu(0.2)", IMG, IMG, ["LeakyReLU"]),
    ("leaky_relu", IMG, IMG, ["LeakyReLU"]),
    ("elu(0.5)", IMG, IMG, ["ELU"]),
    ("gelu", IMG, IMG, ["GELU"]),
    ("silu", IMG, IMG, ["SiLU"]),
    ("sigmoid", IMG, IMG, ["Sigmoid"]),
    ("tanh", IMG, IMG, ["Tanh"]),
    ("flatten softmax", IMG, (64,), ["Flatten", "Softmax"]),
    ("flatten logsoftmax(dim=1)", IMG, (64,), ["Flatten", "LogSoftmax"]),
    ("flatten maxout(5, pieces=3)", IMG, (5,), ["Flatten", "Maxout"]),
    ("dropout(0.3)", IMG, IMG, ["Dropout"]),
    ("conv(3,3) batchnorm", IMG, (3, 6, 6), ["Conv2d", "BatchNorm2d"]),
    ("flatten linear(5) batchnorm", IMG, (5,), ["Flatten", "Linear", "BatchNorm1d"]),
    ("flatten batchnorm1d", IMG, (64,), ["Flatten", "BatchNorm1d"]),
    ("batchnorm2d(momentum=0.2)", IMG, IMG, ["BatchNorm2d"]),
    ("layernorm", IMG, IMG, ["LayerNorm"]),
    ("flatten layernorm", IMG, (64,), ["Flatten", "LayerNorm"]),
    ("softplus hardtanh", IMG, IMG, ["Softplus", "Hardtanh"]),  # other nn layers by name
]


@pytest.mark.parametrize("arch, shape, out, classes", LAYERS)
def test_every_layer_kind_builds_and_runs(arch, shape, out, classes):
    model, layers = build(arch, shape)
    assert [type(layer.module).__name__ for layer in layers] == classes
    assert layers[-1].out_shape == out
    x = tt.randn(3, *shape)
    assert model(x).shape == (3, *out)
    assert model.training  # the dry run leaves the model in training mode


def test_inferred_sizes():
    model, _ = build("conv(8,3,padding=1) relu maxpool(2) flatten linear(10)", (3, 6, 6))
    assert model[0].weight.shape == (8, 3, 3, 3)
    assert model[4].weight.shape == (10, 8 * 3 * 3)


def test_embedding_with_integer_input():
    model, layers = build("embedding(20, 4) flatten linear(3)", (5,), input_dtype=np.int64)
    assert layers[0].out_shape == (5, 4)
    assert model(tt.randint(0, 20, (2, 5))).shape == (2, 3)


@pytest.mark.parametrize(
    "arch, out",
    [
        ("rnn(6)", (6,)),
        ("lstm(6, sequence=True)", (8, 6)),
        ("lstm(5, num_layers=2) linear(10)", (10,)),
        ("flatten rnncell(7)", (7,)),
        ("flatten lstmcell(7) linear(3)", (3,)),
    ],
)
def test_recurrent_layers(arch, out):
    missing = [n for n in ("RNN", "LSTM", "RNNCell", "LSTMCell") if not hasattr(nn, n)]
    if missing:
        pytest.skip(f"nn.{', nn.'.join(missing)} not available yet")
    model, layers = build(arch, IMG)  # image rows are the time steps
    assert layers[-1].out_shape == out
    assert model(tt.randn(2, *IMG)).shape == (2, *out)


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28)])
def test_presets_fit_both_image_sizes(name, shape):
    model, layers = build(name, shape, num_classes=10)
    assert layers[-1].out_shape == (10,)
    text = summary(layers, shape)
    assert "parameters" in text and str(shape) in text
    assert sum(p.numel() for p in model.parameters()) == int(
        text.splitlines()[-1].split()[0].replace(",", "")
    )


def test_tokenizer_separators_and_arguments():
    toks = tokenize("conv(8, 3, padding=(1, 1)) -> ReLU, max_pool(2) | nn.Flatten linear(10)")
    assert [t.key for t in toks] == ["conv", "relu", "maxpool", "flatten", "linear"]
    assert toks[0].args == (8, 3) and toks[0].kwargs == {"padding": (1, 1)}
    assert toks[0].text == "conv(8, 3, padding=(1, 1))"


def _error(arch, shape=IMG, **kw):
    with pytest.raises(ArchError) as info:
        build(arch, shape, **kw)
    return str(info.value)


def _caret_under(msg, token):
    """The caret line marks exactly ``token`` in the quoted architecture line."""
    lines = msg.splitlines()
    arch_line, caret_line = lines[-2], lines[-1]
    start = caret_line.index("^")
    return arch_line[start : start + caret_line.count("^")] == token


@pytest.mark.parametrize(
    "arch, token, words",
    [
        ("conv(8,3) relu convv(16,3) flatten linear(10)", "convv(16,3)", "did you mean 'conv'"),
        ("conv(8,3) relu flatten linear(x=)", "linear(x=)", "cannot read the arguments"),
        ("conv(8,3) relu flatten linear(10, foo=3)", "linear(10, foo=3)", "foo"),
        ("linear(10)", "linear(10)", "put `flatten` before it"),
        ("flatten conv(3,3) linear(10)", "conv(3,3)", "belongs before `flatten`"),
        ("conv(8, 30) flatten linear(10)", "conv(8, 30)", "cannot take inputs of shape"),
        ("conv(8,3) flatten linear(12)", "linear(12)", "end it with linear(10)"),
        ("conv(8,3) flatten", "flatten", "end it with linear(10)"),
        ("flatten embedding(10, 4) linear(10)", "embedding(10, 4)", "integer"),
        ("flatten linear(10) $", "$", "unexpected character"),
        ("flatten linear(f(1))", "linear(f(1))", "cannot read the arguments"),
        ("flatten linear(**{'a': 1})", "linear(**{'a': 1})", "cannot read the arguments"),
        ("relu dropout(2.0) flatten linear(10)", "dropout(2.0)", "dropout"),
    ],
)
def test_bad_tokens_point_at_the_culprit(arch, token, words):
    msg = _error(arch, num_classes=10)
    assert words in msg, msg
    assert _caret_under(msg, token), msg


def test_unclosed_parenthesis_and_empty_string():
    assert "unclosed" in _error("conv(8,3 relu")
    assert "no layers" in _error("   ")
