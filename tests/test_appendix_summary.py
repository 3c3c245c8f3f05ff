"""scripts/appendix_summary.py on hand-made Table 2/3 rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scripts_loader import load_script


def load():
    return load_script("appendix_summary")


def rows(table: str, settings: list[tuple]) -> pd.DataFrame:
    """(graph, depth, lr, batch, successes, untrainable, paper_rate, paper_untrainable)."""
    out = []
    for graph, depth, lr, batch, k, x, paper, paper_x in settings:
        low, high = {0: (0.0, 0.49), 2: (0.15, 0.85), 4: (0.51, 1.0)}[k]
        out.append({"table": table, "panel": "a", "graph": graph, "depth": depth, "lr": lr,
                    "batch_size": batch, "epochs": 10, "trials": 4, "successes": k,
                    "rate": k / 4, "rate_low": low, "rate_high": high, "untrainable": x,
                    "paper_rate": paper, "paper_untrainable": paper_x})  # fmt: skip
    return pd.DataFrame(out)


def write(folder: Path, settings2: list[tuple], settings3: list[tuple]) -> Path:
    folder.mkdir()
    rows("table2", settings2).to_csv(folder / "table2.csv", index=False)
    rows("table3", settings3).to_csv(folder / "table3.csv", index=False)
    return folder


def test_the_summary_counts_settings_trained_in_both_against_the_paper(tmp_path):
    module = load()
    folder = write(tmp_path / "run", [
        ("reused", 1, 0.1, 8, 0, False, 1.0, False),   # 0/4 against 4/4: Fisher p = 0.029
        ("reused", 1, 0.1, 16, 2, False, 1.0, False),  # 2/4 against 4/4: p = 0.43, outside
        ("reused", 1, 0.05, 8, 4, False, 1.0, False),  # inside
        ("reused", 1, 0.05, 16, 0, True, 0.0, True),   # X in both: not compared
    ], [("non_modular", 2, 0.1, 8, 4, False, 0.0, True)])  # fmt: skip
    table = module.summary(module.read_tables(folder)).set_index("graph")
    reused = table.loc["reused"]
    assert (reused["settings"], reused["X here"], reused["X in both"]) == (4, 1, 1)
    assert reused["paper's rate inside our interval"] == "1 of 3"
    assert reused["Fisher p < 0.05"] == 1
    assert reused["mean rate: ours"] == 0.5 and reused["mean rate: paper"] == 1.0
    # Untrainable in the paper only: counted there, not compared.
    assert table.loc["non_modular", "X in the paper"] == 1
    assert table.loc["non_modular", "paper's rate inside our interval"] == "0 of 0"


def test_changes_between_two_runs_are_listed_per_setting(tmp_path):
    module = load()
    before = write(tmp_path / "before", [("reused", 1, 0.1, 8, 2, False, 1.0, False),
                                         ("reused", 1, 0.1, 16, 4, False, 1.0, False)],
                   [("non_modular", 1, 0.1, 8, 4, False, 1.0, False)])  # fmt: skip
    after = write(tmp_path / "after", [("reused", 1, 0.1, 8, 4, False, 1.0, False),
                                       ("reused", 1, 0.1, 16, 4, False, 1.0, False)],
                  [("non_modular", 1, 0.1, 8, 4, False, 1.0, False)])  # fmt: skip
    table = module.changes(module.read_tables(after), module.read_tables(before))
    row = table.set_index("graph").loc["reused"]
    assert row["settings changed"] == 1
    assert table.set_index("graph").loc["non_modular", "settings changed"] == 0
    assert (row["successes: this run"], row["successes: before"]) == (8, 6)
