#!/usr/bin/env bash
# benchmarks/api/run.sh — hulld's Docker API latency and container cycle rate (issue 7:
# p99 ≤ 5 ms for GET /containers/json and GET /containers/{id}/json), side by side with
# Docker's own daemon in the same run when one answers on /var/run/docker.sock (else
# the report says the peer was not available).
#
#   benchmarks/api/run.sh [API_BENCH-OPTIONS...]    (api_bench --help; e.g. -n 500 --vm-cycles 0)
#
# api_bench starts its own hulld (--bridge none, a temporary root and socket), creates
# 100 containers (10 running, 10 exited), times 2000 list and 2000 inspect requests on
# one keep-alive connection, then 20 create → start → wait → rm cycles with runtime ns
# and 2 with runtime vm (qemu under TCG here: marked not representative), and removes
# everything it made — also when it fails or is interrupted. Needs root.
# Writes the Markdown report to stdout and benchmarks/results/api-latest.md, the JSON to
# benchmarks/results/api-latest.json. Environment: HULL_BUILD_DIR (default ./build).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
BENCH=$BUILD/benchmarks/api/api_bench
HULLD=$BUILD/hulld/hulld
RESULTS=$ROOT/benchmarks/results
for f in "$BENCH" "$HULLD"; do
  [ -x "$f" ] || { echo "benchmarks/api/run.sh: $f is missing: build first (ninja -C $BUILD api_bench)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "benchmarks/api/run.sh: needs root (hulld runs namespace containers)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hull-api-bench-report.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$ROOT" status --porcelain -- api engine hulld 2>/dev/null)" ] ||
  commit="$commit, with uncommitted changes under api/, engine/ or hulld/"
host="$(nproc) × $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
status=0
"$BENCH" --hulld "$HULLD" --json "$TMP/report.json" \
  --environment "hull commit=$commit" --environment "host=$host" \
  --environment "load average (1/5/15 min) at start=$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$@" > "$TMP/report.md" || status=$?
cat "$TMP/report.md"
if [ "$status" -le 1 ] && [ -s "$TMP/report.json" ]; then
  mkdir -p "$RESULTS"
  cp "$TMP/report.md" "$RESULTS/api-latest.md"
  cp "$TMP/report.json" "$RESULTS/api-latest.json"
  echo "==> report saved: benchmarks/results/api-latest.md and api-latest.json" >&2
fi
exit "$status"
