"""Looking at what a network does: its autograd graph, its conv filters and their responses.

``draw_graph`` needs nothing but optionally the Graphviz ``dot`` program to render; the filter
plots need matplotlib (``pip install matplotlib``).
"""

from tinytensor.viz.filters import plot_feature_maps, plot_filters, plot_filters_and_responses
from tinytensor.viz.graph import Graph, draw_graph

__all__ = [
    "draw_graph",
    "Graph",
    "plot_filters",
    "plot_feature_maps",
    "plot_filters_and_responses",
]
