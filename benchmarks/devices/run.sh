#!/usr/bin/env bash
# benchmarks/devices/run.sh — the in-process device benchmarks (device_benchmarks,
# Google Benchmark), each device against its host-side peer, reported as ratios.
#   benchmarks/devices/run.sh [REPETITIONS]     (default 5; ./dev.sh bench runs it)
# Prints a Markdown table (medians over the repetitions, interleaved in random order so
# a burst of load on the machine hits every row alike) and keeps it, with the raw JSON,
# as benchmarks/results/devices-latest.{md,json}. Environment: HULL_BUILD_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
BENCH=$BUILD/benchmarks/devices/device_benchmarks
RESULTS=$ROOT/benchmarks/results
REPS=${1:-5}
[ -x "$BENCH" ] || { echo "benchmarks/devices/run.sh: $BENCH is missing (build first)" >&2; exit 2; }
[ -d /dev/shm ] || { echo "benchmarks/devices/run.sh: needs /dev/shm (tmpfs)" >&2; exit 2; }

"$BENCH" --benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time=0.2 --benchmark_out="$RESULTS/devices-latest.json" \
  --benchmark_out_format=json > /dev/null
python3 "$HERE/report.py" "$RESULTS/devices-latest.json" | tee "$RESULTS/devices-latest.md"
