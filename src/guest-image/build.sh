#!/usr/bin/env bash
# Builds the guest image: an uncompressed kernel (vmlinux, booted through its PVH entry) and an
# initramfs holding the NativeAOT agent as /init, the shared libraries it links, and the kernel
# modules listed in modules.list with their dependencies, in load order.
#
# The kernel comes from Debian's linux-image package, fetched with `apt-get download` and never
# committed. Results are cached under $CACHE_DIR/<content hash>/: the hash covers the agent binary,
# the kernel package, the module list and this builder, so an unchanged input rebuilds nothing.
# The finished image is linked into $INSTALL_DIR (vmlinux, initramfs.img), where
# hypervisor-configs/qemu.json looks for it.
#
# usage: build.sh --agent PATH [--cache-dir DIR] [--install-dir DIR] [--kernel-package NAME]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
agent=""
cache_dir=${SANDBOXRT_CACHE_DIR:-/var/cache/sandboxrt}
install_dir=${SANDBOXRT_GUEST_DIR:-/usr/share/sandboxrt}
kernel_package=${SANDBOXRT_KERNEL_PACKAGE:-}

while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent=$2; shift 2 ;;
    --cache-dir) cache_dir=$2; shift 2 ;;
    --install-dir) install_dir=$2; shift 2 ;;
    --kernel-package) kernel_package=$2; shift 2 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "guest-image: $*" >&2; exit 1; }
log() { echo "guest-image: $*" >&2; }

[ -n "$agent" ] || die "--agent PATH is required (the NativeAOT sandboxrt-agent binary)"
[ -x "$agent" ] || die "agent binary '$agent' is missing or not executable"
for tool in apt-get dpkg-deb modinfo cpio xz sha256sum gcc; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (make deps installs it)"
done

# 1. The kernel package: the version linux-image-amd64 depends on, unless one is named.
if [ -z "$kernel_package" ]; then
  kernel_package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$kernel_package" ] || die "cannot resolve linux-image-amd64 to a kernel package (apt-get update?)"
fi
deb_dir=$cache_dir/debs
mkdir -p "$deb_dir"
deb=$(ls "$deb_dir"/"${kernel_package}"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  log "downloading $kernel_package"
  (cd "$deb_dir" && apt-get download "$kernel_package" >/dev/null 2>&1) || die "apt-get download $kernel_package failed"
  deb=$(ls "$deb_dir"/"${kernel_package}"_*.deb | head -n1)
fi
kernel_version=$(dpkg-deb -f "$deb" Version)

# 2. The content hash of every input.
hash=$( { sha256sum "$agent" "$deb" "$here/modules.list" "$here/build.sh" "$here/floor-init.c" | awk '{print $1}'; echo "$kernel_package"; } | sha256sum | cut -c1-16)
out=$cache_dir/guest/$hash
if [ -f "$out/manifest.json" ]; then
  log "cached: $out"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "building $hash from $kernel_package $kernel_version"
  dpkg-deb -x "$deb" "$work/pkg"
  release=$(ls "$work/pkg/lib/modules" | head -n1)
  moddir=$work/pkg/lib/modules/$release
  vmlinuz=$work/pkg/boot/vmlinuz-$release
  [ -f "$vmlinuz" ] || die "no /boot/vmlinuz-$release in $deb"

  # 2a. vmlinux: the ELF image inside the bzImage (the method of the kernel's scripts/extract-vmlinux:
  # find a compressed payload's magic, decompress from there, keep the result if it is an ELF file).
  extract() { # $1 magic (grep -P), $2 decompressor
    local offset
    for offset in $(LC_ALL=C grep -obUaP "$1" "$vmlinuz" | cut -d: -f1); do
      tail -c +$((offset + 1)) "$vmlinuz" | $2 > "$work/vmlinux" 2>/dev/null || true
      if [ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then return 0; fi
    done
    return 1
  }
  extract '\xfd\x37\x7a\x58\x5a\x00' 'xz -dc' || extract '\x1f\x8b\x08' 'gzip -dc' || extract '\x28\xb5\x2f\xfd' 'zstd -dc' \
    || die "could not extract an ELF vmlinux from $vmlinuz"

  # 2b. Modules in dependency order (depth first: dependencies before dependents, each once).
  declare -A seen=()
  order=()
  find_module() { find "$moddir/kernel" \( -name "$1.ko" -o -name "${1//_/-}.ko" -o -name "${1//-/_}.ko" \) | head -n1; }
  add_module() {
    local name=$1 file dep
    [ -n "${seen[$name]:-}" ] && return 0
    seen[$name]=1
    file=$(find_module "$name")
    [ -n "$file" ] || die "module '$name' is not in $kernel_package"
    for dep in $(modinfo -F depends "$file" | tr ',' ' '); do add_module "$dep"; done
    order+=("${file#"$moddir"/}")
  }
  while read -r name _; do
    case "$name" in ''|'#'*) continue ;; esac
    add_module "$name"
  done < "$here/modules.list"

  # 2c. The initramfs tree.
  root=$work/root
  mkdir -p "$root"/{dev,proc,sys,run,tmp,etc,lib/modules}
  install -m 0755 "$agent" "$root/init"
  for lib in $(ldd "$agent" | awk '/=>/ {print $3} /^\s*\/lib/ {print $1}' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
    mkdir -p "$root/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  fi
  for rel in "${order[@]}"; do
    mkdir -p "$root/lib/modules/$(dirname "$rel")"
    cp "$moddir/$rel" "$root/lib/modules/$rel"
  done
  printf '%s\n' "${order[@]}" > "$root/lib/modules/modules.load"
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
  echo "$release" > "$root/etc/sandboxrt-kernel-release"

  cpio_of() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0); }

  mkdir -p "$out.tmp"
  cp "$work/vmlinux" "$out.tmp/vmlinux"
  cpio_of "$root" > "$out.tmp/initramfs.img"

  # 2d. The bare-VM floor: the same modules, with a trivial /init that prints a line and powers off.
  floor=$work/floor
  cp -a "$root" "$floor"
  rm -f "$floor/init"
  gcc -static -Os -o "$floor/init" "$here/floor-init.c"
  rm -rf "$floor/lib/x86_64-linux-gnu" "$floor/lib64"
  cpio_of "$floor" > "$out.tmp/floor-initramfs.img"

  initrd_size=$(stat -c %s "$out.tmp/initramfs.img")
  cat > "$out.tmp/manifest.json" <<EOF
{
  "hash": "$hash",
  "kernel_package": "$kernel_package",
  "kernel_package_version": "$kernel_version",
  "kernel_release": "$release",
  "vmlinux_bytes": $(stat -c %s "$out.tmp/vmlinux"),
  "initramfs_bytes": $initrd_size,
  "agent_bytes": $(stat -c %s "$agent"),
  "modules": [$(printf '"%s",' "${order[@]}" | sed 's/,$//')]
}
EOF
  rm -rf "$out"
  mv "$out.tmp" "$out"
fi

# 3. Install: stable names pointing into the cache.
mkdir -p "$install_dir"
for f in vmlinux initramfs.img floor-initramfs.img manifest.json; do
  ln -sfn "$out/$f" "$install_dir/$f"
done
size=$(du -sh "$out/initramfs.img" | cut -f1)
log "kernel $(sed -n 's/.*"kernel_release": "\(.*\)".*/\1/p' "$out/manifest.json") ($kernel_package $kernel_version)," \
    "initramfs $size ($(grep -o '\.ko' "$out/manifest.json" | wc -l) modules), installed in $install_dir"
echo "$out"
