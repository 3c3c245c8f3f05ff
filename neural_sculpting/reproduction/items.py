"""The paper's items the report judges: each with its claim, quoted from the paper, the figure
CSVs it reads and its judge."""

from __future__ import annotations

from neural_sculpting.reproduction import judges, structural_judges
from neural_sculpting.reproduction.verdicts import NOT_RUN, Item, Judgement


def not_run(reason: str):
    """A judge for an item this project cannot compute yet: always not run, with the reason."""

    def judge(csvs, ctx) -> Judgement:
        return Judgement(NOT_RUN, [reason])

    judge.reason = reason
    return judge


ITEMS: tuple[Item, ...] = (
    Item("table1", "Table 1: input separability of dense networks", ("table1",),
         "\"For NNs with a single hidden layer, we can reject the null hypotheses, but for "
         "deeper NNs, both the null hypotheses cannot be rejected.\" (Sec. 2.1; Table 1: widths "
         "24, 36, 48 rejected at 1 hidden layer, not at 2 and 3)", structural_judges.judge_table1,
         "unexplained"),
    Item("fig1b", "Fig. 1b: path products of a dense network", ("fig1b", "table1"),
         "\"For the example shown we cannot reject the null hypotheses.\" (Sec. 2.1)",
         structural_judges.judge_fig1b),
    Item("fig2b", "Fig. 2b: N90 of dense reused networks", ("fig2b",),
         "\"as the width of the NN increases, so does N90 in both the hidden layers, and these "
         "values are consistently close to the actual width of the NN.\" (Sec. 2.2)",
         structural_judges.judge_fig2b),
    Item("fig3a", "Fig. 3a: path products of an edge-pruned network", ("fig3a", "table1"),
         "\"For the example shown in Figure 3a, as well as for NNs with different architectures, "
         "we can reject the null hypotheses\" (Sec. 3.1)", structural_judges.judge_fig3a),
    Item("fig3b", "Fig. 3b: N90 of edge-pruned reused networks", ("fig3b",),
         "\"in a majority of the trials, N90^2 = 2 ... the edge-pruned NNs fail to identify 3 "
         "units that are being reused.\" (Sec. 3.1)", structural_judges.judge_fig3b),
    Item("fig4a", "Fig. 4a: path products of a unit-edge-pruned network", ("fig4a", "table1"),
         "\"the unit-edge pruned NNs do acquire structural properties resembling both input "
         "separable sub-functions and reused sub-functions.\" (Sec. 3.3)",
         structural_judges.judge_fig4a),
    Item("fig4b", "Fig. 4b: N90 of unit-edge-pruned reused networks", ("fig4b",),
         "(Sec. 3.3, as Fig. 4a) unit-edge-pruned networks acquire the reused sub-function's "
         "structure: N90 of the two hidden layers equal to the graph's 3 and 2",
         structural_judges.judge_fig4b),
    Item("fig35", "Fig. 35: t-tests of edge-pruned networks", ("fig35",),
         "\"as well as for NNs with different architectures, we can reject the null "
         "hypotheses\" (Sec. 3.1; Appendix G, Fig. 35)", structural_judges.judge_fig35),
    Item("fig36", "Fig. 36: t-tests of unit-edge-pruned networks", ("fig36",),
         "unit-edge-pruned networks acquire input separability (Sec. 3.3; Appendix G, Fig. 36)",
         structural_judges.judge_fig36),
    Item("fig7", "Fig. 7: the validation graphs", ("fig7",),
         "\"the proposed pruning and module detection pipeline has a high success rate when the "
         "depth of the NN exceeds that of the function graph.\" (Sec. 5.1; the bars are not "
         "printed as numbers: the authors' 160 published networks scored by our rule stand in)",
         judges.judge_fig7,
         "Our detector gives the authors' own labels on all 160 of their networks "
         "(tests/test_module_detection_authors.py) and our densities are theirs; the pooled gap "
         "is at three hidden layers. With twelve seeds there ours recover 52/72 = 0.72 against "
         "the authors' 23/24 (Fisher p 0.02), 60/72 when any lane tied at the lowest density "
         "counts (p 0.17; docs/differential/depth3_seeds.md). The authors' own code run in grid "
         "mode on eight of their trials recovers 4/8, ours 8/8 on the same trials, their "
         "published networks 8/8 (docs/differential/grid.md): the published networks are one "
         "draw of unseeded noise that neither code's rerun matches, not a better pruning."),
    Item("fig8", "Fig. 8: sub-function reuse", ("fig8",),
         "\"we observe an increasing trend in the success rate as the number of output nodes "
         "using the two gate nodes increases.\" (Sec. 5.2)", judges.judge_fig8),
    Item("fig10", "Fig. 10: input overlap x use", ("fig10",),
         "\"as the overlap between input node sets increases, the success rate for detecting "
         "input modules decreases. Furthermore, the success rate decreases as the number of "
         "times a sub-function is used decreases ... the same trend is observed for detecting "
         "output sub-functions\" (Sec. 5.3)", judges.judge_fig10),
    Item("fig12a", "Fig. 12a: sub-functions by depth", ("fig12a",),
         "\"NNs with depth greater than or equal to the number of hierarchical levels (5) can "
         "uncover all three types of sub-functions ... for NNs with lower depth, only the input "
         "separable sub-functions are uncovered\" (Sec. 5.4)", judges.judge_fig12a),
    Item("fig12b", "Fig. 12b: hierarchy by use", ("fig12b", "fig12a"),
         "\"we report the success rates of uncovering the exact hierarchical structure that "
         "corresponds to the depth of the NN as we vary the number of times the output "
         "sub-functions were used ... The findings demonstrate an increasing trend in the success "
         "rate\" (Sec. 5.4)", judges.judge_fig12b),
    Item("table2", "Table 2: learning rate x batch size (input_separable, reused)", ("table2",),
         "the printed rates of Appendix H.2's Table 2 (X: untrainable)",
         judges.judge_lr_batch("table2"),
         "Four seeds a setting: 3 of 4 and 4 of 4 are one network apart; the settings outside "
         "the interval are reused's, where we recover more than the paper at low learning rates "
         "and slightly less at high ones with small batches: unexplained."),
    Item("table3", "Table 3: learning rate x batch size (separable_reused, non_modular)",
         ("table3",), "the printed rates of Appendix H.2's Table 3",
         judges.judge_lr_batch("table3"),
         "Setting by setting no count differs; pooled, two places do. separable_reused at three "
         "hidden layers is the gap of Fig. 7 at the same depth (see there; docs/differential/). "
         "non_modular at one hidden layer: the paper has every trained setting at 4 of 4; our 11 "
         "failures of 74 trained trials (docs/appendix/lr_batch_non_modular/trials.csv) all have "
         "hidden and output units in one module, as expected, and the four input units split "
         "into 2-3 modules; all 11 keep 3 or 4 hidden units (4-3-4, 4-4-4), while the 42 networks "
         "pruned to 2 hidden units all succeed. With 3-4 hidden units left, the inputs' "
         "connections differ enough for the separability tests to split the input layer; what "
         "leaves 3-4 hidden units in a sixth of the trials is unexplained."),
    Item("table4", "Table 4: clustering choices", ("table4",),
         "the printed rates of Appendix I.1's Table 4: 0.99 (modularity metric), 0.99 "
         "(silhouette), 0.49 (CH index), 0.49 (DB index) in every linkage and distance row",
         judges.judge_table4),
    Item("fig38", "Fig. 38: the reused network's modularity curve", ("fig38",),
         "\"Despite the clear expectation that all input units should belong to a single "
         "cluster, the modularity metric value is the lowest for k = 4 = N.\" (Appendix I.2: M "
         "alone misses the single cluster; the separability tests exist for it)",
         structural_judges.judge_fig38),
    Item("fig39", "Fig. 39: the separable_reused network's modularity curves", ("fig39",),
         "\"in layers 2, 3, and 4, the modularity metric value is lowest for k = 3 = N ... k = N "
         "consistently yielding the lowest modularity metric value\" (Appendix I.2)",
         structural_judges.judge_fig39),
    Item("fig40", "Fig. 40: the non_modular network's modularity curves", ("fig40",),
         "\"if the neural network is densely connected, the modularity metric values for all k "
         "are 0\" (Appendix I.2)", structural_judges.judge_fig40),
    Item("fig13b", "Fig. 13b: the hierarchical MNIST task", ("fig13b",),
         "\"the NNs uncover the three output modules with high success rates ... for NNs with "
         "lower depths, the NNs fail to recover the two input separable modules ... success "
         "rates for middle layer unit-separability are very low\" (Sec. 5.5)",
         not_run("the MNIST study needs a GPU (issue 18), which no session has had")),
    Item("mnist_two_digits", "Two MNIST digits: two separate modules", ("mnist_two_digits",),
         "\"Out of the 36 trials conducted, we obtain two completely separable modules for 33 out "
         "of 36 trials\" (Sec. 5.5)",
         not_run("the MNIST study needs a GPU (issue 18), which no session has had")),
)  # fmt: skip
