# Shared by all stages. The study expanded from the config, and the path names of every stage
# (all taken from neural_sculpting.paths, the one module that names paths).
import shlex
import sys

from snakemake.settings.types import DeploymentMethod

from neural_sculpting import paths
from neural_sculpting.study import ConfigError, load_study

try:
    STUDY = load_study(config)
except ConfigError as error:
    # One line naming the key, before any job runs.
    sys.stderr.write(f"{error}\n")
    sys.exit(2)

BOOLEAN = [e for e in STUDY.values() if e.task == "boolean"]
# Jobs run the library from this checkout: with the Python that runs Snakemake, or with the conda
# environment's Python under `--sdm conda`.
USE_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
PYTHON = "python" if USE_CONDA else shlex.quote(sys.executable)
SCULPT = f"PYTHONPATH={shlex.quote(workflow.basedir)} {PYTHON} -m neural_sculpting.cli"
CPU_ENV = "../../envs/cpu.yaml"


def log_path(*parts):
    return str(paths.results_dir() / "logs" / "/".join(parts))


def benchmark_path(*parts):
    return str(paths.results_dir() / "benchmarks" / "/".join(parts))


def graph_targets(experiments):
    graphs = sorted({g for e in experiments for g in e.graphs})
    return (
        [str(paths.truth_table_csv(g)) for g in graphs]
        + [str(paths.structure_json(g)) for g in graphs]
        + [str(paths.function_graph_drawing(g, "png")) for g in graphs]
        + [str(paths.function_graph_drawing(g, "svg")) for g in graphs]
    )


def boolean_targets():
    return graph_targets(BOOLEAN)


def all_targets():
    return graph_targets(STUDY.values())
