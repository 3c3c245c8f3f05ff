# Stage 1: everything derived from a function-graph file alone.


rule truth_table:
    input:
        graph=lambda wildcards: str(paths.graph_file(wildcards.graph)),
    output:
        str(paths.truth_table_csv("{graph}")),
    log:
        log_path("graphs", "{graph}", "truth_table.log"),
    benchmark:
        benchmark_path("graphs", "{graph}", "truth_table.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} graph truth-table {input.graph:q} -o {output:q} > {log:q} 2>&1"


rule graph_structure:
    input:
        graph=lambda wildcards: str(paths.graph_file(wildcards.graph)),
    output:
        str(paths.structure_json("{graph}")),
    log:
        log_path("graphs", "{graph}", "structure.log"),
    benchmark:
        benchmark_path("graphs", "{graph}", "structure.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} graph structure {input.graph:q} -o {output:q} > {log:q} 2>&1"


rule draw_function_graph:
    input:
        graph=lambda wildcards: str(paths.graph_file(wildcards.graph)),
    output:
        report(
            str(paths.function_graph_drawing("{graph}", "{fmt}")),
            category="Function graphs",
            caption="../report/function_graph.rst",
        ),
    log:
        log_path("graphs", "{graph}", "draw_{fmt}.log"),
    benchmark:
        benchmark_path("graphs", "{graph}", "draw_{fmt}.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} graph draw {input.graph:q} -o {output:q} > {log:q} 2>&1"
