"""Looking at what a network does: its autograd graph, a summary, its filters and its results.

``draw_graph``, ``draw_program`` (a compiled program) and ``summary`` need nothing (rendering
a graph uses the Graphviz ``dot`` program when present); the pictures need matplotlib
(``pip install matplotlib``). Every picture function takes the model first, then images (a
Tensor or array ``(N, C, H, W)``), and returns a matplotlib Figure that Jupyter shows inline.
"""

from tinytensor.viz.filters import (
    feature_maps,
    plot_feature_maps,
    plot_filters,
    plot_filters_and_responses,
)
from tinytensor.viz.graph import Graph, draw_graph
from tinytensor.viz.program import draw_program
from tinytensor.viz.results import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_mistakes,
    predict,
)
from tinytensor.viz.summary import Summary, summary

__all__ = [
    "draw_graph",
    "draw_program",
    "Graph",
    "summary",
    "Summary",
    "plot_filters",
    "plot_feature_maps",
    "plot_filters_and_responses",
    "feature_maps",
    "plot_confusion_matrix",
    "plot_mistakes",
    "confusion_matrix",
    "predict",
]
