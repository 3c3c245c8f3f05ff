"""Judges of the success-rate items (Figs. 7, 8, 10, 12, Tables 2-4): each reads its figure CSVs
and returns our numbers with a verdict (`verdicts.py`) and, where ours differs, the numbers that
explain it (`explanations.py`). The structural items' judges: `structural_judges.py`."""

from __future__ import annotations

import pandas as pd

from neural_sculpting.reproduction import explanations
from neural_sculpting.reproduction.verdicts import (
    NOT_REPRODUCED,
    NOT_RUN,
    REPRODUCED,
    Judgement,
    combine,
    fisher_p,
    fmt_rate,
    pooled,
    pooled_line,
    rate_verdict,
    same_counts,
    trend_verdict,
    with_pooled,
)
from neural_sculpting.study import lr_batch

# --- success rates (Figs. 7, 8, 10, 12, Tables 2-4) -----------------------------------------------


def judge_fig7(csvs, ctx) -> Judgement:
    rates = csvs["fig7"]
    inside = cells = in_interval = 0
    ours_sum, theirs_sum = [0, 0], [0, 0]
    lines = ["| graph | hidden layers | ours | authors' networks | density: ours | density: "
             "authors' |", "|---|---|---|---|---|---|"]  # fmt: skip
    for _, r in rates.iterrows():
        key = (r["graph"], int(r["depth"]))
        ours = fmt_rate(int(r["successes"]), int(r["trials"]))
        theirs = ctx.authors_scores.get(key)
        if theirs is not None and r["trials"]:
            cells += 1
            inside += same_counts((int(r["successes"]), int(r["trials"])), theirs)
            in_interval += bool(r["ci_low"] <= theirs[0] / theirs[1] <= r["ci_high"])
            ours_sum = [ours_sum[0] + int(r["successes"]), ours_sum[1] + int(r["trials"])]
            theirs_sum = [theirs_sum[0] + theirs[0], theirs_sum[1] + theirs[1]]
        density = "-"
        if ctx.validation_trials is not None:
            t = ctx.validation_trials
            d = t[(t["graph"] == key[0]) & (t["depth"] == key[1])]["density"].median()
            density = f"{d:.2%}"
        authors_d = ctx.authors_density.get(key)
        lines.append(
            f"| {key[0]} | {key[1]} | {ours} | "
            f"{'-' if theirs is None else f'{theirs[0]}/{theirs[1]}'} | {density} | "
            f"{'-' if authors_d is None else f'{authors_d:.2%}'} |"
        )
    lines.append("")
    lines.append(
        f"ours and the authors' networks' counts agree (Fisher, 0.05) in {inside} of {cells} "
        f"cells; their rate lies inside our 95% interval in {in_interval} of {cells} (densities: "
        "medians of the selected networks, widths 24-48)"
    )
    verdict = rate_verdict(inside, cells)
    if cells:
        ours_t, theirs_t = tuple(ours_sum), tuple(theirs_sum)
        verdict, rule = with_pooled(verdict, ours_t, theirs_t)
        lines += [pooled_line(f"the {cells} cells", ours_t, theirs_t, "the authors'"), rule]
    return Judgement(verdict, lines)


def _use_trend(rates: pd.DataFrame, what: str) -> Judgement:
    by_use = pooled(rates, "use")
    lo, hi = min(by_use), max(by_use)
    lines = [f"use {u}: {fmt_rate(*by_use[u])}" for u in sorted(by_use)]
    lines.append(f"{what}: use {lo} against use {hi}, pooled over depths, widths and seeds")
    return Judgement(trend_verdict(by_use[lo], by_use[hi]), lines)


def judge_fig8(csvs, ctx) -> Judgement:
    judgement = _use_trend(csvs["fig8"], "structure recovered")
    if judgement.verdict != REPRODUCED:
        judgement.evidence = explanations.fig8_why(csvs["fig8"])
    return judgement


def judge_fig12b(csvs, ctx) -> Judgement:
    rates = csvs["fig12b"]
    judgement = _use_trend(rates, "structure recovered")
    for depth, part in rates.groupby("depth"):
        by_use = pooled(part, "use")
        lo, hi = min(by_use), max(by_use)
        judgement.lines.append(
            f"{depth} hidden layer(s): use {lo} {fmt_rate(*by_use[lo])}, use {hi} "
            f"{fmt_rate(*by_use[hi])} ({trend_verdict(by_use[lo], by_use[hi])})"
        )
    judgement.evidence = explanations.fig12b_why(rates, csvs.get("fig12a"))
    return judgement


def judge_fig10(csvs, ctx) -> Judgement:
    rates = csvs["fig10"]
    verdicts, lines = [], []
    for prop, label in (("input_modules_match", "input units separated"),
                        ("output_modules_match", "output sub-functions detected")):  # fmt: skip
        part = rates[rates["property"] == prop]
        by_overlap, by_use = pooled(part, "overlap"), pooled(part, "use")
        o0, o1 = min(by_overlap), max(by_overlap)
        u0, u1 = min(by_use), max(by_use)
        v_overlap = trend_verdict(by_overlap[o1], by_overlap[o0])  # falls as overlap grows
        v_use = trend_verdict(by_use[u0], by_use[u1])  # rises with use
        verdicts += [v_overlap, v_use]
        overlap = f"overlap {o0} {fmt_rate(*by_overlap[o0])}, {o1} {fmt_rate(*by_overlap[o1])}"
        use = f"use {u0} {fmt_rate(*by_use[u0])}, {u1} {fmt_rate(*by_use[u1])}"
        lines.append(f"{label}: {overlap} ({v_overlap}); {use} ({v_use})")
    merged = pooled(rates[rates["property"] == "inputs_in_one_module"], "overlap")
    if merged:
        listing = ", ".join(f"overlap {o} {fmt_rate(*merged[o])}" for o in sorted(merged))
        lines.append(f"all input units in one module (not drawn): {listing}")
    return Judgement(combine(verdicts), lines, explanations.fig10_why(rates))


def judge_fig12a(csvs, ctx) -> Judgement:
    rates = csvs["fig12a"]
    get = {(r["subfunction"], int(r["depth"])): (int(r["successes"]), int(r["trials"]))
           for _, r in rates.iterrows()}  # fmt: skip
    depths = sorted({d for _, d in get})
    deep, shallow = max(depths), min(depths)
    verdicts, lines = [], []
    for kind in ("intermediate", "output"):
        if (kind, deep) in get and (kind, shallow) in get:
            v = trend_verdict(get[kind, shallow], get[kind, deep])
            verdicts.append(v)
            lines.append(f"{kind} sub-functions: {shallow} hidden layer(s) "
                         f"{fmt_rate(*get[kind, shallow])}, {deep} hidden layers "
                         f"{fmt_rate(*get[kind, deep])} ({v})")  # fmt: skip
    for d in depths:
        if ("input_separable", d) in get:
            k, n = get["input_separable", d]
            lines.append(f"input-separable sub-functions at {d} hidden layer(s): {fmt_rate(k, n)}")
    shallow_input = [get["input_separable", d] for d in depths if d < deep and
                     ("input_separable", d) in get]  # fmt: skip
    if shallow_input:
        k = sum(s for s, _ in shallow_input)
        n = sum(t for _, t in shallow_input)
        verdicts.append(REPRODUCED if n and k * 2 > n else NOT_REPRODUCED)
    return Judgement(combine(verdicts), lines)


def judge_lr_batch(table: str):
    def judge(csvs, ctx) -> Judgement:
        rates = csvs[table]
        ran = rates[~rates["untrainable"].astype(bool)]
        printed = ran.dropna(subset=["paper_rate"])
        # The paper's rates are of its four seeds a setting.
        inside = sum(
            same_counts((int(r.successes), int(r.trials)), (round(r.paper_rate * 4), 4))
            for r in printed.itertuples()
            if r.trials
        )
        in_interval = int(((printed["rate_low"] <= printed["paper_rate"])
                           & (printed["paper_rate"] <= printed["rate_high"])).sum())  # fmt: skip
        x_ours = rates["untrainable"].astype(bool)
        x_paper = rates["paper_untrainable"].astype(bool)
        total = sum(len(lr_batch.LRS) * len(lr_batch.DEPTHS) * len(lr_batch.panel(g).batch_sizes)
                    for g in lr_batch.TABLES[table])  # fmt: skip
        depths = ", ".join(sorted(map(str, rates["depth"].unique())))
        lines = [
            f"{len(rates)} of the table's {total} settings run (hidden layers: {depths}); the "
            "others not run",
            f"untrainable (X): {int(x_ours.sum())} here, {int(x_paper.sum())} in the paper, "
            f"{int((x_ours & x_paper).sum())} in both",
            f"ours and the paper's counts (of four seeds) agree (Fisher, 0.05) in {inside} of "
            f"{len(printed)} trained settings; the paper's rate lies inside our 95% interval in "
            f"{in_interval}",
        ]
        verdict = rate_verdict(inside, len(printed))
        if len(printed):
            for graph, part in printed.groupby("graph", sort=False):
                lines.append(pooled_line(f"{graph}'s {len(part)} trained settings",
                                         *_paper_counts(part), "the paper's"))  # fmt: skip
            lines.append(_differing_depths(printed))
            verdict, rule = with_pooled(verdict, *_paper_counts(printed))
            lines += [pooled_line(f"all {len(printed)} trained settings", *_paper_counts(printed),
                                  "the paper's"), rule]  # fmt: skip
        if verdict != NOT_RUN and len(rates) < total:
            verdict = f"{verdict} (on {len(rates)} of {total} settings)"
        return Judgement(verdict, lines)

    return judge


def _paper_counts(settings: pd.DataFrame) -> tuple[tuple[int, int], tuple[int, int]]:
    """Ours and the paper's counts summed over settings (the paper's: of four seeds each)."""
    ours = (int(settings["successes"].sum()), int(settings["trials"].sum()))
    theirs = (int((settings["paper_rate"] * 4).round().sum()), 4 * len(settings))
    return ours, theirs


def _differing_depths(settings: pd.DataFrame) -> str:
    """The (graph, depth) pools whose counts differ from the paper's (Fisher, 0.05)."""
    differ = []
    for (graph, depth), part in settings.groupby(["graph", "depth"], sort=False):
        ours, theirs = _paper_counts(part)
        p = fisher_p(ours, theirs)
        if p < 0.05:
            differ.append(f"{graph} at {depth} hidden layer(s) (ours {ours[0]}/{ours[1]}, the "
                          f"paper's {theirs[0]}/{theirs[1]}, p = {p:.2g})")  # fmt: skip
    return "pooled per graph and depth, the counts differ in: " + (
        "; ".join(differ) if differ else "none"
    )


def judge_table4(csvs, ctx) -> Judgement:
    rates = csvs["table4"]
    inside = (rates["ci_low"] <= rates["paper_rate"]) & (rates["paper_rate"] <= rates["ci_high"])
    lines = []
    for criterion, part in rates.groupby("criterion", sort=False):
        r = part.iloc[0]
        lines.append(f"{criterion}: {fmt_rate(int(r.successes), int(r.trials))} in the first "
                     f"row, the paper {r.paper_rate:.2f}; the same in {len(part)} rows: "
                     f"{part['rate'].nunique() == 1}")  # fmt: skip
    lines.append(
        f"the paper's rate inside our interval in {int(inside.sum())} of {len(rates)} rows"
    )
    verdict = rate_verdict(int(inside.sum()), len(rates))
    theirs = ctx.authors_table4 if ctx is not None else None
    if theirs is not None and len(theirs):
        inside_theirs = (theirs["ci_low"] <= theirs["paper_rate"]) & (
            theirs["paper_rate"] <= theirs["ci_high"]
        )
        for criterion, part in theirs.groupby("criterion", sort=False):
            r = part.iloc[0]
            lines.append(f"on the authors' networks, {criterion}: "
                         f"{fmt_rate(int(r.successes), int(r.trials))} in the first row; the same "
                         f"in {len(part)} rows: {part['rate'].nunique() == 1}")  # fmt: skip
        lines.append(f"on the authors' networks, the paper's rate inside the interval in "
                     f"{int(inside_theirs.sum())} of {len(theirs)} rows")  # fmt: skip
    return Judgement(verdict, lines, explanations.table4_why(rates, ctx))
