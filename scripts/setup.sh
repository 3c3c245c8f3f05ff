#!/usr/bin/env bash
# Create .venv and install the project into it. Idempotent: a second run checks and returns.
#   SCULPT_TORCH   torch requirement to install first (default torch==2.13.0; on a GPU machine
#                  the same pin from PyPI is a CUDA build, or install your own torch into .venv
#                  before running this script: an importable torch is kept)
#   PYTHON         interpreter to build .venv from (default python3; 3.11 or later)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_SPEC=${SCULPT_TORCH:-torch==2.13.0}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: $PYTHON is missing or older than 3.11 (Snakemake 9 needs 3.11); set PYTHON=..." >&2
  exit 2
fi
if [[ ! -x .venv/bin/python ]]; then
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "setup: '$PYTHON -m venv' failed; on Debian install python3-venv (apt-get install python3-venv)" >&2
    exit 2
  fi
fi

# The stamp records what was installed, so an unchanged checkout skips pip entirely.
stamp=.venv/.sculpt-installed
want="$(cat pyproject.toml envs/pip-constraints.txt | sha256sum | cut -c1-16) $TORCH_SPEC"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && .venv/bin/python -c "import neural_sculpting, torch" 2>/dev/null; then
  exit 0
fi

pip() { .venv/bin/python -m pip --quiet --disable-pip-version-check "$@"; }
# torch first and pinned: a looser request (or one made by another package) pulls CUDA wheels.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  pip install "$TORCH_SPEC"
fi
# The library's dependencies at the tested versions (the conda environments pin the same ones).
pip install -e ".[dev]" -c envs/pip-constraints.txt
# The engine's compiled passes, built once here so that parallel jobs never wait on a build.
if ! .venv/bin/python -m neural_sculpting.engine.kernels; then
  echo "setup: the engine's compiled passes did not build (a C++ compiler is needed: g++ or clang++)" >&2
  exit 2
fi
echo "$want" > "$stamp"
echo "setup: .venv ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
