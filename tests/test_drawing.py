"""Function-graph drawings: inputs at the bottom, one box per module, every edge drawn."""

from __future__ import annotations

import pytest

from neural_sculpting.figures.drawing import draw_function_graph, function_graph_agraph
from neural_sculpting.tasks.function_graph import load_graph

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_reused_drawing_has_a_box_per_module_and_all_edges():
    graph = load_graph("reused")
    agraph = function_graph_agraph(graph)
    boxes = {sub.graph_attr["label"]: set(sub.nodes()) for sub in agraph.subgraphs()
             if sub.name.startswith("cluster_")}  # fmt: skip
    assert boxes == {"g": {"a1", "a2", "a3"}, "f0": {"f0"}, "f1": {"f1"}}
    ranks = {sub.name: sub.graph_attr.get("rank") for sub in agraph.subgraphs()}
    assert ranks["inputs"] == "min" and agraph.graph_attr["rankdir"] == "BT"
    # 3 ANDs x 4 + 2 ORs x 2 = 16 gate-input edges, and 16 output edges.
    assert agraph.number_of_edges() == 16 + 16
    negations = [e for e in agraph.edges() if e.attr["arrowhead"] == "tee"]
    assert len(negations) == 6  # a1: ~x2,~x3; a2: ~x1,~x3; a3: ~x0,~x1


def test_collapsed_drawing_merges_boxes():
    agraph = function_graph_agraph(load_graph("reused"), hidden_layers=1)
    labels = [s.graph_attr["label"] for s in agraph.subgraphs() if s.name.startswith("cluster_")]
    assert labels == ["g+f0+f1"]


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_draw_writes_the_file(tmp_path, suffix):
    path = tmp_path / f"hierarchy.{suffix}"
    draw_function_graph(load_graph("hierarchy_use8"), path)
    data = path.read_bytes()
    if suffix == "png":
        assert data.startswith(PNG_MAGIC)
    else:
        assert b"<svg" in data and b"hierarchy_use8" in data
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        draw_function_graph(load_graph("reused"), tmp_path / "x.gif")
