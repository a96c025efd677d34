"""Bad-input matrix for nn (layers, losses, functional, init, utils) and optim.

The environment holds trained-for-one-step modules whose parameters have a ``.grad`` and
optimizers with state (momentum buffers, Adam moments), so the snapshot check proves that a
failed call changes no parameter, gradient, buffer, training flag or optimizer state.
"""

from __future__ import annotations

import numpy as np
import pytest
from badinput import Bad, run_row

import tinytensor as tt
from tinytensor import nn, optim
from tinytensor.nn import functional as F


class Env(dict):
    __getattr__ = dict.__getitem__


def make_env():
    tt.manual_seed(0)
    lin = nn.Linear(3, 2)
    conv = nn.Conv2d(2, 4, 3, padding=1)
    bn = nn.BatchNorm1d(3)
    bn2 = nn.BatchNorm2d(2)
    ln = nn.LayerNorm(3)
    gn = nn.GroupNorm(2, 4)
    emb = nn.Embedding(5, 2)
    cell = nn.RNNCell(3, 4)
    lcell = nn.LSTMCell(3, 4)
    rnn = nn.RNN(3, 4)
    lstm = nn.LSTM(3, 4)
    seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    x = tt.randn(4, 3)
    img = tt.randn(2, 2, 5, 5)
    sgd = optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    adam = optim.Adam(conv.parameters(), lr=0.01)
    rms = optim.RMSprop(seq.parameters(), lr=0.01, momentum=0.5, centered=True)
    ada = optim.Adagrad(list(bn.parameters()) + list(ln.parameters()), lr=0.1)

    def loss():
        out = lin(x).sum() + conv(img).sum() + seq(x).sum() + bn(x).sum() + ln(x).sum()
        out = out + bn2(img).sum() + gn(conv(img)).sum() + emb(tt.tensor([1, 4])).sum()
        out = out + cell(x).sum() + lcell(x)[0].sum() + rnn(x.unsqueeze(1))[0].sum()
        return out + lstm(x.unsqueeze(1))[0].sum()

    loss().backward()
    for o in (sgd, adam, rms, ada):
        o.step()
    loss().backward()  # leave non-trivial .grad on every parameter
    return Env(
        lin=lin, conv=conv, bn=bn, bn2=bn2, ln=ln, gn=gn, emb=emb, cell=cell, lcell=lcell,
        rnn=rnn, lstm=lstm, seq=seq, x=x, img=img, sgd=sgd, adam=adam, rms=rms, ada=ada,
        logits=tt.randn(4, 3, requires_grad=True), target=tt.tensor([0, 2, 1, 2]),
        probs=tt.rand(4, 3), w=lin.weight,
    )  # fmt: skip


class _EarlyAttr(nn.Module):
    def __init__(self):
        self.w = nn.Parameter(tt.ones(2))  # before super().__init__()
        super().__init__()


def _partial_state(e):
    sd = e.seq.state_dict()
    sd["0.weight"] = tt.zeros(3, 3)  # valid: would be loaded first
    sd["2.weight"] = tt.zeros(5, 5)  # wrong shape
    return e.seq.load_state_dict(sd)


R = Bad
ROWS = [
    # --- layers ---------------------------------------------------------------------------------
    R("Linear-in-features", lambda e: e.lin(tt.randn(4, 5)), "linear", "(4, 5)", "3"),
    R("Linear-int-input", lambda e: e.lin(tt.ones(4, 3, dtype=tt.int64)), "linear", "int64"),
    R("Linear-ctor-negative", lambda e: nn.Linear(-1, 3), "negative|Linear", "-1"),
    R("Linear-ctor-float", lambda e: nn.Linear(2.5, 3), "int|Linear", "2.5"),
    R("Linear-0d", lambda e: e.lin(tt.tensor(1.0)), "linear", "()"),
    R("Conv2d-channels", lambda e: e.conv(tt.randn(2, 3, 5, 5)), "conv2d", "3", "2"),
    R("Conv2d-ndim", lambda e: e.conv(tt.randn(5, 5)), "conv2d", "(5, 5)"),
    R("Conv2d-kernel-too-big", lambda e: nn.Conv2d(2, 4, 7)(e.img), "conv2d", "7", "5"),
    R("Conv2d-groups", lambda e: nn.Conv2d(3, 4, 3, groups=2), "groups", "3|4"),
    R("Conv2d-stride-zero", lambda e: nn.Conv2d(2, 4, 3, stride=0)(e.img), "stride", "0"),
    R("Conv2d-negative-padding", lambda e: nn.Conv2d(2, 4, 3, padding=-1)(e.img), "padding", "-1"),
    R("Conv2d-padding-mode", lambda e: nn.Conv2d(2, 4, 3, padding_mode="bogus"), "bogus"),
    R("Conv2d-negative-channels", lambda e: nn.Conv2d(-2, 4, 3), "negative|channels", "-2"),
    R("MaxPool2d-kernel-zero", lambda e: nn.MaxPool2d(0)(e.img), "pool", "0"),
    R("MaxPool2d-kernel-too-big", lambda e: nn.MaxPool2d(7)(e.img), "pool", "7|5"),
    R("MaxPool2d-padding", lambda e: nn.MaxPool2d(2, padding=2)(e.img), "pad", "2"),
    R("MaxPool2d-ndim", lambda e: nn.MaxPool2d(2)(tt.randn(5)), "pool", "(5,)"),
    R("AvgPool2d-kernel-too-big", lambda e: nn.AvgPool2d(7)(e.img), "pool", "7|5"),
    R("AvgPool2d-stride-zero", lambda e: nn.AvgPool2d(2, stride=0)(e.img), "pool|stride", "0"),
    R("AdaptiveAvgPool2d-neg", lambda e: nn.AdaptiveAvgPool2d(-1)(e.img), "pool", "-1"),
    R("AdaptiveAvgPool2d-ndim", lambda e: nn.AdaptiveAvgPool2d(2)(tt.randn(5)), "pool", "(5,)"),
    R("BatchNorm1d-features", lambda e: e.bn(tt.randn(4, 5)), "batch_norm|BatchNorm", "5", "3"),
    R(
        "BatchNorm1d-batch-of-one",
        lambda e: e.bn(tt.randn(1, 3)),
        "batch_norm|BatchNorm",
        "more than 1",
    ),
    R(
        "BatchNorm2d-ndim",
        lambda e: e.bn2(tt.randn(2, 5, 5)),
        "BatchNorm2d|batch_norm|4D",
        "(2, 5, 5)|3D",
    ),
    R("LayerNorm-shape", lambda e: e.ln(tt.randn(4, 5)), "layer_norm", "(3,)|[3]", "(4, 5)"),
    R("GroupNorm-ctor", lambda e: nn.GroupNorm(3, 4), "GroupNorm", "divisible"),
    R("GroupNorm-channels", lambda e: e.gn(tt.randn(2, 6, 3, 3)), "group_norm", "6|4"),
    R("Embedding-range", lambda e: e.emb(tt.tensor([5])), "embedding", "5"),
    R("Embedding-negative", lambda e: e.emb(tt.tensor([-1])), "embedding", "-1"),
    R("Embedding-float-index", lambda e: e.emb(tt.tensor([1.0])), "embedding", "float"),
    R("Embedding-ctor", lambda e: nn.Embedding(-1, 2), "negative|Embedding", "-1"),
    R("RNNCell-input", lambda e: e.cell(tt.randn(2, 5)), "rnn", "5", "3"),
    R("RNNCell-hidden", lambda e: e.cell(tt.randn(2, 3), tt.randn(2, 5)), "rnn|hidden", "5", "4"),
    R("RNNCell-nonlinearity", lambda e: nn.RNNCell(3, 4, nonlinearity="gelu"), "gelu"),
    R(
        "LSTMCell-hidden",
        lambda e: e.lcell(tt.randn(2, 3), (tt.randn(2, 4), tt.randn(2, 5))),
        "lstm|hidden|cell",
        "5",
        "4",
    ),
    R("RNN-ndim", lambda e: e.rnn(tt.randn(3)), "rnn", "(3,)|1"),
    R("RNN-input", lambda e: e.rnn(tt.randn(2, 1, 5)), "rnn", "5", "3"),
    R(
        "LSTM-h0",
        lambda e: e.lstm(tt.randn(2, 1, 3), (tt.randn(1, 1, 5), tt.randn(1, 1, 4))),
        "lstm|hidden",
        "5|(1, 1, 5)",
    ),
    R("Dropout-p", lambda e: nn.Dropout(1.5), "dropout", "1.5"),
    R("Dropout-p-negative", lambda e: nn.Dropout(-0.1), "dropout", "-0.1"),
    R("Flatten-dims", lambda e: nn.Flatten(3)(e.x), "flatten", "3"),
    R("Unflatten-sizes", lambda e: nn.Unflatten(1, (2, 2))(e.x), "unflatten", "(2, 2)"),
    R("Softmax-dim", lambda e: nn.Softmax(dim=5)(e.x), "softmax", "5"),
    R("LogSoftmax-dim", lambda e: nn.LogSoftmax(dim=-3)(e.x), "softmax", "-3"),
    R("Maxout-pieces", lambda e: nn.Maxout(3, 2, pieces=0), "Maxout|pieces", "0"),
    R(
        "Bilinear-shapes",
        lambda e: nn.Bilinear(3, 2, 4)(e.x, e.x),
        "bilinear",
        "3|2",
    ),
    R("Sequential-index", lambda e: e.seq[5], "index|Sequential", "5"),
    R("ModuleList-index", lambda e: nn.ModuleList([e.lin])[3], "index|ModuleList", "3"),
    R("Module-early-attr", lambda e: _EarlyAttr(), "__init__", raises=(AttributeError,)),
    R("Module-unknown-attr", lambda e: e.lin.nope, "nope", raises=(AttributeError,)),
    R(
        "Module-buffer-name",
        lambda e: e.lin.register_buffer("a.b", tt.ones(1)),
        "a.b",
        raises=(KeyError,),
    ),  # KeyError, as in PyTorch
    R("Module-buffer-type", lambda e: e.lin.register_buffer("buf", [1.0]), "buf|buffer", "list"),
    R(
        "Module-param-type",
        lambda e: e.lin.register_parameter("p", tt.ones(2)),
        "p|parameter",
        "Parameter",
    ),
    R("Module-add_module-type", lambda e: e.seq.add_module("x", 3), "Module", "int"),
    R("Module-to-device", lambda e: e.lin.to("cuda"), "cuda"),
    R(
        "load_state_dict-missing",
        lambda e: e.lin.load_state_dict({"weight": tt.zeros(2, 3)}),
        "bias",
        "missing|Missing",
    ),
    R(
        "load_state_dict-unexpected",
        lambda e: e.lin.load_state_dict({**e.lin.state_dict(), "extra": tt.ones(1)}),
        "extra",
        "unexpected|Unexpected",
    ),
    R(
        "load_state_dict-shape",
        lambda e: e.lin.load_state_dict({"weight": tt.zeros(3, 3), "bias": tt.zeros(2)}),
        "weight",
        "(3, 3)|[3, 3]",
        "(2, 3)|[2, 3]",
    ),
    R("load_state_dict-partial", _partial_state, "2.weight", "(5, 5)|[5, 5]"),
    R(
        "load_state_dict-not-dict",
        lambda e: e.lin.load_state_dict([1, 2]),
        "state_dict|dict",
        "list",
    ),
    # --- losses ---------------------------------------------------------------------------------
    R(
        "cross_entropy-target-range",
        lambda e: F.cross_entropy(e.logits, tt.tensor([0, 1, 2, 3])),
        "cross_entropy|nll",
        "3",
    ),
    R(
        "cross_entropy-negative-target",
        lambda e: F.cross_entropy(e.logits, tt.tensor([0, -1, 2, 1])),
        "cross_entropy|nll",
        "-1",
    ),
    R(
        "cross_entropy-batch",
        lambda e: F.cross_entropy(e.logits, tt.tensor([0, 1, 2, 1, 0])),
        "cross_entropy|nll",
        "4",
        "5",
    ),
    R(
        "cross_entropy-float-target-shape",
        lambda e: F.cross_entropy(e.logits, tt.rand(4, 2)),
        "cross_entropy",
        "(4, 2)",
        "(4, 3)",
    ),
    R(
        "cross_entropy-float-index-target",
        lambda e: F.cross_entropy(e.logits, tt.tensor([0.0, 1.0, 2.0, 1.0])),
        "cross_entropy",
        "float|(4,)",
    ),
    R(
        "cross_entropy-weight",
        lambda e: F.cross_entropy(e.logits, e.target, weight=tt.ones(2)),
        "cross_entropy|weight",
        "2",
        "3",
    ),
    R(
        "cross_entropy-smoothing",
        lambda e: F.cross_entropy(e.logits, e.target, label_smoothing=1.5),
        "label_smoothing",
        "1.5",
    ),
    R(
        "cross_entropy-reduction",
        lambda e: F.cross_entropy(e.logits, e.target, reduction="avg"),
        "reduction|avg",
        "avg",
    ),
    R(
        "CrossEntropyLoss-range",
        lambda e: nn.CrossEntropyLoss()(e.logits, tt.tensor([9, 0, 0, 0])),
        "cross_entropy|nll",
        "9",
    ),
    R("nll_loss-range", lambda e: F.nll_loss(e.logits, tt.tensor([0, 1, 2, 3])), "nll", "3"),
    R("nll_loss-ndim", lambda e: F.nll_loss(e.logits, tt.tensor(1)), "nll", "()|0"),
    R("mse_loss-shape", lambda e: F.mse_loss(e.logits, tt.ones(5)), "mse", "(4, 3)", "(5,)"),
    R("l1_loss-shape", lambda e: F.l1_loss(e.logits, tt.ones(5)), "l1", "(4, 3)", "(5,)"),
    R("huber_loss-delta", lambda e: F.huber_loss(e.logits, e.probs, delta=-1.0), "huber", "delta"),
    R(
        "smooth_l1_loss-beta",
        lambda e: F.smooth_l1_loss(e.logits, e.probs, beta=-1.0),
        "smooth_l1",
        "beta",
    ),
    R(
        "bce-range",
        lambda e: F.binary_cross_entropy(e.logits * 0 + 1.5, e.probs),
        "binary_cross_entropy",
        "between 0 and 1|[0, 1]",
    ),
    R(
        "bce-shape",
        lambda e: F.binary_cross_entropy(e.probs, tt.rand(4)),
        "binary_cross_entropy",
        "(4,)",
        "(4, 3)",
    ),
    R(
        "bce_logits-shape",
        lambda e: F.binary_cross_entropy_with_logits(e.logits, tt.rand(3, 4)),
        "binary_cross_entropy_with_logits",
        "(3, 4)",
        "(4, 3)",
    ),
    R(
        "multi_margin-range",
        lambda e: F.multi_margin_loss(e.logits, tt.tensor([0, 1, 2, 7])),
        "multi_margin",
        "7",
    ),
    R(
        "multi_margin-p",
        lambda e: F.multi_margin_loss(e.logits, e.target, p=3),
        "multi_margin",
        "p",
    ),
    R(
        "hinge_embedding-shape",
        lambda e: F.hinge_embedding_loss(e.logits, tt.ones(5)),
        "hinge_embedding",
        "(5,)",
    ),
    R(
        "kl_div-shape",
        lambda e: F.kl_div(e.logits, tt.ones(5)),
        "kl_div",
        "(5,)",
    ),
    R("MSELoss-reduction", lambda e: nn.MSELoss(reduction="bogus")(e.logits, e.probs), "bogus"),
    # --- functional -----------------------------------------------------------------------------
    R("one_hot-range", lambda e: F.one_hot(tt.tensor([0, 3]), 3), "one_hot", "3"),
    R("one_hot-negative", lambda e: F.one_hot(tt.tensor([0, -1])), "one_hot", "-1|negative"),
    R("one_hot-float", lambda e: F.one_hot(tt.tensor([0.0, 1.0]), 3), "one_hot", "float"),
    R("linear-weight", lambda e: F.linear(e.x, tt.ones(2, 5)), "linear", "(4, 3)", "(2, 5)"),
    R("conv2d-weight", lambda e: F.conv2d(e.img, tt.ones(4, 3, 3, 3)), "conv2d", "3", "2"),
    R(
        "conv2d-bias",
        lambda e: F.conv2d(e.img, tt.ones(4, 2, 3, 3), tt.ones(3)),
        "conv2d|bias",
        "3",
        "4",
    ),
    R("embedding-range", lambda e: F.embedding(tt.tensor([7]), tt.ones(5, 2)), "embedding", "7"),
    R(
        "batch_norm-stats",
        lambda e: F.batch_norm(e.x, tt.zeros(2), tt.ones(2)),
        "batch_norm",
        "2",
        "3",
    ),
    R("layer_norm-shape", lambda e: F.layer_norm(e.x, (5,)), "layer_norm", "(5,)|[5]"),
    R("group_norm-groups", lambda e: F.group_norm(tt.randn(2, 4, 3), 3), "group_norm", "3", "4"),
    R("softmax-dim", lambda e: F.softmax(e.x, 2), "softmax", "2"),
    R("log_softmax-dim", lambda e: F.log_softmax(e.x, 2), "softmax", "2"),
    R("max_pool2d-kernel", lambda e: F.max_pool2d(e.img, 7), "pool", "7|5"),
    R("avg_pool2d-kernel", lambda e: F.avg_pool2d(e.img, 7), "pool", "7|5"),
    R("adaptive_avg_pool2d-ndim", lambda e: F.adaptive_avg_pool2d(tt.ones(3), 2), "pool", "(3,)"),
    R("unfold-kernel", lambda e: F.unfold(e.img, 7), "unfold", "7|5"),
    R("normalize-dim", lambda e: F.normalize(e.x, dim=3), "normalize|norm", "3"),
    R("dropout-p", lambda e: F.dropout(e.x, p=1.5), "dropout", "1.5"),
    R("gelu-approximate", lambda e: F.gelu(e.x, approximate="fast"), "gelu", "fast"),
    R("relu-not-tensor", lambda e: F.relu("x"), "relu", "str"),
    # --- init and utils -------------------------------------------------------------------------
    R("kaiming-1d", lambda e: nn.init.kaiming_uniform_(tt.ones(3)), "fan", "(3,)"),
    R("xavier-1d", lambda e: nn.init.xavier_normal_(tt.ones(3)), "fan", "(3,)"),
    R("eye_-3d", lambda e: nn.init.eye_(tt.ones(2, 2, 2)), "eye", "2"),
    R("calculate_gain-bogus", lambda e: nn.init.calculate_gain("bogus"), "bogus"),
    R(
        "uniform_-not-tensor",
        lambda e: nn.init.uniform_([1.0]),
        "uniform_",
        "list",
    ),
    R(
        "vector_to_parameters-size",
        lambda e: nn.utils.vector_to_parameters(tt.ones(3), e.lin.parameters()),
        "vector",
        "3",
        "8",
    ),
    R(
        "clip_grad_norm-type",
        lambda e: nn.utils.clip_grad_norm_(e.lin.parameters(), 1.0, norm_type="bogus"),
        "bogus",
    ),
    R(
        "parameters_to_vector-junk",
        lambda e: nn.utils.parameters_to_vector([1.0]),
        "parameters_to_vector|Tensor",
        "float",
    ),
    # --- optim ----------------------------------------------------------------------------------
    R("SGD-lr", lambda e: optim.SGD(e.lin.parameters(), lr=-0.1), "learning rate", "-0.1"),
    R(
        "SGD-momentum",
        lambda e: optim.SGD(e.lin.parameters(), lr=0.1, momentum=-1),
        "momentum",
        "-1",
    ),
    R("SGD-nesterov", lambda e: optim.SGD(e.lin.parameters(), lr=0.1, nesterov=True), "nesterov"),
    R(
        "SGD-weight-decay",
        lambda e: optim.SGD(e.lin.parameters(), lr=0.1, weight_decay=-1),
        "weight_decay",
        "-1",
    ),
    R("SGD-empty", lambda e: optim.SGD([], lr=0.1), "empty"),
    R("SGD-tensor-params", lambda e: optim.SGD(e.w, lr=0.1), "iterable|params", "Tensor"),
    R(
        "SGD-duplicate-groups",
        lambda e: optim.SGD([{"params": [e.w]}, {"params": [e.w]}], lr=0.1),
        "more than one|duplicate|twice",
    ),
    R("SGD-non-leaf", lambda e: optim.SGD([e.w * 2], lr=0.1), "leaf"),
    R("Adam-betas", lambda e: optim.Adam(e.lin.parameters(), betas=(1.5, 0.9)), "beta", "1.5"),
    R("Adam-eps", lambda e: optim.Adam(e.lin.parameters(), eps=-1e-8), "eps|epsilon", "-1e-08"),
    R("Adam-lr", lambda e: optim.Adam(e.lin.parameters(), lr=-1), "learning rate", "-1"),
    R(
        "AdamW-weight-decay",
        lambda e: optim.AdamW(e.lin.parameters(), weight_decay=-1),
        "weight_decay",
        "-1",
    ),
    R("RMSprop-alpha", lambda e: optim.RMSprop(e.lin.parameters(), alpha=-1), "alpha", "-1"),
    R(
        "Adagrad-lr-decay",
        lambda e: optim.Adagrad(e.lin.parameters(), lr_decay=-1),
        "lr_decay",
        "-1",
    ),
    R(
        "add_param_group-duplicate",
        lambda e: e.sgd.add_param_group({"params": [e.w]}),
        "more than one|duplicate|twice|already",
    ),
    R(
        "add_param_group-no-params",
        lambda e: e.sgd.add_param_group({"lr": 0.1}),
        "params",
        raises=(KeyError, ValueError, TypeError),
    ),  # KeyError, as in PyTorch
    R(
        "optim-load_state_dict-groups",
        lambda e: e.sgd.load_state_dict(
            {"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]}
        ),
        "group",
    ),
    R(
        "optim-load_state_dict-sizes",
        lambda e: e.adam.load_state_dict(
            {"state": {}, "param_groups": [{**e.adam.param_groups[0], "params": [0]}]}
        ),
        "group|parameter",
        "size|match",
    ),
    R("StepLR-not-optimizer", lambda e: optim.lr_scheduler.StepLR(e.lin, 2), "Optimizer", "Linear"),
    R(
        "ReduceLROnPlateau-mode",
        lambda e: optim.lr_scheduler.ReduceLROnPlateau(e.sgd, mode="up"),
        "up",
    ),
    R(
        "ReduceLROnPlateau-factor",
        lambda e: optim.lr_scheduler.ReduceLROnPlateau(e.sgd, factor=1.5),
        "factor",
        "1.5|1.0",
    ),
]


@pytest.mark.parametrize("row", [pytest.param(r, id=r.id, marks=r.marks) for r in ROWS])
def test_bad_input_gives_clear_error_and_changes_nothing(row):
    run_row(row, make_env)


def test_every_layer_and_loss_has_a_row():
    names = {r.id.split("-")[0] for r in ROWS}
    layers = {
        "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d",
        "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding", "RNNCell", "LSTMCell", "RNN",
        "LSTM", "Dropout", "Flatten", "Unflatten", "Softmax", "LogSoftmax", "Maxout",
        "Bilinear", "Sequential", "ModuleList", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
        "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
        "bce", "bce_logits", "multi_margin", "hinge_embedding", "kl_div",
    }  # fmt: skip
    assert not layers - names, f"no bad-input row for {sorted(layers - names)}"


def test_env_really_has_state_to_protect():
    e = make_env()
    assert all(p.grad is not None for p in e.lin.parameters())
    assert e.sgd.state and e.adam.state
    assert int(e.bn.num_batches_tracked.item()) > 0
    assert not np.allclose(e.bn.running_mean.numpy(), 0)
