# Stages 2-5 of a trial: the pruning search (dense training, unit pruning, edge pruning and
# selection in one process, each stage cached as files in the trial folder), then module detection
# and scoring.


# One search job per few cells of Boolean trials (a cell: the trials that differ only by seed,
# whose lanes train as one batch; a `Job` in neural_sculpting/workflow/ runs `cells_per_job` of
# them one after another), so a process, its imports and a Snakemake job are paid once for them.
# Each trial keeps its own files; a rerun of the job loads every stage file that is still valid
# instead of retraining it.
for job in PLAN.search_jobs():

    rule:
        name:
            job.rule
        input:
            PLAN.job_inputs(job),
        output:
            job.search_outputs(),
        log:
            job.log("search"),
        benchmark:
            job.benchmark("search")
        # Searches are the long jobs: start them before the short ones that are ready too.
        priority: 1
        # A cluster runs many cells in one job (profiles/slurm).
        group:
            "trials"
        conda:
            CPU_ENV
        threads: PLAN.run.threads
        resources:
            mem_mb=2000,
            # minutes: a cell of four hierarchy trials takes a few on one core
            runtime=30 * len(job.cells),
            # The search is the one stage that can use a GPU; ask for one when the config says cuda.
            gpu=PLAN.run.gpu,
        params:
            sculpt=SCULPT,
            trials=job.trials_json,
            device=PLAN.run.device,
            state_every=PLAN.run.state_every,
        shell:
            "{params.sculpt} search --trial {params.trials:q} --device {params.device} "
            "--threads {threads} --state-every {params.state_every:q} > {log:q} 2>&1"


# An MNIST trial's search (Sec. 5.5) holds dozens of 1568-input networks at once, in lane groups
# that fit its memory budget: a job of its own, on a GPU node where the config says cuda.
rule search_mnist:
    input:
        PLAN.search_inputs,
    output:
        selected=str(paths.selected_json(TRIAL)),
        network=str(paths.selected_pt(TRIAL)),
        arrays=str(paths.selected_npz(TRIAL)),
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
        state_every=PLAN.run.state_every,
        # 80% of the job's memory for lanes on CPU; on a GPU the engine measures free memory.
        budget=lambda wildcards, resources: (
            ""
            if PLAN.run.gpu
            else f"--memory-budget-gb {resources.mem_mb * 0.8 / 1024:.1f}"
        ),
    shell:
        "{params.sculpt} search --trial {params.trial:q} --device {params.device} "
        "--threads {threads} --state-every {params.state_every:q} {params.budget} > {log:q} 2>&1"


# One detection job per few cells and analysis: NumPy, SciPy and networkx only (no torch, no
# scikit-learn), reading each trial's selected.npz.
for job in PLAN.detect_jobs():

    rule:
        name:
            job.rule
        input:
            PLAN.job_inputs(job),
        output:
            job.detect_outputs(),
        log:
            job.log(job.analysis),
        benchmark:
            job.benchmark(job.analysis)
        group:
            "trials"
        conda:
            CPU_ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10 * len(job.cells),
        params:
            sculpt=SCULPT,
            trials=job.trials_json,
        shell:
            "{params.sculpt} detect --trial {params.trials:q} > {log:q} 2>&1"
