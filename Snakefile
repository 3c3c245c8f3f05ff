# Neural Sculpting as a workflow of cached stages: truth tables -> dense training -> unit pruning
# -> edge pruning -> selection -> module detection and scoring -> tables -> figures.
from snakemake.utils import min_version, validate

min_version("9.0")


# The paper's full study is the default; a --configfile replaces it instead of being merged into it
# (`--config device=cuda` alone still reads it).
if "experiments" not in config:

    configfile: "config/config.yaml"


wildcard_constraints:
    graph=r"[a-z0-9_]+",
    fmt=r"png|svg|pdf",
    experiment=r"[a-z0-9_]+",
    arch=r"[0-9]+(-[0-9]+)+",
    train=r"lr[0-9.e+-]+-b[0-9]+-e[0-9]+",
    search=r"(grid|paper|edge-only|dense)-[0-9a-f]{8}",
    seed=r"[0-9]+",
    dataset=r"two_digits|hierarchical",
    split=r"paper|disjoint",
    n=r"[0-9]+",
    analysis=r"detect_mm[^/]+",
    depth=r"[0-9]+",


# common.smk checks the config against the schema first, so a bad key stops the run with one line
# naming it (exit status 2); Snakemake's own check then fills in the schema's defaults.
include: "workflow/rules/common.smk"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/graphs.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/trials.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"


rule all_boolean:
    default_target: True
    input:
        boolean_targets(),


rule all:
    input:
        all_targets(),


rule all_mnist:
    input:
        mnist_targets(),


rule drawings:
    input:
        drawing_targets(BOOLEAN),
