# Shared by all stages: the plan of the study (neural_sculpting/workflow/: the config validated
# and expanded once, the targets and each job's inputs), and how a job runs the library.
import shlex
import sys
import threading
from pathlib import Path

from snakemake.settings.types import DeploymentMethod

from neural_sculpting.study import catalogue
from neural_sculpting.foundations import paths
from neural_sculpting.study.experiments import ConfigError
from neural_sculpting.workflow import Plan, PlanError, drawing_targets, trial_dir_of
from neural_sculpting.workflow.drawings import drawing_jobs

try:
    PLAN = Plan.from_config(config)
    # A figure target named on the command line whose experiments the config lacks.
    PLAN.check_targets(sys.argv[1:])
except (ConfigError, PlanError) as error:
    # One line naming the key or the target, before any job runs.
    sys.stderr.write(f"{error}\n")
    sys.exit(2)

# Jobs run the library from this checkout: with the Python that runs Snakemake, or with the conda
# environment's Python under `--sdm conda`.
USE_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
PYTHON = "python" if USE_CONDA else shlex.quote(sys.executable)
SCULPT = f"PYTHONPATH={shlex.quote(workflow.basedir)} {PYTHON} -m neural_sculpting.cli"
CPU_ENV = "../../envs/cpu.yaml"
GPU_ENV = "../../envs/cuda.yaml"
TRIAL = paths.TRIAL_PATTERN


def trial_json(wildcards):
    """The job's one parameter: its trial, as JSON."""
    return PLAN.trial(wildcards).to_json()


def log_path(*parts):
    return str(paths.log_file(*parts))


def benchmark_path(*parts):
    return str(paths.benchmark_file(*parts))


def cancel_replanning_timers():
    """Snakemake re-plans after each job-rate timespan with a threading.Timer, which Python would
    wait for at exit (up to the profile's 10 s, see profiles/default): cancel them."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
