"""draw_graph: DOT text naming ops, shapes and grad-requiring leaves; rendering with dot."""

import re
import shutil

import pytest

import tinytensor as tt
from tinytensor.viz import draw_graph

HAS_DOT = shutil.which("dot") is not None


def _nodes(source):
    """node id -> label, from the DOT text."""
    return dict(re.findall(r'^\s+(\w+) \[label="([^"]*)"', source, flags=re.M))


def _edges(source):
    return re.findall(r"^\s+(\w+) -> (\w+)", source, flags=re.M)


def test_ops_shapes_and_leaves():
    x = tt.randn(4, 2, requires_grad=True)
    w = tt.randn(2, 3, requires_grad=True)
    const = tt.ones(3)  # does not require grad: not part of the graph
    xw = x @ w
    mm = xw.grad_fn.name()  # MmBackward in PyTorch's naming
    y = (xw.tanh() * const).sum()
    g = draw_graph(y, params={"x": x, "w": w})
    labels = _nodes(g.source)
    ops = sorted(v.split("\\n")[0] for v in labels.values() if "Backward" in v)
    assert ops == sorted([mm, "MulBackward", "SumBackward", "TanhBackward"])
    assert any(v.startswith("x\\n(4, 2) float32\\nrequires_grad") for v in labels.values())
    assert any(v.startswith("w\\n(2, 3) float32") for v in labels.values())
    assert any(v.startswith(mm + "\\n(4, 3)") for v in labels.values())
    assert labels["out"] == "output\\n() float32"
    assert len(labels) == 7  # 4 ops, 2 leaves, the output; no node for the constant
    by_label = {v.split("\\n")[0]: k for k, v in labels.items()}
    edges = set(_edges(g.source))
    assert (by_label["x"], by_label[mm]) in edges
    assert (by_label[mm], by_label["TanhBackward"]) in edges
    assert (by_label["SumBackward"], "out") in edges
    assert "#a8d8ea" in g.source  # leaves that require grad are highlighted


def test_reused_input_gets_two_edges_and_one_node():
    x = tt.tensor(3.0, requires_grad=True)
    g = draw_graph(x * x)
    assert len(_nodes(g.source)) == 3
    assert len(_edges(g.source)) == 3  # x -> mul twice, mul -> out


def test_unnamed_leaves_and_leaf_root():
    x = tt.ones(2, requires_grad=True)
    assert "leaf\\n(2,) float32" in draw_graph(x + 1).source
    assert len(_edges(draw_graph(x).source)) == 1
    assert _edges(draw_graph(tt.ones(2)).source) == []


def test_multi_output_op_edges_are_labelled():
    a, b = tt.split(tt.randn(4, requires_grad=True), 2)
    src = draw_graph(a * 2 + b).source
    assert "AddBackward" in src and "MulBackward" in src


def test_deep_graph_does_not_recurse():
    x = tt.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    assert draw_graph(y).source.count("MulBackward") == 5000


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph([1, 2])
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(tt.ones(1), rankdir="XY")
    with pytest.raises(ValueError, match="format"):
        draw_graph(tt.ones(1)).pipe("jpg2")


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot not installed")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_render(tmp_path, fmt, magic):
    x = tt.randn(3, requires_grad=True)
    g = draw_graph((x.exp() + x).mean())
    path = g.render(tmp_path / f"graph.{fmt}")
    assert open(path, "rb").read(5).startswith(magic[:4])
    assert "<svg" in g._repr_svg_()


def test_render_without_dot_says_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = draw_graph(tt.ones(1, requires_grad=True) * 2)
    with pytest.raises(RuntimeError, match="install Graphviz|Install Graphviz"):
        g.render(tmp_path / "g.svg")
    assert g._repr_svg_() is None
    assert not (tmp_path / "g.svg").exists()


def test_values_and_gradients_label_every_named_node():
    a = tt.tensor(-4.0, requires_grad=True)
    b = tt.tensor(2.0, requires_grad=True)
    c = a * b
    d = c + b**3
    g = draw_graph(d, show_values=True, show_grads=True)  # names from this frame
    labels = list(_nodes(g.source).values())
    assert any(
        v.startswith("a\\n() float32") and "data -4." in v and "grad 2." in v for v in labels
    )
    assert any(v.startswith("b\\n") and "data 2." in v and "grad 8." in v for v in labels)
    # dd/db = a + 3 b^2 = 8; the intermediate c: value -8, dd/dc = 1
    assert any(v.startswith("MulBackward") and "= c" in v and "data -8." in v for v in labels)
    assert any(v.startswith("MulBackward") and "grad 1." in v for v in labels)
    assert a.grad is None and b.grad is None  # drawing did not touch .grad
    d.backward()  # the graph is freed: gradients now come from .grad
    after = list(_nodes(draw_graph(d, show_grads=True).source).values())
    assert any(v.startswith("a\\n") and "grad 2." in v for v in after)
    assert any("= c" in v and "grad (not computed)" in v for v in after)


def test_big_tensors_are_summarised():
    w = tt.ones(4, 5, requires_grad=True)
    src = draw_graph((w * 2).sum(), params={"w": w}, show_values=True).source
    assert "mean 1, min 1, max 1" in src


def test_jupyter_mimebundle(monkeypatch):
    g = draw_graph(tt.ones(1, requires_grad=True) * 2)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert g._repr_mimebundle_() == {"text/plain": g.source}
