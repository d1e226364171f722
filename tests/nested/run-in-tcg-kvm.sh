#!/bin/bash
# run-in-tcg-kvm.sh - run a command with a working /dev/kvm on a host that has
# none, by booting a small Linux guest under QEMU TCG (software emulation).
# QEMU's TCG emulates AMD SVM (with nested paging), so the guest can load
# kvm_amd and run KVM guests of its own. See README.md in this directory.
#
# Usage:
#   run-in-tcg-kvm.sh [options] -- COMMAND [ARG...]
#   run-in-tcg-kvm.sh --prepare          # only download/extract the kernel
#   run-in-tcg-kvm.sh --self-test        # build + run kvm_smoke.c inside
#
# Options:
#   --files DIR      copy DIR into the guest at its own absolute (real) path and
#                    run COMMAND there (first --files DIR is the working
#                    directory; /files is a symlink to it). Repeatable.
#   --add PATH       copy a file or directory into the guest at its own
#                    absolute (real) path. Repeatable.
#                    ELF executables/libraries among --files/--add get their
#                    shared libraries (per ldd) copied too, so dynamically
#                    linked binaries (libstdc++, GoogleTest .so, ...) work.
#   --env NAME=VALUE set an environment variable for COMMAND. Repeatable.
#   --timeout SEC    overall wall-clock limit incl. boot (default 600); on
#                    expiry QEMU is killed and the exit status is 124.
#   --mem SIZE       guest RAM (QEMU -m syntax, default 2G; allocated lazily).
#   --cpus N         guest CPUs (default 1). N>1 uses multi-threaded TCG and
#                    burns up to N host cores.
#   --kvm-amd-opts S kvm_amd module parameters, e.g. "npt=0" (default: none).
#   --verbose        stream the guest kernel console / init log to stderr.
#   --keep-tmp       do not delete the temp directory (printed on stderr).
#
# COMMAND runs as root in the guest with stdin=/dev/null; its stdout and stderr
# are streamed to this script's stdout and stderr (via two emulated UARTs, so
# bytes are passed through unmodified). Exit status: COMMAND's status; 124 on
# timeout; 125 if the harness itself failed (no /dev/kvm, guest crashed, ...).
#
# Environment:
#   HULL_NESTED_CACHE   cache dir (default /var/cache/hull-nested)
#   HULL_NESTED_QEMU    QEMU binary (default qemu-system-x86_64)
#   HULL_NESTED_CPU     QEMU -cpu model (default "max"; needs SVM)
set -u
set -o pipefail

PROG=run-in-tcg-kvm
SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${HULL_NESTED_CACHE:-/var/cache/hull-nested}
QEMU=${HULL_NESTED_QEMU:-qemu-system-x86_64}
QEMU_CPU=${HULL_NESTED_CPU:-max}
# Modules loaded in the guest (in this order, after their dependencies, which
# are resolved from the modules' own "depends=" modinfo fields). Add e.g. tun
# or vhost_net here if tests need them; the list is part of the cache key.
KVM_MODULES=(kvm-amd tun overlay)  # tun: the virtio-net tests make taps; overlay: cgroup2_ns_test.sh

die() { echo "$PROG: $*" >&2; exit 125; }
START_NS=$(date +%s%N)
log() {
  [ "$VERBOSE" = 1 ] || return 0
  local ms=$(( ($(date +%s%N) - START_NS) / 1000000 ))
  printf '%s: [%d.%03ds] %s\n' "$PROG" $((ms / 1000)) $((ms % 1000)) "$*" >&2
}

TIMEOUT=600
MEM=2G
CPUS=1
KVM_AMD_OPTS=""
VERBOSE=0
KEEP_TMP=0
PREPARE_ONLY=0
SELF_TEST=0
FILES_DIRS=()
ADD_PATHS=()
ENVS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --files) [ $# -ge 2 ] || die "--files needs an argument"; FILES_DIRS+=("$2"); shift 2 ;;
    --add) [ $# -ge 2 ] || die "--add needs an argument"; ADD_PATHS+=("$2"); shift 2 ;;
    --env) [ $# -ge 2 ] || die "--env needs an argument"
           [[ "$2" == [A-Za-z_]*=* ]] || die "--env wants NAME=VALUE, got '$2'"
           ENVS+=("$2"); shift 2 ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs an argument"; TIMEOUT=$2; shift 2 ;;
    --mem) [ $# -ge 2 ] || die "--mem needs an argument"; MEM=$2; shift 2 ;;
    --cpus) [ $# -ge 2 ] || die "--cpus needs an argument"; CPUS=$2; shift 2 ;;
    --kvm-amd-opts) [ $# -ge 2 ] || die "--kvm-amd-opts needs an argument"; KVM_AMD_OPTS=$2; shift 2 ;;
    --verbose|-v) VERBOSE=1; shift ;;
    --keep-tmp) KEEP_TMP=1; shift ;;
    --prepare) PREPARE_ONLY=1; shift ;;
    --self-test) SELF_TEST=1; shift ;;
    -h|--help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (COMMAND must follow --)" ;;
  esac
done
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || die "bad --timeout '$TIMEOUT'"
[[ "$CPUS" =~ ^[0-9]+$ ]] && [ "$CPUS" -gt 0 ] || die "bad --cpus '$CPUS'"
if [ "$PREPARE_ONLY" = 0 ] && [ "$SELF_TEST" = 0 ] && [ $# -eq 0 ]; then
  die "no COMMAND given (usage: $PROG [options] -- COMMAND [ARG...]; --help)"
fi
START_TS=$(date +%s)

# --------------------------------------------------------------------------
# Kernel/module/busybox cache, keyed by the Debian package versions.
# --------------------------------------------------------------------------
apt_candidate() {  # $1=package -> candidate version (empty if unknown)
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}' |
    grep -v '(none)'
}

# Extracts the uncompressed ELF vmlinux (bootable via PVH, which skips the
# ~3 s of in-guest decompression under TCG) from a bzImage. Only xz, the
# Debian amd64 default, is handled; callers fall back to the bzImage.
extract_vmlinux() {  # $1=bzImage $2=out
  local off
  for off in $(tr '\375\067\172\130\132\000' '\n2345=' < "$1" |
               grep -abo '^2345=' | cut -d: -f1); do
    if tail -c +"$off" "$1" | xz -dc --single-stream > "$2" 2>/dev/null ||
       [ -s "$2" ]; then
      if [ "$(head -c4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        return 0
      fi
    fi
  done
  rm -f "$2"
  return 1
}

mod_depends() {  # $1=.ko -> space separated dependency names
  tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | head -1 | tr ',' ' '
}

populate_cache() {  # $1=kernel pkg $2=kver $3=busybox ver $4=dest dir
  local kpkg=$1 kver=$2 bbver=$3 dest=$4 tmp
  command -v apt-get >/dev/null || die "apt-get not found; cannot fetch $kpkg"
  command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
  command -v xz >/dev/null || die "xz not found (install xz-utils)"
  mkdir -p "$CACHE_ROOT" || die "cannot create $CACHE_ROOT"
  tmp=$(mktemp -d "$CACHE_ROOT/.populate.XXXXXX") || die "mktemp failed"
  echo "$PROG: populating $dest (downloading $kpkg=$kver, busybox-static=$bbver)" >&2
  if ! (cd "$tmp" && apt-get download -q "$kpkg=$kver" "busybox-static=$bbver" \
          > apt.log 2>&1); then
    cat "$tmp/apt.log" >&2; rm -rf "$tmp"
    die "apt-get download failed (no network? try 'apt-get update')"
  fi
  local deb
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x" || { rm -rf "$tmp"; die "dpkg-deb -x $deb failed"; }; done
  mkdir -p "$tmp/out/modules"
  local vmlinuz moddir
  vmlinuz=$(ls "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -1)
  moddir=$(ls -d "$tmp"/x/lib/modules/* "$tmp"/x/usr/lib/modules/* 2>/dev/null | head -1)
  [ -n "$vmlinuz" ] && [ -n "$moddir" ] || { rm -rf "$tmp"; die "unexpected layout of $kpkg"; }
  cp "$vmlinuz" "$tmp/out/bzImage"
  if grep -qx 'CONFIG_PVH=y' "$tmp"/x/boot/config-* 2>/dev/null &&
     extract_vmlinux "$vmlinuz" "$tmp/out/vmlinux"; then
    :
  else
    echo "$PROG: note: no PVH vmlinux, will boot the bzImage (slower)" >&2
  fi
  # Resolve module load order (dependencies first), decompressing if needed.
  local order=() queue=("${KVM_MODULES[@]}") seen=" " m f d
  resolve() {
    local m=$1 f d
    case "$seen" in *" $m "*) return 0 ;; esac
    seen="$seen$m "
    f=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.*" -o \
          -name "${m//-/_}.ko" -o -name "${m//-/_}.ko.*" \) | head -1)
    [ -n "$f" ] || { echo "$PROG: module $m not found in $kpkg" >&2; return 1; }
    case "$f" in
      *.ko) cp "$f" "$tmp/out/modules/$m.ko" ;;
      *.ko.xz) xz -dc "$f" > "$tmp/out/modules/$m.ko" ;;
      *.ko.zst) zstd -qdc "$f" > "$tmp/out/modules/$m.ko" ;;
      *.ko.gz) gzip -dc "$f" > "$tmp/out/modules/$m.ko" ;;
      *) echo "$PROG: unknown module compression: $f" >&2; return 1 ;;
    esac || return 1
    for d in $(mod_depends "$tmp/out/modules/$m.ko"); do resolve "$d" || return 1; done
    order+=("$m")
  }
  for m in "${queue[@]}"; do resolve "$m" || { rm -rf "$tmp"; die "module resolution failed"; }; done
  printf '%s\n' "${order[@]}" > "$tmp/out/modules/order"
  cp "$tmp/x/bin/busybox" "$tmp/out/busybox" || { rm -rf "$tmp"; die "no busybox in busybox-static"; }
  cp "$tmp"/x/boot/config-* "$tmp/out/config" 2>/dev/null
  printf 'kernel=%s %s\nbusybox-static=%s\nvmlinux=%s\nmodules=%s\n' "$kpkg" "$kver" "$bbver" \
    "$([ -f "$tmp/out/vmlinux" ] && echo yes || echo no)" "${order[*]}" > "$tmp/out/VERSION"
  touch "$tmp/out/.complete"
  rm -rf "$dest"
  mv "$tmp/out" "$dest" || { rm -rf "$tmp"; die "cannot install $dest"; }
  rm -rf "$tmp"
}

# Which kernel/busybox the local apt metadata selects. apt-cache takes ~1 s
# per call here, so the answer is memoized until /var/lib/apt/lists changes.
apt_lookup() {  # -> "kpkg kver bbver" or nothing
  local stamp memo=$CACHE_ROOT/.apt-lookup kpkg kver bbver
  stamp=$(stat -c '%n %Y %s' /var/lib/apt/lists/* /etc/apt/preferences* 2>/dev/null | md5sum | cut -d' ' -f1)
  if [ -f "$memo" ] && [ "$(head -1 "$memo")" = "$stamp" ]; then
    sed -n 2p "$memo"; return 0
  fi
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
         sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
  kver=$([ -n "$kpkg" ] && apt_candidate "$kpkg")
  bbver=$(apt_candidate busybox-static)
  if [ -n "$kpkg" ] && [ -n "$kver" ] && [ -n "$bbver" ]; then
    echo "$kpkg $kver $bbver"
    mkdir -p "$CACHE_ROOT" 2>/dev/null &&
      printf '%s\n%s\n' "$stamp" "$kpkg $kver $bbver" > "$memo.$$" 2>/dev/null &&
      mv -f "$memo.$$" "$memo"
  fi
  return 0
}

find_cache() {
  local kpkg="" kver="" bbver="" key
  read -r kpkg kver bbver < <(apt_lookup)
  if [ -n "$kpkg" ] && [ -n "$kver" ] && [ -n "$bbver" ]; then
    key=$(echo "${kpkg}_${kver}+busybox-static_${bbver}+${KVM_MODULES[*]}" |
          tr -c 'A-Za-z0-9._+\n-' '_')
    CACHE_DIR=$CACHE_ROOT/$key
    if [ ! -f "$CACHE_DIR/.complete" ]; then
      mkdir -p "$CACHE_ROOT" || die "cannot create $CACHE_ROOT"
      exec 9> "$CACHE_ROOT/.lock"
      flock 9
      [ -f "$CACHE_DIR/.complete" ] || populate_cache "$kpkg" "$kver" "$bbver" "$CACHE_DIR"
      flock -u 9; exec 9>&-
    fi
  else
    # No apt metadata: use the newest complete cache entry, if any.
    CACHE_DIR=$(ls -td "$CACHE_ROOT"/*/ 2>/dev/null | while read -r d; do
                  [ -f "$d/.complete" ] && { echo "${d%/}"; break; }; done)
    [ -n "$CACHE_DIR" ] || die "no apt metadata for linux-image-amd64/busybox-static and no cache in $CACHE_ROOT (run apt-get update)"
  fi
  log "cache: $CACHE_DIR ($(tr '\n' ' ' < "$CACHE_DIR/VERSION"))"
}

find_cache
if [ "$PREPARE_ONLY" = 1 ]; then
  echo "$PROG: cache ready: $CACHE_DIR"; cat "$CACHE_DIR/VERSION"; exit 0
fi
command -v "$QEMU" >/dev/null || die "$QEMU not found (install qemu-system-x86)"

# --------------------------------------------------------------------------
# Temp dir + cleanup. Everything we start is killed on exit.
# --------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hull-nested.XXXXXX") || die "mktemp failed"
QEMU_PID=""
READER_PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill -TERM "$QEMU_PID" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.2; done
    # timeout(1) runs QEMU in its own process group (pgid = its pid).
    kill -KILL -- "-$QEMU_PID" 2>/dev/null || kill -KILL "$QEMU_PID" 2>/dev/null
  fi
  local p
  for p in "${READER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$KEEP_TMP" = 1 ]; then echo "$PROG: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "$PROG: interrupted" >&2; exit 130' INT
trap 'echo "$PROG: terminated" >&2; exit 143' TERM HUP

if [ "$SELF_TEST" = 1 ]; then
  command -v gcc >/dev/null || die "--self-test needs gcc"
  mkdir -p "$TMP/selftest"
  gcc -O2 -static -o "$TMP/selftest/kvm_smoke" "$SELF_DIR/kvm_smoke.c" ||
    die "building kvm_smoke failed"
  FILES_DIRS=("$TMP/selftest" "${FILES_DIRS[@]}")
  [ $# -gt 0 ] || set -- ./kvm_smoke
fi

# --------------------------------------------------------------------------
# Build the initramfs: busybox + modules + init, then the user's files.
# --------------------------------------------------------------------------
ROOT=$TMP/root
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,root,etc,hull/modules,usr/bin,usr/sbin} || die "mkdir failed"
cp "$CACHE_DIR/busybox" "$ROOT/bin/busybox"
cp "$CACHE_DIR"/modules/*.ko "$CACHE_DIR/modules/order" "$ROOT/hull/modules/"
chmod 1777 "$ROOT/tmp"

is_elf() { [ -f "$1" ] && [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

declare -A COPIED=()
stage_file() {  # $1=host path (absolute) -> same path in the guest, dereferenced
  local src=$1
  [ -n "${COPIED[$src]:-}" ] && return 0
  COPIED[$src]=1
  mkdir -p "$ROOT$(dirname "$src")" && cp -L --preserve=mode "$src" "$ROOT$src" ||
    die "cannot stage $src"
}
stage_libs() {  # $1=ELF file: copy its shared libraries (ldd) + ld.so.cache
  local lib
  # ldd prints "name => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)".
  while read -r lib; do
    [ -n "$lib" ] && [ -e "$lib" ] && stage_file "$lib"
  done < <(ldd "$1" 2>/dev/null | sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' \
                                        -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p')
  [ -f /etc/ld.so.cache ] && stage_file /etc/ld.so.cache
  return 0
}
stage_path() {  # $1=file or dir
  local p f
  p=$(realpath -e "$1") || die "no such file or directory: $1"
  if [ -d "$p" ]; then
    mkdir -p "$ROOT$p"
    while IFS= read -r -d '' f; do
      if [ -d "$f" ]; then mkdir -p "$ROOT$f"; continue; fi
      stage_file "$f"
      is_elf "$f" && stage_libs "$f"
    done < <(find -L "$p" -mindepth 1 \( -type f -o -type d \) -print0)
  else
    stage_file "$p"
    is_elf "$p" && stage_libs "$p"
  fi
}

WORKDIR=/
for d in "${FILES_DIRS[@]}"; do
  [ -d "$d" ] || die "--files $d: not a directory"
  stage_path "$d"
  [ "$WORKDIR" = / ] && WORKDIR=$(realpath -e "$d")
done
for p in "${ADD_PATHS[@]}"; do stage_path "$p"; done
[ "$WORKDIR" != / ] && ln -s "$WORKDIR" "$ROOT/files"
# COMMAND given as an absolute host path that was not staged: stage it too.
if [ $# -gt 0 ] && [[ "$1" == /* ]] && [ -f "$1" ] && [ ! -e "$ROOT$1" ]; then
  stage_path "$1"
fi

q() {  # single-quote for sh
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
{
  printf 'export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp\n'
  # The kernel starts init with TERM=linux and COMMAND's stdout is a UART (a
  # tty), so e.g. GoogleTest would colorize; only do that if our stdout is a tty.
  if [ -t 1 ] && [ -n "${TERM:-}" ]; then
    printf 'export TERM=%s\n' "$(q "$TERM")"
  else
    printf 'unset TERM\n'
  fi
  for e in "${ENVS[@]}"; do printf 'export %s=%s\n' "${e%%=*}" "$(q "${e#*=}")"; done
  printf 'cd %s || exit 125\n' "$(q "$WORKDIR")"
  printf 'exec'
  for a in "$@"; do printf ' %s' "$(q "$a")"; done
  printf '\n'
} > "$ROOT/hull/cmd"
printf '%s\n' "$KVM_AMD_OPTS" > "$ROOT/hull/kvm-amd-opts"

cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
# Generated by run-in-tcg-kvm.sh. Console (ttyS0) = harness log,
# ttyS1 = COMMAND stdout, ttyS2 = COMMAND stderr.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
hostname hull-nested
ip link set lo up 2>/dev/null
report() { echo "<0>HULL_NESTED_$1" > /dev/kmsg; }
fail() { echo "init: $*"; report "EXIT=125 $*"; poweroff -f; }
echo "init: started at $(cut -d' ' -f1 /proc/uptime)s"
for m in $(cat /hull/modules/order); do
  opts=""
  [ "$m" = kvm-amd ] && opts=$(cat /hull/kvm-amd-opts)
  insmod /hull/modules/$m.ko $opts || fail "insmod $m $opts failed"
done
[ -c /dev/kvm ] || fail "/dev/kvm missing after loading modules"
echo "init: /dev/kvm ready at $(cut -d' ' -f1 /proc/uptime)s (npt=$(cat /sys/module/kvm_amd/parameters/npt))"
stty -F /dev/ttyS1 raw -echo || fail "stty ttyS1"
stty -F /dev/ttyS2 raw -echo || fail "stty ttyS2"
sh /hull/cmd < /dev/null > /dev/ttyS1 2> /dev/ttyS2
rc=$?
echo "init: command exited with $rc at $(cut -d' ' -f1 /proc/uptime)s"
# Wait until the UARTs drained (busybox stty sets attributes with TCSADRAIN).
stty -F /dev/ttyS1 raw
stty -F /dev/ttyS2 raw
report "EXIT=$rc"
poweroff -f
EOF
chmod 755 "$ROOT/init"

SIZE_MB=$(du -sm "$ROOT" | cut -f1)
log "initramfs: ${SIZE_MB} MiB, workdir $WORKDIR"
[ "$SIZE_MB" -gt 1024 ] && echo "$PROG: warning: ${SIZE_MB} MiB of files staged; boot will be slow and needs --mem >> that" >&2
(cd "$ROOT" && find . -mindepth 1 | "$CACHE_DIR/busybox" cpio -o -H newc -R 0:0 \
   > "$TMP/initrd.cpio" 2> "$TMP/cpio.log") || { cat "$TMP/cpio.log" >&2; die "cpio failed"; }
rm -rf "$ROOT"

# --------------------------------------------------------------------------
# Boot. Output channels are FIFOs read by background cats.
# --------------------------------------------------------------------------
mkfifo "$TMP/con" "$TMP/out" "$TMP/err" || die "mkfifo failed"
if [ "$VERBOSE" = 1 ]; then
  tee "$TMP/console.log" < "$TMP/con" | sed -u 's/^/[guest] /' >&2 &
else
  cat < "$TMP/con" > "$TMP/console.log" &
fi
READER_PIDS+=($!)
cat < "$TMP/out" &
READER_PIDS+=($!)
cat < "$TMP/err" >&2 &
READER_PIDS+=($!)

if [ -f "$CACHE_DIR/vmlinux" ]; then KERNEL=$CACHE_DIR/vmlinux; else KERNEL=$CACHE_DIR/bzImage; fi
ACCEL=tcg
[ "$CPUS" -gt 1 ] && ACCEL=tcg,thread=multi
APPEND="console=ttyS0 panic=-1 printk.devkmsg=on 8250.nr_uarts=4 rdinit=/init"
[ "$VERBOSE" = 1 ] || APPEND="$APPEND quiet"

REMAINING=$(( TIMEOUT - ($(date +%s) - START_TS) ))
[ "$REMAINING" -gt 0 ] || { echo "$PROG: timed out before boot" >&2; exit 124; }
log "booting $KERNEL (cpu=$QEMU_CPU, mem=$MEM, cpus=$CPUS, timeout ${REMAINING}s)"
# timeout(1) bounds QEMU even if this script is SIGKILLed; it forwards
# SIGTERM to QEMU when we are interrupted (see cleanup).
timeout -s TERM -k 5 "$REMAINING" \
  "$QEMU" -accel "$ACCEL" -cpu "$QEMU_CPU" -m "$MEM" -smp "$CPUS" \
  -nodefaults -no-user-config -display none -no-reboot \
  -chardev file,id=con,path="$TMP/con" \
  -chardev file,id=out,path="$TMP/out" \
  -chardev file,id=err,path="$TMP/err" \
  -serial chardev:con -serial chardev:out -serial chardev:err \
  -kernel "$KERNEL" -initrd "$TMP/initrd.cpio" -append "$APPEND" \
  < /dev/null > "$TMP/qemu.log" 2>&1 &
QEMU_PID=$!
wait "$QEMU_PID"
QEMU_RC=$?
TIMED_OUT=0
case "$QEMU_RC" in 124|137) TIMED_OUT=1 ;; esac
QEMU_PID=""
log "qemu exited (rc=$QEMU_RC)"
# The readers see EOF once QEMU has closed the FIFOs.
for p in "${READER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
READER_PIDS=()

show_log() {
  echo "$PROG: ---- guest console (last 40 lines) ----" >&2
  tail -n 40 "$TMP/console.log" | tr -d '\r' >&2
  if [ -s "$TMP/qemu.log" ]; then
    echo "$PROG: ---- qemu ----" >&2; tail -n 20 "$TMP/qemu.log" >&2
  fi
}
if [ "$TIMED_OUT" = 1 ]; then
  echo "$PROG: timed out after ${TIMEOUT}s; killed QEMU" >&2
  [ "$VERBOSE" = 1 ] || show_log
  exit 124
fi
MARK=$(tr -d '\r' < "$TMP/console.log" | sed -n 's/^.*HULL_NESTED_EXIT=\([0-9]*\).*$/\1/p' | tail -1)
if [ -z "$MARK" ]; then
  echo "$PROG: guest ended without reporting an exit status (qemu rc=$QEMU_RC)" >&2
  show_log
  exit 125
fi
if [ "$MARK" = 125 ] && grep -q 'HULL_NESTED_EXIT=125 ' "$TMP/console.log"; then
  echo "$PROG: guest setup failed" >&2
  [ "$VERBOSE" = 1 ] || show_log
fi
log "done in $(( $(date +%s) - START_TS ))s, exit status $MARK"
exit "$MARK"
