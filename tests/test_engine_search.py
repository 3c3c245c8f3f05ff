"""The search: selection, faithfulness to the paper, stage files, resume and the CLI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch

from neural_sculpting.cli import engine as engine_cli
from neural_sculpting.engine.search import Search, SearchError
from neural_sculpting.engine.selection import select_lane
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.store import checkpoint
from neural_sculpting.study.hparams import PruningHparams, SearchHparams, TrainingHparams
from neural_sculpting.study.paper_choices import PaperChoiceError, paper_choice

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
SMALL = SearchHparams(pu_values=(50.0, 70.0), pe_values=(2.0, 2.5))
XOR = TrainingHparams(0.05, 8, 10)


def lane(pu, pe, kept, acc=100.0):
    return {"pu": pu, "pe": pe, "kept_weights": kept, "val_accuracy": acc}


def test_selection_is_lowest_density_ties_to_larger_pe_then_larger_pu():
    lanes = [lane(70, 2.0, 20), lane(5, 2.5, 20), lane(70, 2.5, 25), lane(10, 2.5, 20)]
    assert select_lane(lanes, 100.0) == 3  # ties at 20: Pe 2.5 beats 2.0, then Pu 10 beats 5
    lanes = [lane(70, 2.5, 15, acc=99.0), lane(5, 0.5, 30)]
    assert select_lane(lanes, 100.0) == 1  # a network below the threshold is not a candidate


def test_input_separable_grid_reaches_paper_density():
    """The paper (Appendix H): 4-24-24-4, lr 0.05, batch 8, 10 epochs -> ~2% density at 100%."""
    result = Search([SearchTrial("input_separable", 0)], SearchSettings((24, 24), XOR)).run()[0]
    assert result.dense_reached_threshold and result.pruned
    assert result.val_accuracy == 100.0
    assert result.density < 0.04


def test_rerun_with_the_same_seed_gives_identical_masks():
    exp = SearchSettings((24, 24), XOR, search=SMALL)
    first = Search([SearchTrial("input_separable", 2)], exp)
    first.run()
    second = Search([SearchTrial("input_separable", 2)], exp)
    second.run()
    for a, b in zip(first.runs[0].edges.masks(), second.runs[0].edges.masks(), strict=True):
        assert torch.equal(a, b)


def test_untrainable_dense_network_is_recorded_not_pruned():
    # One epoch at a tiny learning rate cannot learn XOR: the dense network stays below 100%.
    weak = TrainingHparams(1e-5, 8, 1)
    result = Search(
        [SearchTrial("input_separable", 0)], SearchSettings((24, 24), weak, search=SMALL)
    ).run()
    assert result[0].dense_reached_threshold is False and result[0].pruned is False
    assert result[0].trainable is False and result[0].scored is False
    assert result[0].dense_val_accuracy < 100.0
    loose = SearchSettings((24, 24), weak, PruningHparams(require_trainable_dense=False), SMALL)
    search = Search([SearchTrial("input_separable", 0)], loose)
    search.run(until="units")
    assert len(search.runs[0].unit_lanes) == 2  # pruned anyway when the rule is switched off


def test_stage_files_are_complete_loadable_and_reused(tmp_path):
    exp = SearchSettings((24, 24), XOR, search=SMALL)
    out = tmp_path / "input_separable" / "seed0"
    result = Search([SearchTrial("input_separable", 0, out)], exp).run()[0]
    for stage in ("dense", "units", "edges", "selected"):
        content = torch.load(out / f"{stage}.pt", weights_only=True)
        assert content["config"]["graph"] == "input_separable"
        record = json.loads((out / f"{stage}.json").read_text())
        assert record["provenance"]["torch"] == torch.__version__
    edges = json.loads((out / "edges.json").read_text())
    assert {(lane["pu"], lane["pe"]) for lane in edges["lanes"]} == {
        (50.0, 2.0), (50.0, 2.5), (70.0, 2.0), (70.0, 2.5)
    }  # fmt: skip
    steps = edges["lanes"][0]["steps"]
    assert steps and {"p", "step", "val_accuracy", "kept"} <= set(steps[0])
    selected = json.loads((out / "selected.json").read_text())["result"]
    assert selected == result.to_json() and selected["arch"] == "4-24-24-4"
    assert not list(out.glob("state-*")) and not list(out.glob(".*tmp"))
    # A second run loads everything: no stage is recomputed (files untouched).
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = Search([SearchTrial("input_separable", 0, out)], exp)
    assert again.run()[0] == result
    assert stamps == {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    # Other settings do not reuse them.
    other = SearchSettings((24, 24), TrainingHparams(0.05, 8, 9), search=SMALL)
    with pytest.raises(SearchError):
        Search([SearchTrial("input_separable", 0, out)], other).run(
            until="units", compute=("units",)
        )


def test_an_interrupted_pruning_stage_resumes_to_the_same_result(tmp_path, monkeypatch):
    exp = SearchSettings((24, 24), XOR, search=SMALL)
    reference = Search([SearchTrial("input_separable", 0)], exp)
    reference.run(until="edges")
    out = tmp_path / "trial"
    saves = []
    original = checkpoint.save_state

    def save_then_die(*args, **kwargs):
        original(*args, **kwargs)
        saves.append(args[1])
        if saves.count("edges") == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save_state", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        Search([SearchTrial("input_separable", 0, out)], exp, state_every_s=0.0).run()
    assert (out / "state-edges.pt").is_file() and not (out / "edges.json").exists()
    monkeypatch.setattr(checkpoint, "save_state", original)
    resumed = Search([SearchTrial("input_separable", 0, out)], exp)
    resumed.run()
    assert not (out / "state-edges.pt").exists()
    for a, b in zip(reference.runs[0].edges.masks(), resumed.runs[0].edges.masks(), strict=True):
        assert torch.equal(a, b)
    assert [x["steps"] for x in reference.runs[0].edge_lanes] == [
        x["steps"] for x in resumed.runs[0].edge_lanes
    ]


def test_paper_choice_reads_the_authors_pick():
    # Values as printed in the published paper_hparams.csv (chosen_pu, chosen_pe).
    assert paper_choice("input_separable", "4-24-24-4", 0) == (65.0, 1.5)
    assert paper_choice("reused", "4-24-24-16", 2) == (55.0, 2.0)
    with pytest.raises(PaperChoiceError):
        paper_choice("input_separable", "4-7-4", 0)


def parse(argv):
    parser = argparse.ArgumentParser(prog="sculpt")
    engine_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


BASE = ["--graph", "input_separable", "--arch", "24-24", "--lr", "0.05", "--batch-size", "8",
        "--epochs", "10", "--quiet"]  # fmt: skip


def test_cli_search_writes_a_selection(tmp_path, capsys):
    template = str(tmp_path / "{graph}" / "seed{seed}")
    argv = ["search", *BASE, "--seed", "0", "--pu", "70", "--pe", "2.5", "--out-dir", template]
    args = parse([*argv, "--device", "cpu", "--json"])
    assert args.handler(args) == 0
    printed = json.loads(capsys.readouterr().out.strip())
    stored = json.loads((tmp_path / "input_separable" / "seed0" / "selected.json").read_text())
    assert stored["result"] == printed and printed["chosen"] == {"pu": 70.0, "pe": 2.5}


def test_cli_paper_mode_looks_up_each_seeds_published_pair(tmp_path, capsys):
    # paper_hparams.csv: input_separable 4-24-24-4 seed 0 picked (65, 1.5); only the selection's
    # record is checked, so two epochs suffice.
    template = str(tmp_path / "s{seed}")
    argv = [
        "search",
        *BASE[:-2],
        "2",
        "--quiet",
        "--mode",
        "paper",
        "--allow-untrainable",
        "--json",
    ]
    args = parse([*argv, "--seed", "0", "--out", template])
    assert args.handler(args) == 0
    printed = json.loads(capsys.readouterr().out.strip())
    assert printed["chosen"] == {"pu": 65.0, "pe": 1.5}


def test_cli_usage_errors_are_value_errors(tmp_path):
    args = parse(["train", *BASE, "--seed", "0", "--seed", "1", "--out", str(tmp_path / "x")])
    with pytest.raises(ValueError, match="seed"):
        args.handler(args)
    args = parse(["prune-units", *BASE, "--out", str(tmp_path / "{graph}")])
    with pytest.raises(ValueError, match="dense"):
        args.handler(args)  # no dense.pt yet
    if not torch.cuda.is_available():
        args = parse(["train", *BASE, "--device", "cuda", "--out", str(tmp_path / "y")])
        with pytest.raises(ValueError, match="CUDA"):
            args.handler(args)


def _dense_record_after_search(out: Path) -> dict:
    search = SearchSettings((8,), TrainingHparams(0.05, 8, 1), search=SearchHparams(mode="dense"))
    Search([SearchTrial("input_separable", 0, out)], search).run()
    return json.loads((out / "dense.json").read_text())


def test_stage_files_know_the_task_file_and_the_rules_that_made_them(tmp_path, monkeypatch):
    """Editing a task file, or a change of the engine's rules, recomputes the stages; an
    unchanged rerun reuses them."""
    from neural_sculpting.engine import stage_records as search_module

    graphs = tmp_path / "graphs"
    graphs.mkdir()
    source = Path(__file__).resolve().parents[1] / "config" / "graphs" / "input_separable.yaml"
    task = graphs / "input_separable.yaml"
    task.write_text(source.read_text())
    monkeypatch.setenv("SCULPT_GRAPHS_DIR", str(graphs))
    out = tmp_path / "trial"
    record = _dense_record_after_search(out)
    assert record["config"]["task_sha256"] == checkpoint.file_sha256(task)
    assert record["config"]["rules"] == search_module.RULES_VERSION
    stamp = (out / "dense.json").stat().st_mtime_ns
    _dense_record_after_search(out)
    assert (out / "dense.json").stat().st_mtime_ns == stamp  # reused
    task.write_text(source.read_text() + "# an edit that changes nothing but the file\n")
    edited = _dense_record_after_search(out)
    assert edited["config"]["task_sha256"] == checkpoint.file_sha256(task)
    assert (out / "dense.json").stat().st_mtime_ns != stamp  # recomputed
    stamp = (out / "dense.json").stat().st_mtime_ns
    monkeypatch.setattr(search_module, "RULES_VERSION", search_module.RULES_VERSION + 1)
    bumped = _dense_record_after_search(out)
    assert bumped["config"]["rules"] == search_module.RULES_VERSION
    assert (out / "dense.json").stat().st_mtime_ns != stamp  # recomputed
    # Recomputed by the same rules, the network is the same one.
    assert bumped["lanes"][0]["val_loss"] == record["lanes"][0]["val_loss"]
