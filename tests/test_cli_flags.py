"""The settings' command-line flags are made from their fields: `sculpt search --help` states the
defaults config/README.md states, and the flags set what the config keys set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from neural_sculpting.cli.main import build_parser
from neural_sculpting.study.experiments import load_study
from neural_sculpting.study.hparams import PruningHparams, SearchHparams, TrainingHparams
from neural_sculpting.study.trial_settings import parse_threshold, trial_settings

README = Path(__file__).resolve().parent.parent / "config" / "README.md"


def readme_defaults() -> dict[str, str]:
    """Config key -> the default README's tables give it (a nested key as `section.key`)."""
    defaults, section = {}, ""
    for line in README.read_text().splitlines():
        heading = re.match(r"^#+ `?([a-z_]+)`?", line)
        if heading:
            section = heading.group(1)
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)]
        if len(cells) > 4 and re.fullmatch(r"`[a-z_]+`", cells[1]) and cells[3] != "-":
            key, default = cells[1].strip("`"), cells[3].strip("`")
            defaults.setdefault(f"{section}.{key}", default)
            defaults.setdefault(key, default)
    return defaults


def help_defaults() -> dict[str, str]:
    """Config key -> the default `sculpt search --help` states for the flag that sets it."""
    search = build_parser()._subparsers._group_actions[0].choices["search"]
    text = " ".join(search.format_help().split())
    return dict(re.findall(r"\(config ([a-z_.]+), default (.+?)\)", text))


def test_every_settings_flag_names_its_config_key_and_default():
    stated = help_defaults()
    keys = {
        f.metadata["config"]
        for cls in (TrainingHparams, SearchHparams, PruningHparams)
        for f in cls.__dataclass_fields__.values()
        if "config" in f.metadata
    }
    assert keys == set(stated) and len(keys) >= 10


def test_the_help_states_the_defaults_of_config_readme():
    readme, stated = readme_defaults(), help_defaults()
    for key, text in stated.items():
        assert key in readme, key
        assert yaml.safe_load(text) == yaml.safe_load(readme[key]), key


@pytest.mark.parametrize(
    ("flags", "config"),
    [
        ([], {}),
        (["--lr", "0.1", "--epochs", "3"], {"train": {"lr": 0.1, "epochs": 3}}),
        (["--pu", "50", "70", "--pe", "2.5"], {"pu": [50, 70], "pe": [2.5]}),
        (["--accuracy-threshold", "dense"], {"accuracy_threshold": "dense"}),
        (["--accuracy-threshold", "99"], {"accuracy_threshold": 99}),
        (["--allow-untrainable"], {"dense_must_reach_threshold": False}),
        (["--edge-min-step", "0.25"], {"edge_min_step": 0.25}),
        (["--mode", "edge_only"], {"mode": "edge_only"}),
    ],
)
def test_a_flag_sets_what_its_config_key_sets(flags, config):
    from neural_sculpting.cli import engine as engine_cli

    argv = ["search", "--graph", "input_separable", "--arch", "8", "--out-dir", "x", *flags]
    args = build_parser().parse_args(argv)
    _, by_flags, _ = engine_cli._from_flags(args)
    spec = {"graphs": ["input_separable"], "archs": [[8]], "seeds": [0], **config}
    trial = load_study({"experiments": {"mine": spec}})["mine"].trials[0]
    assert by_flags.training == trial.train
    assert by_flags.search == trial.search
    assert by_flags.pruning == trial.pruning


def test_thresholds_are_parsed_in_one_place():
    assert parse_threshold(None, 100.0) == 100.0
    assert parse_threshold("dense", 100.0) is None
    assert parse_threshold(99, None) == 99.0
    with pytest.raises(ValueError, match="percent or dense"):
        parse_threshold("most", 100.0)
    # The kinds' own defaults: a percent for Boolean tasks, each dense accuracy for datasets.
    assert trial_settings("boolean").pruning.accuracy_threshold == 100.0
    assert trial_settings("dataset").pruning.accuracy_threshold is None
    sources = Path(__file__).resolve().parent.parent / "neural_sculpting"
    parse = re.compile(r'(threshold|value)\s*==\s*("dense"|DENSE)')
    parsers = [p.name for p in sources.rglob("*.py") if parse.search(p.read_text())]
    assert parsers == ["trial_settings.py"]
