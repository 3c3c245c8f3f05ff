"""The "Why" of the items ours reproduces only in part (Figs. 8, 10, 12b and 40, Table 4),
written from the same CSVs as their verdicts, so that the numbers in the explanation are the
run's own."""

from __future__ import annotations

import pandas as pd

from neural_sculpting.reproduction.verdicts import (
    REPRODUCED,
    Context,
    fmt_rate,
    pooled,
    trend_verdict,
)

# Drawings of selected networks side by side, committed beside the report (docs/reproduction/why/).
OVERLAP_DRAWING = "why/overlap3_vs_overlap4.png"
HIERARCHY_DRAWING = "why/hierarchy_depth2_use1_vs_use8.png"


def _counts(rates: pd.DataFrame, prop: str, by: str) -> dict:
    return pooled(rates[rates["property"] == prop], by)


def fig10_why(rates: pd.DataFrame) -> str:
    """Why overlap 4 separates inputs (and keeps hidden units in output modules) more often
    than overlap 3: it asks less, one input module and the output side of each signature."""
    inputs = _counts(rates, "input_modules_match", "overlap")
    hidden = _counts(rates, "hidden_modules_match", "overlap")
    by_use = _counts(rates, "input_modules_match", "use")
    u0, u1 = min(by_use), max(by_use)
    text = (
        f"Input separation rises with use by less than the intervals of its ends (use {u0} "
        f"{fmt_rate(*by_use[u0])}, use {u1} {fmt_rate(*by_use[u1])}), so more seeds would be "
        "needed to call that trend. "
    )
    merged = _counts(rates, "inputs_in_one_module", "overlap")
    if not merged or 3 not in merged or 4 not in merged:
        return text + "Overlap 3 against overlap 4: not in this run's fig10.csv."
    listing = ", ".join(f"overlap {o} {merged[o][0]}/{merged[o][1]}" for o in sorted(merged))
    return text + (
        "Overlap 3 below overlap 4 is what the property asks, not what the networks do. At overlap "
        "4 every input feeds both sub-functions, so none is sub-function specific and the inputs' "
        "expected partition is a single group (the paper's property, 'input units accurately "
        "separated into sub-function specific and reused', with nothing specific; the authors' "
        "modularity label for these graphs, [4,1,2,2,m], has one input group where overlap 3's "
        "[5,3,2,m] has three, and App. D.5 reports 'a single module being recovered'). A "
        "network whose input units all sit in one module "
        "therefore passes at overlap 4 and fails at overlaps 1-3. All inputs in one module: "
        f"{listing}. Overlap 4's input rate ({fmt_rate(*inputs[4])}) is made of those merged "
        "networks, the outcome counted a failure at overlap 3; where there are specific inputs "
        f"to separate, the rate falls with overlap (overlap 0 {fmt_rate(*inputs[0])}, overlap 3 "
        f"{fmt_rate(*inputs[3])}), as the paper says. The hidden-unit property also asks less "
        "at overlap 4: a module matches a sub-function when the inputs reaching it are exactly "
        "that sub-function's and the outputs it reaches exactly its own; at overlap 4 the two "
        "sub-functions have the same four inputs, so only the output side can fail, while at "
        "overlap 3 a unit reached from the other sub-function's specific input fails too "
        f"(hidden units in output modules: overlap 3 {fmt_rate(*hidden[3])}, overlap 4 "
        f"{fmt_rate(*hidden[4])}). The definition follows the paper's sentence and stays; "
        f"selected networks of both side by side: [{OVERLAP_DRAWING}]({OVERLAP_DRAWING})."
    )


def fig8_why(rates: pd.DataFrame) -> str:
    """Why the pooled rise with use is within the intervals: one hidden layer asks for the same
    single module at every use, and the depths above it are read apart, with the part of the
    structure rule that fails where success does not rise."""
    lo, hi = rates["use"].min(), rates["use"].max()
    by_depth = {d: pooled(part, "use") for d, part in rates.groupby("depth")}
    pooled_use = pooled(rates, "use")
    text = (
        f"Pooled, structure recovered rises from use {lo} to use {hi} "
        f"({fmt_rate(*pooled_use[lo])} to {fmt_rate(*pooled_use[hi])}), by less than the ends' "
        "intervals. "
    )
    if 1 in by_depth:
        k = sum(s for s, _ in by_depth[1].values())
        n = sum(t for _, t in by_depth[1].values())
        text += (
            "With one hidden layer the graph collapses to a single module, which is the "
            f"structure asked for at every use ({fmt_rate(k, n)} over all uses), so those trials "
            "cannot show the trend and dilute it. "
        )
    parts, hidden_side = [], []
    has_parts = {"outputs_matched", "hidden_matched"} <= set(rates.columns)
    for depth in sorted(d for d in by_depth if d > 1):
        ends = by_depth[depth]
        verdict = trend_verdict(ends[lo], ends[hi])
        line = (
            f"at {depth} hidden layers use {lo} {fmt_rate(*ends[lo])}, use {hi} "
            f"{fmt_rate(*ends[hi])} ({verdict})"
        )
        if verdict != REPRODUCED and has_parts:
            at = pooled_parts(rates[rates["depth"] == depth], lo, hi)
            (out_lo, out_hi), (hid_lo, hid_hi), n = at
            line += (
                f": output sub-functions detected {out_lo}/{n[0]} to {out_hi}/{n[1]}, hidden "
                f"units in the sub-functions' modules {hid_lo}/{n[0]} to {hid_hi}/{n[1]}"
            )
            # Outputs found as often or more with use while the hidden layers match less.
            hidden_side.append(out_hi * n[0] >= out_lo * n[1] and hid_hi * n[0] < hid_lo * n[1])
        parts.append(line)
    if parts:
        text += "Read by depth: " + "; ".join(parts) + ". "
    if hidden_side and all(hidden_side):
        text += (
            "There the output sub-functions, which use drives apart, are found as often or more "
            "with use; the failures lie in the hidden layers, whose modules must each be exactly "
            "a sub-function."
        )
    return text.rstrip()


def pooled_parts(rates: pd.DataFrame, lo: int, hi: int):
    """((outputs matched at lo, at hi), (hidden matched at lo, at hi), (trials at lo, at hi))."""

    def total(use: int, column: str) -> int:
        return int(rates.loc[rates["use"] == use, column].sum())

    return (
        (total(lo, "outputs_matched"), total(hi, "outputs_matched")),
        (total(lo, "hidden_matched"), total(hi, "hidden_matched")),
        (total(lo, "trials"), total(hi, "trials")),
    )


def fig12b_why(rates: pd.DataFrame, fig12a: pd.DataFrame | None) -> str:
    """Why two hidden layers go against use: use splits the output sub-functions at every
    depth, and the structure expected at two hidden layers merges them."""
    if "outputs_split" not in rates.columns:
        return "unexplained: this run's fig12b.csv lacks the outputs_split counts"
    lo, hi = rates["use"].min(), rates["use"].max()

    def at(depth: int, use: int, column: str) -> str:
        row = rates[(rates["depth"] == depth) & (rates["use"] == use)]
        return f"{int(row[column].sum())}/{int(row['trials'].sum())}" if len(row) else "-"

    depths = sorted(rates["depth"].unique())
    split = "; ".join(
        f"{d} hidden: {at(d, lo, 'outputs_split')} to {at(d, hi, 'outputs_split')}" for d in depths
    )
    recovered = "; ".join(
        f"{d} hidden: {at(d, lo, 'successes')} to {at(d, hi, 'successes')}" for d in depths
    )
    text = (
        "Fig. 12b asks for 'the exact hierarchical structure that corresponds to the depth of the "
        "NN' (Sec. 5.4). At one and two hidden layers that is the graph with the intermediate "
        "sub-function C and the output sub-functions F0 and F1 merged into one module, as the "
        "paper's own Fig. 12a sentence has it ('the intermediate and output sub-functions are "
        "merged into a single module'; the graphs' collapse entries); at three and four hidden "
        "layers, all five sub-functions. Use drives F0 and F1 apart at every depth: output units "
        f"in two or more modules, use {lo} to use {hi}: {split}. At three and four hidden layers "
        "that split is part of the structure asked for, and success rises with use; at two it "
        "breaks the merged module asked for, and success falls (structure recovered, use "
        f"{lo} to use {hi}: {recovered}): one effect of use, scored against a structure that "
        "merges what use separates. "
    )
    if fig12a is not None and {"subfunction", "depth"} <= set(fig12a.columns):
        row = fig12a[(fig12a["subfunction"] == "input_separable") & (fig12a["depth"] == 1)]
        if len(row):
            k, n = int(row["successes"].iloc[0]), int(row["trials"].iloc[0])
            text += (
                "At one hidden layer no network recovers the structure at any use because A and B "
                f"are not found as modules of their own ({fmt_rate(k, n)}, Fig. 12a): the single "
                "hidden layer ends up as one module. "
            )
    return text + f"Two depth-2 networks side by side: [{HIERARCHY_DRAWING}]({HIERARCHY_DRAWING})."


def table4_why(rates: pd.DataFrame, ctx: Context) -> str:
    """Why our default row is 0.91 against the paper's 0.99: the networks, not the clustering."""
    same_rows = bool((rates.groupby("criterion")["rate"].nunique() == 1).all())
    parts = []
    theirs = ctx.authors_table4 if ctx is not None else None
    if theirs is not None and len(theirs):
        inside = (theirs["ci_low"] <= theirs["paper_rate"]) & (
            theirs["paper_rate"] <= theirs["ci_high"]
        )
        first = {c: part.iloc[0] for c, part in theirs.groupby("criterion", sort=False)}
        listing = ", ".join(
            f"{c} {fmt_rate(int(r.successes), int(r.trials))}" for c, r in first.items()
        )
        parts.append(
            "The clustering reproduces the paper's table on the networks the paper's was made "
            "from: on the authors' 160 published validation networks (docs/authors_table4.csv, "
            f"scripts/authors_table4.py) the criteria give {listing}, the same in every "
            f"linkage and distance row, and the paper's rate lies inside the interval in "
            f"{int(inside.sum())} of {len(theirs)} rows."
        )
    else:
        scores = ctx.authors_scores if ctx is not None else {}
        if scores:
            k = sum(s for s, _ in scores.values())
            n = sum(t for _, t in scores.values())
            parts.append(
                "On the authors' 160 published validation networks our default detection "
                f"recovers the structure in {fmt_rate(k, n)} (docs/authors_networks_scores.md), "
                "the paper's 0.99 inside that interval."
            )
    trials = ctx.validation_trials if ctx is not None else None
    if trials is not None and {"graph", "depth", "structure_match"} <= set(trials.columns):
        scored = trials[trials["structure_match"].notna()]
        failed = scored[~scored["structure_match"].astype(str).str.lower().isin(["true", "1"])]
        cells = failed.groupby(["graph", "depth"]).size()
        listing = ", ".join(
            f"{graph} at {depth} hidden layer{'s' if depth > 1 else ''}: {count}"
            for (graph, depth), count in cells.items()
        )
        deep = int(cells[cells.index.get_level_values("depth") == 3].sum()) if len(cells) else 0
        parts.append(
            f"Ours fail on {len(failed)} of {len(scored)} networks ({listing}), {deep} of them "
            "at three hidden layers: the networks pruning selects (Fig. 7; docs/differential/)."
        )
    if same_rows:
        parts.append(
            "On ours, too, no clustering choice differs: within each criterion every linkage and "
            "distance row gives the same count, as in the paper's table; only the networks do."
        )
    else:
        parts.append("On ours, the linkage and distance rows of a criterion differ in this run.")
    return " ".join(parts)


def fig40_why(metrics: pd.DataFrame) -> str:
    """Why Fig. 40's network does not show the paper's flat curve: which layers could."""
    parts, flat_large = [], False
    for layer, part in metrics.groupby("layer"):
        n = int(part["n_units"].iloc[0])
        flat = bool((part["M"].abs() < 1e-9).all())
        flat_large = flat_large or (flat and n >= 3)
        inner = part[(part["k"] >= 2) & (part["k"] <= n - 1)]  # the values the rule compares
        if flat or inner.empty:
            parts.append(f"layer {layer} ({n} units): " + ("M = 0 at every k" if flat else "no k"))
            continue
        lowest = inner.loc[inner["M"].idxmin()]
        parts.append(
            f"layer {layer} ({n} units): lowest M {lowest['M']:.3f} at k = {int(lowest['k'])}"
        )
    listed = "; ".join(parts)
    if flat_large:
        return (
            "unexplained: a layer of three or more units has M = 0 at every k, but the tests "
            f"did not decide its clusters ({listed})"
        )
    return (
        "The paper's condition does not arise in this network: no layer of three or more alive "
        f"units has units that all connect alike, so none has M = 0 at every k ({listed}), and a "
        "layer of two units has no k between 1 and n for M to choose. The network is the one "
        "whose structure is its cell's most common, and the claim is then not testable on it. "
        "Where units do all connect alike, every cosine distance is 0 and M = 0 at every k by "
        "the metric's definition (Appendix I), so the tests decide, as in this project's rule."
    )
