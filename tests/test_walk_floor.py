"""The edge-pruning walk's floor (`edge_min_step`): settings, config, records and the schedule."""

from __future__ import annotations

import copy

import pytest
import yaml

from neural_sculpting.cli.main import main
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.pruning.edges import edge_schedules
from neural_sculpting.engine.search import Search
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.engine.stage_records import stage_configs
from neural_sculpting.study.experiments import ConfigError, load_study
from neural_sculpting.study.hparams import (
    HparamsError,
    PruningHparams,
    SearchHparams,
    TrainingHparams,
)


def config(**extra) -> dict:
    return {"experiments": {"mine": {"graphs": ["input_separable"], "widths": [8], **extra}}}


@pytest.mark.parametrize("bad", [0, 0.0, 100, 150, -1, True, "0.1", float("nan")])
def test_a_floor_outside_0_100_is_refused(bad):
    with pytest.raises(HparamsError, match="edge_min_step"):
        PruningHparams(edge_min_step=bad)


def test_the_schedule_halves_down_to_the_floor_or_one_weight():
    model = LaneMLP.initialise((4, 10, 10, 4), [(0, "init")])  # 180 weights: one is 0.556%
    (exact,) = edge_schedules([(0, "e")], [2.5], model, [100.0])
    assert exact.p_min == pytest.approx(100 / 180)
    (floored,) = edge_schedules([(0, "e")], [2.5], model, [100.0], min_step=1.25)
    assert floored.p_min == 1.25
    # A floor under one weight leaves the authors' rule in force.
    (under,) = edge_schedules([(0, "e")], [2.5], model, [100.0], min_step=0.1)
    assert under.p_min == pytest.approx(100 / 180)
    # 2.5 fails -> 1.25 (the floor); 1.25 fails -> the run ends (2 failures, not 3 as exactly).
    floored.fail()
    assert floored.step == 1.25 and not floored.done
    floored.fail()
    assert floored.done
    exact.fail()
    exact.fail()
    assert not exact.done and exact.step == 0.625  # 2.5 -> 1.25 -> 0.625, then one weight
    exact.fail()
    assert not exact.done and exact.step == pytest.approx(100 / 180)


def test_the_floor_reaches_the_config_the_trial_key_and_the_edge_records_only():
    default = load_study(config())["mine"].trials[0]
    floored = load_study(config(edge_min_step=0.25))["mine"].trials[0]
    assert default.pruning.edge_min_step is None and floored.pruning.edge_min_step == 0.25
    assert default.key != floored.key
    # Left out, the key is the one it was before the option existed (digest of the same fields).
    assert load_study(config(edge_min_step=None))["mine"].trials[0].key == default.key
    settings = SearchSettings.of_trial(floored)
    configs = stage_configs(settings, SearchTrial("input_separable", 0), (4, 8, 8, 4), (5.0,),
                            (0.5,), None)  # fmt: skip
    assert configs["edges"]["edge_min_step"] == 0.25
    assert "edge_min_step" not in configs["units"] and "edge_min_step" not in configs["dense"]
    assert "edge_min_step" not in configs["units"]["pruning"]
    plain = stage_configs(SearchSettings.of_trial(default), SearchTrial("input_separable", 0),
                          (4, 8, 8, 4), (5.0,), (0.5,), None)  # fmt: skip
    assert "edge_min_step" not in plain["edges"] and plain["units"] == configs["units"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"edge_min_step": 150}, "experiments.mine.edge_min_step"),
        ({"edge_min_step": 0}, "experiments.mine.edge_min_step"),
        ({"edge_min_step": "fine"}, "experiments.mine.edge_min_step"),
        ({"edge_min_step": 1.0, "pe": [0.5, 2.0]}, "larger than the smallest pe (0.5)"),
        ({"edge_min_step": 0.6}, "larger than the smallest pe (0.5)"),
        ({"overrides": [{"edge_min_step": -2}]}, "experiments.mine.overrides[0].edge_min_step"),
    ],
)
def test_a_bad_floor_in_the_config_is_one_line(extra, words):
    with pytest.raises(ConfigError) as info:
        load_study(copy.deepcopy(config(**extra)))
    assert "\n" not in str(info.value) and words in str(info.value)


def test_a_bad_floor_is_one_line_and_status_2_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config(edge_min_step=250)))
    assert main(["status", "--configfile", str(path), "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "experiments.mine.edge_min_step" in err
    assert main(["search", "--graph", "input_separable", "--arch", "8", "--out-dir",
                 str(tmp_path / "t"), "--edge-min-step", "0"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "edge_min_step" in err
    assert not (tmp_path / "t").exists()


def test_a_floored_search_ends_in_fewer_rounds_than_the_exact_walk():
    """Same dense and unit stages; the floor only shortens the edge walk (never lengthens it)."""
    hp = TrainingHparams(lr=0.05, batch_size=8, epochs=4)
    rounds = {}
    for floor in (None, 2.0):
        pruning = PruningHparams(require_trainable_dense=False, edge_min_step=floor)
        search = Search(
            [SearchTrial("input_separable", 0)],
            SearchSettings((12,), hp, pruning, SearchHparams("grid", (50.0,), (2.5,))),
        )
        search.run()
        (lane,) = search.runs[0].edge_lanes
        rounds[floor] = lane["rounds"]
        steps = [s["step"] for s in lane["steps"]]
        if floor is not None:
            assert min(steps) >= floor
        else:
            assert min(steps) < 2.0
    assert rounds[2.0] < rounds[None]
