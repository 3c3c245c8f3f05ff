"""Every figure and table of the paper that the workflow makes, in one catalogue.

The workflow's rules and targets, the `sculpt paper-figure` / `sculpt structural` commands, the
study generator (`scripts/generate_config.py`), README's target table and the tests all read
`FIGURES`; nothing else lists figures, the experiments they read or the graphs they show. This
module imports nothing heavy, so building a command line or a workflow plan stays fast.

Kinds:
- `success`: success rates from the `trials.csv` of the experiments read (`paper_figures.py`);
- `structural`: the structural tests of Sections 2-3 on the networks of the experiments read,
  trials of `graphs[0]` only (`structural_figures.py`), drawn as `plot` for one training regime;
- `drawing`: the drawings of one MNIST experiment's networks, one per depth (Figs. 32-33);
- `clustering`: module detection rerun with other clustering choices on the selected networks of
  the experiments read (Table 4, `clustering_choices.py`);
- `edge_cases`: one network of `graphs[0]` (3 hidden layers of width 24) drawn with its modules,
  and the modularity metric against k per layer (Figs. 38-40, `edge_cases.py`);
- `lr_batch`: success rate per learning rate and batch size from the `trials.csv` of the
  learning-rate x batch-size experiments (Tables 2, 3, `lr_batch_tables.py`).

Appendix targets (`appendix`) belong to `all_appendix`, not `all_boolean`, so that the main study
costs what it did.
"""

from __future__ import annotations

from dataclasses import dataclass

from neural_sculpting.foundations.errors import SculptError

SUCCESS, STRUCTURAL, DRAWING = "success", "structural", "drawing"
CLUSTERING, EDGE_CASES, LR_BATCH = "clustering", "edge_cases", "lr_batch"

# The training regimes of the structural tests (Sec. 2-3) and the search modes that give them.
DENSE, EDGE, UNIT_EDGE = "dense", "edge-pruned", "unit-edge-pruned"
REGIME_OF_MODE = {"dense": DENSE, "edge_only": EDGE, "grid": UNIT_EDGE, "paper": UNIT_EDGE}

# The hidden widths of the network Figs. 38-40 show (3 hidden layers of width 24).
EDGE_CASE_HIDDEN = (24, 24, 24)

# The Boolean tasks of the paper's experiments (config/graphs/), by experiment.
USES = (1, 2, 4, 6, 8)
OVERLAPS = (0, 1, 2, 3, 4)
VALIDATION_GRAPHS = ("input_separable", "reused", "separable_reused", "non_modular")
REUSE_GRAPHS = (*(f"reused_use{u}" for u in USES if u != 8), "reused")
OVERLAP_GRAPHS = tuple(f"overlap{o}_use{u}" for o in OVERLAPS for u in USES)
HIERARCHY_GRAPHS = tuple(f"hierarchy_use{u}" for u in USES)


@dataclass(frozen=True)
class Figure:
    """One target: `results/figures/<name>.{png,pdf,csv,txt}` (drawings: the per-depth PNGs)."""

    name: str
    kind: str
    experiments: tuple[str, ...]
    graphs: tuple[str, ...]
    caption: str
    # Success and structural targets: the function that draws it, by its dotted name (the study
    # does not import the figures; `figures.dispatch` resolves the name).
    draw: str | None = None
    regime: str | None = None  # structural: the training regime shown (table1: all)
    appendix: bool = False  # made by all_appendix, not all_boolean

    @property
    def graph(self) -> str:
        """The one task a structural or drawing target studies."""
        return self.graphs[0]


def _structural(name, experiments, graph, draw, regime, caption) -> Figure:
    return Figure(name, STRUCTURAL, experiments, (graph,), caption, f"{_FIGURES}.{draw}", regime)


_FIGURES = "neural_sculpting.figures"
# The structural tests' drawings (modules of `_FIGURES`).
_TABLE1 = "input_separability_table.table1"
_HEATMAP = "path_product_maps.path_product_figure"
_N90 = "n90_bars.n90_figure"
_TTESTS = "input_separability_grids.ttest_figure"


_DENSE_IS = ("structural_dense_input_separable",)
_EDGE_IS = ("structural_edge_only_input_separable",)

FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        _structural(
            "table1", (*_DENSE_IS, *_EDGE_IS, "validation"), "input_separable", _TABLE1, None,
            "input-separability t-tests on input_separable networks, per regime and architecture",
        ),
        _structural(
            "fig1b", _DENSE_IS, "input_separable", _HEATMAP, DENSE,
            "path-product heat map (inputs x outputs) of a dense input_separable network",
        ),
        _structural(
            "fig2b", ("structural_dense_reused",), "reused", _N90, DENSE,
            "N90 per hidden layer of dense reused networks by width",
        ),
        _structural(
            "fig3a", _EDGE_IS, "input_separable", _HEATMAP, EDGE,
            "path-product heat map of an edge-pruned input_separable network",
        ),
        _structural(
            "fig3b", ("structural_edge_only_reused",), "reused", _N90, EDGE,
            "N90 per hidden layer of edge-pruned reused networks by width",
        ),
        _structural(
            "fig4a", ("validation",), "input_separable", _HEATMAP, UNIT_EDGE,
            "path-product heat map of a unit-edge-pruned input_separable network",
        ),
        _structural(
            "fig4b", ("validation", "reused_widths"), "reused", _N90, UNIT_EDGE,
            "N90 per hidden layer of unit-edge-pruned reused networks by width",
        ),
        _structural(
            "fig35", _EDGE_IS, "input_separable", _TTESTS, EDGE,
            "t statistics and p values over widths x depths, edge-pruned",
        ),
        _structural(
            "fig36", ("validation",), "input_separable", _TTESTS, UNIT_EDGE,
            "t statistics and p values over widths x depths, unit-edge-pruned",
        ),
        Figure(
            "fig7", SUCCESS, ("validation",), VALIDATION_GRAPHS,
            "validation graphs: structure recovered per graph and depth",
            draw=f"{_FIGURES}.structure_recovered.fig7",
        ),
        Figure(
            "fig8", SUCCESS, ("reuse_sweep",), REUSE_GRAPHS,
            "reuse sweep: structure recovered by sub-function use and depth",
            draw=f"{_FIGURES}.structure_recovered.fig8",
        ),
        Figure(
            "fig10", SUCCESS, ("input_overlap",), OVERLAP_GRAPHS,
            "input overlap x use: input, output and hidden-unit separation (three heat maps)",
            draw=f"{_FIGURES}.input_overlap.fig10",
        ),
        Figure(
            "fig12a", SUCCESS, ("hierarchy",), HIERARCHY_GRAPHS,
            "hierarchy: sub-functions found by type and depth",
            draw=f"{_FIGURES}.hierarchy_subfunctions.fig12a",
        ),
        Figure(
            "fig12b", SUCCESS, ("hierarchy",), HIERARCHY_GRAPHS,
            "hierarchy: exact structure recovered by sub-function use",
            draw=f"{_FIGURES}.structure_recovered.fig12b",
        ),
        Figure(
            "fig13b", SUCCESS, ("mnist_hierarchical",), ("mnist_hierarchical",),
            "hierarchical MNIST task: input-separable modules, three output modules, middle "
            "layers, by depth",
            draw=f"{_FIGURES}.mnist_categories.fig13b",
        ),
        Figure(
            "table4", CLUSTERING, ("validation",), VALIDATION_GRAPHS,
            "structure recovered per clustering choice: linkage x distance x criterion for k",
            appendix=True,
        ),
        *(
            Figure(
                name, EDGE_CASES, ("validation",), (graph,),
                f"{graph}, 3 hidden layers of width 24: its modules, and M against k per layer",
                appendix=True,
            )
            for name, graph in (
                ("fig38", "reused"), ("fig39", "separable_reused"), ("fig40", "non_modular"),
            )
        ),
        *(
            Figure(
                name, LR_BATCH, tuple(f"lr_batch_{g}" for g in graphs), graphs,
                f"structure recovered per learning rate and batch size: {' and '.join(graphs)}",
                appendix=True,
            )
            for name, graphs in (
                ("table2", ("input_separable", "reused")),
                ("table3", ("separable_reused", "non_modular")),
            )
        ),
        Figure(
            "fig32", DRAWING, ("mnist_two_digits",), ("mnist_two_digits",),
            "drawings of the two-digit MNIST networks, the most common structure per depth",
        ),
        Figure(
            "fig33", DRAWING, ("mnist_hierarchical",), ("mnist_hierarchical",),
            "drawings of the hierarchical MNIST networks, the most common structure per depth",
        ),
    )
}  # fmt: skip


def appendix_only_experiments() -> frozenset[str]:
    """The experiments that only appendix targets read (the learning-rate x batch-size sweeps):
    `all_appendix` runs them, `all_boolean` does not."""
    main = {e for f in FIGURES.values() if not f.appendix for e in f.experiments}
    return frozenset(e for f in FIGURES.values() if f.appendix for e in f.experiments) - main


class UnknownFigureError(SculptError):
    """A figure name the catalogue does not hold."""


def names(kind: str | None = None) -> tuple[str, ...]:
    """The registered targets, of one kind or all, in the catalogue's order."""
    return tuple(n for n, f in FIGURES.items() if kind is None or f.kind == kind)


def figure(name: str, kind: str | None = None) -> Figure:
    """The registered figure `name` (of `kind`, when given); one-line error otherwise."""
    found = FIGURES.get(name)
    if found is None or (kind is not None and found.kind != kind):
        raise UnknownFigureError(f"unknown figure {name!r} (choose from {', '.join(names(kind))})")
    return found
