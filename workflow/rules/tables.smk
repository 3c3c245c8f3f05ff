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


# A cell's drawing is chosen from its trials' records, so it runs beside the table job.
rule draw_cell:
    input:
        lambda wildcards: PLAN.drawing_inputs(
            wildcards.experiment, wildcards.graph, wildcards.depth
        ),
    output:
        report(
            str(paths.drawing_cell("{experiment}", "{graph}", "{depth}")),
            category="Drawings",
            subcategory="{experiment}",
            caption="../report/drawing.rst",
        ),
    log:
        log_path("experiments", "{experiment}", "draw_{graph}_h{depth}.log"),
    benchmark:
        benchmark_path("experiments", "{experiment}", "draw_{graph}_h{depth}.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
        # a dataset task's description (or --undescribed), quoted by the plan
        task=lambda wildcards: PLAN.task_options(wildcards.experiment, wildcards.graph),
    shell:
        "{params.sculpt} draw-cell --trials {input:q} --graph {wildcards.graph:q} "
        "--depth {wildcards.depth} {params.task} -o {output:q} > {log:q} 2>&1"
