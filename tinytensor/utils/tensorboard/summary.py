"""The protocol buffers a ``SummaryWriter`` writes: scalars, histograms, images, text,
hyperparameters and the autograd graph, built with the ``tensorboard`` package's own protos so
TensorBoard (and its event readers) read them as they read PyTorch's."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from tinytensor.autograd.grad_mode import enable_grad
from tinytensor.tensor import Tensor


def make_np(x, who="SummaryWriter"):
    """A tensor, array or Python number as a NumPy array (a number becomes shape (1,))."""
    if isinstance(x, Tensor):
        return x.detach().numpy()
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise TypeError(f"{who}: expected a tensor, array or number, got {type(x).__name__}")


def scalar(tag, value, new_style=False, double_precision=False):
    """One scalar: a plain ``simple_value``, or (new_style) a tensor for the scalars plugin."""
    arr = make_np(value, "add_scalar").squeeze()
    if arr.ndim != 0:
        raise ValueError(f"add_scalar: {tag!r} needs one value, got {arr.size} (shape {arr.shape})")
    v = float(arr)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=v)])
    tp = (TensorProto(double_val=[v], dtype="DT_DOUBLE") if double_precision
          else TensorProto(float_val=[v], dtype="DT_FLOAT"))  # fmt: skip
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tp, metadata=meta)])


def default_bins():
    """TensorFlow's histogram buckets: +-1e-12 growing by 10% to 1e20, and 0."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-b for b in reversed(pos)] + [0.0] + pos


def histogram(tag, values, bins, max_bins=None):
    """A histogram of every value (NumPy's binning rule ``bins``), with empty buckets at the
    ends trimmed but for one on each side, as TensorBoard draws them."""
    arr = make_np(values, "add_histogram").astype(np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"add_histogram: {tag!r} has no values")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"add_histogram: {tag!r} holds NaN or infinite values")
    counts, limits = np.histogram(arr, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        step = len(counts) // max_bins
        extra = (-len(counts)) % step
        counts = np.pad(counts, (0, extra)).reshape(-1, step).sum(1)
        limits = np.append(limits[:-1:step], limits[-1])
    nonzero = np.flatnonzero(counts)
    lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
    # keep one empty bucket before the first full one (its upper limit starts the plot)
    kept = counts[lo - 1 : hi] if lo > 0 else np.concatenate([[0], counts[:hi]])
    hist = HistogramProto(
        min=float(arr.min()), max=float(arr.max()), num=int(arr.size), sum=float(arr.sum()),
        sum_squares=float(arr.dot(arr)), bucket_limit=limits[lo : hi + 1].tolist(),
        bucket=kept.tolist(),
    )  # fmt: skip
    return Summary(value=[Summary.Value(tag=tag, histo=hist)])


def _png(hwc):
    """PNG bytes of an (H, W, C) uint8 image, C in 1, 3, 4 (zlib, no imaging library)."""
    h, w, c = hwc.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + hwc[y].tobytes() for y in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))  # fmt: skip


def make_grid(nchw, ncols=8):
    """Images (N, C, H, W) side by side, ``ncols`` to a row, on a black canvas."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw] * 3, 1)
    n, c, h, w = nchw.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((c, h * nrows, w * ncols), nchw.dtype)
    for i in range(n):
        r, q = divmod(i, ncols)
        canvas[:, r * h : (r + 1) * h, q * w : (q + 1) * w] = nchw[i]
    return canvas


def to_hwc(arr, dataformats):
    """An image array in ``dataformats`` (NCHW, NHWC, CHW, HWC, HW, ...) as (H, W, C)."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or arr.ndim != len(fmt):
        raise ValueError(
            f"add_image: dataformats {dataformats!r} does not fit an image of shape {arr.shape}"
        )
    if len(fmt) == 4:
        return make_grid(arr.transpose([fmt.index(ch) for ch in "NCHW"])).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = arr.transpose([fmt.index(ch) for ch in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    if len(fmt) == 2:
        return np.stack([arr.transpose([fmt.index(ch) for ch in "HW"])] * 3, 2)
    raise ValueError(f"add_image: unsupported dataformats {dataformats!r}")


def image(tag, img, dataformats="CHW"):
    """A PNG image: float values are taken in [0, 1] and uint8 in [0, 255] (then clipped)."""
    arr = make_np(img, "add_image")
    hwc = to_hwc(arr, dataformats)
    scale = 1 if hwc.dtype == np.uint8 else 255
    hwc = np.ascontiguousarray((hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8))
    h, w, c = hwc.shape
    if c not in (1, 3, 4):
        raise ValueError(f"add_image: {tag!r} has {c} channels; 1, 3 or 4 are supported")
    pic = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=_png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=pic)])


def text(tag, string):
    """Markdown text for the text plugin (under ``tag/text_summary``, as PyTorch)."""
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))  # fmt: skip
    tp = TensorProto(
        dtype="DT_STRING", string_val=[str(string).encode("utf-8")],
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
    )  # fmt: skip
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tp)])


def pr_curve_data(labels, predictions, num_thresholds, weights=None):
    """(6, num_thresholds) rows tp, fp, tn, fn, precision, recall: predictions in [0, 1]
    bucketed at thresholds i/(num_thresholds-1), counts reverse-cumulated (TensorBoard's)."""
    labels = make_np(labels, "add_pr_curve").astype(np.float64).reshape(-1)
    preds = make_np(predictions, "add_pr_curve").astype(np.float64).reshape(-1)
    if labels.shape != preds.shape:
        raise ValueError(
            f"add_pr_curve: labels ({labels.size}) and predictions ({preds.size}) must have "
            "one value each per example"
        )
    if preds.size and (preds.min() < 0 or preds.max() > 1):
        raise ValueError("add_pr_curve: predictions must be probabilities in [0, 1]")
    w = 1.0 if weights is None else make_np(weights, "add_pr_curve").reshape(-1)
    idx = np.floor(preds * (num_thresholds - 1)).astype(np.int32)
    span = (0, num_thresholds - 1)
    tp_b, _ = np.histogram(idx, bins=num_thresholds, range=span, weights=labels * w)
    fp_b, _ = np.histogram(idx, bins=num_thresholds, range=span, weights=(1.0 - labels) * w)
    tp = np.cumsum(tp_b[::-1])[::-1]
    fp = np.cumsum(fp_b[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve(tag, data, num_thresholds):
    """A precision-recall curve for the pr_curves plugin from ``pr_curve_data``'s rows."""
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="pr_curves",
        content=PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString(),
    ))  # fmt: skip
    data = np.asarray(data, np.float64)
    tp = TensorProto(
        dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=n) for n in data.shape]),
    )  # fmt: skip
    return Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=tp)])


def _hp_summary(tag, **content):
    data = plugin_data_pb2.HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **content)
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name=metadata.PLUGIN_NAME, content=data.SerializeToString()))  # fmt: skip
    return Summary(value=[Summary.Value(tag=tag, metadata=meta)])


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The hparams plugin's three summaries: the experiment (names of the hyperparameters and
    metrics), the session start (this run's values) and the session end."""
    from google.protobuf import struct_pb2

    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("add_hparams: hparam_domain_discrete should be a dictionary")
    for k, v in domains.items():
        if (
            k not in hparam_dict
            or not isinstance(v, list)
            or not all(isinstance(d, type(hparam_dict[k])) for d in v)
        ):
            raise TypeError(
                f"add_hparams: hparam_domain_discrete[{k!r}] should be a list of values of the "
                f"type of hparam_dict[{k!r}]"
            )
    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, Tensor):
            v = float(make_np(v).reshape(-1)[0])
        if isinstance(v, (int, float)):  # a bool too, as PyTorch logs it (1.0 / 0.0)
            field, kind, dtype = "number_value", float, "DATA_TYPE_FLOAT64"
        elif isinstance(v, str):
            field, kind, dtype = "string_value", str, "DATA_TYPE_STRING"
        else:
            raise ValueError(
                f"add_hparams: {k!r} is a {type(v).__name__}; values should be one of int, "
                "float, str, bool or a one-element tensor"
            )
        setattr(start.hparams[k], field, kind(v))
        dom = None
        if k in domains:
            dom = struct_pb2.ListValue(
                values=[struct_pb2.Value(**{field: kind(d)}) for d in domains[k]]
            )
        infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DataType.Value(dtype),
                                        domain_discrete=dom))  # fmt: skip
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict]
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    return (
        _hp_summary(metadata.EXPERIMENT_TAG, experiment=experiment),
        _hp_summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
        _hp_summary(metadata.SESSION_END_INFO_TAG, session_end_info=end),
    )


def _shape_attr(shape):
    dims = [TensorShapeProto.Dim(size=int(s)) for s in shape]
    return AttrValue(list=AttrValue.ListValue(shape=[TensorShapeProto(dim=dims)]))


def graph(model, inputs):
    """A GraphDef of the operations ``model(*inputs)`` records on the autograd tape (run once in
    eval mode, as PyTorch traces it): one node per operation (named by the op, e.g.
    ``Linear``), the parameters (by their names in ``model``) and the inputs."""
    names = {id(p): n for n, p in model.named_parameters()}
    args = [x.detach().requires_grad_(True) if isinstance(x, Tensor) and x.is_floating_point()
            else x for x in inputs]  # fmt: skip
    for i, x in enumerate(args):
        if isinstance(x, Tensor):
            names.setdefault(id(x), f"input/{i}")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()  # as PyTorch traces: dropout off, batch-norm statistics left alone
    try:
        with enable_grad():
            outs = model(*args)
    finally:
        for m, mode in modes:
            m.training = mode
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    ids, order = {}, []

    def visit(obj):  # iterative post-order over grad_fn nodes and leaf tensors
        stack = [(obj, False)]
        while stack:
            o, done = stack.pop()
            if o is None or id(o) in ids:
                continue
            if done or isinstance(o, Tensor):
                if isinstance(o, Tensor):
                    name = names.get(id(o), f"tensor/{len(ids)}")
                    node = NodeDef(name=name, op="Parameter" if id(o) in names and not
                                   name.startswith("input/") else "IO Node")  # fmt: skip
                    node.attr["_output_shapes"].CopyFrom(_shape_attr(o.shape))
                else:
                    op = o.name()
                    op = op[: -len("Backward")] if op.endswith("Backward") else op
                    node = NodeDef(name=f"{op}_{len(ids)}", op=op)
                    node.input.extend(ids[id(p)] for p, _ in o.next_functions if p is not None)
                ids[id(o)] = node.name
                order.append(node)
                continue
            stack.append((o, True))
            for p, _ in reversed(o.next_functions):
                if p is not None and id(p) not in ids:
                    stack.append((p, False))

    for i, y in enumerate(outs):
        if isinstance(y, Tensor):
            visit(y.grad_fn if y.grad_fn is not None else y)
            last = ids[id(y.grad_fn if y.grad_fn is not None else y)]
            out = NodeDef(name=f"output/{i}", op="IO Node", input=[last])
            out.attr["_output_shapes"].CopyFrom(_shape_attr(y.shape))
            order.append(out)
    return GraphDef(node=order, versions=VersionDef(producer=22))
