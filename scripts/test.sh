#!/usr/bin/env bash
# The project's one test entry point (CI runs exactly this): set up, lint, fast tests, slow tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint"
ruff check .
ruff format --check .
snakefmt --check Snakefile workflow/rules
python scripts/generate_graphs.py --check
python scripts/generate_config.py --check
python scripts/generate_config_readme.py --check
python scripts/score_authors_networks.py --check
snakemake --lint --configfile config/quickstart.yaml

run_pytest() {
  # pytest exits 5 when a marker selects nothing; that is not a failure here.
  local rc=0
  python -m pytest "$@" || rc=$?
  if [[ $rc -ne 0 && $rc -ne 5 ]]; then exit $rc; fi
}
echo "== fast tests"
run_pytest -m "not slow" -q
echo "== slow tests"
run_pytest -m slow -q
