"""The reproduction report's verdict rules, on hand-made numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neural_sculpting.reproduction import authors, items, judges, report
from neural_sculpting.reproduction import verdicts as rules
from neural_sculpting.study.experiments import ConfigError, load_study

ROOT = Path(__file__).resolve().parents[1]


def test_fisher_agreement_of_two_counts():
    # Two-sided Fisher exact p: 8/12 against 12/12 is 0.093 (agree at 0.05); 3/12 against 12/12
    # is 0.0001 (differ); 3/4 against 4/4 is 1.0.
    assert rules.same_counts((8, 12), (12, 12))
    assert not rules.same_counts((3, 12), (12, 12))
    assert rules.same_counts((3, 4), (4, 4))


def test_rate_trend_and_share_verdicts():
    assert rules.rate_verdict(4, 4) == rules.REPRODUCED
    assert rules.rate_verdict(2, 4) == rules.PARTLY
    assert rules.rate_verdict(1, 4) == rules.NOT_REPRODUCED
    assert rules.rate_verdict(0, 0) == rules.NOT_RUN
    # 12/12 against 0/12: the Wilson intervals [0.76, 1] and [0, 0.24] do not overlap.
    assert rules.trend_verdict((0, 12), (12, 12)) == rules.REPRODUCED
    assert rules.trend_verdict((5, 12), (7, 12)) == rules.PARTLY
    assert rules.trend_verdict((7, 12), (5, 12)) == rules.NOT_REPRODUCED
    assert (
        rules.share_verdict(3, 4) == rules.REPRODUCED and rules.share_verdict(2, 4) == rules.PARTLY
    )
    assert rules.combine([rules.REPRODUCED, rules.NOT_RUN]) == rules.REPRODUCED
    assert rules.combine([rules.REPRODUCED, rules.NOT_REPRODUCED]) == rules.PARTLY


def _tests(rows):
    return pd.DataFrame(rows, columns=["architecture", "training regime", "seed", "test",
                                       "t statistic", "p value", "rejected"])  # fmt: skip


def test_table1_agrees_network_by_network_with_rejected_only_at_one_hidden_layer():
    rows = []
    for arch, seeds_rejected in (("4-24-4", (True, True)), ("4-24-24-4", (False, True))):
        for seed, rejected in enumerate(seeds_rejected):
            for test in (1, 2):
                rows.append((arch, "dense", seed, test, -3.0, 0.01, rejected))
    judgement = judges.judge_table1({"table1": _tests(rows)}, None)
    # 4-24-4: both rejected in 2 of 2 (the paper: rejected); 4-24-24-4: in 1 of 2 (not): 3 of 4.
    assert judgement.verdict == rules.REPRODUCED
    assert "agrees with the paper's in 3 of 4" in judgement.lines[-1]


def test_a_missing_figure_is_not_run_and_the_report_has_every_section(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    pd.DataFrame({"graph": ["reused_use1", "reused_use8"], "use": [1, 8], "depth": [2, 2],
                  "trials": [12, 12], "successes": [0, 12], "rate": [0.0, 1.0]}).to_csv(
        figures / "fig8.csv", index=False)  # fmt: skip
    results = report.write_report(figures, tmp_path / "out")
    verdicts = {item.key: j.verdict for item, j in results}
    assert verdicts["fig8"] == rules.REPRODUCED
    assert verdicts["fig7"] == rules.NOT_RUN and verdicts["fig13b"] == rules.NOT_RUN
    page = (tmp_path / "out" / "README.md").read_text()
    assert all(f"## {item.title}" in page for item in items.ITEMS)
    assert "Fisher's exact test" in page  # the rules are stated once, at the top


def test_the_authors_scores_are_read_from_their_committed_table():
    scores = authors.read_authors_scores(ROOT / "docs" / "authors_networks_scores.md")
    assert scores[("reused", 2)] == (26, 28)
    assert scores[("separable_reused", 3)] == (12, 12)
    assert len(scores) == 12


def test_reproduction_is_a_reserved_name():
    config = {"experiments": {"reproduction": {"graphs": ["input_separable"]}}}
    with pytest.raises(ConfigError, match="reserved"):
        load_study(config)
