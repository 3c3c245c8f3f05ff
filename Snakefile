# Neural Sculpting as a workflow of cached stages: truth tables -> dense training -> unit pruning
# -> edge pruning -> selection -> module detection and scoring -> tables -> figures.
from snakemake.utils import min_version

min_version("9.0")


# The paper's full study is the default; a --configfile replaces it instead of being merged into it
# (`--config device=cuda` alone still reads it).
if "experiments" not in config:

    configfile: "config/config.yaml"


# common.smk checks the config against workflow/schemas/config.schema.yaml, once, and expands the
# study: a bad key stops the run with one line naming it (exit status 2). Defaults come from the
# library's dataclasses (neural_sculpting/study/defaults.py), not from the schema.
include: "workflow/rules/common.smk"


# What each wildcard may match, from neural_sculpting/study/paths.py like every path.
workflow.global_wildcard_constraints(**paths.WILDCARD_CONSTRAINTS)


include: "workflow/rules/graphs.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/trials.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"


rule all_boolean:
    default_target: True
    input:
        PLAN.boolean_targets(),


rule all:
    input:
        PLAN.all_targets(),


# The appendix's tables and figures (Table 4), outside all_boolean so the main study costs the same.
rule all_appendix:
    input:
        PLAN.appendix_targets(),


rule all_mnist:
    input:
        PLAN.mnist_targets(),


# Dataset-file experiments (`task: dataset`): a researcher's own data, and the digits task.
rule all_datasets:
    input:
        PLAN.dataset_targets(),


rule drawings:
    input:
        drawing_targets(PLAN.boolean),


# The run is over: no re-planning timer may keep it waiting (common.smk).
onsuccess:
    cancel_replanning_timers()


onerror:
    cancel_replanning_timers()
