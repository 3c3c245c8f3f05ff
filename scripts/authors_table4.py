"""Table 4 (Appendix I.1) on the authors' 160 published validation networks: every clustering
choice of the paper's table, with our detector and scoring rule, so that our Table 4 can be read
against the same table on the networks the paper's was made from.

    python scripts/authors_table4.py            # writes docs/authors_table4.csv
    python scripts/authors_table4.py --check    # exit 1 if the committed table differs

Each network is detected with the thresholds the authors stored with it (as
`score_authors_networks.py` does) and scored against its task's structure at its depth.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pandas as pd

from neural_sculpting.analysis.module_detection import detect_modules
from neural_sculpting.analysis.scoring import score_modules
from neural_sculpting.figures.clustering_choices import CHOICES, choice_rates
from neural_sculpting.reproduction.authors import authors_networks

ROOT = Path(__file__).resolve().parents[1]
AUTHORS = ROOT.parent / "shared" / "reference" / "authors_networks"
OUTPUT = ROOT / "docs" / "authors_table4.csv"
TASKS = ("input_separable", "reused", "separable_reused", "non_modular")


def outcomes(authors_dir: Path) -> pd.DataFrame:
    rows = []
    for net in authors_networks(authors_dir, TASKS):
        for choice in CHOICES:
            labels = detect_modules(net.masks, net.settings, choice).module_labels
            match = score_modules(net.masks, labels, net.expected).structure_match
            rows.append({"graph": net.task, "depth": net.depth, "linkage": choice.linkage,
                         "distance": choice.distance, "criterion": choice.criterion,
                         "structure_match": bool(match)})  # fmt: skip
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--authors", type=Path, default=AUTHORS)
    args = parser.parse_args(argv)
    buffer = io.StringIO()
    choice_rates(outcomes(args.authors)).to_csv(buffer, index=False)
    text = buffer.getvalue()
    if args.check:
        if not OUTPUT.is_file() or OUTPUT.read_text() != text:
            print(f"out of date: {OUTPUT} (run python scripts/authors_table4.py)")
            return 1
        return 0
    OUTPUT.write_text(text)
    print(OUTPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
