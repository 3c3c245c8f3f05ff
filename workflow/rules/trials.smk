# Stages 2-5 of a trial: the pruning search (dense training, unit pruning, edge pruning and
# selection in one process, each stage cached as files in the trial folder), then module detection
# and scoring.


# One search job per cell of Boolean trials (the trials that differ only by seed, `Cell` in
# neural_sculpting/workflow/): their lanes train as one batch, so a process, its imports and a
# Snakemake job are paid once per cell. Each trial keeps its own files; a rerun of the cell loads
# every sibling's stage files that are still valid instead of retraining them.
for cell in PLAN.search_cells():

    rule:
        name:
            cell.rule
        input:
            PLAN.cell_inputs(cell),
        output:
            cell.search_outputs(),
        log:
            cell.log("search"),
        benchmark:
            cell.benchmark("search")
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
            runtime=30,
            # The search is the one stage that can use a GPU; ask for one when the config says cuda.
            gpu=PLAN.run.gpu,
        params:
            sculpt=SCULPT,
            trials=cell.trials_json,
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


# One detection job per cell and analysis: NumPy, SciPy and networkx only (no torch, no
# scikit-learn), reading each trial's selected.npz.
for cell in PLAN.detect_cells():

    rule:
        name:
            cell.rule
        input:
            PLAN.cell_inputs(cell),
        output:
            cell.detect_outputs(),
        log:
            cell.log(cell.analysis),
        benchmark:
            cell.benchmark(cell.analysis)
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
            trials=cell.trials_json,
        shell:
            "{params.sculpt} detect --trial {params.trials:q} > {log:q} 2>&1"
