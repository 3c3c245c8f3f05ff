"""The reproduction report's verdict rules, on hand-made numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neural_sculpting.reproduction import authors, items, judges, report, structural_judges
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
    judgement = structural_judges.judge_table1({"table1": _tests(rows)}, None)
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


def test_a_per_cell_verdict_falls_to_partly_when_the_pooled_counts_differ():
    # 131/144 against 157/160: Fisher's two-sided p is 0.008, so the pooled counts differ;
    # 291/368 against 298/368: p = 0.58, they agree.
    assert rules.fisher_p((131, 144), (157, 160)) == pytest.approx(0.0081, abs=5e-4)
    verdict, rule = rules.with_pooled(rules.REPRODUCED, (131, 144), (157, 160))
    assert verdict == rules.PARTLY and "pooled test" in rule
    verdict, rule = rules.with_pooled(rules.REPRODUCED, (291, 368), (298, 368))
    assert verdict == rules.REPRODUCED and "per-cell rule" in rule
    assert rules.with_pooled(rules.NOT_REPRODUCED, (1, 10), (9, 10))[0] == rules.NOT_REPRODUCED


def _fig7_rates(cells):
    return pd.DataFrame([{"graph": g, "depth": d, "trials": n, "successes": k,
                          "ci_low": 0.0, "ci_high": 1.0} for g, d, k, n in cells])  # fmt: skip


def test_fig7_prints_a_pooled_line_and_says_which_rule_gave_the_verdict():
    # Every cell: 10/12 against the authors' 12/12 (Fisher p = 0.48, agree); pooled over six
    # cells 60/72 against 72/72, p = 0.0001: differ.
    cells = [(g, d, 10, 12) for g in ("reused", "separable_reused") for d in (1, 2, 3)]
    ctx = rules.Context({(g, d): (12, 12) for g, d, _, _ in cells}, {}, None)
    judgement = judges.judge_fig7({"fig7": _fig7_rates(cells)}, ctx)
    assert judgement.verdict == rules.PARTLY
    assert any(line.startswith("pooled over the 6 cells: ours 60/72") for line in judgement.lines)
    assert judgement.lines[-1].startswith("verdict by the pooled test")


def _fig10_rates(merged3, merged4):
    rows = []
    for prop in ("input_modules_match", "output_modules_match", "hidden_modules_match",
                 "inputs_in_one_module"):  # fmt: skip
        for overlap in (0, 3, 4):
            for use in (1, 8):
                if prop == "inputs_in_one_module":
                    k = {3: merged3, 4: merged4}.get(overlap, 0)
                else:
                    k = 18 if overlap == 0 else 9
                rows.append({"property": prop, "overlap": overlap, "use": use, "trials": 18,
                             "successes": k})  # fmt: skip
    return pd.DataFrame(rows)


def test_fig10_explains_overlap_four_by_its_merged_networks_from_the_csv():
    # 7 and 15 merged networks of 18 a use: pooled over the two uses, 14/36 and 30/36.
    judgement = judges.judge_fig10({"fig10": _fig10_rates(merged3=7, merged4=15)}, None)
    assert "overlap 3 14/36" in judgement.evidence and "overlap 4 30/36" in judgement.evidence
    assert "all input units in one module" in judgement.lines[-1]


def test_table4_reads_the_authors_networks_table():
    ours = pd.DataFrame([{"linkage": "average", "distance": "cosine", "criterion": c,
                          "trials": 144, "successes": k, "rate": k / 144, "ci_low": 0.0,
                          "ci_high": 1.0, "paper_rate": 0.99}
                         for c, k in (("modularity", 131), ("silhouette", 131))])  # fmt: skip
    theirs = ours.assign(trials=160, successes=157, rate=157 / 160, ci_low=0.95, ci_high=0.995)
    ctx = rules.Context({}, {}, None, theirs)
    judgement = judges.judge_table4({"table4": ours}, ctx)
    assert "on the authors' networks, modularity: 157/160" in "\n".join(judgement.lines)
    assert "inside the interval in 2 of 2 rows" in judgement.evidence


def test_the_committed_report_is_the_one_its_script_makes():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "reproduction_report.py"),
                             "--check"], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_committed_authors_table4_is_the_one_its_script_makes():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "authors_table4.py"),
                             "--check"], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def fig40_rows(layers: dict[int, tuple[int, list[float], bool]]) -> pd.DataFrame:
    """Per layer: (units, M at k = 1..n, whether the tests decided)."""
    rows = [
        {"layer": layer, "n_units": n, "k": k, "M": m, "chosen_k": 1, "used_tests": used}
        for layer, (n, ms, used) in layers.items()
        for k, m in enumerate(ms, start=1)
    ]
    return pd.DataFrame(rows)


def test_fig40_reproduced_where_a_flat_layer_is_left_to_the_tests():
    flat = fig40_rows({0: (4, [0.0, 0.0, 0.0, 0.0], True), 1: (2, [0.0, -0.5], True)})
    assert structural_judges.judge_fig40({"fig40": flat}, None).verdict == rules.REPRODUCED


def test_fig40_without_a_flat_layer_says_why_from_its_curves():
    # Layer 0's M at k = 2, 3 (the values the rule compares) has its lowest, -0.208, at k = 3.
    curved = fig40_rows({0: (4, [0.0, -0.125, -0.208, -0.25], True), 1: (2, [0.0, 0.0], True)})
    judgement = structural_judges.judge_fig40({"fig40": curved}, None)
    assert judgement.verdict == rules.NOT_REPRODUCED
    assert "does not arise" in judgement.evidence
    assert "layer 0 (4 units): lowest M -0.208 at k = 3" in judgement.evidence
    assert "layer 1 (2 units): M = 0 at every k" in judgement.evidence
    # A flat layer of four the tests did not decide is left unexplained, not excused.
    untested = fig40_rows({0: (4, [0.0] * 4, False)})
    evidence = structural_judges.judge_fig40({"fig40": untested}, None).evidence
    assert evidence.startswith("unexplained")


def _fig8_rates(depth3_hi: int) -> pd.DataFrame:
    """Uses 1 and 8 at one to three hidden layers, 12 trials a bar; depth 3's part counts."""
    successes = {1: (12, 12), 2: (4, 11), 3: (7, depth3_hi)}
    parts = {1: ((12, 12), (12, 12)), 2: ((4, 11), (9, 12)), 3: ((8, 12), (9, 6))}
    rows = []
    for depth, by_use in successes.items():
        for i, use in enumerate((1, 8)):
            rows.append({"graph": f"reused_use{use}", "use": use, "depth": depth, "trials": 12,
                         "successes": by_use[i], "outputs_matched": parts[depth][0][i],
                         "hidden_matched": parts[depth][1][i]})  # fmt: skip
    return pd.DataFrame(rows)


def test_fig8_is_read_by_depth_with_the_failing_part_of_the_rule():
    # Pooled: use 1 23/36, use 8 27/36, whose Wilson intervals overlap: partly reproduced.
    judgement = judges.judge_fig8({"fig8": _fig8_rates(depth3_hi=4)}, None)
    assert judgement.verdict == rules.PARTLY
    evidence = judgement.evidence
    assert "from use 1 to use 8 (23/36 = 0.64 [0.48, 0.78] to 27/36" in evidence
    assert "24/24" in evidence  # one hidden layer, both uses: the single module asked for
    assert "at 2 hidden layers use 1 4/12 = 0.33 [0.14, 0.61], use 8 11/12" in evidence
    assert "(reproduced)" in evidence
    # Depth 3 does not rise; its outputs do (8 -> 12) while its hidden units do not (9 -> 6).
    assert "(not reproduced): output sub-functions detected 8/12 to 12/12" in evidence
    assert "hidden units in the sub-functions' modules 9/12 to 6/12" in evidence
    # A rise that clears the intervals needs no explanation.
    clear = _fig8_rates(depth3_hi=12).assign(successes=lambda r: r["use"].map({1: 2, 8: 12}))
    assert not judges.judge_fig8({"fig8": clear}, None).evidence


def test_fig8_names_the_hidden_layers_only_where_the_counts_say_so():
    rates = _fig8_rates(depth3_hi=4)
    assert (
        "the failures lie in the hidden layers" in judges.judge_fig8({"fig8": rates}, None).evidence
    )
    # Depth 3's outputs now fall with use (12 -> 8): the sentence is not written.
    falls = rates.copy()
    at3 = falls["depth"] == 3
    falls.loc[at3, "outputs_matched"] = falls.loc[at3, "use"].map({1: 12, 8: 8})
    evidence = judges.judge_fig8({"fig8": falls}, None).evidence
    assert "output sub-functions detected 12/12 to 8/12" in evidence
    assert "the failures lie in the hidden layers" not in evidence
