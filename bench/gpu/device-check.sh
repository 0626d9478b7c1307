#!/usr/bin/env bash
# The GPU check of issue 13 (item 3) in one script, for a Linux x86-64 machine with an NVIDIA GPU and
# driver, Node >= 20.3, Python 3 with pip, g++, and access to npm and PyPI (or PIP_INDEX_URL /
# PIP_FIND_LINKS pointing at a mirror or a folder of wheels):
#   1. npm run setup -- --gpu       TensorFlow's CUDA build and the CUDA 12 / cuDNN 9 wheels (services skipped)
#   2. npm run build, tuneflow doctor (text and --json): the build, TensorFlow's devices, the GPU in use
#   3. npm run bench:training -- --quick   graph engine vs eager vs Keras (tensorflow[and-cuda]) on the GPU
# then one summary table (bench/gpu/summary.ts). Each step has a time limit, and a failed step does not
# stop the ones after it, so one run says as much as it can. Sized for about 8 minutes on 16 cores and
# an H100 when wheels download at ~100 MB/s; `--ours-only` skips Keras (its venv is another ~4 GB).
#
#   bash bench/gpu/device-check.sh [--ours-only]
#   OUT=/some/folder bash bench/gpu/device-check.sh
# $OUT (default .tuneflow/gpu-check) gets six files: log.txt (every step's output), steps.tsv (name, exit
# status, seconds), nvidia-smi.txt, doctor.json, bench.json and summary.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/.tuneflow/gpu-check}
mkdir -p "$OUT"
: > "$OUT/steps.tsv"
: > "$OUT/log.txt"
BENCH_ARGS=(--quick --json "$OUT/bench.json")
[ "${1:-}" = "--ours-only" ] && BENCH_ARGS+=(--ours-only)

# step NAME LIMIT_SECONDS COMMAND...: runs it, its output on the terminal and in log.txt, and records
# name, exit status and seconds in steps.tsv.
step() {
  local name=$1 limit=$2; shift 2
  echo "=== $name (limit ${limit}s): $*" | tee -a "$OUT/log.txt"
  local started=$SECONDS
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$OUT/log.txt"
  local rc=${PIPESTATUS[0]}
  printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - started))" >> "$OUT/steps.tsv"
  echo "=== $name: exit $rc after $((SECONDS - started))s" | tee -a "$OUT/log.txt"
  return "$rc"
}

step nvidia-smi 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$OUT/nvidia-smi.txt" 2>&1
export TUNEFLOW_GPU=1   # every set-up run below (bench:training runs none) keeps the CUDA build
step setup 300 npm run setup -- --gpu --skip-temporal --skip-mlflow --skip-postgres --skip-examples --skip-browser
step build 120 npm run build
step doctor 60 node dist/cli/main.js doctor
node dist/cli/main.js doctor --json > "$OUT/doctor.json" 2>> "$OUT/log.txt"
# What `npm run bench:training` runs, without building a second time.
step bench 420 node dist/bench/training.js "${BENCH_ARGS[@]}"
node dist/bench/gpu/summary.js "$OUT" | tee "$OUT/summary.md"
