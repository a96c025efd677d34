"""Which ``nn.functional`` calls and ``nn`` layers the compiler can trace, forward and backward.

    python tools/trace_check_nn.py [NAME_SUBSTRING ...]

Each case below calls one function or layer on fixed-seed inputs under
``tinytensor.compiler``'s tracer, then takes its gradient (``autograd.grad`` with
``create_graph=True``, as the compiler traces the backward program) with respect to the tensor
arguments that require one and the layer's parameters. A case is traceable when no graph break
happened; the others are printed with the first break's reason (``tools/trace_check.py`` does
the same for the op table).

Buffers a call changes in place (batch norm's running statistics in training) are checked too:
a replay only repeats kernels, so each such change must be a kernel writing into the buffer's
own storage (the kernel's result *is* that array) and declared ``mutates=True`` (so a compiler
keeps it although nothing reads its result). A change made any other way is reported as a
break: a replay would silently leave the buffer as it was.
Exit status 1 if any case broke.
"""

from __future__ import annotations

import os
import sys
import warnings

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

import tinytensor as tt  # noqa: E402
import tinytensor.nn as nn  # noqa: E402
import tinytensor.nn.functional as F  # noqa: E402
from tinytensor.autograd.primitive import set_tracer  # noqa: E402
from tinytensor.compiler.trace import Tracer  # noqa: E402
from tinytensor.core import set_watcher  # noqa: E402


def _rand(*shape, grad=True, seed=0):
    a = np.random.default_rng(seed + 17 * len(shape) + sum(shape)).standard_normal(shape)
    return tt.tensor(a.astype(np.float32), requires_grad=grad)


def _uniform(*shape, grad=True, seed=0):
    a = np.random.default_rng(seed + 3).uniform(0.05, 0.95, shape)
    return tt.tensor(a.astype(np.float32), requires_grad=grad)


def _labels(n, c, seed=0):
    return tt.tensor(np.random.default_rng(seed + 5).integers(0, c, n).astype(np.int64))


def _module(factory):
    tt.manual_seed(0)
    return factory()


# name -> () -> (fn, args, module or None, buffers to watch)
CASES = {}


def case(name):
    def deco(build):
        CASES[name] = build
        return build

    return deco


def _fn(name, fn, args):
    CASES[name] = lambda: (fn, args(), None, ())


# --- functional -------------------------------------------------------------------------------

_fn("linear", F.linear, lambda: (_rand(4, 3), _rand(5, 3), _rand(5)))
_fn("linear 3-D no bias", F.linear, lambda: (_rand(2, 4, 3), _rand(5, 3)))
_fn("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
    lambda: (_rand(2, 4, 9), _rand(6, 4, 3), _rand(6)))
_fn("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1),
    lambda: (_rand(2, 3, 6, 6), _rand(4, 3, 3, 3), _rand(4)))
_fn("conv2d stride groups", lambda x, w: F.conv2d(x, w, None, stride=2, padding=1, groups=2),
    lambda: (_rand(2, 4, 7, 7), _rand(6, 2, 3, 3)))
_fn("max_pool2d", lambda x: F.max_pool2d(x, 2), lambda: (_rand(2, 3, 6, 6),))
_fn("max_pool2d stride pad", lambda x: F.max_pool2d(x, 3, 2, 1), lambda: (_rand(2, 3, 7, 7),))
_fn("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda: (_rand(2, 3, 6, 6),))
_fn("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    lambda: (_rand(2, 3, 5, 7),))
_fn("adaptive_avg_pool2d 1", lambda x: F.adaptive_avg_pool2d(x, 1), lambda: (_rand(2, 3, 5, 7),))
_fn("relu", F.relu, lambda: (_rand(3, 4),))
_fn("gelu", F.gelu, lambda: (_rand(3, 4),))
_fn("gelu tanh", lambda x: F.gelu(x, approximate="tanh"), lambda: (_rand(3, 4),))
_fn("silu", F.silu, lambda: (_rand(3, 4),))
_fn("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda: (_rand(3, 4),))
_fn("elu", F.elu, lambda: (_rand(3, 4),))
_fn("softmax", lambda x: F.softmax(x, -1), lambda: (_rand(3, 4),))
_fn("log_softmax", lambda x: F.log_softmax(x, 1), lambda: (_rand(3, 4),))
_fn("cross_entropy", F.cross_entropy, lambda: (_rand(8, 5), _labels(8, 5)))
_fn("cross_entropy sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"),
    lambda: (_rand(8, 5), _labels(8, 5)))
_fn("cross_entropy none", lambda x, t: F.cross_entropy(x, t, reduction="none"),
    lambda: (_rand(8, 5), _labels(8, 5)))
_fn("cross_entropy smoothing", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
    lambda: (_rand(8, 5), _labels(8, 5)))
_fn("nll_loss", F.nll_loss, lambda: (_rand(8, 5), _labels(8, 5)))
_fn("mse_loss", F.mse_loss, lambda: (_rand(3, 4), _rand(3, 4, grad=False, seed=1)))
_fn("binary_cross_entropy", F.binary_cross_entropy,
    lambda: (_uniform(3, 4), _uniform(3, 4, grad=False, seed=2)))
_fn("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
    lambda: (_rand(3, 4), _uniform(3, 4, grad=False, seed=2)))
_fn("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
    lambda: (_rand(2, 3, 4), _rand(4), _rand(4)))
_fn("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b),
    lambda: (_rand(2, 4, 3), _rand(4), _rand(4)))
_fn("embedding", F.embedding,
    lambda: (tt.tensor(np.array([[0, 2], [4, 2]], np.int64)), _rand(5, 3)))
_fn("scaled_dot_product_attention", F.scaled_dot_product_attention,
    lambda: (_rand(2, 2, 4, 8), _rand(2, 2, 5, 8, seed=1), _rand(2, 2, 5, 8, seed=2)))
_fn("scaled_dot_product_attention causal",
    lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
    lambda: (_rand(2, 4, 8), _rand(2, 4, 8, seed=1), _rand(2, 4, 8, seed=2)))


# --- the rest of nn.functional -----------------------------------------------------------------

_fn("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
    lambda: (_rand(2, 3, 4, 4), _rand(3, 2, 3, 3), _rand(2)))
_fn("unfold/fold", lambda x: F.fold(F.unfold(x, 2, padding=1), (5, 5), 2, padding=1),
    lambda: (_rand(2, 3, 5, 5),))
_fn("max_pool1d indices", lambda x: F.max_pool1d(x, 2, return_indices=True)[0],
    lambda: (_rand(2, 3, 8),))
_fn("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (2, 3)),
    lambda: (_rand(2, 3, 5, 7),))
_fn("max_unpool2d", lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
    lambda: (_rand(2, 3, 6, 6),))
_fn("avg_pool3d", lambda x: F.avg_pool3d(x, 2), lambda: (_rand(1, 2, 4, 4, 4),))
_fn("lp_pool2d", lambda x: F.lp_pool2d(x, 2, 2), lambda: (_uniform(2, 3, 6, 6),))
_fn("interpolate bilinear", lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    lambda: (_rand(2, 3, 4, 4),))
_fn("interpolate nearest", lambda x: F.interpolate(x, size=(6, 5)), lambda: (_rand(2, 3, 4, 4),))
_fn("grid_sample", lambda x, g: F.grid_sample(x, g, align_corners=False),
    lambda: (_rand(2, 3, 4, 4), tt.tensor(np.random.default_rng(9).uniform(
        -1, 1, (2, 3, 3, 2)).astype(np.float32), requires_grad=True)))
_fn("affine_grid", lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=False),
    lambda: (_rand(2, 2, 3),))
_fn("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), lambda: (_rand(2, 8, 3, 3),))
_fn("pad reflect", lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"), lambda: (_rand(2, 3, 4, 4),))
_fn("instance_norm", F.instance_norm, lambda: (_rand(2, 3, 5),))
_fn("rms_norm", lambda x, w: F.rms_norm(x, (4,), w), lambda: (_rand(2, 3, 4), _rand(4)))
_fn("local_response_norm", lambda x: F.local_response_norm(x, 3), lambda: (_rand(2, 4, 5),))
_fn("normalize", F.normalize, lambda: (_rand(3, 4),))
_fn("cosine_similarity", F.cosine_similarity, lambda: (_rand(3, 4), _rand(3, 4, seed=1)))
_fn("pairwise_distance", F.pairwise_distance, lambda: (_rand(3, 4), _rand(3, 4, seed=1)))
_fn("pdist", F.pdist, lambda: (_rand(4, 3),))
_fn("cosine_embedding_loss", F.cosine_embedding_loss,
    lambda: (_rand(3, 4), _rand(3, 4, seed=1), tt.tensor(np.array([1.0, -1.0, 1.0]))))
_fn("margin_ranking_loss", F.margin_ranking_loss,
    lambda: (_rand(5), _rand(5, seed=1), tt.tensor(np.array([1.0, -1, 1, -1, 1], np.float32))))
_fn("triplet_margin_loss", F.triplet_margin_loss,
    lambda: (_rand(3, 4), _rand(3, 4, seed=1), _rand(3, 4, seed=2)))
_fn("l1_loss", F.l1_loss, lambda: (_rand(3, 4), _rand(3, 4, grad=False, seed=1)))
_fn("huber_loss", F.huber_loss, lambda: (_rand(3, 4), _rand(3, 4, grad=False, seed=1)))
_fn("smooth_l1_loss", F.smooth_l1_loss, lambda: (_rand(3, 4), _rand(3, 4, grad=False, seed=1)))
_fn("kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean"),
    lambda: (_rand(3, 4), _uniform(3, 4, grad=False, seed=1)))
_fn("soft_margin_loss", F.soft_margin_loss,
    lambda: (_rand(3, 4), tt.tensor(np.sign(np.random.default_rng(4).standard_normal((3, 4))))))
_fn("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss,
    lambda: (_rand(3, 4), tt.tensor(np.random.default_rng(4).integers(0, 2, (3, 4)))))
_fn("multilabel_margin_loss", F.multilabel_margin_loss,
    lambda: (_rand(2, 4), tt.tensor(np.array([[3, 0, -1, 1], [1, 2, 3, -1]]))))
_fn("multi_margin_loss", F.multi_margin_loss, lambda: (_rand(4, 5), _labels(4, 5)))
_fn("hinge_embedding_loss", F.hinge_embedding_loss,
    lambda: (_rand(3, 4), tt.tensor(np.sign(np.random.default_rng(4).standard_normal((3, 4))))))
_fn("poisson_nll_loss", F.poisson_nll_loss, lambda: (_rand(3, 4), _uniform(3, 4, grad=False)))
_fn("gaussian_nll_loss", F.gaussian_nll_loss,
    lambda: (_rand(3, 4), _rand(3, 4, grad=False, seed=1), _uniform(3, 4)))
_fn("ctc_loss", lambda lp, t: F.ctc_loss(lp, t, [6, 6], [2, 3]),
    lambda: (tt.tensor(np.log(np.random.default_rng(2).dirichlet(np.ones(4), (6, 2))).astype(
        np.float32), requires_grad=True), tt.tensor(np.array([[1, 2, 0], [3, 1, 2]]))))
_fn("embedding_bag mean", lambda i, w: F.embedding_bag(i, w, mode="mean"),
    lambda: (tt.tensor(np.array([[0, 2], [4, 2]], np.int64)), _rand(5, 3)))
_fn("embedding_bag max offsets",
    lambda i, w, o: F.embedding_bag(i, w, o, mode="max"),
    lambda: (tt.tensor(np.array([0, 2, 4, 1], np.int64)), _rand(5, 3),
             tt.tensor(np.array([0, 3], np.int64))))
_fn("one_hot", lambda t: F.one_hot(t, 5), lambda: (_labels(4, 5),))
_fn("glu", F.glu, lambda: (_rand(3, 4),))
_fn("prelu", F.prelu, lambda: (_rand(2, 3, 4), _rand(3)))
_fn("softplus", F.softplus, lambda: (_rand(3, 4),))
_fn("hardswish", F.hardswish, lambda: (_rand(3, 4),))
_fn("mish", F.mish, lambda: (_rand(3, 4),))
_fn("softmin", lambda x: F.softmin(x, 1), lambda: (_rand(3, 4),))


@case("rrelu (training)")
def _rrelu():
    tt.manual_seed(0)
    return (lambda x: F.rrelu(x, training=True)), (_rand(4, 5),), None, ()


@case("gumbel_softmax hard")
def _gumbel():
    tt.manual_seed(0)
    return (lambda x: F.gumbel_softmax(x, hard=True)), (_rand(4, 5),), None, ()


@case("alpha_dropout (training)")
def _alpha():
    tt.manual_seed(0)
    return (lambda x: F.alpha_dropout(x, 0.2, training=True)), (_rand(4, 5),), None, ()


@case("dropout2d (training)")
def _dropout2d():
    tt.manual_seed(0)
    return (lambda x: F.dropout2d(x, 0.5, training=True)), (_rand(2, 3, 4, 4),), None, ()


@case("fractional_max_pool2d")
def _fractional():
    tt.manual_seed(0)
    return (lambda x: F.fractional_max_pool2d(x, 2, output_size=(3, 3))), (_rand(2, 3, 7, 7),), \
        None, ()


@case("dropout (training)")
def _dropout():
    tt.manual_seed(0)
    return (lambda x: F.dropout(x, 0.5, training=True)), (_rand(4, 5),), None, ()


def _batch_norm_case(training):
    def build():
        rm = tt.zeros(3)
        rv = tt.ones(3)
        fn = lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training)  # noqa: E731
        return fn, (_rand(4, 3, 2), _rand(3), _rand(3)), None, (("running_mean", rm),
                                                                  ("running_var", rv))
    return build


CASES["batch_norm (training)"] = _batch_norm_case(True)
CASES["batch_norm (eval)"] = _batch_norm_case(False)


# --- layers -----------------------------------------------------------------------------------


def _layer(name, factory, *shapes, training=True, call=None):
    def build():
        m = _module(factory)
        m.train(training)
        args = tuple(s() if callable(s) else _rand(*s, grad=False) for s in shapes)
        buffers = tuple((n, b) for n, b in m.named_buffers())
        return (call or m)(m) if call else m, args, m, buffers

    CASES[name] = build


_layer("nn.Linear", lambda: nn.Linear(3, 5), (4, 3))
_layer("nn.Conv2d", lambda: nn.Conv2d(2, 4, 3, padding=1), (2, 2, 6, 6))
_layer("nn.MaxPool2d", lambda: nn.MaxPool2d(2), lambda: _rand(2, 3, 6, 6))
_layer("nn.LayerNorm", lambda: nn.LayerNorm(8), (2, 3, 8))
_layer("nn.BatchNorm2d (training)", lambda: nn.BatchNorm2d(3), (4, 3, 2, 2))
_layer("nn.Embedding", lambda: nn.Embedding(6, 4),
       lambda: tt.tensor(np.array([[0, 5, 2], [1, 1, 3]], np.int64)))
_layer("nn.MultiheadAttention", lambda: nn.MultiheadAttention(8, 2, batch_first=True),
       (2, 4, 8), (2, 4, 8), (2, 4, 8))
_layer("nn.MultiheadAttention self, no weights",
       lambda: nn.MultiheadAttention(8, 2, batch_first=True), (2, 4, 8),
       call=lambda m: (lambda x: m(x, x, x, need_weights=False)[0]))
_layer("nn.TransformerEncoderLayer (dropout 0)",
       lambda: nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), (2, 5, 16))
_layer("nn.TransformerEncoderLayer (dropout 0.1)",
       lambda: nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True), (2, 5, 16))
_layer("nn.InstanceNorm1d (track_running_stats)",
       lambda: nn.InstanceNorm1d(3, track_running_stats=True), (2, 3, 5))
_layer("nn.GRU", lambda: nn.GRU(4, 5, batch_first=True), (2, 3, 4),
       call=lambda m: (lambda x: m(x)[0]))
_layer("nn.LSTM", lambda: nn.LSTM(4, 5, batch_first=True), (2, 3, 4),
       call=lambda m: (lambda x: m(x)[0]))
_layer("W3 MLP + cross_entropy",
       lambda: nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4)), (8, 12),
       lambda: _labels(8, 4),
       call=lambda m: (lambda x, y: F.cross_entropy(m(x), y)))
_layer("W4 CNN + cross_entropy",
       lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(3 * 4, 4)),
       (4, 1, 8, 8), lambda: _labels(4, 4),
       call=lambda m: (lambda x, y: F.cross_entropy(m(x), y)))
_layer("W8 TransformerEncoder + mse_loss",
       lambda: nn.TransformerEncoder(
           nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 2),
       (2, 5, 16), (2, 5, 16),
       call=lambda m: (lambda x, t: F.mse_loss(m(x), t)))


# --- the check --------------------------------------------------------------------------------


def check(fn, args, module, buffers):
    """Trace ``fn(*args)`` and its gradient; returns the tracer (breaks in ``tr.breaks``)."""
    tr = Tracer()
    for i, a in enumerate(args):
        if isinstance(a, tt.Tensor):
            tr.add_argument(a, i)
    before = [(n, b._data, b._data.copy()) for n, b in buffers]
    prev = set_tracer(tr)
    prevw = set_watcher(tr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            outs = [o for o in outs if isinstance(o, tt.Tensor)]
            for o in outs:
                _output(tr, o)
            _check_buffers(tr, buffers, before)
            diff = [o for o in outs if o.requires_grad]
            wrt = [a for a in args if isinstance(a, tt.Tensor) and a.requires_grad]
            if module is not None:
                wrt += [p for p in module.parameters() if p.requires_grad]
            if diff and wrt and not tr.breaks:
                tr.phase = "backward"
                gs = [tt.ones_like(o) for o in diff]
                for i, g in enumerate(gs):
                    g._data = np.ones(g.shape, g._data.dtype)
                    tr.add_grad_input(g, i)
                grads = tt.autograd.grad(diff, wrt, gs, create_graph=True, allow_unused=True)
                for g in grads:
                    if g is not None:
                        _output(tr, g)
        _check_externals(tr, module, buffers)
    finally:
        set_tracer(prev)
        set_watcher(prevw)
    return tr


def _output(tr, t):
    """``tr.output_slot(t)``, naming the op that made ``t`` if no kernel did."""
    if not tr.breaks and tr.slot_of(t) is None and id(t) not in tr.arg_slots:
        fn = t.grad_fn
        tr.graph_break(f"an output made by {fn.name() if fn else 'an untraced op'} "
                       "came from no kernel")
        return None
    return tr.output_slot(t)


def _check_externals(tr, module, buffers):
    """The tracer reads a tensor it has not seen as an *external* (a parameter or buffer, read
    live on replay); here the only real ones are the layer's parameters and buffers, so any
    other is an intermediate an unconverted op made (a replay would read a stale value)."""
    if tr.breaks:
        return
    known = {id(b) for _, b in buffers}
    if module is not None:
        known |= {id(p) for p in module.parameters()} | {id(b) for b in module.buffers()}
    for t, _ in tr.externals.values():
        if id(t) not in known:
            fn = t.grad_fn
            tr.graph_break(f"a kernel read a tensor made outside any kernel "
                           f"({fn.name() if fn else 'no grad_fn'}, shape {tuple(t.shape)})")
            return


def _check_buffers(tr, buffers, before):
    """A buffer whose values changed must have been written by a kernel into its own storage."""
    for (name, buf), (_, arr, old) in zip(buffers, before):
        if buf._data is arr and np.array_equal(arr, old, equal_nan=True):
            continue
        writers = [st.prim for st in tr.steps if any(tr.arrays[s] is buf._data for s in st.outs)]
        if not writers:
            tr.graph_break(f"buffer {name} was changed outside a kernel (a replay would not "
                           "update it)")
        elif not all(getattr(p, "mutates", False) for p in writers):
            tr.graph_break(f"buffer {name} was written by a kernel not marked mutates=True "
                           f"({', '.join(p.name for p in writers)}: a compiler may remove it)")
        else:
            tr.buffer_writes = getattr(tr, "buffer_writes", []) + [name]


def main(argv):
    picked = [n for n in CASES if not argv or any(s in n for s in argv)]
    bad = 0
    for name in picked:
        try:
            tr = check(*CASES[name]())
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{name:40s} ERROR {type(e).__name__}: {e}")
            bad += 1
            continue
        if tr.breaks:
            bad += 1
            print(f"{name:40s} BREAK [{tr.phase}] {tr.breaks[0].reason}")
        elif getattr(tr, "buffer_writes", None):
            print(f"{name:40s} ok (buffers written in place by a kernel: "
                  f"{', '.join(tr.buffer_writes)})")
    print(f"{len(picked) - bad}/{len(picked)} cases traceable")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
