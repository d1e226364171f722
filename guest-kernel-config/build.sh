#!/bin/bash
# Builds hull's guest kernel (vmlinux and bzImage, no modules) from Debian's
# linux-source-6.1 package: `make allnoconfig`, then hull.config, then `make olddefconfig`.
# The result is cached outside the repository in
#   ${HULL_KERNEL_CACHE:-/var/cache/hull/guest-kernel}/<hash>/{vmlinux,bzImage,config}
# where <hash> covers hull.config, this script and the source package's version, so the
# kernel is rebuilt only when one of those changes.
#   build.sh               build if needed, print the directory
#   build.sh --print-dir   print the directory the current inputs map to, build nothing
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${HULL_KERNEL_CACHE:-/var/cache/hull/guest-kernel}
PKG=linux-source-6.1
TARBALL=/usr/src/$PKG.tar.xz

version=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || echo not-installed)
hash=$( { cat "$HERE/hull.config" "$HERE/build.sh"; echo "$PKG $version"; } | sha256sum | cut -c1-16)
OUT=$CACHE/$hash

if [ "${1:-}" = --print-dir ]; then echo "$OUT"; exit 0; fi
if [ -f "$OUT/vmlinux" ] && [ -f "$OUT/bzImage" ]; then echo "$OUT"; exit 0; fi

[ "$version" != not-installed ] && [ -f "$TARBALL" ] || {
  echo "guest-kernel-config/build.sh: $PKG is not installed (apt-get install $PKG; ./dev.sh does)" >&2
  exit 1
}

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/build-$hash.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)
echo "guest kernel: unpacking $PKG $version into $WORK" >&2
tar -xJf "$TARBALL" -C "$WORK" --strip-components=1

cd "$WORK"
make -s allnoconfig
scripts/kconfig/merge_config.sh -m .config "$HERE/hull.config" >/dev/null
make -s olddefconfig

# olddefconfig silently drops an option whose dependencies are unmet, and another option
# may select one hull.config turns off: refuse both.
missing=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*)
      grep -qxF "$line" .config || { echo "guest kernel: $line did not survive olddefconfig" >&2; missing=1; } ;;
    "# CONFIG_"*" is not set")
      opt=${line#\# }; opt=${opt%% *}
      ! grep -q "^$opt=" .config || { echo "guest kernel: $opt is selected back on by another option" >&2; missing=1; } ;;
  esac
done < "$HERE/hull.config"
[ "$missing" = 0 ] || exit 1

echo "guest kernel: building with -j$(nproc)" >&2
make -s -j"$(nproc)" vmlinux bzImage >&2

mkdir -p "$OUT.tmp"
cp vmlinux "$OUT.tmp/vmlinux"
cp arch/x86/boot/bzImage "$OUT.tmp/bzImage"
cp .config "$OUT.tmp/config"
echo "$(( $(date +%s) - start ))" > "$OUT.tmp/build-seconds"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "guest kernel: built in $(cat "$OUT/build-seconds") s" >&2
echo "$OUT"
