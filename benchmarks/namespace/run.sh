#!/usr/bin/env bash
# Container start-up side by side, in one run on one machine: `run --rm IMAGE true`
#   hull: hull run --runtime ns --rm hull/busybox true (direct mode, no daemon)
#   crun: crun run of an OCI bundle of the same tree with the same settings
#   runc: runc run of that bundle
# The bundle's config.json comes from runtime/namespace/oci_bundle.h (make_oci_bundle),
# so all three set up the same namespaces, mounts, capabilities and seccomp profile.
# crun 1.8 refuses the hybrid cgroup layout of hull's development machines, so every
# command runs inside `unshare -m` after unmounting /sys/fs/cgroup/unified — the same
# wrapper for all three, so its cost cancels out of the ratios.
# Target (issue 5): hull ≤ 1.0× crun.
# Usage: benchmarks/namespace/run.sh [RUNS]   (HULL_BUILD_DIR: the build, default build/)
# Prints a table and writes the numbers as JSON to $HULL_BENCH_OUT (default
# build/benchmarks-namespace.json).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
HULL=${HULL:-$BUILD/cli/hull}
BUNDLER=${HULL_MAKE_OCI_BUNDLE:-$BUILD/tests/namespace/make_oci_bundle}
RUNS=${1:-30}
OUT=${HULL_BENCH_OUT:-$BUILD/benchmarks-namespace.json}

[ "$(id -u)" = 0 ] || { echo "namespace benchmark: run as root" >&2; exit 1; }
for tool in crun runc unshare hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "namespace benchmark: $tool is missing (./dev.sh build installs it)" >&2; exit 1; }
done
for bin in "$HULL" "$BUNDLER"; do
  [ -x "$bin" ] || { echo "namespace benchmark: $bin is missing (build first)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hull-ns-bench.XXXXXX)
cleanup() {
  crun --root "$work/crun" delete -f bench-crun >/dev/null 2>&1 || true
  runc --root "$work/runc" delete -f bench-runc >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> importing hull/busybox and writing the OCI bundle" >&2
"$HULL" --root "$work/store" run --runtime ns --rm hull/busybox true
tree=$(echo "$work"/store/rootfs/*/tree)
mkdir "$work/bundle"
cp -a "$tree" "$work/bundle/rootfs"
"$BUNDLER" "$work/bundle" "$work/bundle/rootfs" --hostname bench -- true

wrap() { echo "unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec $1'"; }
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/ns.json" \
  -n hull "$(wrap "$HULL --root $work/store run --runtime ns --rm hull/busybox true")" \
  -n crun "$(wrap "crun --root $work/crun run --bundle $work/bundle bench-crun")" \
  -n runc "$(wrap "runc --root $work/runc run --bundle $work/bundle bench-runc")" >&2

python3 - "$work/ns.json" "$OUT" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
crun = results["crun"]["mean"]
rows = []
for name in ("hull", "crun", "runc"):
    r = results[name]
    rows.append({"runtime": name, "mean_ms": r["mean"] * 1e3, "stddev_ms": r["stddev"] * 1e3,
                 "median_ms": r["median"] * 1e3, "ratio_to_crun": r["mean"] / crun})
print("| `run --rm busybox true` | mean | ± | median | × crun |")
print("|---|---|---|---|---|")
for row in rows:
    print("| %s | %.1f ms | %.1f | %.1f ms | %.2f× |" % (row["runtime"], row["mean_ms"], row["stddev_ms"],
                                                   row["median_ms"], row["ratio_to_crun"]))
hull = rows[0]["ratio_to_crun"]
print("\ntarget hull ≤ 1.0× crun: %s (%.2f×)" % ("met" if hull <= 1.0 else "NOT met", hull))
json.dump(rows, open(sys.argv[2], "w"), indent=2)
PY
