#!/usr/bin/env bash
# Fill gpu_carry/ (git-ignored) with what scripts/gpu_check.sh needs on a lent GPU machine, which
# reaches no network: the MNIST .gz files (12 MB) and the wheels of the one package its image
# lacks (jsonschema, for Python 3.12 there). Run here, once, then on the device tool:
#   run(command="bash scripts/gpu_check.sh", carry=["gpu_carry"], timeout_s=570)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MNIST=${MNIST:-../shared/data/MNIST/raw}

mkdir -p gpu_carry/MNIST/raw gpu_carry/whl
cp "$MNIST"/*-ubyte.gz gpu_carry/MNIST/raw/
rm -f gpu_carry/whl/*.whl
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 \
    manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
# jsonschema and what it needs beyond the image's packages (attrs and typing-extensions are there).
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" -d gpu_carry/whl \
  jsonschema==4.26.0 jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1
ls gpu_carry/whl
du -sh gpu_carry
