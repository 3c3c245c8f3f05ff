"""The reproduction report: each paper item beside what this project computed, with a verdict.

By concern: `verdicts.py` (the rules and their statistics), `judges.py` (one judge per item),
`items.py` (the paper's items and their claims), `authors.py` (the authors' published data),
`report.py` (the report itself).

`write_report(figures_dir, out_dir, ...)` reads the figure CSVs a run produced
(`results/figures/<target>.csv`, as the workflow writes them), judges every item of `ITEMS` by the
rules of `RULES`, copies the figures it shows and writes `README.md` and `verdicts.csv` into
`out_dir`. An item whose CSV is missing is "not run". The paper's claims are quoted from its text;
where it prints no numbers (Fig. 7), the authors' own published networks scored by this
project's rule stand in for them (`docs/authors_networks_scores.md`).
"""
