# Stage 7: the paper's figures (neural_sculpting/study/catalogue.py), each from the experiments
# that feed it, each also a target of its own name.


rule paper_figure:
    input:
        lambda wildcards: PLAN.figure_inputs(wildcards.target),
    output:
        png=report(
            str(paths.figure("{target}", "png")),
            category="Figures",
            caption="../report/figure.rst",
        ),
        pdf=str(paths.figure("{target}", "pdf")),
        csv=str(paths.figure("{target}", "csv")),
        txt=str(paths.figure("{target}", "txt")),
    log:
        log_path("figures", "{target}.log"),
    benchmark:
        benchmark_path("figures", "{target}.tsv")
    wildcard_constraints:
        target="|".join(catalogue.names(catalogue.SUCCESS)),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
        trials=lambda wildcards, input: " ".join(
            f"--trials {shlex.quote(p)}" for p in input
        ),
    shell:
        "{params.sculpt} paper-figure {wildcards.target} {params.trials} -o {output.png:q} "
        "> {log:q} 2>&1"


rule structural_figure:
    input:
        lambda wildcards: PLAN.structural_inputs(wildcards.target),
    output:
        png=report(
            str(paths.figure("{target}", "png")),
            category="Structural tests",
            caption="../report/figure.rst",
        ),
        pdf=str(paths.figure("{target}", "pdf")),
        csv=str(paths.figure("{target}", "csv")),
        txt=str(paths.figure("{target}", "txt")),
    log:
        log_path("figures", "{target}.log"),
    benchmark:
        benchmark_path("figures", "{target}.tsv")
    wildcard_constraints:
        target="|".join(catalogue.names(catalogue.STRUCTURAL)),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sculpt=SCULPT,
        trials=lambda wildcards, input: " ".join(
            shlex.quote(trial_dir_of(p)) for p in input if p.endswith(".json")
        ),
        seed=lambda wildcards: PLAN.structural_seed(wildcards.target),
    shell:
        "{params.sculpt} structural {wildcards.target} --trials {params.trials} --seed {params.seed} "
        "-o {output.png:q} > {log:q} 2>&1"


# Table 4 (Appendix I.1): detection rerun with every clustering choice on the selected networks
# of the experiments the target reads, all in one job (detection only: minutes).
rule clustering_table:
    input:
        lambda wildcards: PLAN.clustering_inputs(wildcards.target),
    output:
        png=report(
            str(paths.figure("{target}", "png")),
            category="Appendix",
            caption="../report/figure.rst",
        ),
        pdf=str(paths.figure("{target}", "pdf")),
        csv=str(paths.figure("{target}", "csv")),
        txt=str(paths.figure("{target}", "txt")),
    log:
        log_path("figures", "{target}.log"),
    benchmark:
        benchmark_path("figures", "{target}.tsv")
    wildcard_constraints:
        target="|".join(catalogue.names(catalogue.CLUSTERING)),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        sculpt=SCULPT,
        trials=lambda wildcards, input: " ".join(
            shlex.quote(trial_dir_of(p)) for p in input if p.endswith(".json")
        ),
    shell:
        "{params.sculpt} clustering-table {wildcards.target} --trials {params.trials} "
        "-o {output.png:q} > {log:q} 2>&1"


# Figs. 38-40 (Appendix I.2): one validation network drawn with its modules, and M against k.
rule edge_case_figure:
    input:
        lambda wildcards: PLAN.figure_inputs(wildcards.target),
    output:
        png=report(
            str(paths.figure("{target}", "png")),
            category="Appendix",
            caption="../report/figure.rst",
        ),
        pdf=str(paths.figure("{target}", "pdf")),
        csv=str(paths.figure("{target}", "csv")),
        txt=str(paths.figure("{target}", "txt")),
    log:
        log_path("figures", "{target}.log"),
    benchmark:
        benchmark_path("figures", "{target}.tsv")
    wildcard_constraints:
        target="|".join(catalogue.names(catalogue.EDGE_CASES)),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} edge-cases {wildcards.target} --trials {input:q} -o {output.png:q} "
        "> {log:q} 2>&1"


# Tables 2 and 3: the learning-rate x batch-size sweeps' trials tables, and the epochs chosen.
rule lr_batch_table:
    input:
        trials=lambda wildcards: PLAN.figure_inputs(wildcards.target),
        epochs=str(paths.appendix_epochs_csv()),
    output:
        png=report(
            str(paths.figure("{target}", "png")),
            category="Appendix",
            caption="../report/figure.rst",
        ),
        pdf=str(paths.figure("{target}", "pdf")),
        csv=str(paths.figure("{target}", "csv")),
        txt=str(paths.figure("{target}", "txt")),
    log:
        log_path("figures", "{target}.log"),
    benchmark:
        benchmark_path("figures", "{target}.tsv")
    wildcard_constraints:
        target="|".join(catalogue.names(catalogue.LR_BATCH)),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} lr-batch-table {wildcards.target} --trials {input.trials:q} "
        "-o {output.png:q} > {log:q} 2>&1"


for _target in (
    *catalogue.names(catalogue.SUCCESS),
    *catalogue.names(catalogue.STRUCTURAL),
    *catalogue.names(catalogue.CLUSTERING),
    *catalogue.names(catalogue.EDGE_CASES),
    *catalogue.names(catalogue.LR_BATCH),
):

    rule:
        name:
            _target
        input:
            lambda wildcards, target=_target: str(paths.figure(target, "png")),


for _target in catalogue.names(catalogue.DRAWING):

    rule:
        name:
            _target
        input:
            lambda wildcards, target=_target: PLAN.drawing_figure_inputs(target),


# The reproduction report: every paper item beside what this run computed, with a verdict
# (neural_sculpting/reproduction/). Tables 2 and 3 and the MNIST items are judged where
# a run has made them, without being asked for here.
rule reproduction:
    input:
        PLAN.reproduction_inputs(),
    output:
        report=str(paths.reproduction_dir() / "README.md"),
        verdicts=str(paths.reproduction_dir() / "verdicts.csv"),
    log:
        log_path("figures", "reproduction.log"),
    benchmark:
        benchmark_path("figures", "reproduction.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
        # results/figures and results/reproduction, from the report's own path
        figures=lambda wildcards, output: str(
            Path(output.report).parent.parent / "figures"
        ),
        out=lambda wildcards, output: str(Path(output.report).parent),
        trials=lambda wildcards, output: str(
            Path(output.report).parent.parent / "validation" / "trials.csv"
        ),
    shell:
        "{params.sculpt} reproduction --figures {params.figures:q} "
        "--validation-trials {params.trials:q} -o {params.out:q} > {log:q} 2>&1"
