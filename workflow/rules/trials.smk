# Stages 2-5 of a trial: the pruning search (dense training, unit pruning, edge pruning and
# selection in one process, each stage cached as files in the trial folder), then module detection
# and scoring.


rule search:
    input:
        search_inputs,
    output:
        selected=str(paths.selected_json(TRIAL_PATTERN)),
        network=str(paths.selected_pt(TRIAL_PATTERN)),
    log:
        log_path("trials", TRIAL_PATTERN, "search.log"),
    benchmark:
        benchmark_path("trials", TRIAL_PATTERN, "search.tsv")
    group:
        "trials"
    conda:
        CPU_ENV
    threads: config.get("threads", 1)
    resources:
        # MNIST grids hold many 1568-input networks at once (in memory-budgeted lane groups).
        mem_mb=lambda wildcards: 16000 if trial_of(wildcards).dataset else 2000,
        runtime=lambda wildcards: 720 if trial_of(wildcards).dataset else 60,
        # The search is the one stage that can use a GPU; ask for one when the config says cuda.
        gpu=1 if config.get("device") == "cuda" else 0,
    params:
        sculpt=SCULPT,
        args=lambda wildcards: search_args(trial_of(wildcards)),
        out=lambda wildcards: str(paths.trial_dir(trial_of(wildcards).key)),
        device=config.get("device", "auto"),
    shell:
        "{params.sculpt} search {params.args} --device {params.device} --threads {threads} "
        "--out {params.out:q} > {log:q} 2>&1"


rule detect:
    input:
        selected=str(paths.selected_json(TRIAL_PATTERN)),
        network=str(paths.selected_pt(TRIAL_PATTERN)),
    output:
        score=str(paths.score_json(TRIAL_PATTERN, "{analysis}")),
        modules=str(paths.modules_json(TRIAL_PATTERN, "{analysis}")),
    log:
        log_path("trials", TRIAL_PATTERN, "{analysis}.log"),
    benchmark:
        benchmark_path("trials", TRIAL_PATTERN, "{analysis}.tsv")
    group:
        "trials"
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        sculpt=SCULPT,
        thresholds=lambda wildcards: detection_args(wildcards.analysis),
        trial=lambda wildcards: str(paths.trial_dir(trial_of(wildcards).key)),
        out=lambda wildcards, output: str(Path(output.score).parent),
    shell:
        "{params.sculpt} detect --trial-dir {params.trial:q} --out-dir {params.out:q} "
        "--graph {wildcards.graph:q} {params.thresholds} > {log:q} 2>&1"
