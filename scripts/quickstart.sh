#!/usr/bin/env bash
# Set up .venv, then run the main job (all_boolean) on the quick-start config.
#   CORES   cores for Snakemake (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/snakemake all_boolean --cores "${CORES:-2}" --configfile config/quickstart.yaml "$@"
