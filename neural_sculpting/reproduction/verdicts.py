"""The verdicts and the rules that give them: intervals for printed rates, Fisher's exact test
where the paper's rate is a count of a few networks, trends by their ends, shares of agreeing
decisions."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from neural_sculpting.figures.rates import wilson_interval

REPRODUCED, PARTLY, NOT_REPRODUCED = "reproduced", "partly reproduced", "not reproduced"
NOT_RUN, NOT_JUDGED = "not run", "not judged"

RULES = (
    "- **A rate** the paper prints: *reproduced* when the paper's value lies inside our 95% Wilson "
    "interval in every cell, *partly* when in at least half of them, *not reproduced* otherwise. "
    "Where the paper's rate is itself a count of a few networks (Tables 2-3: four seeds a "
    "setting; Fig. 7, whose bars are not printed: the authors' published networks scored by "
    "this project's rule), a cell agrees when Fisher's exact test does not tell the two counts "
    "apart at alpha = 0.05: our 3 of 4 has the interval [0.30, 0.95], which leaves out a "
    "printed 1.0 that is one network away. The interval rule is reported beside it.",
    '- **A trend** ("increases with ..."): *reproduced* when ours goes the same way with '
    "non-overlapping 95% intervals at the two ends, *partly* when the same way with overlapping "
    "intervals, *not reproduced* when it goes the other way or not at all.",
    "- **A test claim** (the t-tests of Sections 2-3): our decision at alpha = 0.05 (both null "
    "hypotheses rejected) against the paper's, network by network: *reproduced* when they agree "
    "in at least three quarters of the networks, *partly* when in at least half, *not reproduced* "
    "otherwise.",
    '- **A count claim** ("in a majority of the trials ..."): *reproduced* when it holds of our '
    "trials, *not reproduced* otherwise.",
    "- An item whose numbers this project has not computed is *not run*; a figure that shows one "
    "example chosen by eye is judged on that example's own test, and says so.",
    "- **Pooled counts.** Where a rate is judged cell by cell on a few seeds (Fig. 7, Tables 2-3), "
    "one Fisher test on the counts summed over all cells is printed beside it: a verdict of "
    "*reproduced* by the per-cell rule becomes *partly* when the pooled counts differ at 0.05, and "
    "each such item says which rule gave its verdict.",
    "- With four seeds per cell the intervals are wide: n is given for every number.",
)


@dataclass
class Judgement:
    verdict: str
    lines: list[str] = field(default_factory=list)  # ours, with n and intervals
    evidence: str = ""  # why ours differs, where it does


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    targets: tuple[str, ...]  # the figure CSVs it reads
    claim: str  # the paper's words (or printed numbers)
    judge: Callable[[dict[str, pd.DataFrame], Context], Judgement]
    evidence: str = ""  # what explains a difference, where one is found


@dataclass(frozen=True)
class Context:
    authors_scores: dict[tuple[str, int], tuple[int, int]]  # (graph, depth) -> (successes, n)
    authors_density: dict[tuple[str, int], float]
    validation_trials: pd.DataFrame | None
    authors_table4: pd.DataFrame | None = None  # Table 4's rows on the authors' networks


# --- verdict helpers ------------------------------------------------------------------------------


def interval(successes: int, n: int) -> tuple[float, float]:
    return wilson_interval(successes, n) if n else (math.nan, math.nan)


def fmt_rate(successes: int, n: int) -> str:
    low, high = interval(successes, n)
    return f"{successes}/{n} = {successes / n:.2f} [{low:.2f}, {high:.2f}]" if n else "0/0"


def same_counts(ours: tuple[int, int], theirs: tuple[int, int]) -> bool:
    """Whether Fisher's exact test (two-sided) cannot tell k1/n1 and k2/n2 apart at 0.05."""
    from scipy.stats import fisher_exact

    (k1, n1), (k2, n2) = ours, theirs
    return bool(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue >= 0.05)


def fisher_p(ours: tuple[int, int], theirs: tuple[int, int]) -> float:
    """Two-sided Fisher exact p of k1/n1 against k2/n2."""
    from scipy.stats import fisher_exact

    (k1, n1), (k2, n2) = ours, theirs
    return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def pooled_line(what: str, ours: tuple[int, int], theirs: tuple[int, int], whose: str) -> str:
    p = fisher_p(ours, theirs)
    return (f"pooled over {what}: ours {fmt_rate(*ours)}, {whose} {fmt_rate(*theirs)}; Fisher "
            f"p = {p:.2g} ({'agree' if p >= 0.05 else 'differ'})")  # fmt: skip


def with_pooled(per_cell: str, ours: tuple[int, int], theirs: tuple[int, int]) -> tuple[str, str]:
    """The verdict once the pooled counts are tested too, and the line saying which rule gave
    it: a per-cell *reproduced* whose pooled counts differ (Fisher, 0.05) is *partly*."""
    agree = fisher_p(ours, theirs) >= 0.05
    if per_cell == REPRODUCED and not agree:
        return PARTLY, "verdict by the pooled test: every cell agrees, but pooled the counts differ"
    pooled_word = "agreeing" if agree else "differing too"
    return per_cell, f"verdict by the per-cell rule, the pooled test {pooled_word}"


def base_verdict(verdict: str) -> str:
    """The verdict without its note on coverage: "reproduced (on 40 of 120 settings)" ->
    "reproduced"."""
    return verdict.split(" (")[0]


def rate_verdict(inside: int, cells: int) -> str:
    if cells == 0:
        return NOT_RUN
    if inside == cells:
        return REPRODUCED
    return PARTLY if inside * 2 >= cells else NOT_REPRODUCED


def trend_verdict(low_end: tuple[int, int], high_end: tuple[int, int]) -> str:
    """`high_end` should have the higher rate (the claim's direction)."""
    (k0, n0), (k1, n1) = low_end, high_end
    if not n0 or not n1:
        return NOT_RUN
    if k1 / n1 <= k0 / n0:
        return NOT_REPRODUCED
    return REPRODUCED if interval(k1, n1)[0] > interval(k0, n0)[1] else PARTLY


def share_verdict(agree: int, n: int) -> str:
    if n == 0:
        return NOT_RUN
    if agree * 4 >= n * 3:
        return REPRODUCED
    return PARTLY if agree * 2 >= n else NOT_REPRODUCED


def combine(verdicts: list[str]) -> str:
    if not verdicts or all(v == NOT_RUN for v in verdicts):
        return NOT_RUN
    ran = [v for v in verdicts if v != NOT_RUN]
    if all(v == REPRODUCED for v in ran):
        return REPRODUCED
    if all(v == NOT_REPRODUCED for v in ran):
        return NOT_REPRODUCED
    return PARTLY


def pooled(rates: pd.DataFrame, by: str) -> dict:
    sums = rates.groupby(by)[["successes", "trials"]].sum()
    return {key: (int(r.successes), int(r.trials)) for key, r in sums.iterrows()}
