"""ONNX export and import: ``tinytensor.onnx.export`` writes a model traced from the tape,
``tinytensor.onnx.load`` runs an ONNX model as a tinytensor ``nn.Module``.

Needs the optional ``onnx`` package (from a clone of the repository: ``pip install -e ".[onnx]"``);
``onnxruntime`` is only needed to run the exported file elsewhere. See ``export.py`` for how the
trace is taken.
"""

from tinytensor.onnx.export import DEFAULT_OPSET, TracerWarning, export
from tinytensor.onnx.graph import ExportError
from tinytensor.onnx.load import ONNXModule, load

__all__ = ["DEFAULT_OPSET", "ExportError", "ONNXModule", "TracerWarning", "export", "load"]
