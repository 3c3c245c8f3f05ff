#!/usr/bin/env bash
# Issue 18's GPU run as one script: the CUDA tests, a smoke trial, the CPU-vs-GPU benchmark, then
# as many two-digit trials of the paper's study as the time left allows. Prepare gpu_carry/ here
# with scripts/gpu_prepare.sh, then on the lent machine (device tool):
#   run(command="bash scripts/gpu_check.sh", carry=["gpu_carry"], timeout_s=570)
# Everything comes back as $OUT/gpu_check.tar.gz (logs, records, scores, summary.txt) and, where
# it fits in 16 MiB, $OUT/gpu_arrays.tar.gz (the selected networks' masks as NumPy).
#
# A dry run on this CPU machine, tiny settings, checks the script itself (tests/test_gpu_check.py):
#   GPU_CHECK_DEVICE=cpu GPU_CHECK_QUICK=1 OUT=/tmp/gpu_out bash scripts/gpu_check.sh
#
# Expected time per step on one H200 (estimates, none measured yet): wheels and CUDA tests 0.5
# min; composites 0.2 min; the smoke trial (1568-392-392-20, Pu 50 and 70, Pe 2.5, 40 epochs of
# 80,000 composites at batch 512: about 150,000 optimiser steps of 1-2 lanes) 2-5 min; the
# benchmark 1 min; the study trials take what is left of GPU_CHECK_BUDGET_S, cheapest first.
set -uo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
DEVICE=${GPU_CHECK_DEVICE:-cuda}
QUICK=${GPU_CHECK_QUICK:-0}
BUDGET=${GPU_CHECK_BUDGET_S:-520}
OUT=${OUT:-$PWD/gpu_out}
WORK=$(mktemp -d)
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
mkdir -p "$OUT" "$WORK/logs"
SUMMARY=$WORK/summary.txt

left() { echo $((BUDGET - ($(date +%s) - START))); }
note() { echo "$*" | tee -a "$SUMMARY"; }
step() {  # step NAME COMMAND...: run it, log it, time it; a failure is noted, not fatal
  local name=$1 t0 rc
  shift
  t0=$(date +%s)
  "$@" > "$WORK/logs/$name.log" 2>&1
  rc=$?
  note "step $name: rc $rc, $(($(date +%s) - t0)) s (left $(left) s)"
  tail -5 "$WORK/logs/$name.log" | sed 's/^/    /' | tee -a "$SUMMARY"
  return $rc
}
pack() {
  tar -czf "$OUT/gpu_check.tar.gz" -C "$WORK" --exclude='*.npz' --exclude='*.pt' \
    --exclude='data' .
  (cd "$WORK" && find trials -name selected.npz 2>/dev/null | tar -czf "$OUT/gpu_arrays.tar.gz" \
    -T - 2>/dev/null)
  if [[ -f "$OUT/gpu_arrays.tar.gz" && $(stat -c %s "$OUT/gpu_arrays.tar.gz") -gt 16000000 ]]; then
    rm "$OUT/gpu_arrays.tar.gz"
    note "gpu_arrays.tar.gz left out: over 16 MB"
  fi
  cp "$SUMMARY" "$OUT/summary.txt"
}
trap pack EXIT

if [[ $QUICK == 1 ]]; then
  PER_PAIR=20 SMOKE_ARCH=48-48 EPOCHS=2 BATCH=64 STEPS=3 LANES=2 ARCHS="48-48"
  STUDY_FLAGS="--pu 50 --pe 2.5"  # the authors' choices exist for the paper's widths only
else
  PER_PAIR=1000 SMOKE_ARCH=392-392 EPOCHS=40 BATCH=512 STEPS=20 LANES=14 ARCHS=""
  STUDY_FLAGS="--mode paper"
fi
note "gpu_check on $(hostname), device $DEVICE, quick $QUICK, budget $BUDGET s, $(date -u)"

# 0. The packages the image lacks, and what the machine is.
if [[ -d gpu_carry/whl ]] && ! $PY -c "import jsonschema" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site gpu_carry/whl/*.whl && export PYTHONPATH=$PWD:/tmp/site
fi
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
  --format=csv,noheader | tee -a "$SUMMARY"
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
  | tee -a "$SUMMARY"
ROOT=${GPU_CHECK_MNIST_ROOT:-gpu_carry}
[[ -d $ROOT/MNIST/raw ]] || ROOT=../shared/data

# 1. The CUDA-marked tests (skipped, not failed, on a CPU).
step cuda_tests $PY -m pytest -q -p no:cacheprovider tests/test_cuda.py
# The composites of the paper's two-digit task (1,000 per ordered pair, 80% train).
DATA=$WORK/data/two_digits_c$PER_PAIR.npz
mkdir -p "$WORK/data"
step composites $PY -m neural_sculpting.cli mnist-data --root "$ROOT" --task two_digits \
  --split paper --composites-per-pair "$PER_PAIR" -o "$DATA" || exit 1

search() {  # search OUTDIR ARCH LR BATCH EPOCHS [flags...]: one process, the seeds as lanes,
  # stopped after SEARCH_LIMIT seconds where set
  local out=$1 arch=$2 lr=$3 batch=$4 epochs=$5
  shift 5
  timeout "${SEARCH_LIMIT:-0}" $PY -m neural_sculpting.cli search --mnist "$DATA" --arch "$arch" --lr "$lr" \
    --batch-size "$batch" --epochs "$epochs" --accuracy-threshold 99 --accuracy-measure per_bit \
    --allow-untrainable --device "$DEVICE" --out-dir "$out/{graph}/s{seed}" "$@"
}
detect() {  # detect OUTDIR: the paper's MNIST thresholds, on every seed found
  local dir
  for dir in "$1"/mnist_two_digits/s*; do
    $PY -m neural_sculpting.cli detect --trial-dir "$dir" --graph mnist_two_digits \
      --modularity-threshold -0.3 --merge-threshold 0.6 || return 1
  done
}

# 2. The smoke trial: the paper's settings with a reduced grid, on the device; then the same tiny
# case on the CPU and the device, masks compared.
step smoke_search search "$WORK/trials/smoke" "$SMOKE_ARCH" 0.001 "$BATCH" "$EPOCHS" \
  --pu 50 70 --pe 2.5 --seed 0
step smoke_detect detect "$WORK/trials/smoke"
step devices_compare $PY - "$DEVICE" << 'EOF'
import sys

import torch

from neural_sculpting.engine.search import Search, SearchSettings, SearchTrial
from neural_sculpting.study.hparams import SearchHparams, TrainingHparams

device = sys.argv[1]
settings = SearchSettings(
    (24, 24), TrainingHparams(0.05, 8, 10), search=SearchHparams(pu_values=(50.0,), pe_values=(2.5,))
)
masks = {}
for name in ("cpu", device):
    search = Search([SearchTrial("input_separable", 0)], settings, device=name)
    search.run()
    masks[name] = [m.cpu() for m in search.runs[0].edges.masks()]
same = all(torch.equal(a, b) for a, b in zip(masks["cpu"], masks[device], strict=True))
agree = sum(int((a == b).sum()) for a, b in zip(masks["cpu"], masks[device], strict=True))
total = sum(a.numel() for a in masks["cpu"])
print(f"input_separable 4-24-24-4, Pu 50, Pe 2.5: masks on cpu and {device} bitwise equal: {same}; "
      f"{agree} of {total} mask entries agree")
EOF

# 3. The benchmark: one trial's lanes per optimiser step, CPU against the device.
devices="cpu"
[[ $DEVICE != cpu ]] && devices="cpu $DEVICE"
# shellcheck disable=SC2086
step benchmark $PY benchmarks/bench_mnist_lanes.py --devices $devices --steps "$STEPS" \
  --lanes "$LANES"

# 4. The paper's two-digit trials, the authors' (Pu, Pe) per seed (mode paper), cheapest first,
# each architecture's four seeds as lanes of one process, until the budget is spent.
if [[ -z $ARCHS ]]; then
  ARCHS=$($PY - << 'EOF'
import yaml

from neural_sculpting.study.experiments import load_study

study = load_study(yaml.safe_load(open("config/config.yaml")))
seen = {}
for t in study["mnist_two_digits"].trials:
    seen.setdefault(t.hidden, t.train)
for hidden in sorted(seen, key=lambda h: sum(h) * len(h)):
    tr = seen[hidden]
    print(f"{'-'.join(map(str, hidden))}:{tr.lr}:{tr.batch_size}:{tr.epochs}")
EOF
  )
else
  ARCHS="$ARCHS:0.001:$BATCH:$EPOCHS"
fi
done_cells=0
for cell in $ARCHS; do
  IFS=: read -r arch lr batch epochs <<< "$cell"
  remaining=$(left)
  if ((remaining < 30)); then
    note "stopped before $arch: $remaining s left"
    break
  fi
  out="$WORK/trials/study/$arch"
  # shellcheck disable=SC2086
  if SEARCH_LIMIT=$((remaining - 10)) search "$out" "$arch" "$lr" "$batch" "$epochs" \
      $STUDY_FLAGS --seed 0 --seed 1 --seed 2 --seed 5 > "$WORK/logs/study_$arch.log" 2>&1; then
    step "study_detect_$arch" detect "$out" && done_cells=$((done_cells + 1))
  else
    note "study $arch: stopped by the budget or failed (see logs/study_$arch.log)"
  fi
done
note "study cells searched and detected: $done_cells"
$PY - "$WORK" << 'EOF' | tee -a "$SUMMARY"
import json
import sys
from pathlib import Path

rows = []
for score in sorted(Path(sys.argv[1], "trials").glob("*/**/score.json")):
    s = json.loads(score.read_text())
    rows.append(f"{score.parent.relative_to(sys.argv[1])}: structure_match {s.get('structure_match')}")
print("\n".join(rows) or "no scored trial")
EOF
note "total $(($(date +%s) - START)) s"
