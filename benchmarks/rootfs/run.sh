#!/usr/bin/env bash
# The image pipeline side by side, in one run on one machine:
#   hull:  hull pull (registry → verified store → unpacked tree → ext4 image)
#   peer:  skopeo copy (registry → OCI layout) + umoci unpack + mkfs.ext4 -d
# of the same ~50 MB (unpacked), six-layer image (make_image.py) from a docker-registry
# this script starts on 127.0.0.1; then the cached second pull, both in one process
# (rootfs_cached_pull_bench: what hulld will do) and as a `hull pull` process.
# Targets (issue 4): hull ≤ 1.0× the peer pipeline; a cached pull ≤ 10 ms.
# Usage: benchmarks/rootfs/run.sh [RUNS]   (HULL=path/to/hull, default build/cli/hull)
# Prints a table and writes the numbers as JSON to $HULL_BENCH_OUT (default
# build/benchmarks-rootfs.json).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
HULL=${HULL:-$BUILD/cli/hull}
CACHED_BENCH=${HULL_CACHED_PULL_BENCH:-$BUILD/benchmarks/rootfs/rootfs_cached_pull_bench}
RUNS=${1:-5}
OUT=${HULL_BENCH_OUT:-$BUILD/benchmarks-rootfs.json}

for tool in docker-registry skopeo umoci mkfs.ext4 hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "rootfs benchmark: $tool is missing (./dev.sh build installs it)" >&2; exit 1; }
done
for bin in "$HULL" "$CACHED_BENCH"; do
  [ -x "$bin" ] || { echo "rootfs benchmark: $bin is missing (build first)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hull-rootfs-bench.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
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
mkdir -p $work/peer
skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/peer/oci:bench
umoci unpack --image $work/peer/oci:bench $work/peer/bundle >/dev/null
kb=\$(du -sk $work/peer/bundle/rootfs | cut -f1)
mkfs.ext4 -q -F -O ^has_journal -m 0 -E root_owner=0:0 -d $work/peer/bundle/rootfs $work/peer/rootfs.ext4 \$(( kb + kb / 10 + 16384 ))k
SH
hull_cmd="$HULL --root $work/store pull -q $ref"

echo "==> cold: $RUNS runs each (fresh store / fresh output every run)" >&2
hyperfine --style basic --runs "$RUNS" --prepare "rm -rf $work/store $work/peer; sync" \
  --export-json "$work/cold.json" -n hull "$hull_cmd" -n "skopeo+umoci+mkfs.ext4" "sh $work/peer.sh" >&2

echo "==> cached: the same pull again, in one process (rootfs::Pull, as hulld runs it)" >&2
"$CACHED_BENCH" "$work/store-inproc" "$ref" 50 > "$work/inproc.json"
echo "==> cached: a second \`hull pull\` process, and what loading libcurl alone costs" >&2
$hull_cmd >/dev/null
printf 'int main(void){return 0;}\n' > "$work/empty.c"
cc -O2 "$work/empty.c" -o "$work/empty-curl" -Wl,--no-as-needed -lcurl 2>/dev/null || true
hyperfine --style basic -N --warmup 3 --runs 30 --export-json "$work/cached.json" \
  -n "hull pull (cached)" "$hull_cmd" -n "empty program linked with libcurl" "$work/empty-curl" >&2

python3 - "$work/cold.json" "$work/cached.json" "$OUT" "$work/inproc.json" <<'PY'
import json, sys
cold = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cached_all = json.load(open(sys.argv[2]))["results"]
cached, empty = cached_all[0], cached_all[1]
inproc = json.load(open(sys.argv[4]))
hull, peer = cold["hull"], cold["skopeo+umoci+mkfs.ext4"]
ratio = hull["median"] / peer["median"]
result = {
    "hull_cold_median_s": hull["median"], "peer_cold_median_s": peer["median"],
    "ratio_hull_to_peer": ratio, "target_ratio": 1.0,
    "hull_cached_inprocess_median_ms": inproc["cached_median_ms"],
    "hull_cached_process_median_ms": cached["median"] * 1000,
    "empty_process_with_libcurl_median_ms": empty["median"] * 1000, "target_cached_ms": 10,
}
json.dump(result, open(sys.argv[3], "w"), indent=2)
print(f"pull+unpack+ext4   hull {hull['median']:.3f} s   skopeo+umoci+mkfs.ext4 {peer['median']:.3f} s"
      f"   ratio {ratio:.2f}x (target <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'})")
print(f"cached pull        in process {inproc['cached_median_ms']:.1f} ms (target <= 10 ms: "
      f"{'met' if inproc['cached_median_ms'] <= 10 else 'NOT met'});"
      f" as a hull process {cached['median']*1000:.1f} ms"
      f" (of which process start with libcurl's libraries: {empty['median']*1000:.1f} ms)")
print(f"results: {sys.argv[3]}")
PY
