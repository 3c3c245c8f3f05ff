# Stage 7: the paper's figures, each from the tables of the experiments that feed it
# (FIGURE_EXPERIMENTS in common.smk), each also a target of its own name.


rule paper_figure:
    input:
        lambda wildcards: figure_inputs(wildcards.target),
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
        target="|".join(SUCCESS_FIGURES),
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
        lambda wildcards: structural_inputs(wildcards.target),
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
        target="|".join(STRUCTURAL_EXPERIMENTS),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sculpt=SCULPT,
        trials=lambda wildcards, input: " ".join(
            shlex.quote(str(Path(p).parent)) for p in input
        ),
        seed=lambda wildcards: structural_seed(wildcards.target),
    shell:
        "{params.sculpt} structural {wildcards.target} --trials {params.trials} --seed {params.seed} "
        "-o {output.png:q} > {log:q} 2>&1"


for _target in (*SUCCESS_FIGURES, *STRUCTURAL_EXPERIMENTS):

    rule:
        name:
            _target
        input:
            lambda wildcards, target=_target: str(paths.figure(target, "png")),


for _target in DRAWING_FIGURES:

    rule:
        name:
            _target
        input:
            lambda wildcards, target=_target: drawing_figure_inputs(target),
