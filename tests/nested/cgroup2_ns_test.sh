#!/bin/bash
# The namespace runtime on a cgroup v2-only host, for real: this development machine
# mounts cgroup v1 controllers (hybrid), so the v2 path is otherwise only unit-tested
# against a fake cgroupfs. This boots the nested QEMU/TCG guest (run-in-tcg-kvm.sh),
# mounts cgroup2 alone at /sys/fs/cgroup there (all controllers on it) and checks that
# `hull run --runtime ns` applies --memory, --pids-limit and --cpus as memory.max,
# pids.max and cpu.max inside the container's cgroup namespace, that an OOM kill is exit
# 137, that the pids limit stops a fork, and that no cgroup is left behind.
# Usage: cgroup2_ns_test.sh HULL_BINARY. Prints GoogleTest-style PASSED/FAILED lines
# (dev.sh counts them). The nested guest's / is an initramfs, where pivot_root is
# impossible, so the checks run chrooted into a tmpfs (as a real root would be).
set -uo pipefail
HULL=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/hull-cgroup2-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The image is unpacked here, so the nested run needs no image libraries but libcrypto
# (the store checks its blobs' digests).
"$HULL" --root "$work/store" run --runtime ns --rm hull/busybox true || {
  echo "[  FAILED  ] 1 test: could not prepare the image store"; exit 1; }

# The chroot below binds these top-level directories of the nested guest: the system's,
# plus those holding hull and the store (a checkout may live anywhere, e.g. /check/...).
top_dirs="tmp usr lib lib64 bin sbin etc proc sys dev"
for p in "$HULL" "$work"; do
  top=${p#/}; top=${top%%/*}
  case " $top_dirs " in *" $top "*) ;; *) top_dirs="$top_dirs $top" ;; esac
done

cat > "$work/inner.sh" <<INNER
#!/bin/sh
if [ -z "\${IN_NEWROOT:-}" ]; then
  mkdir -p /newroot && mount -t tmpfs none /newroot || exit 90
  for d in $top_dirs; do
    [ -e /\$d ] || continue; mkdir -p /newroot/\$d; mount --rbind /\$d /newroot/\$d
  done
  exec env IN_NEWROOT=1 chroot /newroot /bin/sh $work/inner.sh
fi
umount -l /sys/fs/cgroup 2>/dev/null
mount -t cgroup2 none /sys/fs/cgroup || { echo "no cgroup2"; exit 91; }
H="$HULL --root $work/store"
echo "limits: \$(\$H run --runtime ns --rm --memory 64m --pids-limit 50 --cpus 0.5 hull/busybox \
  sh -c 'echo \$(cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max)')"
\$H run --runtime ns --rm --memory 32m hull/busybox sh -c 'x=a; while true; do x="\$x\$x"; done'
echo "oom: \$?"
\$H run --runtime ns --rm --pids-limit 10 hull/busybox \
  sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 3 & done; wait' 2>&1 | grep -q "can't fork" && echo "forks refused: yes"
echo "left: \$(ls -d /sys/fs/cgroup/hull/*/ 2>/dev/null | wc -l)"
INNER
chmod +x "$work/inner.sh"

out=$("$HERE/run-in-tcg-kvm.sh" --timeout 600 --mem 1G --add "$HULL" \
  --add /usr/lib/x86_64-linux-gnu/libcrypto.so.3 --add "$work" -- "$work/inner.sh" 2>&1)
echo "$out"
passed=0 failed=0
check() {  # $1 name, $2 expected line (exact)
  if grep -qxF "$2" <<<"$out"; then
    echo "[       OK ] Cgroup2.$1"; passed=$((passed + 1))
  else
    echo "[  FAILED  ] Cgroup2.$1: expected the line '$2'"; failed=$((failed + 1))
  fi
}
check LimitsAreAppliedInTheContainersCgroup "limits: 0::/ 67108864 50 50000 100000"
check OutOfMemoryIsExit137 "oom: 137"
check PidsLimitRefusesForks "forks refused: yes"
check NoCgroupIsLeftBehind "left: 0"
[ "$passed" = 0 ] || echo "[  PASSED  ] $passed tests."
[ "$failed" = 0 ] || { echo "[  FAILED  ] $failed tests, listed above"; exit 1; }
