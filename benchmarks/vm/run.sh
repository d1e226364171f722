#!/usr/bin/env bash
# `hull run --rm hull/busybox true`, command to exit, per runtime and backend, in one run
# on one machine (hyperfine): --runtime vm --vmm qemu (KVM or TCG, as hull picks),
# --runtime vm --vmm hull (only where hardware virtualization is usable), --runtime ns.
# Also the guest kernel's time to hull-init (guest clock, from hull-init's READY report)
# and the kernel's size. Every number is labelled with how guests executed on this host
# (hardware virtualization, emulated KVM such as PVM, or TCG), from hull's own probe.
# Targets (issue 6, on hardware virtualization): ≤ 100 ms for the VM runtime.
# Usage: benchmarks/vm/run.sh [RUNS]   (HULL_BUILD_DIR: the build, default build/)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
HULL=${HULL:-$BUILD/cli/hull}
RUNS=${1:-5}

[ "$(id -u)" = 0 ] || { echo "vm benchmark: run as root" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "vm benchmark: hyperfine is missing" >&2; exit 1; }
[ -x "$HULL" ] || { echo "vm benchmark: $HULL is missing (build first)" >&2; exit 1; }
KERNEL_DIR=$("$ROOT/guest-kernel-config/build.sh")

work=$(mktemp -d /tmp/hull-vm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
store=$work/store
run() { "$HULL" --root "$store" run --rm "$@" hull/busybox true; }

# The first run imports the built-in image and builds its ext4; it also tells us the
# backend hull picks and why.
notice=$(run --runtime vm 2>&1 >/dev/null | sed -n 's/^hull: vm: //p' | head -1)
echo "backend picked: $notice"
case "$notice" in
  hull*) mode="hardware virtualization" ;;
  "qemu (KVM)"*) mode="KVM at hardware speed" ;;
  *) mode="TCG (no hardware virtualization)" ;;
esac

cmds=(-n "vm qemu ($mode)" "$HULL --root $store run --rm --vmm qemu hull/busybox true"
      -n "ns" "$HULL --root $store run --rm --runtime ns hull/busybox true")
if [ "${notice#hull}" != "$notice" ]; then
  cmds+=(-n "vm hull" "$HULL --root $store run --rm --vmm hull hull/busybox true")
fi
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$work/h.json" "${cmds[@]}" >&2

# Time to hull-init, from hull-init's READY report (HULL_LOG=info).
init_ms=$(HULL_LOG=info "$HULL" --root "$store" run --rm --vmm qemu hull/busybox true 2>&1 |
  sed -n 's/.*guest kernel reached hull-init after \([0-9.]*\) ms.*/\1/p' | head -1)

python3 - "$work/h.json" "$KERNEL_DIR" "$mode" "${init_ms:-?}" <<'PY'
import json, os, sys
h = json.load(open(sys.argv[1]))
kdir, mode, init_ms = sys.argv[2], sys.argv[3], sys.argv[4]
ns = next(r for r in h["results"] if r["command"] == "ns")
print(f"guests executed with: {mode}")
print(f"{'run --rm hull/busybox true':32} {'median':>10} {'vs ns':>8}")
for r in h["results"]:
    print(f"{r['command']:32} {r['median']*1000:8.0f} ms {r['median']/ns['median']:7.1f}x")
print(f"guest kernel boot to hull-init (guest clock, qemu): {init_ms} ms")
for f in ("vmlinux", "bzImage"):
    print(f"guest kernel {f}: {os.path.getsize(os.path.join(kdir, f))/2**20:.2f} MiB")
PY
