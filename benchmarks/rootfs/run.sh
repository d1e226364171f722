#!/usr/bin/env bash
# The image pipeline side by side, in one run on one machine:
#   hull:  hull pull (registry → verified store → unpacked tree → ext4 image)
#   peer:  skopeo copy (registry → OCI layout) + umoci unpack + mkfs.ext4 -d
# of the same ~50 MB (unpacked), six-layer image (make_image.py) from a docker-registry
# this script starts on 127.0.0.1; then a cached second `hull pull` of it.
# Targets (issue 4): hull ≤ 1.0× the peer pipeline; a cached pull ≤ 10 ms.
# Usage: benchmarks/rootfs/run.sh [RUNS]   (HULL=path/to/hull, default build/cli/hull)
# Prints a table and writes the numbers as JSON to $HULL_BENCH_OUT (default
# build/benchmarks-rootfs.json).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
HULL=${HULL:-$BUILD/cli/hull}
RUNS=${1:-5}
OUT=${HULL_BENCH_OUT:-$BUILD/benchmarks-rootfs.json}

for tool in docker-registry skopeo umoci mkfs.ext4 hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "rootfs benchmark: $tool is missing (./dev.sh build installs it)" >&2; exit 1; }
done
[ -x "$HULL" ] || { echo "rootfs benchmark: no hull binary at $HULL (build first)" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-rootfs-bench.XXXXXX)
registry_pid=
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building the benchmark image (OCI layout)" >&2
python3 "$HERE/make_image.py" "$work/layout" bench

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("docker-registry did not start")
PY
ref=127.0.0.1:$port/bench/image:1
echo "==> pushing it to the local registry ($ref) with skopeo" >&2
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:bench" "docker://$ref"

cat > "$work/peer.sh" <<SH
set -e
skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/peer/oci:bench
umoci unpack --image $work/peer/oci:bench $work/peer/bundle >/dev/null
kb=\$(du -sk $work/peer/bundle/rootfs | cut -f1)
mkfs.ext4 -q -F -O ^has_journal -m 0 -E root_owner=0:0 -d $work/peer/bundle/rootfs $work/peer/rootfs.ext4 \$(( kb + kb / 10 + 16384 ))k
SH
hull_cmd="$HULL --root $work/store pull -q $ref"

echo "==> cold: $RUNS runs each (fresh store / fresh output every run)" >&2
hyperfine --style basic --runs "$RUNS" --prepare "rm -rf $work/store $work/peer; sync" \
  --export-json "$work/cold.json" -n hull "$hull_cmd" -n "skopeo+umoci+mkfs.ext4" "sh $work/peer.sh" >&2

echo "==> cached: a second hull pull of the same image" >&2
$hull_cmd >/dev/null
hyperfine --style basic --warmup 3 --runs 30 -N --export-json "$work/cached.json" -n "hull (cached)" "$hull_cmd" >&2 \
  || hyperfine --style basic --warmup 3 --runs 30 --export-json "$work/cached.json" -n "hull (cached)" "$hull_cmd" >&2

python3 - "$work/cold.json" "$work/cached.json" "$OUT" <<'PY'
import json, sys
cold = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cached = json.load(open(sys.argv[2]))["results"][0]
hull, peer = cold["hull"], cold["skopeo+umoci+mkfs.ext4"]
ratio = hull["median"] / peer["median"]
result = {
    "hull_cold_median_s": hull["median"], "peer_cold_median_s": peer["median"],
    "ratio_hull_to_peer": ratio, "target_ratio": 1.0,
    "hull_cached_median_ms": cached["median"] * 1000, "target_cached_ms": 10,
}
json.dump(result, open(sys.argv[3], "w"), indent=2)
print(f"pull+unpack+ext4   hull {hull['median']:.3f} s   skopeo+umoci+mkfs.ext4 {peer['median']:.3f} s"
      f"   ratio {ratio:.2f}x (target <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'})")
print(f"cached hull pull   {cached['median']*1000:.1f} ms (target <= 10 ms: "
      f"{'met' if cached['median'] <= 0.010 else 'NOT met'})")
print(f"results: {sys.argv[3]}")
PY
