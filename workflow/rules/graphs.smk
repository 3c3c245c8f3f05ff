# Stage 1: everything derived from a function-graph file alone, in one job per graph (four small
# jobs would be four processes, each paying its imports beside the first search).


rule function_graph_files:
    input:
        graph=lambda wildcards: str(paths.graph_file(wildcards.graph)),
    output:
        truth_table=str(paths.truth_table_csv("{graph}")),
        structure=str(paths.structure_json("{graph}")),
        png=report(
            str(paths.function_graph_drawing("{graph}", "png")),
            category="Function graphs",
            caption="../report/function_graph.rst",
        ),
        svg=str(paths.function_graph_drawing("{graph}", "svg")),
    log:
        log_path("graphs", "{graph}", "files.log"),
    benchmark:
        benchmark_path("graphs", "{graph}", "files.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} graph files {input.graph:q} --truth-table {output.truth_table:q} "
        "--structure {output.structure:q} --drawing {output.png:q} --drawing {output.svg:q} "
        "> {log:q} 2>&1"
