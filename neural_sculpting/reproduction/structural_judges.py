"""Judges of the structural items (Sections 2-3 and Appendix I.2): the t-tests of path products
(Table 1, Figs. 1b, 3a, 4a, 35, 36), N90 (Figs. 2b, 3b, 4b) and the modularity curves (Figs.
38-40). Each reads its figure CSVs and returns our numbers with a verdict (`verdicts.py`)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from neural_sculpting.reproduction import explanations
from neural_sculpting.reproduction.verdicts import (
    NOT_REPRODUCED,
    NOT_RUN,
    PARTLY,
    REPRODUCED,
    Judgement,
    combine,
    share_verdict,
)

# --- the t-test items (Table 1, Figs. 1b, 3a, 4a, 35, 36) -----------------------------------------


def _decisions(tests: pd.DataFrame) -> pd.DataFrame:
    """One row per network: both null hypotheses rejected at 0.05 (column `both`)."""
    keys = ["architecture", "training regime", "seed"]
    both = tests.groupby(keys)["rejected"].agg(lambda r: bool(r.astype(bool).all()))
    out = both.rename("both").reset_index()
    out["depth"] = out["architecture"].map(lambda a: len(str(a).split("-")) - 2)
    return out


def _test_claim(tests: pd.DataFrame, regime: str, expect: Callable[[int], bool]) -> Judgement:
    nets = _decisions(tests)
    nets = nets[nets["training regime"] == regime]
    if nets.empty:
        return Judgement(NOT_RUN)
    agree = nets["both"] == nets["depth"].map(expect)
    lines = []
    nets = nets.assign(width=nets["architecture"].map(lambda a: int(str(a).split("-")[1])))
    nets = nets.sort_values(["depth", "width", "seed"], kind="stable")
    for arch, group in nets.groupby("architecture", sort=False):
        lines.append(
            f"{arch}: both rejected in {int(group['both'].sum())} of {len(group)} networks "
            f"(the paper: {'rejected' if expect(int(group['depth'].iloc[0])) else 'not rejected'})"
        )
    lines.append(f"our decision agrees with the paper's in {int(agree.sum())} of {len(nets)}")
    return Judgement(share_verdict(int(agree.sum()), len(nets)), lines)


def judge_table1(csvs, ctx) -> Judgement:
    return _test_claim(csvs["table1"], "dense", lambda depth: depth == 1)


def judge_fig35(csvs, ctx) -> Judgement:
    return _test_claim(csvs["fig35"], "edge-pruned", lambda depth: True)


def judge_fig36(csvs, ctx) -> Judgement:
    return _test_claim(csvs["fig36"], "unit-edge-pruned", lambda depth: True)


def _example(csvs, target: str, tests_target: str, expect: bool) -> Judgement:
    heat = csvs[target]
    regime, arch, seed = heat.iloc[0][["training regime", "architecture", "seed"]]
    tests = csvs[tests_target]
    rows = tests[(tests["training regime"] == regime) & (tests["architecture"] == arch)
                 & (tests["seed"] == seed)]  # fmt: skip
    if rows.empty:
        return Judgement(NOT_RUN, [f"no t-tests of the example network {arch}, seed {seed}"])
    both = bool(rows["rejected"].astype(bool).all())
    p = ", ".join(f"test {int(r.test)}: p = {r['p value']:.2g}" for _, r in rows.iterrows())
    lines = [f"the example: {regime} {arch}, seed {seed}; {p}; both rejected: {both}",
             "a heat map of one network, chosen by eye in the paper: judged on that network's "
             "own tests; Table 1 and Figs. 35-36 judge all networks"]  # fmt: skip
    return Judgement(REPRODUCED if both == expect else NOT_REPRODUCED, lines)


def judge_fig1b(csvs, ctx) -> Judgement:
    return _example(csvs, "fig1b", "table1", expect=False)


def judge_fig3a(csvs, ctx) -> Judgement:
    return _example(csvs, "fig3a", "table1", expect=True)


def judge_fig4a(csvs, ctx) -> Judgement:
    return _example(csvs, "fig4a", "table1", expect=True)


# --- N90 (Figs. 2b, 3b, 4b) -----------------------------------------------------------------------


def _n90_values(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in table.iterrows():
        for seed, n in zip(str(r["seeds"]).split(), str(r["n per seed"]).split(), strict=True):
            rows.append({"width": int(r["width"]), "layer": int(r["hidden layer"]),
                         "seed": seed, "n90": int(n), "truth": int(r["ground truth"])})  # fmt: skip
    return pd.DataFrame(rows)


def judge_fig2b(csvs, ctx) -> Judgement:
    from scipy import stats

    values = _n90_values(csvs["fig2b"])
    verdicts, lines = [], []
    for layer, part in values.groupby("layer"):
        ends = []
        for width in (part["width"].min(), part["width"].max()):
            v = part[part["width"] == width]["n90"]
            half = (
                stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
                if len(v) > 1
                else math.inf
            )
            ends.append((width, v.mean(), v.mean() - half, v.mean() + half, len(v)))
        (w0, m0, lo0, hi0, n0), (w1, m1, lo1, hi1, n1) = ends
        verdicts.append(NOT_REPRODUCED if m1 <= m0 else (REPRODUCED if lo1 > hi0 else PARTLY))
        lines.append(
            f"hidden layer {layer}: N90 {m0:.2f} [{lo0:.2f}, {hi0:.2f}] at width {w0} (n {n0}) "
            f"against {m1:.2f} [{lo1:.2f}, {hi1:.2f}] at width {w1} (n {n1}); 95% t intervals"
        )
    return Judgement(combine(verdicts), lines)


def _majority(values: pd.DataFrame, test, what: str) -> tuple[str, str]:
    ok = values.apply(test, axis=1)
    holds = int(ok.sum()) * 2 > len(ok)
    return (REPRODUCED if holds else NOT_REPRODUCED), f"{what}: {int(ok.sum())} of {len(ok)}"


def judge_fig3b(csvs, ctx) -> Judgement:
    values = _n90_values(csvs["fig3b"])
    v2, l2 = _majority(values[values["layer"] == 2], lambda r: r["n90"] == 2,
                       "N90 of hidden layer 2 equal to 2")  # fmt: skip
    v1, l1 = _majority(values[values["layer"] == 1], lambda r: r["n90"] != 3,
                       "N90 of hidden layer 1 other than the 3 reused units")  # fmt: skip
    return Judgement(combine([v2, v1]), [l2, l1])


def judge_fig4b(csvs, ctx) -> Judgement:
    values = _n90_values(csvs["fig4b"])
    verdict, line = _majority(values, lambda r: r["n90"] == r["truth"],
                              "N90 equal to the function graph's (3, then 2)")  # fmt: skip
    return Judgement(verdict, [line + " (width x seed x hidden layer)"])


def _argmin_k(layer: pd.DataFrame) -> int:
    candidates = layer[layer["k"] >= 2]
    return int(candidates.loc[candidates["M"].idxmin(), "k"])


def judge_fig38(csvs, ctx) -> Judgement:
    # The figure's point: M's lowest value does not give the single cluster the input layer
    # should be (the paper's network: k = N = 4), and the separability tests do.
    metrics = csvs["fig38"]
    first = metrics[metrics["layer"] == metrics["layer"].min()]
    n = int(first["n_units"].iloc[0])
    best, chosen = _argmin_k(first), int(first["chosen_k"].iloc[0])
    lines = [f"input layer ({n} units): M lowest at k = {best} (the paper's network: k = N), "
             f"not at the expected k = 1; the separability tests give k = {chosen}; network "
             f"{first['trial_dir'].iloc[0]}"]  # fmt: skip
    return Judgement(REPRODUCED if best != 1 and chosen == 1 else NOT_REPRODUCED, lines)


def judge_fig39(csvs, ctx) -> Judgement:
    metrics = csvs["fig39"]
    at_n = []
    for layer, part in metrics.groupby("layer"):
        n = int(part["n_units"].iloc[0])
        if n >= 3:
            at_n.append((layer, n, _argmin_k(part)))
    hits = sum(best == n for _, n, best in at_n)
    lines = [f"layer {layer} ({n} units): M lowest at k = {best}" for layer, n, best in at_n]
    lines.append(f"lowest at k = N in {hits} of {len(at_n)} layers with 3 units or more")
    return Judgement(share_verdict(hits, len(at_n)), lines)


def judge_fig40(csvs, ctx) -> Judgement:
    # A layer whose units all connect alike (densely) has M = 0 at every k, so M cannot choose:
    # the tests must (the figure's point).
    metrics = csvs["fig40"]
    lines, flat_tested = [], []
    for layer, part in metrics.groupby("layer"):
        n, flat = int(part["n_units"].iloc[0]), bool((part["M"].abs() < 1e-9).all())
        used = bool(part["used_tests"].astype(bool).iloc[0])
        lines.append(f"layer {layer} ({n} units): M = 0 for every k: {flat}; the tests decided: "
                     f"{used} (k = {int(part['chosen_k'].iloc[0])})")  # fmt: skip
        if flat and n >= 3:
            flat_tested.append(used)
    ok = bool(flat_tested) and all(flat_tested)
    if ok:
        return Judgement(REPRODUCED, lines)
    return Judgement(NOT_REPRODUCED, lines, explanations.fig40_why(metrics))
