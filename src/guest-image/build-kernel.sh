#!/usr/bin/env bash
# Builds the SandboxRt guest kernel: Debian's linux-source-6.1 configured with `make allnoconfig` plus
# kernel/sandboxrt.config (everything the agent needs built in, no modules), booted as an uncompressed
# vmlinux through its PVH entry. The result is cached under $CACHE_DIR/kernel/<hash>/ where the hash
# covers the config fragment, this script and the source package's version: an unchanged input
# rebuilds nothing. Prints the cache directory (vmlinux, config, release) on stdout.
#
# Exit status 3 means "no kernel source here" (linux-source-6.1 is not installed): the caller falls
# back to Debian's packaged kernel and says so.
#
# usage: build-kernel.sh [--cache-dir DIR] [--jobs N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_dir=${SANDBOXRT_CACHE_DIR:-/var/cache/sandboxrt}
jobs=$(nproc)
source_package=linux-source-6.1
source_tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$here/kernel/sandboxrt.config

while [ $# -gt 0 ]; do
  case "$1" in
    --cache-dir) cache_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "build-kernel.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "guest-kernel: $*" >&2; exit 1; }
log() { echo "guest-kernel: $*" >&2; }

source_version=$(dpkg-query -W -f='${Version}' "$source_package" 2>/dev/null || true)
if [ -z "$source_version" ] || [ ! -f "$source_tarball" ]; then
  log "$source_package is not installed ($source_tarball missing)"
  exit 3
fi
for tool in make gcc flex bison bc; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (make deps installs it)"
done
[ -f /usr/include/libelf.h ] || die "libelf-dev is not installed (objtool needs it; make deps installs it)"

hash=$( { sha256sum "$fragment" "$0" | awk '{print $1}'; echo "$source_package $source_version"; } | sha256sum | cut -c1-16)
out=$cache_dir/kernel/$hash
if [ -f "$out/vmlinux" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

# One extracted tree per source version; builds for a changed fragment reuse its objects.
tree=$cache_dir/kernel-src/$source_version/linux-source-6.1
if [ ! -f "$tree/Makefile" ]; then
  log "unpacking $source_tarball ($source_package $source_version)"
  rm -rf "$cache_dir/kernel-src/$source_version"
  mkdir -p "$cache_dir/kernel-src/$source_version"
  tar -C "$cache_dir/kernel-src/$source_version" -xf "$source_tarball"
fi

log "configuring: allnoconfig + $(grep -c '^CONFIG_' "$fragment") options from kernel/sandboxrt.config"
make -C "$tree" -s KCONFIG_ALLCONFIG="$fragment" allnoconfig >/dev/null
# Every symbol the fragment sets must have survived: one that an unmet dependency dropped would
# otherwise be missing from the guest without a word.
dropped=()
while read -r line; do
  case "$line" in
    CONFIG_*=*) grep -qxF "$line" "$tree/.config" || dropped+=("$line") ;;
    "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; grep -q "^$sym=y" "$tree/.config" && dropped+=("$line") ;;
  esac
done < "$fragment"
[ ${#dropped[@]} -eq 0 ] || die "options that did not survive olddefconfig (unmet dependencies): ${dropped[*]}"

release=$(make -C "$tree" -s kernelrelease)
log "building $release with $jobs jobs: about 10 minutes on 2 cores, once per config (the Debian kernel stays installed until it is done)"
start=$(date +%s)
if ! nice -n 10 make -C "$tree" -j"$jobs" vmlinux > "$cache_dir/kernel-build.log" 2>&1; then
  tail -n 30 "$cache_dir/kernel-build.log" >&2
  die "the kernel build failed (full log: $cache_dir/kernel-build.log)"
fi
log "built in $(( $(date +%s) - start )) s"

mkdir -p "$out.tmp"
cp "$tree/vmlinux" "$out.tmp/vmlinux"
cp "$tree/.config" "$out.tmp/config"
echo "$release" > "$out.tmp/release"
echo "$source_package $source_version" > "$out.tmp/source"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
