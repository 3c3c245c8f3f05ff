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
    wildcard_constraints:
        graph=BOOLEAN_GRAPH,
    # Boolean trials take seconds: a cluster runs many of them in one job (profiles/slurm).
    group:
        "trials"
    conda:
        CPU_ENV
    threads: config.get("threads", 1)
    resources:
        mem_mb=2000,
        runtime=60,
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


# An MNIST trial's search (Sec. 5.5) holds dozens of 1568-input networks at once, in lane groups
# that fit its memory budget: a job of its own, on a GPU node where the config says cuda.
rule search_mnist:
    input:
        search_inputs,
    output:
        selected=str(paths.selected_json(TRIAL_PATTERN)),
        network=str(paths.selected_pt(TRIAL_PATTERN)),
    log:
        log_path("trials", TRIAL_PATTERN, "search.log"),
    benchmark:
        benchmark_path("trials", TRIAL_PATTERN, "search.tsv")
    wildcard_constraints:
        graph=MNIST_GRAPH,
    conda:
        GPU_ENV if config.get("device") == "cuda" else CPU_ENV
    threads: config.get("threads", 1)
    resources:
        mem_mb=16000,
        runtime=720,
        gpu=1 if config.get("device") == "cuda" else 0,
    params:
        sculpt=SCULPT,
        args=lambda wildcards: search_args(trial_of(wildcards)),
        out=lambda wildcards: str(paths.trial_dir(trial_of(wildcards).key)),
        device=config.get("device", "auto"),
        # 80% of the job's memory for lanes on CPU; on a GPU the engine measures free memory.
        budget=lambda wildcards, resources: (
            ""
            if config.get("device") == "cuda"
            else f"--memory-budget-gb {resources.mem_mb * 0.8 / 1024:.1f}"
        ),
    shell:
        "{params.sculpt} search {params.args} --device {params.device} --threads {threads} "
        "{params.budget} --out {params.out:q} > {log:q} 2>&1"


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
