"""``SummaryWriter``: PyTorch's TensorBoard logger, writing event files with the
``tensorboard`` package's own event writer."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tinytensor.utils.tensorboard import summary as S
from tinytensor.utils.tensorboard.projector import write_embedding


class FileWriter:
    """Events and summaries into one event file in ``log_dir`` (queued, flushed every
    ``flush_secs`` seconds or when ``max_queue`` events wait)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        """The folder the event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        """Write ``event``, stamped with ``walltime`` (now by default) and ``step``."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        """Write a ``Summary`` protocol buffer as one event."""
        self.add_event(Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_def, walltime=None):
        """Write a ``GraphDef`` for TensorBoard's graph tab."""
        self.add_event(Event(graph_def=graph_def.SerializeToString()), None, walltime)

    def flush(self):
        """Write pending events to disk."""
        self.event_writer.flush()

    def close(self):
        """Flush and close the event file."""
        self.event_writer.close()


class SummaryWriter:
    """Log scalars, histograms, images, text, hyperparameters and the model's graph for
    TensorBoard, as ``torch.utils.tensorboard.SummaryWriter``::

        writer = SummaryWriter()               # runs/<date>_<host>
        writer.add_scalar("loss/train", loss.item(), step)
        writer.add_histogram("fc.weight", model.fc.weight, step)
        writer.close()                         # then: tensorboard --logdir runs

    Values may be tensors, NumPy arrays or Python numbers.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):  # fmt: skip
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = S.default_bins()
        self._projector_config = None

    def _get_file_writer(self):
        if self.all_writers is None or self.file_writer is None:
            fw = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.file_writer, self.all_writers = fw, {fw.get_logdir(): fw}
            if self.purge_step is not None:  # hide what a crashed run logged from this step on
                fw.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                fw.add_event(Event(step=self.purge_step,
                                   session_log=SessionLog(status=SessionLog.START)))  # fmt: skip
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The folder this writer logs into."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):  # fmt: skip
        """Log one number under ``tag`` (e.g. ``"loss/train"``) at step ``global_step``."""
        self._get_file_writer().add_summary(
            S.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime
        )

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several numbers on one chart: each key gets its own run folder
        (``<log_dir>/<main_tag>_<key>``) and the chart is ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        base = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            path = base + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(path)
            if fw is None:
                fw = FileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[path] = fw
            fw.add_summary(S.scalar(main_tag, value), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):  # fmt: skip
        """Log the distribution of ``values`` (e.g. a layer's weights). ``bins`` is
        ``"tensorflow"`` (TensorBoard's exponential buckets) or any of NumPy's rules."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(
            S.histogram(tag, values, bins, max_bins), global_step, walltime
        )

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Log one image: (C, H, W) by default (``dataformats`` says otherwise), float in
        [0, 1] or uint8 in [0, 255]."""
        self._get_file_writer().add_summary(
            S.image(tag, img_tensor, dataformats), global_step, walltime
        )

    def add_images(self, tag, img_tensor, global_step=None, walltime=None,
                   dataformats="NCHW"):  # fmt: skip
        """Log a batch of images (N, C, H, W by default) as one grid, 8 to a row."""
        self._get_file_writer().add_summary(
            S.image(tag, img_tensor, dataformats), global_step, walltime
        )

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """Log a matplotlib figure (or a list of them, as a grid) as an image."""
        figs = figure if isinstance(figure, list) else [figure]
        imgs = []
        for fig in figs:
            fig.canvas.draw()
            imgs.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].transpose(2, 0, 1))
            if close:
                import matplotlib.pyplot as plt

                plt.close(fig)
        if isinstance(figure, list):
            self.add_images(tag, np.stack(imgs), global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, imgs[0], global_step, walltime, dataformats="CHW")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Log a (markdown) string under ``tag``."""
        self._get_file_writer().add_summary(S.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None):  # fmt: skip
        """Log one run's hyperparameters and final metrics for the HParams tab, in a
        sub-folder ``run_name`` (the time by default)."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict should be dictionaries")
        summaries = S.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as w:
            for s in summaries:
                w.file_writer.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):  # fmt: skip
        """Log a precision-recall curve of binary ``labels`` against ``predictions`` (the
        probability of the positive class), at ``num_thresholds`` thresholds (at most 127)."""
        n = min(num_thresholds, 127)
        data = S.pr_curve_data(labels, predictions, n, weights)
        self._get_file_writer().add_summary(S.pr_curve(tag, data, n), global_step, walltime)

    def add_pr_curve_raw(
        self,
        tag,
        true_positive_counts,
        false_positive_counts,
        true_negative_counts,
        false_negative_counts,
        precision,
        recall,
        global_step=None,
        num_thresholds=127,
        weights=None,
        walltime=None,
    ):
        """Log a precision-recall curve from counts computed elsewhere (one per threshold)."""
        rows = [S.make_np(v, "add_pr_curve_raw").reshape(-1) for v in (
            true_positive_counts, false_positive_counts, true_negative_counts,
            false_negative_counts, precision, recall)]  # fmt: skip
        n = min(num_thresholds, 127)
        self._get_file_writer().add_summary(
            S.pr_curve(tag, np.stack(rows), n), global_step, walltime
        )

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None,
                      tag="default", metadata_header=None):  # fmt: skip
        """Log points (``mat``: one row each) for the embedding projector, with optional labels
        (``metadata``) and images (``label_img``, (N, C, H, W) in [0, 1])."""
        self._projector_config = write_embedding(
            self._get_file_writer().get_logdir(), self._projector_config, mat, metadata,
            label_img, global_step, tag, metadata_header,
        )  # fmt: skip

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Log the graph of operations ``model(input_to_model)`` records (from the autograd
        tape: one node per op, parameters by name) for TensorBoard's graph tab."""
        if input_to_model is None:
            raise ValueError("add_graph: give an example input (input_to_model)")
        inputs = input_to_model if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
        graph_def = S.graph(model, inputs)
        if verbose:
            print(graph_def)
        self._get_file_writer().add_graph(graph_def)

    def flush(self):
        """Write every pending event to disk."""
        for fw in (self.all_writers or {}).values():
            fw.flush()

    def close(self):
        """Flush and close every event file; a later call opens new ones."""
        for fw in (self.all_writers or {}).values():
            fw.flush()
            fw.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
