"""The files of TensorBoard's embedding projector: ``tensors.tsv`` (one row per point),
``metadata.tsv`` (labels), ``sprite.png`` (the label images in one square grid) and
``projector_config.pbtxt`` (where each embedding's files are)."""

from __future__ import annotations

import math
import os

import numpy as np
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from tinytensor.utils.tensorboard.summary import _png, make_grid, make_np


def encode_tag(tag):
    """A tag as one folder name: %, / and backslash escaped (as PyTorch)."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def write_embedding(logdir, config, mat, metadata, label_img, global_step, tag,
                    metadata_header):  # fmt: skip
    """Write one embedding's files under ``<logdir>/<step>/<tag>`` and add it to ``config``
    (a ``ProjectorConfig``), then rewrite ``projector_config.pbtxt``."""
    mat = make_np(mat, "add_embedding")
    if mat.ndim != 2:
        raise ValueError(
            f"add_embedding: mat must be 2-D (one row per point), got shape {mat.shape}"
        )
    step = 0 if global_step is None else global_step
    subdir = f"{str(step).zfill(5)}/{encode_tag(tag)}"
    path = os.path.join(logdir, subdir)
    if os.path.isfile(path):
        raise NotADirectoryError(f"add_embedding: {path!r} exists and is a file")
    os.makedirs(path, exist_ok=True)
    info = EmbeddingInfo(tensor_name=f"{tag}:{str(step).zfill(5)}",
                         tensor_path=f"{subdir}/tensors.tsv")  # fmt: skip
    if metadata is not None:
        if len(metadata) != mat.shape[0]:
            raise ValueError(f"add_embedding: {len(metadata)} labels for {mat.shape[0]} points")
        if metadata_header:
            if len(metadata_header) != len(metadata[0]):
                raise ValueError("add_embedding: metadata_header and the metadata rows differ")
            rows = ["\t".join(str(e) for e in r) for r in [metadata_header, *metadata]]
        else:
            rows = [str(x) for x in metadata]
        with open(os.path.join(path, "metadata.tsv"), "wb") as f:
            f.write(("\n".join(rows) + "\n").encode("utf-8"))
        info.metadata_path = f"{subdir}/metadata.tsv"
    if label_img is not None:
        imgs = make_np(label_img, "add_embedding")
        if imgs.ndim != 4 or imgs.shape[0] != mat.shape[0]:
            raise ValueError(
                f"add_embedding: label_img must be (N, C, H, W) with N={mat.shape[0]}, got "
                f"shape {imgs.shape}"
            )
        grid = make_grid(imgs, ncols=math.ceil(imgs.shape[0] ** 0.5)).transpose(1, 2, 0)
        square = np.zeros((grid.shape[1], grid.shape[1], 3))
        square[: grid.shape[0]] = grid
        with open(os.path.join(path, "sprite.png"), "wb") as f:
            f.write(_png(np.uint8((square * 255).clip(0, 255))))
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend([imgs.shape[3], imgs.shape[2]])
    with open(os.path.join(path, "tensors.tsv"), "wb") as f:
        for row in mat:
            f.write(("\t".join(str(v.item()) for v in row) + "\n").encode("utf-8"))
    config = config if config is not None else ProjectorConfig()
    config.embeddings.extend([info])
    with open(os.path.join(logdir, "projector_config.pbtxt"), "wb") as f:
        f.write(text_format.MessageToString(config).encode("utf-8"))
    return config
