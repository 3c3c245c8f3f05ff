"""The workflow's plan (`neural_sculpting/workflow/`), the figure registry, and the hand-over of
a trial from the workflow to a job, without running Snakemake."""

from __future__ import annotations

import inspect
import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml

from neural_sculpting.cli.main import build_parser, main
from neural_sculpting.figures import paper_figures
from neural_sculpting.figures.dispatch import drawing_function
from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study import catalogue
from neural_sculpting.workflow import Job, Plan, PlanError, drawing_targets
from neural_sculpting.workflow.drawings import drawing_jobs

ROOT = Path(__file__).resolve().parents[1]


def config_of(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


@pytest.fixture(scope="module")
def quickstart() -> Plan:
    return Plan.from_config(config_of("quickstart.yaml"))


@pytest.fixture(scope="module")
def paper() -> Plan:
    return Plan.from_config(config_of("config.yaml"))


def test_quickstart_targets_are_its_tables_figures_and_drawings(quickstart):
    targets = set(quickstart.boolean_targets())
    # 2 graphs x (truth table, structure, png, svg); the table and figure; 2 graphs x 2 depths.
    assert len(targets) == 8 + 2 + 4
    assert "results/quickstart/trials.csv" in targets
    assert "results/figures/drawings/quickstart/reused_h2.png" in targets
    assert "results/graphs/input_separable/truth_table.csv" in targets
    assert quickstart.mnist_targets() == []


def test_a_table_reads_every_trials_selection_and_score(quickstart):
    files = quickstart.table_inputs("quickstart")
    # 2 graphs x 2 depths x 2 seeds, each a selected.json and a score.json
    assert len(files) == 16
    assert sum(f.endswith("/selected.json") for f in files) == 8
    assert all(re.search(r"/detect_mm-0\.2_merge0\.9/score\.json$", f) for f in files[1::2])


def test_a_job_finds_its_trial_from_its_wildcards(quickstart):
    trial = quickstart.study["quickstart"].trials[-1]
    names = ("graph", "arch", "train", "search", "seed")
    wildcards = dict(zip(names, trial.key.replace("/s", "/", 1).split("/"), strict=True))
    wildcards["seed"] = str(trial.seed)
    assert quickstart.trial(wildcards) == trial
    assert quickstart.search_inputs(wildcards) == [str(paths.graph_file(trial.graph))]
    with pytest.raises(PlanError, match="no trial of the config"):
        quickstart.trial({**wildcards, "seed": "99"})


def test_the_search_rules_split_tasks_by_kind(paper):
    boolean = paper.graph_pattern(mnist=False)
    mnist = paper.graph_pattern(mnist=True)
    assert re.fullmatch(mnist, "mnist_two_digits") and not re.fullmatch(mnist, "reused")
    assert re.fullmatch(boolean, "reused") and not re.fullmatch(boolean, "mnist_two_digits")
    # A study without MNIST experiments gives a pattern that matches nothing.
    assert not re.fullmatch(Plan.from_config(config_of("test.yaml")).graph_pattern(True), "")


def test_the_paper_study_offers_every_success_and_structural_figure(paper):
    offered = {
        Path(p).stem for p in paper.all_targets() if "/figures/" in p and "drawings" not in p
    }
    expected = set(catalogue.names(catalogue.SUCCESS)) | set(catalogue.names(catalogue.STRUCTURAL))
    assert offered == expected | {"table2", "table3", "table4", "fig38", "fig39", "fig40"}


def test_appendix_targets_are_outside_all_boolean(paper):
    # Table 4 reruns detection on the validation networks; all_boolean does not make it, nor
    # Tables 2 and 3 and the sweeps behind them, whose trials tables all_appendix makes.
    appendix = ["table4", "fig38", "fig39", "fig40", "table2", "table3"]
    sweeps = [f"lr_batch_{g}" for g in catalogue.VALIDATION_GRAPHS]
    assert sorted(paper.appendix_targets()) == sorted(
        [str(paths.figure(name, "png")) for name in appendix]
        + [str(paths.trials_csv(name)) for name in sweeps]
        + [str(paths.experiment_figure(name, "png")) for name in sweeps]
    )
    assert not any(name in t for t in paper.boolean_targets() for name in appendix + sweeps)
    inputs = paper.clustering_inputs("table4")
    validation = [t for t in paper.study["validation"].trials if t.detects]
    assert len(inputs) == 2 * len(validation) == 2 * 144
    assert str(paths.selected_npz(validation[0].key)) in inputs


def test_figure_inputs_follow_the_registry(paper):
    assert paper.figure_inputs("fig8") == ["results/reuse_sweep/trials.csv"]
    # fig4b reads the reused trials of two experiments, each trial once.
    inputs = paper.structural_inputs("fig4b")
    assert len(inputs) == len(set(inputs)) and all("/reused/" in p for p in inputs)
    # The figures read each trial's arrays, so a trial folder without them is made again.
    assert sum(p.endswith("selected.npz") for p in inputs) == len(inputs) // 2
    assert paper.structural_seed("fig4b") == 1
    assert len(paper.drawing_figure_inputs("fig33")) == 4  # 2-5 hidden layers


def test_a_figure_whose_experiment_is_missing_names_both(quickstart):
    with pytest.raises(PlanError, match="fig7 needs experiment 'validation'"):
        quickstart.figure_inputs("fig7")


def test_the_command_line_offers_exactly_the_registered_figures():
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    for command, kind in (
        ("paper-figure", catalogue.SUCCESS),
        ("structural", catalogue.STRUCTURAL),
        ("clustering-table", catalogue.CLUSTERING),
        ("edge-cases", catalogue.EDGE_CASES),
    ):
        (target,) = [a for a in subcommands[command]._actions if a.dest == "target"]
        assert tuple(target.choices) == catalogue.names(kind)


def test_every_catalogued_figure_names_a_function_that_draws_it():
    for fig in catalogue.FIGURES.values():
        assert fig.experiments and fig.graphs and fig.caption
        if fig.kind not in (catalogue.SUCCESS, catalogue.STRUCTURAL):
            continue
        draw = drawing_function(fig)
        params = list(inspect.signature(draw).parameters)
        if fig.kind == catalogue.SUCCESS:  # (trials table, folder, name)
            assert len(params) == 3 and draw.__name__ == fig.name
        else:  # (trial folders, output, and what of regime, seed and settings it uses)
            assert set(params[2:]) <= {"regime", "seed", "settings"}
            assert ("regime" in params) == (fig.regime is not None)


def test_a_figure_is_drawn_by_the_function_its_entry_names(monkeypatch, tmp_path):
    drawn = []
    entry = catalogue.figure("fig7", catalogue.SUCCESS)
    import neural_sculpting.figures.structure_recovered as module

    monkeypatch.setattr(module, "fig7", lambda table, out, name: drawn.append(name) or table)
    paper_figures.paper_figure("fig7", pd.DataFrame(), tmp_path, "mine")
    assert drawn == ["mine"] and entry.draw.endswith("structure_recovered.fig7")


def test_readmes_target_table_is_the_registry():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(fig\w+|table\d)` \| (.+?) \|$", readme, flags=re.M))
    assert rows == {name: fig.caption for name, fig in catalogue.FIGURES.items()}


def test_the_registrys_graphs_are_the_configs(paper):
    for name in catalogue.names(catalogue.SUCCESS):
        fig = catalogue.figure(name)
        graphs = {g for e in fig.experiments for g in paper.study[e].graphs}
        assert graphs == set(fig.graphs), name


def test_an_edge_only_pe_reaches_the_search_job(tmp_path, monkeypatch):
    """The config's Pe of an edge-only experiment is the Pe its job prunes with (it was once
    silently replaced by the built-in 5.0 ... 0.5 schedule)."""
    config = {"experiments": {"e": {
        "graphs": ["input_separable"], "widths": [8], "depths": [1], "seeds": [0],
        "mode": "edge_only", "pe": [40, 20], "dense_must_reach_threshold": False,
        "train": {"lr": 0.05, "batch_size": 8, "epochs": 2},
    }}}  # fmt: skip
    (trial,) = Plan.from_config(config).study["e"].trials
    monkeypatch.chdir(tmp_path)
    assert main(["search", "--trial", trial.to_json(), "--quiet"]) == 0
    edges = json.loads((tmp_path / paths.trial_dir(trial.key) / "edges.json").read_text())
    assert [lane["pe"] for lane in edges["lanes"]] == [40.0, 20.0]


def test_detect_takes_its_folder_task_and_thresholds_from_the_trial(tmp_path, monkeypatch):
    config = config_of("test.yaml")
    config["experiments"]["validation"]["detection"] = {"merge_threshold": 0.75}
    config["experiments"]["validation"]["train"]["epochs"] = 2
    config["experiments"]["validation"]["dense_must_reach_threshold"] = False
    (trial,) = Plan.from_config(config).study["validation"].trials
    monkeypatch.chdir(tmp_path)
    assert main(["search", "--trial", trial.to_json(), "--quiet"]) == 0
    assert main(["detect", "--trial", trial.to_json()]) == 0
    score = json.loads(paths.score_json(trial.key, trial.analysis).read_text())
    assert trial.analysis == "detect_mm-0.2_merge0.75"
    assert (score["graph"], score["merge_threshold"]) == ("input_separable", 0.75)
    # `sculpt draw` finds the analysis folder detect wrote without being told it.
    folder, drawing = str(paths.trial_dir(trial.key)), tmp_path / "net.png"
    assert (
        main(["draw", "--trial-dir", folder, "--graph", "input_separable", "-o", str(drawing)]) == 0
    )
    assert drawing.read_bytes().startswith(b"\x89PNG")


def test_a_requested_figure_the_config_cannot_make_stops_in_one_line(quickstart, paper):
    with pytest.raises(PlanError, match="fig7 needs experiment 'validation'"):
        quickstart.check_targets(["-n", "fig7", "--cores", "2"])
    quickstart.check_targets(["all_boolean", "results/quickstart/trials.csv"])
    paper.check_targets(list(catalogue.FIGURES))


def test_every_boolean_trial_is_searched_by_one_cell_of_its_seeds(paper):
    # Facts of the paper's config, counted from its trials: a cell is (graph, arch, training,
    # search) and holds that setting's seeds, 4 each in this config.
    boolean = [t for t in paper.trials.values() if t.dataset is None]
    settings = {(t.graph, t.arch, t.train_key, t.search_key) for t in boolean}
    cells = paper.search_cells()
    assert len(cells) == len(settings) and len(boolean) == 4 * len(cells)
    searched = [t.key for cell in cells for t in cell.trials]
    assert sorted(searched) == sorted(t.key for t in boolean)  # each exactly once
    for cell in cells:
        assert len({(t.graph, t.hidden, t.train, t.search, t.pruning) for t in cell.trials}) == 1
        assert [t.seed for t in cell.trials] == [0, 1, 2, 5]
    # Jobs run the cells, cells_per_job (8 by default) to a job, never two experiments' cells:
    # per experiment, full jobs and at most one short one.
    jobs = paper.search_jobs()
    assert sorted(c.key for job in jobs for c in job.cells) == sorted(c.key for c in cells)
    assert all(1 <= len(job.cells) <= 8 for job in jobs)
    experiment_of: dict[str, str] = {}
    for name, experiment in paper.study.items():
        for trial in experiment.trials:
            experiment_of.setdefault(trial.key, name)
    boolean_jobs = [
        j for j in jobs if j.trials[0].data_file is None and j.trials[0].dataset is None
    ]
    short = [experiment_of[j.trials[0].key] for j in boolean_jobs if len(j.cells) < 8]
    assert len(short) == len(set(short))
    assert sum(len(j.cells) == 8 for j in boolean_jobs) > len(short)
    appendix = catalogue.appendix_only_experiments()
    study = [e for e in paper.boolean if e.name not in appendix]
    assert study and len(study) < len(paper.boolean)
    for targeted in (study, paper.dataset_experiments):
        keys = {t.key for experiment in targeted for t in experiment.trials}
        for job in jobs + paper.detect_jobs():
            if any(t.key in keys for t in job.trials):  # a job the target runs
                assert all(t.key in keys for t in job.trials), job.key
    for job in jobs:
        if job.trials[0].data_file is not None:  # minutes to an hour a cell: a job each
            assert len(job.cells) == 1
    for job in jobs:
        outputs = job.search_outputs()
        assert len(outputs) == 3 * len(job.trials) == len(set(outputs))
    assert len({job.rule for job in jobs}) == len(jobs)  # unique rule names


def test_every_detecting_trial_is_detected_once_per_analysis(paper):
    expected = {(t.key, t.analysis) for e in paper.study.values() for t in e.trials if t.detects}
    detected = [(t.key, cell.analysis) for cell in paper.detect_cells() for t in cell.trials]
    assert sorted(detected) == sorted(expected)
    for cell in paper.detect_cells():
        inputs = paper.cell_inputs(cell)
        assert all(str(paths.selected_npz(t.key)) in inputs for t in cell.trials)
    jobs = paper.detect_jobs()
    assert sorted((t.key, job.analysis) for job in jobs for t in job.trials) == sorted(expected)
    for job in jobs:
        assert {cell.analysis for cell in job.cells} == {job.analysis}
        inputs = paper.job_inputs(job)
        assert len(inputs) == len(set(inputs))
        assert all(str(paths.selected_npz(t.key)) in inputs for t in job.trials)


def test_a_cell_job_searches_its_trials_as_one_batch(tmp_path, monkeypatch):
    config = {"experiments": {"e": {
        "graphs": ["input_separable"], "widths": [8], "depths": [1], "seeds": [0, 3],
        "pu": [70], "pe": [2.5], "dense_must_reach_threshold": False,
        "train": {"lr": 0.05, "batch_size": 8, "epochs": 2},
    }}}  # fmt: skip
    plan = Plan.from_config(config)
    (job,) = plan.search_jobs()
    monkeypatch.chdir(tmp_path)
    assert main(["search", "--trial", job.trials_json, "--quiet"]) == 0
    for trial in job.trials:
        selected = json.loads(paths.selected_json(trial.key).read_text())
        assert selected["result"]["seed"] == trial.seed
        assert paths.selected_npz(trial.key).is_file()
    (detect,) = plan.detect_jobs()
    assert main(["detect", "--trial", detect.trials_json]) == 0
    assert all(paths.score_json(t.key, t.analysis).is_file() for t in detect.trials)


def test_a_job_of_several_cells_searches_each_as_it_would_alone(tmp_path, monkeypatch, capsys):
    """Two cells (widths 8 and 12) in one job: each cell is searched as its own batch, so its
    selected networks are bitwise those of the cell searched by a job of its own."""
    config = {"cells_per_job": 2, "experiments": {"e": {
        "graphs": ["input_separable"], "widths": [8, 12], "depths": [1], "seeds": [0, 3],
        "pu": [70], "pe": [2.5], "dense_must_reach_threshold": False,
        "train": {"lr": 0.05, "batch_size": 8, "epochs": 2},
    }}}  # fmt: skip
    plan = Plan.from_config(config)
    (job,) = plan.search_jobs()
    assert len(job.cells) == 2 and len(job.trials) == 4
    (tmp_path / "together").mkdir()
    monkeypatch.chdir(tmp_path / "together")
    assert main(["search", "--trial", job.trials_json, "--quiet"]) == 0
    together = {t.key: paths.selected_npz(t.key).read_bytes() for t in job.trials}
    alone = {}
    for cell in job.cells:
        folder = tmp_path / f"alone-{cell.trials[0].arch}"
        folder.mkdir()
        monkeypatch.chdir(folder)
        assert main(["search", "--trial", Job((cell,)).trials_json, "--quiet"]) == 0
        alone |= {t.key: paths.selected_npz(t.key).read_bytes() for t in cell.trials}
    assert together == alone
    (detect,) = plan.detect_jobs()
    monkeypatch.chdir(tmp_path / "together")
    assert main(["detect", "--trial", detect.trials_json]) == 0
    assert all(paths.score_json(t.key, t.analysis).is_file() for t in detect.trials)
    assert main(["detect", "--trial", "[]"]) == 2
    assert "no trial given" in capsys.readouterr().err


def test_a_job_count_below_one_cell_is_refused():
    config = {"cells_per_job": 0, "experiments": {"e": {"graphs": ["input_separable"]}}}
    with pytest.raises(SculptError, match="cells_per_job") as error:
        Plan.from_config(config)
    assert "\n" not in str(error.value)


def test_a_cell_job_recomputes_only_the_trial_whose_files_are_gone(tmp_path, monkeypatch):
    config = {"experiments": {"e": {
        "graphs": ["input_separable"], "widths": [8], "depths": [1], "seeds": [0, 3],
        "pu": [50, 70], "pe": [2.5], "dense_must_reach_threshold": False,
        "train": {"lr": 0.05, "batch_size": 8, "epochs": 3},
    }}}  # fmt: skip
    (job,) = Plan.from_config(config).search_jobs()
    monkeypatch.chdir(tmp_path)
    assert main(["search", "--trial", job.trials_json, "--quiet"]) == 0
    kept, lost = (paths.trial_dir(t.key) for t in job.trials)
    stages = ("dense", "units", "edges", "selected")
    before = {
        (folder, stage): (folder / f"{stage}.pt").read_bytes()
        for folder in (kept, lost)
        for stage in stages
    }
    written = {stage: (kept / f"{stage}.json").stat().st_mtime_ns for stage in stages}
    for path in lost.iterdir():
        path.unlink()
    assert main(["search", "--trial", job.trials_json, "--quiet"]) == 0
    # The lost trial is computed again, bitwise as before; its sibling's files are not touched.
    for stage in stages:
        assert (lost / f"{stage}.pt").read_bytes() == before[(lost, stage)], stage
        assert (kept / f"{stage}.pt").read_bytes() == before[(kept, stage)], stage
        assert (kept / f"{stage}.json").stat().st_mtime_ns == written[stage], stage


def test_an_edge_case_figure_needs_its_network_in_the_config(quickstart, paper):
    # The quick start has no validation experiment; a validation experiment without reused at
    # 3 hidden layers of width 24 (the test config) cannot make fig38 either.
    test = Plan.from_config(config_of("test.yaml"))
    figures = [t for t in test.appendix_targets() if "/figures/" in t]
    assert figures == [str(paths.figure(name, "png")) for name in ("table4", "table2", "table3")]
    with pytest.raises(PlanError, match="fig38 needs trials of reused"):
        test.check_targets(["fig38"])
    paper.check_targets(["fig38", "fig39", "fig40", "table4"])


def test_an_experiments_drawings_are_one_job(paper):
    """Every drawing target is made by exactly one drawing job, one job per experiment where its
    graphs share the task options (every Boolean experiment), each job drawing from the records
    of its own experiment's trials only."""
    jobs = drawing_jobs(paper)
    outputs = [path for job in jobs for path in job.outputs()]
    assert sorted(outputs) == sorted(drawing_targets(paper.study.values()))
    assert len(outputs) == len(set(outputs)) and len({job.rule for job in jobs}) == len(jobs)
    boolean = [job for job in jobs if not job.options]
    assert len({job.experiment for job in boolean}) == len(boolean) > 10
    for job in jobs:
        cells = set(job.cells)
        expected = {
            str(path)
            for t in paper.study[job.experiment].trials
            if t.detects and (t.graph, t.depth) in cells
            for path in (paths.selected_json(t.key), paths.score_json(t.key, t.analysis))
        }
        inputs = job.inputs(paper)
        assert len(inputs) == len(set(inputs)) and set(inputs) == expected
        words = shlex.split(job.cell_options())  # quoted for the shell: splits back exactly
        want = [
            ["--cell", g, str(d), out] for (g, d), out in zip(job.cells, job.outputs(), strict=True)
        ]
        assert words == [w for cell in want for w in cell]
