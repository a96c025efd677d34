"""The in-place table's machinery: one program, run in tinytensor and in PyTorch.

A program is: forward, change one tensor in place (an argument, or a tensor the op returned),
then backward with fixed seeds. ``run_program`` runs it with either library and returns the
leaf gradients, or the exception that stopped it. Floating tensors get ``add_(0.25)`` under
``no_grad``, integer ones ``zero_()``, bool ones ``copy_(~t)``: each bumps the version counter
and changes the value, so an op that reads a changed tensor without checking it is caught.

``FUNCTIONAL_ROWS`` are the ``nn.functional`` rows: fixed, seeded inputs, the same call for both
libraries (``call(F, *tensors)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tinytensor as tt


class Lib:
    """What a program needs from a library: its module, ``nn.functional`` and tensor type."""

    def __init__(self, mod, functional):
        self.mod = mod
        self.F = functional
        self.Tensor = mod.Tensor

    def tensor(self, array, requires_grad=False):
        t = self.mod.tensor(np.array(array, copy=True))
        return t.requires_grad_(True) if requires_grad else t

    def convert(self, obj):
        """tinytensor tensors (also in tuples, lists, dicts) become fresh tensors of this library;
        floating positional leaves keep their requires_grad."""
        if isinstance(obj, tt.Tensor):
            return self.tensor(obj.detach().numpy(), obj.requires_grad)
        if isinstance(obj, (tuple, list)):
            return type(obj)(self.convert(o) for o in obj)
        if isinstance(obj, dict):
            return {k: self.convert(v) for k, v in obj.items()}
        return obj


def tt_lib() -> Lib:
    import tinytensor.nn.functional as F

    return Lib(tt, F)


def torch_lib() -> Lib:
    import torch
    import torch.nn.functional as F

    return Lib(torch, F)


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def tensors_in(obj):
    """The tensors inside ``obj`` (a tensor, or tuples/lists/dicts of them), in order."""
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in tensors_in(o)]
    if hasattr(obj, "requires_grad") and hasattr(obj, "dtype"):
        return [obj]
    return []


def mutate(lib, t):
    """Change ``t`` in place: a version bump and a new value, whatever its dtype."""
    with lib.mod.no_grad():
        if t.dtype == lib.mod.bool:
            t.copy_(~t)
        elif t.is_floating_point():
            t.add_(0.25)
        else:
            t.zero_()


def locate(slot, args, kwargs, outs):
    """The tensors a slot names: ``("arg", i)``, ``("kw", key)`` or ``("out", i)``."""
    kind, key = slot
    if kind == "arg":
        return tensors_in(args[key]) if key < len(args) else []
    if kind == "kw":
        return tensors_in(kwargs.get(key))
    return tensors_in(outs[key]) if key < len(outs) else []


@dataclass
class Outcome:
    grads: list | None = None
    error: BaseException | None = None
    stage: str = ""

    def describe(self) -> str:
        if self.error is None:
            return "gradients"
        return f"{type(self.error).__name__} in {self.stage}: {str(self.error)[:160]}"


def run_program(lib, fn, args, kwargs, slot, seeds, mutate_it=True) -> Outcome:
    """Forward ``fn(*args, **kwargs)``, change ``slot`` in place, backward with ``seeds`` (NumPy
    arrays, one per floating output that requires grad); the gradients of ``args``' leaves."""
    stage = "forward"
    try:
        outs = as_tuple(fn(*args, **kwargs))
        stage = "in-place change"
        if mutate_it:
            for t in locate(slot, args, kwargs, outs):
                mutate(lib, t)
        stage = "backward"
        roots = [o for o in outs if isinstance(o, lib.Tensor) and o.requires_grad]
        grads_in = [lib.tensor(s) for s in seeds[: len(roots)]]
        lib.mod.autograd.backward(roots, grads_in)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return Outcome(error=e, stage=stage)
    grads = []
    for a in tensors_in(args):
        if a.requires_grad:
            grads.append(None if a.grad is None else a.grad.detach().numpy().copy())
    return Outcome(grads=grads)


def seeds_for(outs, seed=0) -> list:
    """Fixed float64 seeds for the floating outputs that require grad."""
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(tuple(o.shape))
        for o in as_tuple(outs)
        if isinstance(o, tt.Tensor) and o.requires_grad
    ]


def slot_name(slot, args, outs) -> str:
    """Readable column names: ``input``/``other``/``argK`` for floating arguments, ``index`` for
    integer ones, ``mask`` for bool ones, the keyword's name, ``out``/``outK``/``indices``."""
    kind, key = slot
    if kind == "kw":
        return str(key)
    if kind == "arg":
        a = args[key]
        if isinstance(a, tt.Tensor) and not a.is_floating_point():
            return "mask" if a.dtype == tt.bool else "index"
        k = sum(1 for b in args[:key] if isinstance(b, tt.Tensor) and b.is_floating_point())
        return ("input", "other")[k] if k < 2 else f"arg{k}"
    o = outs[key]
    if isinstance(o, tt.Tensor) and not o.is_floating_point():
        return "indices"
    return "out" if len(outs) == 1 else f"out{key}"


# --- nn.functional rows -------------------------------------------------------------------------


@dataclass
class FRow:
    """One ``nn.functional`` call: ``call(F, *tensors)`` with the named inputs; ``grad`` names the
    ones that require grad. ``random`` rows (dropout in training) are compared with tinytensor's
    own run without the change (same seed) instead of PyTorch's gradient."""

    name: str
    call: Callable
    inputs: dict
    grad: tuple = ()
    random: bool = False
    notes: dict = field(default_factory=dict)

    def args(self):
        out = []
        for k, v in self.inputs.items():
            t = tt.tensor(np.array(v, copy=True))
            out.append(t.requires_grad_(True) if k in self.grad else t)
        return tuple(out)


def _rng(seed=0):
    return np.random.default_rng(seed)


R = _rng(10)
X45 = R.standard_normal((4, 5))
X34 = R.standard_normal((3, 4))
TGT = np.array([0, 3, 1, 4], dtype=np.int64)
TGT_IGN = np.array([0, 2, 1, 2], dtype=np.int64)  # ignore_index=2 drops two rows
CW = np.array([0.5, 1.0, 2.0, 1.5, 0.25])
PROBS = np.exp(X45[::-1]) / np.exp(X45[::-1]).sum(1, keepdims=True)
IMG = R.standard_normal((2, 2, 5, 5))
POOL = (R.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1).astype(np.float64)
P01 = 1 / (1 + np.exp(-R.standard_normal((3, 4))))
T01 = R.uniform(0.1, 0.9, (3, 4))
PM1 = np.where(R.standard_normal((3, 4)) > 0, 1.0, -1.0)
EMB_IDX = np.array([[0, 2, 4], [2, 1, 0]], dtype=np.int64)
EMB_W = R.standard_normal((5, 3))
ACT = R.standard_normal((3, 4)) * 2  # kept away from kinks below
ACT = np.where(np.abs(ACT) < 0.1, 0.3, ACT)


def _act(name, **kw):
    return FRow(name, lambda F, x: getattr(F, name)(x, **kw), {"input": ACT}, ("input",))


def _loss(name, target, grad=("input",), x=X34, label=None, **kw):
    return FRow(
        label or (name if not kw else name + "_" + "_".join(kw)),
        lambda F, x, t: getattr(F, name)(x, t, **kw),
        {"input": x, "target": target},
        grad,
    )


FUNCTIONAL_ROWS = [
    FRow(
        "linear",
        lambda F, x, w, b: F.linear(x, w, b),
        {"input": X34, "weight": R.standard_normal((2, 4)), "bias": R.standard_normal(2)},
        ("input", "weight", "bias"),
    ),
    FRow(
        "bilinear",
        lambda F, a, b, w, c: F.bilinear(a, b, w, c),
        {
            "input1": R.standard_normal((3, 2)),
            "input2": R.standard_normal((3, 3)),
            "weight": R.standard_normal((4, 2, 3)),
            "bias": R.standard_normal(4),
        },
        ("input1", "input2", "weight", "bias"),
    ),
    FRow(
        "conv2d",
        lambda F, x, w, b: F.conv2d(x, w, b, padding=1),
        {"input": IMG, "weight": R.standard_normal((3, 2, 3, 3)), "bias": R.standard_normal(3)},
        ("input", "weight", "bias"),
    ),
    FRow(
        "conv2d_stride_groups",
        lambda F, x, w: F.conv2d(x, w, stride=2, groups=2, dilation=1),
        {"input": IMG, "weight": R.standard_normal((4, 1, 2, 2))},
        ("input", "weight"),
    ),
    FRow("max_pool2d", lambda F, x: F.max_pool2d(x, 2), {"input": POOL}, ("input",)),
    FRow(
        "max_pool2d_indices",
        lambda F, x: F.max_pool2d(x, 2, return_indices=True),
        {"input": POOL},
        ("input",),
    ),
    FRow(
        "max_pool2d_stride_pad",
        lambda F, x: F.max_pool2d(x, 3, stride=2, padding=1),
        {"input": POOL},
        ("input",),
    ),
    FRow("avg_pool2d", lambda F, x: F.avg_pool2d(x, 2), {"input": IMG}, ("input",)),
    FRow(
        "avg_pool2d_pad",
        lambda F, x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
        {"input": IMG},
        ("input",),
    ),
    FRow(
        "adaptive_avg_pool2d",
        lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)),
        {"input": IMG},
        ("input",),
    ),
    FRow(
        "dropout_eval", lambda F, x: F.dropout(x, 0.5, training=False), {"input": X34}, ("input",)
    ),
    FRow("dropout_p0", lambda F, x: F.dropout(x, 0.0, training=True), {"input": X34}, ("input",)),
    FRow("dropout_train", lambda F, x: F.dropout(x, 0.5), {"input": X34}, ("input",), True),
    FRow(
        "dropout2d_train",
        lambda F, x: F.dropout2d(x, 0.5),
        {"input": IMG},
        ("input",),
        True,
    ),
    FRow(
        "batch_norm_train",
        lambda F, x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=True),
        {
            "input": X45,
            "running_mean": np.zeros(5),
            "running_var": np.ones(5),
            "weight": R.uniform(0.5, 1.5, 5),
            "bias": R.standard_normal(5),
        },
        ("input", "weight", "bias"),
    ),
    FRow(
        "batch_norm_eval",
        lambda F, x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False),
        {
            "input": X45,
            "running_mean": R.standard_normal(5),
            "running_var": R.uniform(0.5, 2.0, 5),
            "weight": R.uniform(0.5, 1.5, 5),
            "bias": R.standard_normal(5),
        },
        ("input", "weight", "bias"),
    ),
    FRow(
        "batch_norm_2d",
        lambda F, x, m, v: F.batch_norm(x, m, v, training=True),
        {"input": IMG, "running_mean": np.zeros(2), "running_var": np.ones(2)},
        ("input",),
    ),
    FRow(
        "layer_norm",
        lambda F, x, w, b: F.layer_norm(x, (4,), w, b),
        {"input": X34, "weight": R.uniform(0.5, 1.5, 4), "bias": R.standard_normal(4)},
        ("input", "weight", "bias"),
    ),
    FRow(
        "group_norm",
        lambda F, x, w, b: F.group_norm(x, 2, w, b),
        {
            "input": R.standard_normal((2, 4, 3)),
            "weight": R.uniform(0.5, 1.5, 4),
            "bias": R.standard_normal(4),
        },
        ("input", "weight", "bias"),
    ),
    FRow(
        "embedding",
        lambda F, i, w: F.embedding(i, w),
        {"index": EMB_IDX, "weight": EMB_W},
        ("weight",),
    ),
    FRow(
        "embedding_padding_idx",
        lambda F, i, w: F.embedding(i, w, padding_idx=0),
        {"index": EMB_IDX, "weight": EMB_W},
        ("weight",),
    ),
    *[
        _act(n)
        for n in (
            "relu",
            "relu6",
            "elu",
            "selu",
            "gelu",
            "leaky_relu",
            "hardtanh",
            "sigmoid",
            "tanh",
            "silu",
            "mish",
            "softplus",
            "softsign",
            "logsigmoid",
        )
    ],
    FRow(
        "gelu_tanh",
        lambda F, x: F.gelu(x, approximate="tanh"),
        {"input": ACT},
        ("input",),
    ),
    FRow("softmax", lambda F, x: F.softmax(x, dim=1), {"input": X34}, ("input",)),
    FRow("log_softmax", lambda F, x: F.log_softmax(x, dim=1), {"input": X34}, ("input",)),
    FRow("softmin", lambda F, x: F.softmin(x, dim=0), {"input": X34}, ("input",)),
    FRow("normalize", lambda F, x: F.normalize(x, dim=1), {"input": X34}, ("input",)),
    FRow("pad_constant", lambda F, x: F.pad(x, (1, 2)), {"input": X34}, ("input",)),
    FRow(
        "pad_reflect",
        lambda F, x: F.pad(x, (1, 1, 1, 1), mode="reflect"),
        {"input": IMG},
        ("input",),
    ),
    FRow("unfold", lambda F, x: F.unfold(x, 2, stride=1), {"input": IMG}, ("input",)),
    FRow(
        "fold",
        lambda F, x: F.fold(x, (3, 3), 2),
        {"input": R.standard_normal((1, 8, 4))},
        ("input",),
    ),
    # issue #12: convolution, pooling, resampling and padding in 1-3 dims
    FRow(
        "conv1d",
        lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
        {
            "input": R.standard_normal((2, 2, 7)),
            "weight": R.standard_normal((3, 2, 3)),
            "bias": R.standard_normal(3),
        },
        ("input", "weight", "bias"),
    ),
    FRow(
        "conv3d",
        lambda F, x, w: F.conv3d(x, w, padding=1),
        {"input": R.standard_normal((1, 2, 3, 4, 3)), "weight": R.standard_normal((2, 2, 2, 2, 2))},
        ("input", "weight"),
    ),
    FRow(
        "conv_transpose1d",
        lambda F, x, w, b: F.conv_transpose1d(x, w, b, stride=2, output_padding=1),
        {
            "input": R.standard_normal((2, 2, 4)),
            "weight": R.standard_normal((2, 3, 3)),
            "bias": R.standard_normal(3),
        },
        ("input", "weight", "bias"),
    ),
    FRow(
        "conv_transpose2d",
        lambda F, x, w: F.conv_transpose2d(x, w, stride=2, padding=1, groups=2),
        {"input": IMG, "weight": R.standard_normal((2, 2, 3, 3))},
        ("input", "weight"),
    ),
    FRow(
        "conv_transpose3d",
        lambda F, x, w: F.conv_transpose3d(x, w),
        {"input": R.standard_normal((1, 2, 2, 3, 2)), "weight": R.standard_normal((2, 1, 2, 2, 2))},
        ("input", "weight"),
    ),
    FRow(
        "max_pool1d",
        lambda F, x: F.max_pool1d(x, 2, return_indices=True),
        {"input": POOL[:, :, 0]},
        ("input",),
    ),
    FRow(
        "max_pool3d",
        lambda F, x: F.max_pool3d(x, 2, padding=1),
        {"input": POOL[:, None]},
        ("input",),
    ),
    FRow(
        "max_pool2d_with_indices",
        lambda F, x: F.max_pool2d_with_indices(x, 2),
        {"input": POOL},
        ("input",),
    ),
    FRow("avg_pool1d", lambda F, x: F.avg_pool1d(x, 2), {"input": IMG[:, :, 0]}, ("input",)),
    FRow("avg_pool3d", lambda F, x: F.avg_pool3d(x, 2), {"input": IMG[:, None]}, ("input",)),
    FRow(
        "adaptive_max_pool1d",
        lambda F, x: F.adaptive_max_pool1d(x, 3, True),
        {"input": POOL[:, :, 0]},
        ("input",),
    ),
    FRow(
        "adaptive_max_pool2d",
        lambda F, x: F.adaptive_max_pool2d(x, (3, 2)),
        {"input": POOL},
        ("input",),
    ),
    FRow(
        "adaptive_max_pool3d",
        lambda F, x: F.adaptive_max_pool3d(x, 2),
        {"input": POOL[:, None]},
        ("input",),
    ),
    FRow(
        "adaptive_avg_pool1d",
        lambda F, x: F.adaptive_avg_pool1d(x, 3),
        {"input": IMG[:, :, 0]},
        ("input",),
    ),
    FRow(
        "adaptive_avg_pool3d",
        lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
        {"input": IMG[:, None]},
        ("input",),
    ),
    FRow(
        "max_unpool2d",
        lambda F, x, i: F.max_unpool2d(x, i, 2),
        {"input": IMG[:, :, :2, :2], "indices": np.array([[[[0, 3], [9, 14]]] * 2] * 2)},
        ("input",),
    ),
    FRow("lp_pool2d", lambda F, x: F.lp_pool2d(x, 2, 2), {"input": np.abs(IMG) + 0.1}, ("input",)),
    FRow(
        "interpolate",
        lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
        {"input": IMG},
        ("input",),
    ),
    FRow(
        "interpolate_nearest",
        lambda F, x: F.interpolate(x, size=(7, 3)),
        {"input": IMG},
        ("input",),
    ),
    FRow(
        "pixel_shuffle",
        lambda F, x: F.pixel_shuffle(x, 2),
        {"input": R.standard_normal((1, 4, 2, 3))},
        ("input",),
    ),
    FRow(
        "pixel_unshuffle",
        lambda F, x: F.pixel_unshuffle(x, 2),
        {"input": R.standard_normal((1, 1, 4, 2))},
        ("input",),
    ),
    FRow(
        "grid_sample",
        lambda F, x, g: F.grid_sample(x, g, align_corners=False),
        {"input": IMG, "grid": R.uniform(-1.1, 1.1, (2, 3, 2, 2))},
        ("input", "grid"),
    ),
    FRow(
        "affine_grid",
        lambda F, t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False),
        {"theta": R.standard_normal((2, 2, 3))},
        ("theta",),
    ),
    FRow(
        "pad_replicate_crop",
        lambda F, x: F.pad(x, (2, -1, -1, 1), mode="replicate"),
        {"input": IMG},
        ("input",),
    ),
    FRow(
        "pad_circular",
        lambda F, x: F.pad(x, (1, 2, -1, 1), mode="circular"),
        {"input": IMG},
        ("input",),
    ),
    _loss("mse_loss", T01),
    _loss("mse_loss", T01, grad=("input", "target"), label="mse_loss_target_grad"),
    _loss("l1_loss", T01),
    _loss("smooth_l1_loss", T01),
    _loss("huber_loss", T01, delta=0.5),
    _loss("binary_cross_entropy", T01, x=P01),
    FRow(
        "binary_cross_entropy_weight",
        lambda F, x, t, w: F.binary_cross_entropy(x, t, weight=w),
        {"input": P01, "target": T01, "weight": R.uniform(0.5, 1.5, (3, 4))},
        ("input",),
    ),
    _loss("binary_cross_entropy_with_logits", T01),
    FRow(
        "binary_cross_entropy_with_logits_pos_weight",
        lambda F, x, t, w: F.binary_cross_entropy_with_logits(x, t, pos_weight=w),
        {"input": X34, "target": T01, "weight": R.uniform(0.5, 1.5, 4)},
        ("input",),
    ),
    _loss("kl_div", T01, reduction="batchmean"),
    FRow(
        "kl_div_log_target",
        lambda F, x, t: F.kl_div(x, t, reduction="sum", log_target=True),
        {"input": X34, "target": np.log(T01)},
        ("input", "target"),
    ),
    _loss("hinge_embedding_loss", PM1),
    _loss("multi_margin_loss", TGT, x=X45),
    FRow(
        "multi_margin_loss_weight",
        lambda F, x, t, w: F.multi_margin_loss(x, t, weight=w),
        {"input": X45, "target": TGT, "weight": CW},
        ("input",),
    ),
    _loss("cross_entropy", TGT, x=X45),
    _loss("cross_entropy", PROBS, x=X45, reduction="sum", label="cross_entropy_probs_sum"),
    FRow(
        "cross_entropy_probs",
        lambda F, x, t: F.cross_entropy(x, t),
        {"input": X45, "target": PROBS},
        ("input", "target"),
    ),
    FRow(
        "cross_entropy_weight",
        lambda F, x, t, w: F.cross_entropy(x, t, weight=w),
        {"input": X45, "target": TGT, "weight": CW},
        ("input",),
    ),
    _loss("cross_entropy", TGT_IGN, x=X45, ignore_index=2),
    _loss("cross_entropy", TGT, x=X45, label_smoothing=0.2),
    FRow(
        "cross_entropy_weight_label_smoothing",
        lambda F, x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1),
        {"input": X45, "target": TGT, "weight": CW},
        ("input",),
    ),
    _loss("cross_entropy", TGT, x=X45, reduction="none", label="cross_entropy_none"),
    FRow(
        "cross_entropy_3d",
        lambda F, x, t: F.cross_entropy(x, t),
        {"input": R.standard_normal((2, 3, 4)), "target": np.array([[0, 2, 1, 1], [2, 0, 0, 1]])},
        ("input",),
    ),
    _loss("nll_loss", TGT, x=X45),
    FRow(
        "nll_loss_weight",
        lambda F, x, t, w: F.nll_loss(x, t, weight=w),
        {"input": X45, "target": TGT, "weight": CW},
        ("input",),
    ),
    _loss("nll_loss", TGT_IGN, x=X45, ignore_index=2),
    _loss("nll_loss", TGT, x=X45, reduction="sum"),
]

assert len({r.name for r in FUNCTIONAL_ROWS}) == len(FUNCTIONAL_ROWS), "row names must be unique"

#: ``nn.functional`` entries without a row, and why.
FUNCTIONAL_NOT_COVERED = {
    **{
        f"{name}{nd}d{tail}": "same code path as the row of its sibling dimension"
        for name, dims, tail in [
            ("max_pool", (1, 3), "_with_indices"),
            ("max_unpool", (1, 3), ""),
            ("lp_pool", (1, 3), ""),
        ]
        for nd in dims
    },
    "upsample": "deprecated alias of interpolate (same function, covered by its rows)",
    "upsample_nearest": "deprecated alias of interpolate (same function, covered by its rows)",
    "upsample_bilinear": "deprecated alias of interpolate (same function, covered by its rows)",
    "one_hot": "no gradient: an integer function of an integer tensor, nothing to backpropagate",
}

# --- issue #12: activations, norms, distances, losses, embedding_bag ---------------------------

R12 = _rng(12)
X45B = R12.standard_normal((4, 5))
X45C = R12.standard_normal((4, 5))
PM4 = np.array([1.0, -1.0, 1.0, -1.0])
ML_TGT = np.array([[3, 0, -1, 1, 1], [0, 1, 2, 3, 4], [-1, 1, 2, 0, 0], [4, 4, -1, 0, 0]])
CTC_LP = np.log(R12.dirichlet(np.ones(4), size=(6, 2)))

FUNCTIONAL_ROWS += [
    *[_act(n) for n in ("hardswish", "hardsigmoid", "celu", "softshrink", "hardshrink")],
    *[_act(n) for n in ("tanhshrink",)],
    FRow("threshold", lambda F, x: F.threshold(x, 0.1, -1.0), {"input": ACT}, ("input",)),
    FRow("glu", lambda F, x: F.glu(x, 1), {"input": ACT}, ("input",)),
    FRow(
        "prelu",
        lambda F, x, w: F.prelu(x, w),
        {"input": ACT, "weight": np.array([0.1, 0.2, 0.3, 0.4])},
        ("input", "weight"),
    ),
    FRow("rrelu_eval", lambda F, x: F.rrelu(x), {"input": ACT}, ("input",)),
    FRow("rrelu_train", lambda F, x: F.rrelu(x, training=True), {"input": ACT}, ("input",), True),
    FRow("channel_shuffle", lambda F, x: F.channel_shuffle(x, 2), {"input": IMG}, ("input",)),
    FRow("instance_norm", lambda F, x: F.instance_norm(x), {"input": IMG}, ("input",)),
    FRow(
        "rms_norm",
        lambda F, x, w: F.rms_norm(x, (4,), w),
        {"input": X34, "weight": R12.uniform(0.5, 1.5, 4)},
        ("input", "weight"),
    ),  # noqa: E501
    FRow(
        "local_response_norm", lambda F, x: F.local_response_norm(x, 2), {"input": IMG}, ("input",)
    ),  # noqa: E501
    FRow(
        "cosine_similarity",
        lambda F, a, b: F.cosine_similarity(a, b),
        {"x1": X45, "x2": X45B},
        ("x1", "x2"),
    ),  # noqa: E501
    FRow(
        "pairwise_distance",
        lambda F, a, b: F.pairwise_distance(a, b),
        {"x1": X45, "x2": X45B},
        ("x1", "x2"),
    ),  # noqa: E501
    FRow("pdist", lambda F, x: F.pdist(x), {"input": X45}, ("input",)),
    FRow(
        "cosine_embedding_loss",
        lambda F, a, b, y: F.cosine_embedding_loss(a, b, y),
        {"input1": X45, "input2": X45B, "target": PM4},
        ("input1", "input2"),
    ),  # noqa: E501
    FRow(
        "margin_ranking_loss",
        lambda F, a, b, y: F.margin_ranking_loss(a, b, y, 0.1),
        {"input1": X45[:, 0], "input2": X45B[:, 0], "target": PM4},
        ("input1", "input2"),
    ),  # noqa: E501
    FRow(
        "triplet_margin_loss",
        lambda F, a, p, n: F.triplet_margin_loss(a, p, n, swap=True),
        {"anchor": X45, "positive": X45B, "negative": X45C},
        ("anchor", "positive", "negative"),
    ),  # noqa: E501
    FRow(
        "triplet_margin_with_distance_loss",
        lambda F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n),
        {"anchor": X45, "positive": X45B, "negative": X45C},
        ("anchor", "positive", "negative"),
    ),  # noqa: E501
    _loss("poisson_nll_loss", T01),
    FRow(
        "gaussian_nll_loss",
        lambda F, x, t, v: F.gaussian_nll_loss(x, t, v),
        {"input": X34, "target": T01, "var": P01},
        ("input", "var"),
    ),  # noqa: E501
    _loss("soft_margin_loss", PM1),
    _loss("multilabel_soft_margin_loss", T01),
    _loss("multilabel_margin_loss", ML_TGT, x=X45),
    FRow(
        "ctc_loss",
        # through log_softmax: PyTorch's CTC gradient adds exp(log_probs)*g, which only
        # log_softmax's backward cancels (tinytensor's is the exact derivative)
        lambda F, x, y: F.ctc_loss(F.log_softmax(x, 2), y, (6, 5), (2, 1)),
        {"input": CTC_LP, "targets": np.array([[1, 2], [3, 0]])},
        ("input",),
    ),  # noqa: E501
    FRow(
        "embedding_bag",
        lambda F, i, w, o: F.embedding_bag(i, w, o, mode="sum"),
        {"index": np.array([0, 2, 4, 1, 3]), "weight": EMB_W, "offsets": np.array([0, 2])},
        ("weight",),
    ),  # noqa: E501
    FRow(
        "embedding_bag_max",
        lambda F, i, w: F.embedding_bag(i, w, mode="max"),
        {"index": EMB_IDX, "weight": EMB_W},
        ("weight",),
    ),  # noqa: E501
]
assert len({r.name for r in FUNCTIONAL_ROWS}) == len(FUNCTIONAL_ROWS), "row names must be unique"

FUNCTIONAL_NOT_COVERED.update(
    {
        n: "in-place alias of the function of the same name without '_' (covered by its rows)"
        for n in ("relu_ elu_ selu_ leaky_relu_ hardtanh_ celu_ rrelu_ threshold_".split())
    }
)
FUNCTIONAL_NOT_COVERED["native_channel_shuffle"] = "alias of channel_shuffle (covered by its rows)"
FUNCTIONAL_NOT_COVERED["gumbel_softmax"] = "random: composed of softmax and arithmetic (rows)"

# --- issue #12: attention ---------------------------------------------------------------------

RA = _rng(13)
QKV = {n: RA.standard_normal((2, 2, 3, 4)) for n in ("query", "key", "value")}
QKV_GRAD = ("query", "key", "value")

FUNCTIONAL_ROWS += [
    FRow(
        "scaled_dot_product_attention",
        lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v),
        QKV,
        QKV_GRAD,
    ),
    FRow(
        "scaled_dot_product_attention_causal",
        lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
        QKV,
        QKV_GRAD,
    ),
    FRow(
        "scaled_dot_product_attention_bool_mask",
        lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, m),
        {**QKV, "attn_mask": np.tri(3, 3, dtype=bool) | (RA.random((3, 3)) > 0.5)},
        QKV_GRAD,
    ),
    FRow(
        "scaled_dot_product_attention_float_mask",
        lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, m),
        {**QKV, "attn_mask": RA.standard_normal((3, 3))},
        QKV_GRAD,
    ),
    FRow(
        "scaled_dot_product_attention_dropout",
        lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.5),
        QKV,
        QKV_GRAD,
        True,
    ),
]
assert len({r.name for r in FUNCTIONAL_ROWS}) == len(FUNCTIONAL_ROWS), "row names must be unique"
FUNCTIONAL_NOT_COVERED["multi_head_attention_forward"] = (
    "composite of linear, chunk, reshape, softmax/matmul or scaled_dot_product_attention (rows)"
)

# --- issue #12: dropout variants and fractional max pooling -------------------------------------

RF = _rng(14)
SEQ = RF.standard_normal((2, 3, 4))
VOL = RF.standard_normal((2, 2, 2, 3, 3))
FRAC_S2 = RF.random((2, 2, 2))
FRAC_S3 = RF.random((2, 2, 3))
FRAC_VOL = (RF.permutation(2 * 2 * 4 * 5 * 5).reshape(2, 2, 4, 5, 5) * 0.1).astype(np.float64)

FUNCTIONAL_ROWS += [
    FRow("dropout1d_train", lambda F, x: F.dropout1d(x, 0.5), {"input": SEQ}, ("input",), True),
    FRow("dropout3d_train", lambda F, x: F.dropout3d(x, 0.5), {"input": VOL}, ("input",), True),
    FRow(
        "alpha_dropout_train",
        lambda F, x: F.alpha_dropout(x, 0.3, training=True),
        {"input": X34},
        ("input",),
        True,
    ),
    FRow("alpha_dropout_eval", lambda F, x: F.alpha_dropout(x, 0.3), {"input": X34}, ("input",)),
    FRow(
        "feature_alpha_dropout_train",
        lambda F, x: F.feature_alpha_dropout(x, 0.3, training=True),
        {"input": SEQ},
        ("input",),
        True,
    ),
    FRow(
        "fractional_max_pool2d",
        lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s),
        {"input": POOL, "_random_samples": FRAC_S2},
        ("input",),
    ),
    FRow(
        "fractional_max_pool2d_with_indices",
        lambda F, x, s: F.fractional_max_pool2d_with_indices(x, 2, (2, 3), _random_samples=s),
        {"input": POOL, "_random_samples": FRAC_S2},
        ("input",),
    ),
    FRow(
        "fractional_max_pool3d",
        lambda F, x, s: F.fractional_max_pool3d(x, 2, output_size=(2, 3, 3), _random_samples=s),
        {"input": FRAC_VOL, "_random_samples": FRAC_S3},
        ("input",),
    ),
    FRow(
        "fractional_max_pool3d_with_indices",
        lambda F, x, s: F.fractional_max_pool3d_with_indices(x, 2, 2, _random_samples=s),
        {"input": FRAC_VOL, "_random_samples": FRAC_S3},
        ("input",),
    ),
    FRow(
        "adaptive_max_pool1d_with_indices",
        lambda F, x: F.adaptive_max_pool1d_with_indices(x, 3),
        {"input": SEQ},
        ("input",),
    ),
    FRow(
        "adaptive_max_pool2d_with_indices",
        lambda F, x: F.adaptive_max_pool2d_with_indices(x, (2, 3)),
        {"input": POOL},
        ("input",),
    ),
    FRow(
        "adaptive_max_pool3d_with_indices",
        lambda F, x: F.adaptive_max_pool3d_with_indices(x, 2),
        {"input": FRAC_VOL},
        ("input",),
    ),
]
assert len({r.name for r in FUNCTIONAL_ROWS}) == len(FUNCTIONAL_ROWS), "row names must be unique"
