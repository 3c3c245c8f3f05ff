"""A trial's selected network drawn with its detected modules, coloured like the sub-functions
of the task whose signatures they have (`sculpt draw`, the paper's drawings, the Python API)."""

from __future__ import annotations

import json
from pathlib import Path

from neural_sculpting.analysis.module_detection import ModuleDetection
from neural_sculpting.analysis.scoring import module_signatures
from neural_sculpting.analysis.trial import AnalysisError, load_selected
from neural_sculpting.figures.drawing import PALETTE, draw_network
from neural_sculpting.foundations import paths
from neural_sculpting.tasks.catalog import Task, expected_structure
from neural_sculpting.tasks.dataset_task import DatasetTask
from neural_sculpting.tasks.function_graph import FunctionGraph
from neural_sculpting.tasks.mnist_task import MnistTask


def module_colours(masks, labels, graph: Task, depth: int) -> dict:
    """Colour each detected module like the expected sub-function whose signature it has, so a
    drawing and its function graph correspond; other modules are grey."""
    if isinstance(graph, DatasetTask) and not graph.scored:
        # Nothing to match: each module its own colour, in order of its first unit.
        order = list(dict.fromkeys(lab for layer in labels[1:] for lab in layer if lab is not None))
        return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(order)}
    expected = expected_structure(graph, depth)
    order = list(expected.subfunctions)
    by_signature = {sig: PALETTE[order.index(name) % len(PALETTE)]
                    for name, sig in expected.signatures.items()}  # fmt: skip
    return {
        label: by_signature.get(sig, "#bbbbbb")
        for label, sig in module_signatures(masks, labels, expected.input_groups).items()
    }


def draw_trial(
    trial_dir: Path,
    analysis_dir: Path,
    graph: Task,
    output: Path,
    with_graph: bool,
    note: str = "",
) -> None:
    """Draw the selected network with its detected modules (from modules.json)."""
    masks, _, record = load_selected(trial_dir)
    modules_path = paths.modules_file(analysis_dir)
    if not modules_path.is_file():
        raise AnalysisError(f"{modules_path}: missing; run `sculpt detect` first")
    stored = json.loads(modules_path.read_text())["detection"]
    if stored is None:
        raise AnalysisError(f"{trial_dir}: the trial is untrainable; there is nothing to draw")
    labels = ModuleDetection.from_json(stored).module_labels
    depth = len(masks) - 1
    chosen = record.chosen or {}
    density = sum(int(m.sum()) for m in masks) / sum(m.size for m in masks)
    title = (
        f"{graph.name}: arch {record.arch}, density {100 * density:.2f}%, "
        f"Pu = {chosen.get('pu', '-')}, Pe = {chosen.get('pe', '-')}, seed {record.seed}"
    )
    if note:
        title += f"\n{note}"
    draw_network(
        masks,
        labels,
        output,
        title,
        graph=graph if with_graph and isinstance(graph, FunctionGraph) else None,
        depth=depth,
        colours=module_colours(masks, labels, graph, depth),
        input_groups=drawn_groups(graph),
        input_unit=input_unit(graph),
    )


def drawn_groups(graph: Task):
    """The input groups a drawing gathers into one node per module (MNIST's digits, a described
    dataset's groups); None draws every input unit."""
    if isinstance(graph, MnistTask) or (isinstance(graph, DatasetTask) and graph.described):
        return graph.input_groups
    return None


def input_unit(graph: Task) -> str:
    """What a drawing counts in an input group's node: pixels of images, else inputs."""
    if isinstance(graph, MnistTask) or getattr(graph, "image", None) is not None:
        return "px"
    return "inputs"
