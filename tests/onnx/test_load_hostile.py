"""tt.onnx.load refuses a broken or hostile graph at load, naming the tensor and the node: a
cycle, a tensor nothing produces, a tensor produced twice, an output nothing produces. A graph
whose nodes are merely out of order loads and runs in dependency order."""

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.onnx  # noqa: F401  (tt.onnx)

onnx = pytest.importorskip("onnx")
h = onnx.helper


def _model(nodes, outputs=("y",), initializers=()):
    graph = h.make_graph(
        nodes,
        "g",
        [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2])],
        [h.make_tensor_value_info(o, onnx.TensorProto.FLOAT, [2]) for o in outputs],
        initializer=list(initializers),
    )
    return h.make_model(graph).SerializeToString()


def test_a_cycle_is_refused_naming_its_nodes_and_tensors():
    blob = _model(
        [
            h.make_node("Add", ["x", "b"], ["a"], name="first"),
            h.make_node("Relu", ["a"], ["b"]),
            h.make_node("Neg", ["a"], ["y"]),
        ]
    )
    with pytest.raises(ValueError) as info:
        tt.onnx.load(blob)
    msg = str(info.value)
    assert "the graph has a cycle" in msg
    assert "node 0 (Add 'first') reads 'b' from node 1 (Relu)" in msg
    assert "node 1 (Relu) reads 'a' from node 0 (Add 'first')" in msg
    assert "KeyError" not in msg


def test_a_self_loop_is_a_cycle():
    blob = _model([h.make_node("Add", ["x", "y"], ["y"])])
    with pytest.raises(ValueError, match=r"cycle: node 0 \(Add\) reads 'y' from node 0 \(Add\)"):
        tt.onnx.load(blob)


def test_a_tensor_nothing_produces_is_named():
    blob = _model([h.make_node("Relu", ["x"], ["a"]), h.make_node("Add", ["a", "b"], ["y"])])
    with pytest.raises(ValueError) as info:
        tt.onnx.load(blob)
    assert str(info.value) == (
        "tinytensor.onnx.load: node 1 (Add) reads tensor 'b', which no node, graph input or "
        "initializer produces"
    )


def test_a_tensor_produced_twice_and_a_missing_output_are_named():
    twice = _model([h.make_node("Relu", ["x"], ["y"]), h.make_node("Neg", ["x"], ["y"])])
    with pytest.raises(ValueError, match=r"'y' is produced twice, by node 0 \(Relu\) and by "):
        tt.onnx.load(twice)
    init = onnx.numpy_helper.from_array(np.ones(2, np.float32), "w")
    overwrite = _model([h.make_node("Relu", ["x"], ["w"])], outputs=("w",), initializers=[init])
    with pytest.raises(ValueError, match="'w' is produced twice, by an input or initializer"):
        tt.onnx.load(overwrite)
    with pytest.raises(ValueError, match="graph output 'y' is produced by no node"):
        tt.onnx.load(_model([h.make_node("Relu", ["x"], ["a"])]))


def test_nodes_out_of_order_run_in_dependency_order():
    init = onnx.numpy_helper.from_array(np.array([10.0, 20.0], np.float32), "w")
    blob = _model(
        [
            h.make_node("Add", ["a", "w"], ["y"]),
            h.make_node("Neg", ["r"], ["a"]),
            h.make_node("Relu", ["x"], ["r"]),
        ],
        initializers=[init],
    )
    loaded = tt.onnx.load(blob)
    assert [op for op, *_ in loaded.nodes] == ["Relu", "Neg", "Add"]
    got = loaded(tt.tensor([-1.0, 2.0])).detach().numpy()
    np.testing.assert_allclose(got, [10.0, 18.0])


def test_a_sorted_file_keeps_its_order():
    nodes = [
        h.make_node("Relu", ["x"], ["a"]),
        h.make_node("Neg", ["a"], ["b"]),
        h.make_node("Sigmoid", ["x"], ["c"]),
        h.make_node("Add", ["b", "c"], ["y"]),
    ]
    loaded = tt.onnx.load(_model(nodes))
    assert [op for op, *_ in loaded.nodes] == ["Relu", "Neg", "Sigmoid", "Add"]
