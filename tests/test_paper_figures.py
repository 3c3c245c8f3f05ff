"""The paper's success-rate figures: hand-built trials tables whose rates are known by
construction (untrainable rows, unscored rows, collapsed module names), the CSV numbers, the files
written, the command line and its one-line errors."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_sculpting.cli import figures as figures_cli
from neural_sculpting.figures import paper_figures as pf
from neural_sculpting.figures.hierarchy_subfunctions import fig12a, subfunction_kinds
from neural_sculpting.figures.input_overlap import fig10
from neural_sculpting.figures.mnist_categories import fig13b
from neural_sculpting.figures.structure_recovered import fig7, fig8, fig12b

FLAGS = ("input_modules_match", "output_modules_match", "hidden_modules_match", "structure_match")


def trial(graph, depth, ok=None, found=None, trainable=True, seed=0, **params):
    """One trials.csv row; `ok` sets every flag (None: not scored), untrainable rows have none."""
    row = {"graph": graph, "depth": depth, "width": 24, "arch": "x", "seed": seed,
           "mode": "grid", "trainable": trainable} | dict.fromkeys(FLAGS)  # fmt: skip
    if trainable and ok is not None:
        row |= dict.fromkeys(FLAGS, ok) | {"modules_found": found}
    return row | params


def table(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["seed"] = range(len(frame))  # every row a distinct trial
    return frame


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval by its formula (not SciPy)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def read_csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv")


def assert_files(out: Path, name: str) -> None:
    for suffix in ("png", "pdf", "csv", "txt"):
        path = out / f"{name}.{suffix}"
        assert path.is_file() and path.stat().st_size > 0, path
    assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"


def row_of(frame: pd.DataFrame, **keys) -> pd.Series:
    mask = np.logical_and.reduce([frame[k] == v for k, v in keys.items()])
    assert mask.sum() == 1, keys
    return frame[mask].iloc[0]


# --- Fig. 7 ---------------------------------------------------------------------------------------


def validation_rows():
    return [
        # input_separable, depth 2: 3 of 4 scored succeed, 1 untrainable (not a failure)
        *[trial("input_separable", 2, ok) for ok in (True, True, True, False)],
        trial("input_separable", 2, trainable=False),
        # depth 1: 0 of 2, plus a trainable trial not scored yet (left out)
        trial("input_separable", 1, False),
        trial("input_separable", 1, False),
        trial("input_separable", 1, None),
        # reused, depth 3: 1 of 1
        trial("reused", 3, True),
        # a graph no Fig. 7 panel shows
        trial("reused_use1", 3, False, use=1),
    ]


def test_fig7_counts_rates_and_wilson_intervals(tmp_path):
    rates = fig7(table(validation_rows()), tmp_path)
    assert_files(tmp_path, "fig7")
    csv = read_csv(tmp_path, "fig7")
    assert list(csv.columns) == [
        "graph", "depth", "trials", "successes", "rate", "ci_low", "ci_high", "untrainable",
    ]  # fmt: skip
    assert len(csv) == len(rates) == 3  # reused_use1 is not a validation graph
    row = row_of(csv, graph="input_separable", depth=2)
    assert (row.trials, row.successes, row.untrainable) == (4, 3, 1)
    assert row.rate == pytest.approx(0.75)
    assert (row.ci_low, row.ci_high) == pytest.approx(wilson(3, 4))
    row = row_of(csv, graph="input_separable", depth=1)
    assert (row.trials, row.successes, row.rate, row.untrainable) == (2, 0, 0.0, 0)
    assert (row.ci_low, row.ci_high) == pytest.approx(wilson(0, 2))
    row = row_of(csv, graph="reused", depth=3)
    assert (row.trials, row.successes, row.rate) == (1, 1, 1.0)
    caption = (tmp_path / "fig7.txt").read_text()
    assert "untrainable" in caption and "separable_reused, non_modular" in caption


def test_flags_read_from_csv_text_give_the_same_counts(tmp_path):
    path = tmp_path / "trials.csv"
    table(validation_rows()).to_csv(path, index=False)
    text = path.read_text()
    assert "True" in text and ",," in text  # flags as text, empty cells for unscored rows
    fig7(pf.read_trials([path, path]), tmp_path)  # the same table twice: trials kept once
    row = row_of(read_csv(tmp_path, "fig7"), graph="input_separable", depth=2)
    assert (row.trials, row.successes, row.untrainable) == (4, 3, 1)


# --- Figs. 8 and 12b ------------------------------------------------------------------------------


def test_fig8_rates_by_use_and_depth(tmp_path):
    rows = [
        *[trial("reused_use1", 2, ok, use=1) for ok in (True, False, False, False)],
        trial("reused_use1", 2, trainable=False, use=1),
        *[trial("reused", 1, ok) for ok in (True, True)],  # no `use` cell: from the graph file
        *[trial("reused", 3, ok) for ok in (True, True, True, False)],
        trial("input_separable", 3, True),
    ]
    fig8(table(rows), tmp_path)
    assert_files(tmp_path, "fig8")
    csv = read_csv(tmp_path, "fig8")
    assert list(csv[["use", "depth"]].itertuples(index=False, name=None)) == [
        (1, 2), (8, 1), (8, 3),
    ]  # fmt: skip
    row = row_of(csv, use=1, depth=2)
    assert (row.graph, row.trials, row.successes, row.untrainable) == ("reused_use1", 4, 1, 1)
    assert row.rate == pytest.approx(0.25)
    row = row_of(csv, use=8, depth=3)
    assert (row.graph, row.trials, row.successes) == ("reused", 4, 3)
    assert (row.ci_low, row.ci_high) == pytest.approx(wilson(3, 4))


def test_fig12b_exact_hierarchy_by_use_per_depth(tmp_path):
    rows = [
        *[trial("hierarchy_use2", 1, ok, found="a;b;c+f0+f1", use=2) for ok in (True, False)],
        *[trial("hierarchy_use2", 4, ok, found="a;b;c;f0;f1", use=2) for ok in (True,) * 3],
        trial("hierarchy_use8", 4, False, found="a;b", use=8),
        trial("hierarchy_use8", 4, trainable=False, use=8),
    ]
    fig12b(table(rows), tmp_path)
    assert_files(tmp_path, "fig12b")
    csv = read_csv(tmp_path, "fig12b")
    assert len(csv) == 3
    assert tuple(row_of(csv, use=2, depth=1)[["trials", "successes"]]) == (2, 1)
    assert tuple(row_of(csv, use=2, depth=4)[["trials", "successes"]]) == (3, 3)
    row = row_of(csv, use=8, depth=4)
    assert (row.trials, row.successes, row.rate, row.untrainable) == (1, 0, 0.0, 1)


# --- Fig. 12a -------------------------------------------------------------------------------------


def hierarchy_rows():
    return [
        # 1 hidden layer: c, f0, f1 collapse into one module, named "c+f0+f1"
        trial("hierarchy_use1", 1, True, found="a;b;c+f0+f1", use=1),
        trial("hierarchy_use4", 1, False, found="a;c+f0+f1", use=4),
        trial("hierarchy_use4", 1, False, found=None, use=4),  # scored, nothing matched
        trial("hierarchy_use4", 1, trainable=False, use=4),
        # 3 hidden layers: no collapse
        trial("hierarchy_use8", 3, True, found="a;b;c;f0;f1", use=8),
        trial("hierarchy_use8", 3, False, found="a;b;c;f0", use=8),
        trial("hierarchy_use2", 3, False, found="c;f0;f1", use=2),
        trial("hierarchy_use2", 3, None, use=2),  # not scored yet: left out
    ]


def test_fig12a_kinds_count_a_merged_module_as_neither(tmp_path):
    fig12a(table(hierarchy_rows()), tmp_path)
    assert_files(tmp_path, "fig12a")
    csv = read_csv(tmp_path, "fig12a")

    def counts(kind, depth):
        row = row_of(csv, subfunction=kind, depth=depth)
        return int(row.trials), int(row.successes), int(row.untrainable)

    # depth 1: three scored trials, one untrainable
    assert counts("input_separable", 1) == (3, 1, 1)  # only the first has both a and b
    assert counts("intermediate", 1) == (3, 0, 1)  # "c+f0+f1" is not c ...
    assert counts("output", 1) == (3, 0, 1)  # ... nor f0 and f1
    assert counts("merged", 1) == (3, 2, 1)
    # depth 3: three scored trials
    assert counts("input_separable", 3) == (3, 2, 0)
    assert counts("intermediate", 3) == (3, 3, 0)
    assert counts("output", 3) == (3, 2, 0)
    # the merged module is not expected with 3 hidden layers: no entry at all
    assert ((csv.subfunction == "merged") & (csv.depth == 3)).sum() == 0
    row = row_of(csv, subfunction="output", depth=3)
    assert (row.ci_low, row.ci_high) == pytest.approx(wilson(2, 3))
    caption = (tmp_path / "fig12a.txt").read_text()
    assert "c+f0+f1" in caption and "neither" in caption


def test_subfunction_kinds_per_trial():
    kinds = subfunction_kinds(table(hierarchy_rows()))
    assert kinds.loc[0, ["input_separable", "intermediate", "output", "merged"]].tolist() == [
        True, False, False, True,
    ]  # fmt: skip
    assert kinds.loc[3].isna()[["input_separable", "merged"]].all()  # untrainable
    assert kinds["merged_applies"].tolist() == [True] * 4 + [False] * 4


# --- Fig. 10 --------------------------------------------------------------------------------------


def test_fig10_pools_depths_for_each_property(tmp_path):
    def row(depth, inputs, outputs, hidden, trainable=True):
        r = trial("overlap2_use4", depth, True, found="f0;f1", overlap=2, use=4)
        if not trainable:
            return trial("overlap2_use4", depth, trainable=False, overlap=2, use=4)
        return r | {"input_modules_match": inputs, "output_modules_match": outputs,
                    "hidden_modules_match": hidden}  # fmt: skip

    rows = [
        row(1, True, True, False),
        row(1, False, True, False),
        row(2, True, True, False),
        row(3, True, False, True),
        row(3, True, True, False, trainable=False),
        trial("overlap0_use1", 2, True, overlap=0, use=1),
    ]
    fig10(table(rows), tmp_path)
    assert_files(tmp_path, "fig10")
    csv = read_csv(tmp_path, "fig10")
    assert len(csv) == 8  # 3 drawn properties and inputs_in_one_module, x 2 cells
    expected = {"input_modules_match": 3, "output_modules_match": 3, "hidden_modules_match": 1}
    for flag, successes in expected.items():
        cell = row_of(csv, property=flag, overlap=2, use=4)
        assert (cell.trials, cell.successes, cell.untrainable) == (4, successes, 1)
        assert (cell.ci_low, cell.ci_high) == pytest.approx(wilson(successes, 4))
        cell = row_of(csv, property=flag, overlap=0, use=1)
        assert (cell.trials, cell.successes) == (1, 1)


def test_fig10_counts_networks_with_every_input_in_one_module(tmp_path):
    # modules_per_layer's first entry is the number of modules among the input units: "1-1-2-2"
    # has all inputs in one module, "3-3-2-2" three; an untrainable trial has none.
    def row(overlap, modules, trainable=True):
        r = trial(f"overlap{overlap}_use8", 2, trainable=trainable, overlap=overlap, use=8)
        if trainable:
            r |= dict.fromkeys(("input_modules_match", "output_modules_match",
                                "hidden_modules_match", "structure_match"), False)  # fmt: skip
        return r | {"modules_per_layer": modules}

    rows = [row(3, "1-1-2-2"), row(3, "3-3-2-2"), row(3, "3-1-2-2"), row(3, None, trainable=False),
            row(4, "1-1-2-2"), row(4, "1-2-2-2")]  # fmt: skip
    fig10(table(rows), tmp_path)
    csv = read_csv(tmp_path, "fig10")
    cell = row_of(csv, property="inputs_in_one_module", overlap=3, use=8)
    assert (cell.trials, cell.successes, cell.untrainable) == (3, 1, 1)
    cell = row_of(csv, property="inputs_in_one_module", overlap=4, use=8)
    assert (cell.trials, cell.successes) == (2, 2)


def test_fig12b_counts_trials_whose_outputs_split(tmp_path):
    # The last entry of modules_per_layer is the number of modules among the output units.
    rows = [
        trial("hierarchy_use8", 2, False, found="a;b", use=8) | {"modules_per_layer": "2-2-2-2"},
        trial("hierarchy_use8", 2, True, found="a;b;c+f0+f1", use=8)
        | {"modules_per_layer": "2-2-1-1"},
        trial("hierarchy_use8", 2, False, found="a;b", use=8) | {"modules_per_layer": "2-2-2-3"},
        trial("hierarchy_use1", 2, True, found="a;b;c+f0+f1", use=1)
        | {"modules_per_layer": "2-2-1-1"},
    ]
    fig12b(table(rows), tmp_path)
    csv = read_csv(tmp_path, "fig12b")
    assert tuple(row_of(csv, use=8, depth=2)[["trials", "successes", "outputs_split"]]) == (3, 1, 2)
    assert row_of(csv, use=1, depth=2).outputs_split == 0


# --- Fig. 13b -------------------------------------------------------------------------------------

CATEGORIES = ("category_input_separable", "category_output_modules", "category_middle_layers")


def mnist(depth, inputs=None, outputs=None, middle=None, trainable=True, width=24):
    """One mnist_hierarchical trial with its three category flags (all None: not scored)."""
    row = trial("mnist_hierarchical", depth, None, trainable=trainable, width=width)
    row |= dict.fromkeys(CATEGORIES)
    if trainable and inputs is not None:
        row |= dict(zip(CATEGORIES, (inputs, outputs, middle), strict=True))
        row |= {"structure_match": inputs and outputs and middle}
    return row


def mnist_rows():
    return [
        # 2 hidden layers, two widths pooled: input 1/3, output 3/3, middle 0/3, 1 untrainable
        mnist(2, False, True, False),
        mnist(2, False, True, False, width=48),
        mnist(2, True, True, False, width=48),
        mnist(2, trainable=False),
        # 4 hidden layers: input 2/2, output 1/2, middle 1/2, plus one not scored yet (left out)
        mnist(4, True, True, False),
        mnist(4, True, False, True),
        mnist(4),
        # not the MNIST task
        trial("hierarchy_use1", 2, True, found="a;b;c+f0+f1", use=1) | dict.fromkeys(CATEGORIES),
    ]


def test_fig13b_rates_per_category_and_depth(tmp_path):
    fig13b(table(mnist_rows()), tmp_path)
    assert_files(tmp_path, "fig13b")
    csv = read_csv(tmp_path, "fig13b")
    assert list(csv.columns) == [
        "category", "depth", "trials", "successes", "rate", "ci_low", "ci_high", "untrainable",
    ]  # fmt: skip
    assert list(csv[["category", "depth"]].itertuples(index=False, name=None)) == [
        (c, d) for c in CATEGORIES for d in (2, 4)
    ]
    expected = {  # (category, depth): (scored, successes, untrainable), counted by hand
        ("category_input_separable", 2): (3, 1, 1),
        ("category_output_modules", 2): (3, 3, 1),
        ("category_middle_layers", 2): (3, 0, 1),
        ("category_input_separable", 4): (2, 2, 0),
        ("category_output_modules", 4): (2, 1, 0),
        ("category_middle_layers", 4): (2, 1, 0),
    }
    for (category, depth), (scored, successes, untrainable) in expected.items():
        row = row_of(csv, category=category, depth=depth)
        assert (row.trials, row.successes, row.untrainable) == (scored, successes, untrainable)
        assert row.rate == pytest.approx(successes / scored)
        assert (row.ci_low, row.ci_high) == pytest.approx(wilson(successes, scored))
    assert row_of(csv, category="category_input_separable", depth=2).rate == pytest.approx(1 / 3)
    caption = (tmp_path / "fig13b.txt").read_text()
    assert "hidden_modules_match" in caption and "f0, f1 and f2" in caption
    assert (
        "Trials: 7 in all, 5 scored, 1 untrainable, 1 trainable but not (yet) scored and left out."
        in caption
    )


def test_fig13b_reads_the_category_flags_from_csv_text(tmp_path):
    path = tmp_path / "trials.csv"
    table(mnist_rows()).to_csv(path, index=False)
    out = tmp_path / "paper"
    assert run_cli("fig13b", "--trials", str(path), "-o", str(out)) == 0
    assert_files(out, "fig13b")
    row = row_of(read_csv(out, "fig13b"), category="category_output_modules", depth=2)
    assert (row.trials, row.successes, row.untrainable) == (3, 3, 1)


def test_fig13b_errors(tmp_path):
    rows = table(mnist_rows())
    message = one_line_error(
        pf.TrialsTableError,
        lambda: fig13b(rows.drop(columns="category_middle_layers"), tmp_path),
    )
    assert "fig13b" in message and "category_middle_layers" in message
    others = table([r | dict.fromkeys(CATEGORIES) for r in validation_rows()])
    message = one_line_error(pf.MissingGraphsError, lambda: fig13b(others, tmp_path))
    assert "fig13b" in message and "mnist_hierarchical" in message
    bad = rows.astype({"category_output_modules": object})
    bad.loc[0, "category_output_modules"] = "maybe"
    assert "maybe" in one_line_error(pf.TrialsTableError, lambda: fig13b(bad, tmp_path))
    assert not list(tmp_path.iterdir())


# --- errors and the command line ------------------------------------------------------------------


def one_line_error(error_type, call):
    with pytest.raises(error_type) as info:
        call()
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    return str(info.value)


def test_a_table_without_the_needed_graphs_is_a_one_line_error(tmp_path):
    rows = table(validation_rows())
    message = one_line_error(pf.MissingGraphsError, lambda: fig12a(rows, tmp_path))
    assert "fig12a" in message and "hierarchy_use1" in message
    assert not list(tmp_path.iterdir())


def test_malformed_tables_are_one_line_errors(tmp_path):
    rows = table(validation_rows())
    message = one_line_error(
        pf.TrialsTableError, lambda: fig7(rows.drop(columns="structure_match"), tmp_path)
    )
    assert "structure_match" in message
    mixed = rows.assign(mode=["dense"] + ["grid"] * (len(rows) - 1))
    assert "modes" in one_line_error(pf.TrialsTableError, lambda: fig7(mixed, tmp_path))
    bad = rows.astype({"structure_match": object})
    bad.loc[0, "structure_match"] = "maybe"
    assert "maybe" in one_line_error(pf.TrialsTableError, lambda: fig7(bad, tmp_path))
    one_line_error(pf.PaperFigureError, lambda: pf.paper_figure("fig9", rows, tmp_path))


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    figures_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["paper-figure", *argv])
    return args.handler(args)


def test_cli_writes_beside_the_png_or_into_a_folder(tmp_path):
    validation, hierarchy = tmp_path / "validation.csv", tmp_path / "hierarchy.csv"
    table(validation_rows()).to_csv(validation, index=False)
    table(hierarchy_rows()).to_csv(hierarchy, index=False)
    out = tmp_path / "paper"
    code = run_cli("fig7", "--trials", str(hierarchy), "--trials", str(validation),
                   "-o", str(out / "validation.png"))  # fmt: skip
    assert code == 0
    assert_files(out, "validation")
    row = row_of(read_csv(out, "validation"), graph="input_separable", depth=2)
    assert (row.trials, row.successes) == (4, 3)
    assert run_cli("fig12b", "--trials", str(hierarchy), "-o", str(out)) == 0
    assert_files(out, "fig12b")
    with pytest.raises(SystemExit):  # argparse: not one of the targets
        run_cli("fig13", "--trials", str(hierarchy), "-o", str(out))
    message = one_line_error(
        figures_cli.OutputPathError,
        lambda: run_cli("fig7", "--trials", str(validation), "-o", str(out / "f.svg")),
    )
    assert "f.svg" in message
    assert "needs" in one_line_error(
        pf.MissingGraphsError,
        lambda: run_cli("fig8", "--trials", str(hierarchy), "-o", str(out)),
    )


def test_the_title_clears_the_count_labels(tmp_path):
    """Long count labels ("n/m (+k untrainable)") stand above the bars; the title sits above them
    (it once ran through them)."""
    from neural_sculpting.figures.rates import plot_rates_by_depth, success_rates

    rows = [trial("input_separable", 2, ok=True), trial("input_separable", 2, trainable=False)]
    fig = plot_rates_by_depth(success_rates(table(rows), "structure_match"), "a title", "rate")
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    title = ax.title.get_window_extent(renderer)
    assert ax.texts and all(t.get_window_extent(renderer).y1 <= title.y0 for t in ax.texts)


def test_fig7_marks_the_share_of_trials_some_tied_lane_recovers(tmp_path):
    """Per trial: its verdict, and how many of its lanes tied at the lowest density recover."""
    rows = [
        trial("reused", 3, ok=False, tied_lanes=3, tied_lanes_recovered=1),  # a tie recovers
        trial("reused", 3, ok=False, tied_lanes=2, tied_lanes_recovered=0),
        trial("reused", 3, ok=True, tied_lanes=1, tied_lanes_recovered=1),
        trial("reused", 3, ok=False, trainable=False),  # untrainable: in neither rate
        trial("input_separable", 1, ok=True),  # no tie counts (an older table): its verdict
    ]
    fig7(table(rows), tmp_path)
    csv = read_csv(tmp_path, "fig7")
    row = row_of(csv, graph="reused", depth=3)
    assert (row.trials, row.successes, row.successes_any_tied) == (3, 1, 2)
    assert row.rate_any_tied == pytest.approx(2 / 3)
    assert row_of(csv, graph="input_separable", depth=1).rate_any_tied == 1.0
    assert "Diamonds" in (tmp_path / "fig7.txt").read_text()


def test_wilson_interval_is_scipys():
    # Figures compute the interval themselves (importing scipy.stats costs a second per job);
    # SciPy's binomtest is the reference.
    from scipy import stats

    from neural_sculpting.figures.rates import wilson_interval

    for trials in (1, 2, 3, 4, 7, 12, 36, 100):
        for successes in range(trials + 1):
            ci = stats.binomtest(successes, trials).proportion_ci(method="wilson")
            low, high = wilson_interval(successes, trials)
            assert low == pytest.approx(ci.low, abs=1e-12)
            assert high == pytest.approx(ci.high, abs=1e-12)
            # The interval holds the rate itself, exactly at 0 and n (error bars from it are
            # never negative: 48/48 once gave 0.9999999999999999).
            assert low <= successes / trials <= high
    for trials in range(1, 200):
        assert wilson_interval(trials, trials)[1] == 1.0
        assert wilson_interval(0, trials)[0] == 0.0
