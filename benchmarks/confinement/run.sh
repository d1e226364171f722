#!/usr/bin/env bash
# benchmarks/confinement/run.sh — what confining hull-vmm costs (issue 8, item 6):
# vmm_boot_bench --confinement runs the same hull-vmm and test guest unconfined
# (--no-seccomp), with seccomp, both in the jail hull starts it in (`hull-vmm --jail
# --no-supervisor`, PID 1 of a new PID namespace), and with seccomp in the two other
# jails (`hull-vmm --jail` with its supervisor, hull-jailer), interleaved in one run; it
# times boot to the first guest instruction (and each start-up stage) and a virtio-blk
# read per request, each as a ratio to the unconfined one (target ≤ 1.05). Needs root.
# Where the host has no usable /dev/kvm it runs nested inside QEMU/TCG (tests/nested), and
# the report says its absolute times are not representative; there it defaults to 12
# repetitions (keep nested runs to ~30: docs/benchmarks.md says why).
#
#   benchmarks/confinement/run.sh [--runs K] [DRIVER-OPTIONS...]   (e.g. --runs 3 -n 20)
#
# --runs K: K separate runs (each nested one in a fresh VM), their samples pooled into
# one report (vmm_boot_bench --merge). Writes the Markdown report to stdout and
# benchmarks/results/confinement-latest.md, the JSON to
# benchmarks/results/confinement-latest.json. HULL_BUILD_DIR (default ./build).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
RESULTS=$ROOT/benchmarks/results
BENCH=$BUILD/benchmarks/vmm_boot_bench
VMM=$BUILD/vmm/hull-vmm
JAILER=$BUILD/jailer/hull-jailer
GUEST_ELF=$BUILD/tests/guests/hull-test-guest.elf
GUEST_BZ=$BUILD/tests/guests/hull-test-guest.bzImage
NESTED=$ROOT/tests/nested/run-in-tcg-kvm.sh

runs=1
driver=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=${2:-}; shift 2 || { echo "confinement/run.sh: --runs needs a count" >&2; exit 2; } ;;
    --runs=*) runs=${1#--runs=}; shift ;;
    *) driver+=("$1"); shift ;;
  esac
done
case $runs in ''|*[!0-9]*|0) echo "confinement/run.sh: --runs takes a count of at least 1" >&2; exit 2 ;; esac

for f in "$BENCH" "$VMM" "$JAILER" "$GUEST_ELF" "$GUEST_BZ"; do
  [ -e "$f" ] || { echo "confinement/run.sh: $f is missing: build first" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hull-confinement-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
args=(--confinement --hull-vmm "$VMM" --hull-jailer "$JAILER" --guest-elf "$GUEST_ELF"
      --guest-bzimage "$GUEST_BZ" --environment "hull commit=$commit"
      --environment "host load average (1/5/15 min) at start=$(cut -d' ' -f1-3 /proc/loadavg)")

# The nested VM's guest RAM as on this host: the nested kernel's transparent huge pages
# default to "always", and zeroing a 2 MiB page under TCG takes milliseconds, so which
# boots got huge pages (a matter of luck) would outweigh everything measured here.
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
cat > "$TMP/in-guest.sh" <<EOF
#!/bin/sh
[ -n "$thp" ] && echo "$thp" > /sys/kernel/mm/transparent_hugepage/enabled
"\$@" --json /tmp/report.json > /tmp/report.md
rc=\$?
cat /tmp/report.md
echo '@@json@@'
cat /tmp/report.json 2>/dev/null
exit \$rc
EOF
chmod +x "$TMP/in-guest.sh"

# One run, into $1.md and $1.json.
run_once() {
  local out=$1 rc=0
  if [ -c /dev/kvm ] && exec 3<>/dev/kvm 2>/dev/null; then
    exec 3>&-
    "$BENCH" "${args[@]}" --json "$out.json" "${driver[@]}" > "$out.md" || rc=$?
    return "$rc"
  fi
  echo "==> no usable /dev/kvm here: running under KVM nested inside QEMU/TCG (tests/nested)" >&2
  local reps=(--repetitions 12) a
  for a in "${driver[@]}"; do case $a in -n*|--repetitions*) reps=() ;; esac; done
  "$NESTED" --timeout "${HULL_BENCH_NESTED_TIMEOUT:-600}" --add "$BENCH" --add "$VMM" \
    --add "$JAILER" --add "$GUEST_ELF" --add "$GUEST_BZ" --add "$TMP/in-guest.sh" \
    -- "$TMP/in-guest.sh" "$BENCH" "${args[@]}" \
       --warning "these numbers come from KVM nested inside QEMU/TCG (no /dev/kvm on the host): absolute times are NOT representative of hardware, and the jailer's set-up (namespaces, mounts) runs under emulation too; only the ratios, measured side by side in this run, mean anything" \
       "${reps[@]}" "${driver[@]}" > "$TMP/combined" || rc=$?
  sed '/^@@json@@$/,$d' "$TMP/combined" > "$out.md"
  sed '1,/^@@json@@$/d' "$TMP/combined" > "$out.json"
  return "$rc"
}

status=0
merge=()
for i in $(seq 1 "$runs"); do
  [ "$runs" -gt 1 ] && echo "==> run $i of $runs" >&2
  rc=0
  run_once "$TMP/run-$i" || rc=$?
  [ "$rc" -gt "$status" ] && status=$rc
  [ -s "$TMP/run-$i.json" ] && merge+=("$TMP/run-$i.json")
done
if [ "$runs" -eq 1 ]; then
  cp "$TMP/run-1.md" "$TMP/report.md" 2>/dev/null || true
  cp "$TMP/run-1.json" "$TMP/report.json" 2>/dev/null || true
elif [ "${#merge[@]}" -gt 0 ]; then
  "$BENCH" --confinement --merge "${merge[@]}" --json "$TMP/report.json" > "$TMP/report.md" \
    || status=$((status > 1 ? status : 1))
fi
cat "$TMP/report.md" 2>/dev/null || true
if [ "$status" -le 1 ] && [ -s "$TMP/report.md" ] && [ -s "$TMP/report.json" ]; then
  mkdir -p "$RESULTS"
  cp "$TMP/report.md" "$RESULTS/confinement-latest.md"
  cp "$TMP/report.json" "$RESULTS/confinement-latest.json"
  echo "==> report saved: benchmarks/results/confinement-latest.md and .json" >&2
fi
exit "$status"
