#!/usr/bin/env bash
# hull's one entry point for people and CI on a Debian 12 machine, as root:
#   ./dev.sh demo    install what is missing, build, and run hull's main job on its
#                    built-in default (today: hull-vmm boots the test guest)
#   ./dev.sh test    install what is missing, build, and run the whole test suite
#   ./dev.sh build   install what is missing and build
#   ./dev.sh bench   build and run every benchmark, each side by side with its peer
#                    (docs/benchmarks.md, docs/images.md)
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
ROOT=$PWD
BUILD=${HULL_BUILD_DIR:-$ROOT/build}
FUZZ_BUILD=${HULL_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}

# Debian packages the build, the tests and the benchmarks need.
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  ccache  # rebuilds of any checkout share objects (CCACHE_BASEDIR below)
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libboost-program-options-dev
  libboost1.74-dev  # Beast and Asio (hull-vmm's per-VM API), header-only
  qemu-system-x86 busybox-static cpio kmod xz-utils  # tests/nested
  hyperfine
  libarchive-dev libcurl4-openssl-dev libssl-dev e2fsprogs  # rootfs-builder
  docker-registry skopeo umoci apache2-utils openssl python3  # its integration tests
  clang libclang-rt-14-dev
  libseccomp-dev libcap-dev crun runc  # runtime/namespace; its tests and benchmark compare with crun and runc
  runsc  # gVisor: a peer runtime in `hull bench` (docs/bench.md)
  libnl-3-dev libnl-route-3-dev libnftables-dev nftables  # engine/network: rtnetlink, the firewall (nft: tests read the rules)
  curl  # tests/daemon: raw HTTP to hulld (the docker CLI and the Python SDK come with the machine; tests skip without them)
  linux-source-6.1 bc flex bison libelf-dev  # the guest kernel (guest-kernel-config/build.sh)
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing: ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "dev.sh: run as root to install packages" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# ccache with paths relative to the checkout, so a fresh clone anywhere (CI's) reuses
# the objects of every earlier build on this machine; HULL_NO_CCACHE=1 builds without.
LAUNCHER=()
use_ccache() {
  if [ -z "${HULL_NO_CCACHE:-}" ] && command -v ccache >/dev/null; then
    export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=1
    LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
}

build() {
  install_deps
  use_ccache
  say "building in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LAUNCHER[@]}" >/dev/null
  ninja -C "$BUILD" -j"$(nproc)"
  say "guest kernel (guest-kernel-config/build.sh; cached in /var/cache/hull/guest-kernel)"
  "$ROOT/guest-kernel-config/build.sh" >/dev/null
}

# The libFuzzer targets: a second build of base/ and devices/ with clang (HULL_FUZZ).
fuzz_build() {
  use_ccache
  say "building the fuzzers in $FUZZ_BUILD (clang, ASan, UBSan)"
  cmake -S "$ROOT" -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DHULL_FUZZ=ON \
    -DHULL_FUZZ_SECONDS="${HULL_FUZZ_SECONDS:-30}" "${LAUNCHER[@]}" >/dev/null
  ninja -C "$FUZZ_BUILD" -j"$(nproc)"
}

kvm_usable() {
  [ -c /dev/kvm ] && exec 3<>/dev/kvm 2>/dev/null && { exec 3>&-; return 0; }
  return 1
}

VMM=$BUILD/vmm/hull-vmm
GUEST_ELF=$BUILD/tests/guests/hull-test-guest.elf
GUEST_BZ=$BUILD/tests/guests/hull-test-guest.bzImage
NESTED=$ROOT/tests/nested/run-in-tcg-kvm.sh
JAILER=$BUILD/jailer/hull-jailer

# Runs a command where /dev/kvm works: here, or inside QEMU/TCG (tests/nested).
with_kvm() {
  if kvm_usable; then
    "$@"
  else
    say "no usable /dev/kvm on this host: running inside a QEMU/TCG VM that provides KVM (tests/nested)"
    "$NESTED" --timeout 900 --add "$VMM" --add "$GUEST_ELF" --add "$GUEST_BZ" \
      --add "$BUILD/tests/kvm/vmm_boot_tests" --add "$JAILER" --env HULL_JAILER="$JAILER" \
      --env HULL_VMM="$VMM" --env HULL_TEST_GUEST_ELF="$GUEST_ELF" \
      --env HULL_TEST_GUEST_BZIMAGE="$GUEST_BZ" -- "$@"
  fi
}

# The VM e2e suite's hull-backend tests (tests/e2e; hull-vmm on KVM) where KVM is only
# there nested inside QEMU/TCG: hull, hull-vmm, hull-init, the guest kernel and e2fsprogs
# (writable layers, the tests' checks) staged in; HULL_E2E_HULL_ON_ANY_KVM lets them run
# on KVM that is not at hardware speed. A container takes 13-35 s from `hull run` to exit
# there, so CI runs a subset — one test per hull-vmm path the runtime uses: the vsock
# channel both ways (stdout/stderr, 3 MB out, 1 MiB in), signals, a guest panic's reset,
# the writable virtio-blk layer, virtio-net on a tap, a volume drive, the terminal, a
# killed hull — about 5-6 minutes on a busy 2-core host (docs/vm-runtime.md).
# HULL_NESTED_E2E_FILTER=... picks others ('*/hull': all of them, ~15 minutes).
NESTED_E2E_TESTS=(StdoutAndStderrAreSeparateAndByteExact MultiMegabyteBinaryOutputArrivesIntact
  StdinIsRelayedByteExact SignalIsForwardedToTheContainer GuestKernelPanicIsReportedWithTheConsole
  WritesLandInTheWritableLayerAndTheImageIsUnchanged GuestNetworkOnATapInTheTestsNamespace
  Ext4ImageFileVolumeOnBothBackends TtyIsRawWhileAttachedAndFollowsTheWindowSize
  AKilledRunsVmmDiesAndItsDirectoryIsSweptAtTheNextStart DirectoryVolumeIsVirtio9pOnQemuAndRefusedOnHull)
# hull-vmm in its jail (hull-vmm --jail), checked from the host (the tests above run jailed too).
NESTED_JAIL_TESTS=(TheVmmRunsConfinedAsTheJailsUser NoJailRunsTheVmmWithoutItAndSaysSoLoudly
  AJailThatCannotBeMadeIsOneClearError)
vm_e2e_nested() {
  local kdir filter=${HULL_NESTED_E2E_FILTER:-}
  kdir=$("$ROOT/guest-kernel-config/build.sh" --print-dir)
  if [ -z "$filter" ]; then
    local t
    for t in "${NESTED_E2E_TESTS[@]}"; do filter+="Backends/VmE2e.$t/hull:"; done
    for t in "${NESTED_JAIL_TESTS[@]}"; do filter+="Backends/VmJail.$t/hull:"; done
  fi
  "$NESTED" --timeout 780 --mem 3G --add "$BUILD/cli/hull" --add "$VMM" \
    --add "$BUILD/guest/hull-init" --add "$kdir/vmlinux" --add "$kdir/bzImage" \
    --add "$kdir/config" --add "$BUILD/tests/e2e/vm_e2e_tests" \
    --add /usr/sbin/mke2fs --add /usr/sbin/debugfs --add /etc/mke2fs.conf \
    --env HULL_E2E_HULL_ON_ANY_KVM=1 --env HULL_VM_BOOT_TIMEOUT=240 \
    --env HULL_GUEST_KERNEL_DIR="$kdir" -- /bin/sh -c "ln -s /usr/sbin/mke2fs /sbin/mkfs.ext4; \
      ln -s /usr/sbin/debugfs /sbin/debugfs; \
      mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup; \
      exec $BUILD/tests/e2e/vm_e2e_tests --gtest_filter='$filter'"
}

demo() {
  build
  say "hull-vmm boots the test guest (tests/guests) by the Linux 64-bit boot protocol"
  local status=0
  with_kvm "$VMM" --kernel "$GUEST_ELF" --vcpus 2 --memory 64 --timeout 120 \
    --cmdline "hulltest.mode=bootstate console=ttyS0" || status=$?
  say "hull-vmm exited with status $status (docs/hull-vmm.md explains the statuses)"
  demo_run || status=$?
  return "$status"
}

# The built-in busybox image run as a micro-VM and as a namespace container, timed.
demo_run() {
  local hull=$BUILD/cli/hull store status=0 t0 t1 t2
  store=$(mktemp -d /tmp/hull-demo.XXXXXX)
  local cmd=(sh -c 'echo "hello from $(uname -r) on $(hostname)"; cat /proc/1/comm')
  say "hull run: hull/busybox as a micro-VM (runtime vm) and as a namespace container (runtime ns)"
  "$hull" --root "$store" run --rm --runtime ns hull/busybox true || status=$?  # imports the image
  t0=$(date +%s%N)
  "$hull" --root "$store" run --rm --runtime vm hull/busybox "${cmd[@]}" || status=$?
  t1=$(date +%s%N)
  "$hull" --root "$store" run --rm --runtime ns hull/busybox "${cmd[@]}" || status=$?
  t2=$(date +%s%N)
  say "micro-VM: $(( (t1 - t0) / 1000000 )) ms; namespace container: $(( (t2 - t1) / 1000000 )) ms (command to exit, image already built)"
  rm -rf "$store"
  return "$status"
}

run_tests() {
  build
  local logs status=0
  logs=$(mktemp -d /tmp/hull-test-logs.XXXXXX)
  trap 'rm -rf "$logs"' RETURN
  say "unit, device, guest and bad-input tests (ctest)"
  (cd "$BUILD" && ctest -j"$(nproc)" --output-on-failure --timeout 600) 2>&1 | tee "$logs/ctest" \
    || status=1
  say "fuzzers: each runs ${HULL_FUZZ_SECONDS:-30} s from its corpus in the repo (ctest -L fuzz)"
  (fuzz_build && cd "$FUZZ_BUILD" && ctest -L fuzz --output-on-failure --timeout 600) 2>&1 \
    | tee "$logs/fuzz" || status=1
  if kvm_usable; then
    say "/dev/kvm is usable here: the kvm-labelled tests above ran under it"
  else
    say "kvm-labelled tests skipped above (no usable /dev/kvm); running them under KVM inside QEMU/TCG"
    # The nested VM is ours alone, so it may reserve huge pages for the huge-page test.
    with_kvm /bin/sh -c "echo 64 > /proc/sys/vm/nr_hugepages; exec $BUILD/tests/kvm/vmm_boot_tests" \
      2>&1 | tee "$logs/nested" || status=1
    say "vm e2e tests with the hull backend, under KVM inside QEMU/TCG (a subset; see dev.sh)"
    vm_e2e_nested 2>&1 | tee "$logs/nested-e2e" || status=1
    say "the namespace runtime on a cgroup v2-only kernel, inside the same QEMU/TCG VM"
    "$ROOT/tests/nested/cgroup2_ns_test.sh" "$BUILD/cli/hull" 2>&1 | tee "$logs/nested-cgroup2" \
      || status=1
  fi
  skip_reasons
  summarize "$logs"
  return "$status"
}

# Why each skipped ctest test was skipped (GoogleTest's GTEST_SKIP message), counted.
skip_reasons() {
  local log=$BUILD/Testing/Temporary/LastTest.log
  [ -f "$log" ] || return 0
  grep -h -A1 ': Skipped$' "$log" | grep -v -e ': Skipped$' -e '^--$' | sort | uniq -c |
    while read -r count reason; do say "skipped $count test(s): $reason"; done
}

# One closing line over every suite: ctest's own, the fuzzers' ctest, and the nested
# GoogleTest run.
summarize() {
  local total failed skipped passed
  total=$(sed -n 's/.* tests failed out of \([0-9]*\).*/\1/p' "$1/ctest" | tail -1)
  failed=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$1/ctest" | tail -1)
  skipped=$(grep -c '(Skipped)' "$1/ctest" || true)
  passed=$(( ${total:-0} - ${failed:-0} - skipped ))
  failed=${failed:-1}
  local nested
  for nested in "$1/nested" "$1/nested-e2e" "$1/nested-cgroup2"; do
    [ -f "$nested" ] || continue
    local np nf
    np=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$nested" | tail -1)
    nf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$nested" | tail -1)
    [ -n "$np$nf" ] || nf=1  # the nested run did not get as far as a result
    passed=$(( passed + ${np:-0} )); failed=$(( failed + ${nf:-0} ))
  done
  if [ -f "$1/fuzz" ]; then
    local ft ff
    ft=$(sed -n 's/.* tests failed out of \([0-9]*\).*/\1/p' "$1/fuzz" | tail -1)
    ff=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$1/fuzz" | tail -1)
    [ -n "$ft" ] || { ft=1; ff=1; }  # the fuzz build or run did not get as far as a result
    passed=$(( passed + ft - ${ff:-0} )); failed=$(( failed + ${ff:-0} ))
  fi
  echo "total: $passed passed, $failed failed, $skipped skipped"
}

case "${1:-}" in
  demo) demo ;;
  test) run_tests ;;
  build) build ;;
  bench)
    build
    say "hull-vmm boot against QEMU microvm (benchmarks/run.sh)"
    "$ROOT/benchmarks/run.sh"
    say "image pipeline against skopeo + umoci + mkfs.ext4 (benchmarks/rootfs/run.sh)"
    "$ROOT/benchmarks/rootfs/run.sh"
    say "virtio devices in-process against plain syscalls (benchmarks/devices/run.sh)"
    "$ROOT/benchmarks/devices/run.sh"
    say "namespace containers against crun and runc (benchmarks/namespace/run.sh)"
    "$ROOT/benchmarks/namespace/run.sh"
    say "hull run --rm true per runtime and backend, guest kernel to init (benchmarks/vm/run.sh)"
    "$ROOT/benchmarks/vm/run.sh"
    say "hulld's API latency and container cycles, against dockerd if one runs (benchmarks/api/run.sh)"
    "$ROOT/benchmarks/api/run.sh"
    say "what confining hull-vmm costs: seccomp and the jail against none (benchmarks/confinement/run.sh)"
    "$ROOT/benchmarks/confinement/run.sh" ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
