"""Regenerate the committed reproduction report (docs/reproduction) from the committed figure CSVs.

    python scripts/reproduction_report.py          # writes README.md and verdicts.csv there
    python scripts/reproduction_report.py --check  # exit 1 if the committed report differs

`snakemake reproduction` makes the same report from a run's results/figures; the committed copy
is made from the Boolean study's figures (docs/study/figures) and the appendix's Tables 2-3
(docs/appendix), which came from separate runs, so this script gathers them in one folder first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from neural_sculpting.foundations import paths
from neural_sculpting.reproduction.report import write_report

ROOT = Path(__file__).resolve().parents[1]
STUDY_FIGURES = ROOT / "docs" / "study" / "figures"
APPENDIX = ROOT / "docs" / "appendix"
OUTPUT = ROOT / "docs" / "reproduction"
SOURCE = (
    "the figure CSVs committed in `docs/study/figures/` (the Boolean study of 2026-12-07, engine "
    "rules 5) and `docs/appendix/` (Tables 2-3 at every depth, 2026-12-07, engine rules 5), by "
    "`scripts/reproduction_report.py`"
)
WRITTEN = ("README.md", "verdicts.csv")


def gather(folder: Path) -> None:
    # The report's own committed images first (drawn by the runs whose PNGs are not in docs/),
    # then the figures committed beside their CSVs.
    for source in (OUTPUT, STUDY_FIGURES, APPENDIX):
        for path in source.iterdir():
            if path.suffix in (".csv", ".png") and path.is_file() and path.name not in WRITTEN:
                shutil.copyfile(path, folder / path.name)


def make(out_dir: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp)
        gather(figures)
        write_report(
            figures,
            out_dir,
            authors_scores=paths.authors_scores_md(),
            authors_dir=paths.authors_networks_dir(),
            validation_trials=ROOT / "docs" / "study" / "validation" / "trials.csv",
            source=SOURCE,
            authors_table4=paths.authors_table4_csv(),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed report")
    args = parser.parse_args(argv)
    if not args.check:
        make(OUTPUT)
        print(f"{OUTPUT / 'README.md'}: written")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        make(Path(tmp))
        differ = [n for n in WRITTEN if (Path(tmp) / n).read_text() != (OUTPUT / n).read_text()]
    if differ:
        print(f"the committed report differs from a fresh one: {', '.join(differ)}")
        return 1
    print("the committed report is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
