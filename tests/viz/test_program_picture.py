"""draw_program: a compiled program's kernel calls as DOT, forward and backward clusters, edges
from each name's writer to its readers; rendering as draw_graph's."""

import re
import shutil

import pytest

import tinytensor as tt
from tinytensor.viz import Graph, draw_program

HAS_DOT = shutil.which("dot") is not None


def _nodes(source):
    """node id -> label, from the DOT text."""
    return dict(re.findall(r'^\s+(\w+) \[label="([^"]*)"', source, flags=re.M))


def _edges(source):
    return re.findall(r"^\s+(\w+) -> (\w+)", source, flags=re.M)


def _cluster(source, phase):
    """The node ids declared inside ``subgraph cluster_<phase>``."""
    body = re.search(r"subgraph cluster_" + phase + r" \{\n(.*?)\n  \}", source, flags=re.S)
    assert body is not None, f"no cluster_{phase}"
    return set(re.findall(r'^\s+(\w+) \[label=', body.group(1), flags=re.M))


def _f(x, w):
    return tt.tanh(x * w) + x


def _compiled():
    x = tt.tensor([0.5, -1.0], requires_grad=True)
    w = tt.tensor([2.0, 3.0], requires_grad=True)
    f = tt.compile(_f)
    f(x, w)
    return f


def _by_label(labels):
    """First line and second line of each step's label -> node id (e.g. ('Mul', 'v2'))."""
    out = {}
    for node, label in labels.items():
        parts = label.split("\\n")
        out[tuple(parts[:2])] = node
    return out


def test_nodes_clusters_and_edges_of_a_small_program():
    f = _compiled()
    prog = f.program
    src = draw_program(prog).source
    labels = _nodes(src)
    # One node per kernel call, per input and per result.
    steps = [k for k in labels if k.startswith("s")]
    assert len(steps) == prog.n_forward + prog.n_backward == len(prog.steps) == 7
    assert {k for k in labels if not k.startswith("s")} == {
        "x0", "x1", "g0", "out0", "grad0", "grad1"
    }
    fwd, bwd = _cluster(src, "forward"), _cluster(src, "backward")
    assert [labels[k].split("\\n")[0] for k in sorted(fwd)] == ["Mul", "Tanh", "Add"]
    assert sorted(labels[k].split("\\n")[0] for k in bwd) == ["Add", "Mul", "Mul", "TanhBackward"]
    assert not fwd & bwd

    # Edges follow the names: who wrote each name -> who reads it.
    writer = {"x0": "x0", "x1": "x1", "g0": "g0"}
    want = set()
    for index, (_, _, written, reads, _) in enumerate(prog.steps):
        for name in reads:
            want.add((writer[name], f"s{index}"))
        for name in written:
            writer[name] = f"s{index}"
    want.add((writer[prog.outputs[0]], "out0"))
    want |= {(writer[g], f"grad{i}") for i, g in enumerate(prog.gradients)}
    edges = _edges(src)
    assert set(edges) == want and len(edges) == len(want)

    by = _by_label(labels)
    mul, tanh, add = by[("Mul", "v2")], by[("Tanh", "v3")], by[("Add", "v4")]
    tanh_b = by[("TanhBackward", "v6")]
    assert {("x0", mul), ("x1", mul), (mul, tanh), (tanh, add), ("x0", add)} <= set(edges)
    # The residual: Tanh's output, saved by the forward, read by the backward.
    assert (tanh, tanh_b) in edges and ("g0", tanh_b) in edges
    assert f'{tanh} -> {tanh_b} [label="v3"]' in src
    assert (add, "out0") in edges
    # The gradients are labelled with the input they belong to.
    assert labels["grad0"] == "grad of x0\\n" + prog.gradients[0]
    assert labels["grad1"] == "grad of x1\\n" + prog.gradients[1]
    assert "float32[2]" in labels[tanh]


def test_a_compiled_function_or_module_draws_its_last_program():
    f = _compiled()
    assert draw_program(f).source == draw_program(f.program).source
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Tanh())
    m = tt.compile(model)
    m(tt.ones(2, 3, requires_grad=True))
    src = draw_program(m).source
    assert "Tanh\\n" in src and "TanhBackward" in src


def test_a_forward_only_program_has_no_backward_cluster():
    f = tt.compile(lambda x: tt.exp(x) * 2.0)
    with tt.no_grad():
        f(tt.ones(3))
    src = draw_program(f).source
    assert "cluster_forward" in src and "cluster_backward" not in src
    assert "g0" not in _nodes(src) and "grad0" not in _nodes(src)
    assert len([k for k in _nodes(src) if k.startswith("s")]) == 2


def test_a_name_read_twice_is_one_edge():
    f = tt.compile(lambda x: x * x)
    f(tt.tensor([1.0, 2.0]))
    src = draw_program(f).source
    assert _edges(src).count(("x0", "s0")) == 1


def test_folded_constants_are_drawn_as_notes():
    f = tt.compile(lambda x: x + tt.ones(3))  # ones(3) is computed while tracing: folded
    f(tt.ones(3))
    prog = f.program
    assert prog.folded == 1
    (_, prim, _, reads, _), = prog.steps
    const = [n for n in reads if n not in prog.inputs]
    assert prim == "Add" and len(const) == 1
    src = draw_program(prog).source
    labels = _nodes(src)
    assert labels[f"const_{const[0]}"] == const[0] + "\\nconstant"
    assert set(_edges(src)) == {("x0", "s0"), (f"const_{const[0]}", "s0"), ("s0", "out0")}


def test_a_value_guard_is_a_box_with_edges_in_only():
    x = tt.tensor([1.0, 2.0], requires_grad=True)

    def branchy(t):
        s = (t * t).sum()
        if s > 1.0:  # a value guard in the program (the branch taken is checked on replay)
            return s * 2.0
        return s

    f = tt.compile(branchy)
    f(x)
    prog = f.program
    src = draw_program(prog).source
    labels = _nodes(src)
    guards = [k for k, v in labels.items() if v.split("\\n")[0] == "ExpectBool"]
    assert len(guards) == 1, labels
    (guard,) = guards
    assert labels[guard] == "ExpectBool"  # writes nothing: no name, no shape
    gt = next(k for k, v in labels.items() if v.startswith("Gt\\n"))
    assert (gt, guard) in _edges(src)
    assert not [e for e in _edges(src) if e[0] == guard]
    assert guard in _cluster(src, "forward")


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Program"):
        draw_program([1, 2])
    with pytest.raises(ValueError, match="call it first"):
        draw_program(tt.compile(_f))
    with pytest.raises(ValueError, match="rankdir"):
        draw_program(_compiled(), rankdir="XY")
    assert isinstance(draw_program(_compiled(), rankdir="LR"), Graph)
    assert "rankdir=LR" in draw_program(_compiled(), rankdir="LR").source


def test_render_without_dot_says_install_graphviz(tmp_path, monkeypatch):
    g = draw_program(_compiled())
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Install Graphviz"):
        g.render(tmp_path / "p.svg")
    assert not (tmp_path / "p.svg").exists()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot not installed")
def test_render(tmp_path):
    path = draw_program(_compiled()).render(tmp_path / "program.png")
    assert open(path, "rb").read(4) == b"\x89PNG"
