"""Target lists the top-level rules share: the graphs' files, the experiments' tables, the
drawings, and a trial's folder from its selection file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from neural_sculpting.foundations import paths
from neural_sculpting.study.trial import Experiment


def graph_targets(experiments: Iterable[Experiment]) -> list[str]:
    graphs = sorted({g for e in experiments for g in e.graphs})
    return (
        [str(paths.truth_table_csv(g)) for g in graphs]
        + [str(paths.structure_json(g)) for g in graphs]
        + [str(paths.function_graph_drawing(g, "png")) for g in graphs]
        + [str(paths.function_graph_drawing(g, "svg")) for g in graphs]
    )


def experiment_targets(experiments: Iterable[Experiment]) -> list[str]:
    targets = []
    for experiment in experiments:
        targets.append(str(paths.trials_csv(experiment.name)))
        if any(t.scored for t in experiment.trials):
            targets.append(str(paths.experiment_figure(experiment.name, "png")))
    return targets


def drawing_targets(experiments: Iterable[Experiment]) -> list[str]:
    """One drawing per (graph, depth) cell of the experiments' analysed trials."""
    targets = []
    for experiment in experiments:
        cells = {(t.graph, t.depth) for t in experiment.trials if t.detects}
        targets += [str(paths.drawing_cell(experiment.name, g, d)) for g, d in sorted(cells)]
    return targets


def trial_dir_of(selected_json: str) -> str:
    """The trial folder of a selected.json (structural figures read folders)."""
    return str(Path(selected_json).parent)
