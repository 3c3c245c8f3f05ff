# Stages 2-5 of a trial: the pruning search (dense training, unit pruning, edge pruning and
# selection in one process, each stage cached as files in the trial folder), then module detection
# and scoring.


rule search:
    input:
        PLAN.search_inputs,
    output:
        selected=str(paths.selected_json(TRIAL)),
        network=str(paths.selected_pt(TRIAL)),
    log:
        log_path("trials", TRIAL, "search.log"),
    benchmark:
        benchmark_path("trials", TRIAL, "search.tsv")
    wildcard_constraints:
        graph=PLAN.graph_pattern(mnist=False),
    # Boolean trials take seconds: a cluster runs many of them in one job (profiles/slurm).
    group:
        "trials"
    conda:
        CPU_ENV
    threads: PLAN.run.threads
    resources:
        mem_mb=2000,
        runtime=60,
        # The search is the one stage that can use a GPU; ask for one when the config says cuda.
        gpu=PLAN.run.gpu,
    params:
        sculpt=SCULPT,
        trial=trial_json,
        device=PLAN.run.device,
    shell:
        "{params.sculpt} search --trial {params.trial:q} --device {params.device} "
        "--threads {threads} > {log:q} 2>&1"


# An MNIST trial's search (Sec. 5.5) holds dozens of 1568-input networks at once, in lane groups
# that fit its memory budget: a job of its own, on a GPU node where the config says cuda.
rule search_mnist:
    input:
        PLAN.search_inputs,
    output:
        selected=str(paths.selected_json(TRIAL)),
        network=str(paths.selected_pt(TRIAL)),
    log:
        log_path("trials", TRIAL, "search.log"),
    benchmark:
        benchmark_path("trials", TRIAL, "search.tsv")
    wildcard_constraints:
        graph=PLAN.graph_pattern(mnist=True),
    conda:
        GPU_ENV if PLAN.run.gpu else CPU_ENV
    threads: PLAN.run.threads
    resources:
        mem_mb=16000,
        runtime=720,
        gpu=PLAN.run.gpu,
    params:
        sculpt=SCULPT,
        trial=trial_json,
        device=PLAN.run.device,
        # 80% of the job's memory for lanes on CPU; on a GPU the engine measures free memory.
        budget=lambda wildcards, resources: (
            ""
            if PLAN.run.gpu
            else f"--memory-budget-gb {resources.mem_mb * 0.8 / 1024:.1f}"
        ),
    shell:
        "{params.sculpt} search --trial {params.trial:q} --device {params.device} "
        "--threads {threads} {params.budget} > {log:q} 2>&1"


rule detect:
    input:
        selected=str(paths.selected_json(TRIAL)),
        network=str(paths.selected_pt(TRIAL)),
        task=PLAN.task_file,
    output:
        score=str(paths.score_json(TRIAL, "{analysis}")),
        modules=str(paths.modules_json(TRIAL, "{analysis}")),
    log:
        log_path("trials", TRIAL, "{analysis}.log"),
    benchmark:
        benchmark_path("trials", TRIAL, "{analysis}.tsv")
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
        trial=trial_json,
    shell:
        "{params.sculpt} detect --trial {params.trial:q} > {log:q} 2>&1"
