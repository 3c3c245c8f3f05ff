# Stage 6: per experiment, one row per trial (results/<experiment>/trials.csv) and its summary
# figure.


# A scored experiment's table job also draws its summary figure from the table it has just
# written: one process, and the figure is one job nearer the trials.
rule trials_table:
    input:
        lambda wildcards: PLAN.table_inputs(wildcards.experiment),
    output:
        table=report(
            str(paths.trials_csv("{experiment}")),
            category="Tables",
            caption="../report/trials.rst",
        ),
        png=report(
            str(paths.experiment_figure("{experiment}", "png")),
            category="Experiments",
            caption="../report/structure_recovered.rst",
        ),
        pdf=str(paths.experiment_figure("{experiment}", "pdf")),
        csv=str(paths.experiment_figure_csv("{experiment}")),
    log:
        log_path("experiments", "{experiment}", "trials_table.log"),
    benchmark:
        benchmark_path("experiments", "{experiment}", "trials_table.tsv")
    wildcard_constraints:
        experiment=PLAN.experiment_pattern(scored=True),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        sculpt=SCULPT,
        title=lambda wildcards: f"{wildcards.experiment}: exact structure recovered",
    shell:
        "{params.sculpt} table {input:q} -o {output.table:q} --figure {output.png:q} "
        "--title {params.title:q} > {log:q} 2>&1"


# The experiments that only train or prune (no detection) have a table and no summary figure.
rule trials_table_unscored:
    input:
        lambda wildcards: PLAN.table_inputs(wildcards.experiment),
    output:
        report(
            str(paths.trials_csv("{experiment}")),
            category="Tables",
            caption="../report/trials.rst",
        ),
    log:
        log_path("experiments", "{experiment}", "trials_table.log"),
    benchmark:
        benchmark_path("experiments", "{experiment}", "trials_table.tsv")
    wildcard_constraints:
        experiment=PLAN.experiment_pattern(scored=False),
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} table {input:q} -o {output:q} > {log:q} 2>&1"


# A cell's drawing is chosen from its trials' records, so it runs beside the table job; an
# experiment's drawings are one job (`Drawings` in neural_sculpting/workflow/drawings.py).
for drawings in drawing_jobs(PLAN):

    rule:
        name:
            drawings.rule
        input:
            drawings.inputs(PLAN),
        output:
            [
                report(
                    path,
                    category="Drawings",
                    subcategory=drawings.experiment,
                    caption="../report/drawing.rst",
                )
                for path in drawings.outputs()
            ],
        log:
            drawings.log(),
        benchmark:
            drawings.benchmark()
        conda:
            CPU_ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=5 + len(drawings.cells),
        params:
            sculpt=SCULPT,
            # a dataset task's description (or --undescribed), quoted by the plan
            task=drawings.options,
            cells=drawings.cell_options(),
        shell:
            "{params.sculpt} draw-cell --trials {input:q} {params.task} {params.cells} "
            "> {log:q} 2>&1"
