"""The study config: schema errors name the key; the paper study expands to its published trials."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from neural_sculpting.study.experiments import ConfigError, load_study, unique_trials

ROOT = Path(__file__).resolve().parents[1]
HPARAMS = ROOT.parent / "shared" / "reference" / "paper_hparams.csv"


@pytest.fixture(scope="module")
def paper_study():
    return load_study(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))


def test_paper_study_has_the_published_trial_counts(paper_study):
    # The paper's own experiments: not the sweeps, nor the digits task (a dataset file).
    grid = [
        e
        for e in paper_study.values()
        if e.trials[0].search.mode == "grid"
        and not e.name.startswith("lr_batch_")
        and not e.is_dataset
    ]
    assert len(unique_trials(grid)) == 1444 + 36 + 48  # Boolean, then the two MNIST tasks
    # README "Your own task": 2 widths x 2-4 hidden layers x 4 seeds
    assert len(paper_study["digits_two_digits"].trials) == 24
    # Appendix H.2's sweeps: 4 lr x (5 + 5 + 7 + 5) batch sizes x 3 depths x 4 seeds.
    sweeps = [e for name, e in paper_study.items() if name.startswith("lr_batch_")]
    assert len(unique_trials(sweeps)) == 4 * 22 * 3 * 4
    assert len(paper_study["mnist_two_digits"].trials) == 36  # Sec. 5.5: "Out of the 36 trials"
    assert len(paper_study["mnist_hierarchical"].trials) == 48  # 3 widths x 2-5 layers x 4 seeds
    assert len(paper_study["validation"].trials) == 144
    assert len(paper_study["input_overlap"].trials) == 900
    assert len(paper_study["hierarchy"].trials) == 240
    # Fig. 8's use-8 point is the validation experiment's `reused`: the same trials, once.
    shared = {t.key for t in paper_study["validation"].trials} & {
        t.key for t in paper_study["reuse_sweep"].trials
    }
    assert len(shared) == 36


def _csv_graph(script: str, arch: str) -> str:
    family, task = script.split("/")
    if family == "MNIST":
        return {"classifying_2_digits": "mnist_two_digits"}.get(task, "mnist_hierarchical")
    if family == "exemplars":
        return {"input_separable_reused": "separable_reused"}.get(task, task)
    if family == "non_separable_increasing_use":
        return "reused_use" + task.split("_")[1]
    if family == "input_overlap_exp":
        parts = task.split("_")
        return f"overlap{parts[1]}_use{parts[3]}"
    return f"hierarchy_use{int(arch.split()[-1]) // 2}"


def test_every_grid_trial_uses_the_authors_settings(paper_study):
    """Read paper_hparams.csv directly and compare each published trial's training settings."""
    table = pd.read_csv(HPARAMS)
    expected = {
        (_csv_graph(r.script, r.arch), r.arch.replace(" ", "-"), int(r.seed)): (
            float(r.lr),
            int(r.batch_size),
            int(r.epochs),
        )
        for r in table.itertuples()
    }
    grid = unique_trials([
        e for name, e in paper_study.items()
        if e.trials[0].search.mode == "grid" and not name.startswith("lr_batch_")
        and not e.is_dataset
    ])  # fmt: skip
    got = {
        (t.graph, t.arch, t.seed): (t.train.lr, t.train.batch_size, t.train.epochs) for t in grid
    }
    assert got == expected


def test_trial_key_ignores_the_experiment_and_names_settings(paper_study):
    trial = next(
        t for t in paper_study["reused_widths"].trials if t.arch == "4-8-8-16" and t.seed == 5
    )
    assert trial.key.startswith("reused/4-8-8-16/lr0.1-b16-e120/grid-")
    assert trial.key.endswith("/s5")


def minimal(**experiment) -> dict:
    return {"experiments": {"mine": {"graphs": ["reused"], **experiment}}}


def test_defaults_fill_what_an_experiment_leaves_out():
    (trial,) = load_study(minimal(seeds=[3]))["mine"].trials
    assert trial.hidden == (24, 24)
    assert trial.search.mode == "grid"
    assert trial.search.pu_values == tuple(float(p) for p in range(5, 75, 5))
    assert trial.search.pe_values == (0.5, 1.0, 1.5, 2.0, 2.5)
    assert trial.pruning.accuracy_threshold == 100
    assert (trial.detection.modularity_threshold, trial.detection.merge_threshold) == (-0.2, 0.9)


def test_overrides_apply_to_matching_trials_only():
    config = minimal(
        depths=[2, 3],
        seeds=[0],
        train={"lr": 0.05, "batch_size": 8, "epochs": 20},
        overrides=[
            {"graphs": ["reused"], "depths": [3], "train": {"batch_size": 16, "epochs": 30}}
        ],
    )
    trials = {t.depth: t.train for t in load_study(config)["mine"].trials}
    assert (trials[2].lr, trials[2].batch_size, trials[2].epochs) == (0.05, 8, 20)
    assert (trials[3].lr, trials[3].batch_size, trials[3].epochs) == (0.05, 16, 30)


def test_explicit_archs_replace_widths_and_depths():
    trials = load_study(minimal(archs=[[8, 8], [12, 6]], seeds=[0]))["mine"].trials
    assert [t.arch for t in trials] == ["4-8-8-16", "4-12-6-16"]


def test_paper_mode_takes_the_first_published_choice():
    # paper_hparams.csv lists overlap3_use1 5-24-24-2 seed 0 twice: (15, 0.5) first, then (5, 2.5).
    config = {
        "experiments": {
            "p": {
                "graphs": ["overlap3_use1"],
                "widths": [24],
                "depths": [2],
                "seeds": [0],
                "mode": "paper",
            }
        }
    }
    (trial,) = load_study(config)["p"].trials
    assert (trial.search.pu_values, trial.search.pe_values) == ((15.0,), (0.5,))


BAD = [
    ({"experiments": {"mine": {"graphs": ["reused"], "colour": 1}}}, "experiments.mine", "colour"),
    (minimal(widths=[-1]), "experiments.mine.widths[0]", "minimum"),
    (minimal(depths=[0]), "experiments.mine.depths[0]", "minimum"),
    (minimal(seeds=[-2]), "experiments.mine.seeds[0]", "minimum"),
    (minimal(train={"lr": 0}), "experiments.mine.train.lr", "0"),
    (minimal(pu=[0]), "experiments.mine.pu[0]", "0"),
    (minimal(pe=[100]), "experiments.mine.pe[0]", "100"),
    (minimal(mode="random"), "experiments.mine.mode", "random"),
    (minimal(graphs=["nosuch"]), "experiments.mine.graphs[0]", "no nosuch.yaml in config/graphs/"),
    (minimal(graphs=["../etc"]), "experiments.mine.graphs[0]", "does not match"),
    ({"experiments": {"Bad Name": {"graphs": ["reused"]}}}, "experiments", "Bad Name"),
    ({"experiment": {}}, "(top level)", "experiment"),
]


@pytest.mark.parametrize(("config", "where", "words"), BAD)
def test_bad_config_names_the_key(config, where, words):
    with pytest.raises(ConfigError) as info:
        load_study(copy.deepcopy(config))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"config: {where}")
    assert words in message


# --- MNIST experiments (Sec. 5.5) -----------------------------------------------------------------


def test_paper_mnist_experiments_use_the_papers_thresholds(paper_study):
    two, hier = paper_study["mnist_two_digits"], paper_study["mnist_hierarchical"]
    assert {t.pruning.accuracy_threshold for t in two.trials} == {99.0}
    assert {t.pruning.accuracy_threshold for t in hier.trials} == {98.0}
    for trial in (*two.trials, *hier.trials):
        assert trial.pruning.accuracy_measure == "per_bit"
        assert (trial.detection.modularity_threshold, trial.detection.merge_threshold) == (
            -0.3,
            0.6,
        )
        assert trial.dataset.split == "paper" and trial.dataset.composites_per_pair == 1000
        assert trial.n_inputs == 1568 and set(trial.hidden) <= {392, 784, 1568}
    assert {t.depth for t in two.trials} == {2, 3, 4}
    assert {t.depth for t in hier.trials} == {2, 3, 4, 5}
    assert {t.n_outputs for t in two.trials} == {20} and {t.n_outputs for t in hier.trials} == {3}


def mnist(**experiment) -> dict:
    return {"experiments": {"mine": {"task": "mnist_hierarchical", **experiment}}}


def test_an_mnist_experiment_left_bare_takes_the_papers_mnist_settings():
    (trial,) = load_study(mnist(seeds=[0]))["mine"].trials
    assert trial.graph == "mnist_hierarchical" and trial.arch == "1568-392-392-3"
    # The authors' most used setting for the hierarchical task (paper_hparams.csv: lr 0.001 for
    # all 12 architectures, 80 epochs for 6 of them, 40 for 5, 120 for one), and Sec. 5.5's 98%.
    assert (trial.train.lr, trial.train.epochs) == (0.001, 80)
    assert trial.pruning.accuracy_threshold == 98.0
    assert not trial.pruning.require_trainable_dense
    assert trial.detection.modularity_threshold == -0.3 and trial.detection.merge_threshold == 0.6
    assert trial.dataset.dataset == "hierarchical" and trial.dataset.root == "data"


def test_the_dataset_and_measure_are_part_of_the_trial_key():
    keys = {
        load_study(mnist(seeds=[0], **extra))["mine"].trials[0].key
        for extra in (
            {},
            {"composites_per_pair": 100},
            {"split": "disjoint"},
            {"accuracy_measure": "per_digit"},
            {"mnist_root": "elsewhere"},  # where the files are is not what the trial is
        )
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (mnist(graphs=["reused"]), r"experiments.mine.graphs: task mnist_hierarchical takes no"),
        (minimal(split="disjoint"), r"experiments.mine.split: applies to MNIST tasks only"),
        (minimal(accuracy_measure="per_digit"), r"per_digit needs an MNIST task"),
        (mnist(split="pooled"), r"experiments.mine.split: 'pooled' is not one of"),
        (mnist(composites_per_pair=1), r"composites_per_pair: 1 is less than"),
        ({"experiments": {"mine": {"widths": [8]}}}, r"'graphs' is required for task boolean"),
        (minimal(graphs=["mnist_two_digits"]), r"graphs\[0\]: mnist_two_digits is an MNIST task"),
        (minimal(overrides=[{"accuracy_measure": "per_digit"}]), r"per_digit needs an MNIST task"),
        (mnist(depths=[1, 2]), r"MNIST networks need at least 2 hidden layers"),
        (
            {
                "experiments": {
                    "one": {"task": "mnist_hierarchical", "mnist_root": "a"},
                    "two": {"task": "mnist_hierarchical", "mnist_root": "b"},
                }
            },
            r"experiments.two.mnist_root: 'b' differs from experiments.one's 'a'",
        ),
    ],
)
def test_bad_mnist_settings_are_one_line_config_errors(config, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_study(config)
    assert "\n" not in str(info.value)


# --- edge-only Pe, the trial hand-over, defaults ------------------------------------------------

PAPER_EDGE_ONLY_PE = (5.0, 2.5, 2.0, 1.5, 1.0, 0.5)  # Sec. 3.1: edge pruning alone, Pe 5 ... 0.5


def edge_only(**experiment) -> dict:
    return minimal(mode="edge_only", seeds=[0], **experiment)


def test_a_pe_given_to_an_edge_only_experiment_is_its_schedule():
    (trial,) = load_study(edge_only(pe=[3, 1]))["mine"].trials
    assert trial.search.pe_values == (3.0, 1.0)


def test_a_pe_given_by_an_override_is_the_edge_only_schedule_of_its_trials():
    config = edge_only(depths=[1, 2], overrides=[{"depths": [2], "pe": [4]}])
    trials = {t.depth: t for t in load_study(config)["mine"].trials}
    assert trials[2].search.pe_values == (4.0,)
    assert trials[1].search.pe_values == PAPER_EDGE_ONLY_PE
    assert trials[1].search_key != trials[2].search_key


def test_without_pe_edge_only_keeps_the_papers_schedule_and_folders(paper_study):
    (trial,) = load_study(edge_only())["mine"].trials
    assert trial.search.pe_values == PAPER_EDGE_ONLY_PE
    # The folder names the paper's edge-only trials had before Pe could be given (Figs. 3a,
    # 3b, 35): the cached networks of earlier runs stay valid.
    for name in ("structural_edge_only_input_separable", "structural_edge_only_reused"):
        searches = {t.search_key for t in paper_study[name].trials}
        assert searches == {"edge-only-0b922a2e"}


def test_every_trial_of_the_paper_study_survives_its_json_hand_over(paper_study):
    from neural_sculpting.study.trial import Trial

    trials = unique_trials(list(paper_study.values()))
    assert {t.dataset is not None for t in trials} == {True, False}
    assert {t.search.mode for t in trials} == {"grid", "dense", "edge_only"}
    for trial in trials:
        assert Trial.from_json(trial.to_json()) == trial


@pytest.mark.parametrize("text", ["", "{}", '{"graph": "x"}', "[1, 2]", '{"graph": 1'])
def test_a_malformed_trial_json_is_one_line(text):
    from neural_sculpting.study.trial import Trial

    with pytest.raises(ValueError, match="not a trial's JSON") as info:
        Trial.from_json(text)
    assert "\n" not in str(info.value)


def test_the_schemas_defaults_are_the_dataclasses_defaults():
    from neural_sculpting.study.defaults import DEFAULTS
    from neural_sculpting.study.experiments import schema

    expected = DEFAULTS["boolean"].as_config()
    experiment = schema()["$defs"]["experiment"]["properties"]
    stated = {key: spec["default"] for key, spec in experiment.items() if "default" in spec}
    assert stated.keys() <= expected.keys()
    for key, value in stated.items():
        assert value == expected[key], key
    # Every key the dataclasses default is stated in the schema (and so in config/README.md).
    assert set(expected) == set(stated)


def test_mnist_experiments_train_without_input_noise():
    (trial,) = load_study(mnist(seeds=[0], train={"lr": 0.01}))["mine"].trials
    assert trial.train.noise_std == 0.0 and trial.train.lr == 0.01
    assert trial.train.epochs == 80  # the hierarchical task's default, kept beside the new lr


@pytest.mark.parametrize("name", ["graphs", "trials", "logs", "benchmarks", "figures", "data"])
def test_an_experiment_may_not_take_a_results_folders_name(name):
    # results/<name>/ already holds the graphs, trials, logs, benchmarks, figures or datasets.
    config = {"experiments": {name: minimal()["experiments"]["mine"]}}
    with pytest.raises(ConfigError, match=f"experiments.{name}: the name is reserved"):
        load_study(config)
