# Stage 6: per experiment, one row per trial (results/<experiment>/trials.csv) and its summary
# figure.


rule trials_table:
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


rule structure_recovered:
    input:
        str(paths.trials_csv("{experiment}")),
    output:
        png=report(
            str(paths.experiment_figure("{experiment}", "png")),
            category="Experiments",
            caption="../report/structure_recovered.rst",
        ),
        pdf=str(paths.experiment_figure("{experiment}", "pdf")),
        csv=str(paths.experiment_figure_csv("{experiment}")),
    log:
        log_path("experiments", "{experiment}", "structure_recovered.log"),
    benchmark:
        benchmark_path("experiments", "{experiment}", "structure_recovered.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
        title=lambda wildcards: f"{wildcards.experiment}: exact structure recovered",
    shell:
        "{params.sculpt} figure structure-recovered --trials {input:q} "
        "--title {params.title:q} -o {output.png:q} > {log:q} 2>&1"


rule draw_cell:
    input:
        str(paths.trials_csv("{experiment}")),
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
    shell:
        "{params.sculpt} draw-cell --trials {input:q} --graph {wildcards.graph:q} "
        "--depth {wildcards.depth} -o {output:q} > {log:q} 2>&1"
