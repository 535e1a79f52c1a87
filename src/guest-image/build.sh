#!/usr/bin/env bash
# Builds the guest image: an uncompressed kernel (vmlinux, booted through its PVH entry) and an
# initramfs holding the NativeAOT agent as /init and the shared libraries it links, in two flavours:
#   sandboxrt: our own kernel (build-kernel.sh: linux-source-6.1 with kernel/sandboxrt.config, every
#              driver built in), so the initramfs holds the agent and nothing else: no modules to
#              unpack or load. The default whenever linux-source-6.1 is installed. It also gets
#              rootfs.img: the same tree as a read-only ext4 image, which QEMU boots on virtio-pmem
#              with DAX (qemu.json "image"), so that every VM runs the agent from one host file.
#   debian:    Debian's packaged kernel (linux-image-*, fetched with `apt-get download`), plus the
#              kernel modules listed in modules.list with their dependencies, in load order. Always
#              built (it takes seconds): the fallback, and the second floor in `make bench`.
# Each flavour also gets floor-initramfs.img: the same image with a one-line /init (the bare-VM floor).
#
# Results are cached under $CACHE_DIR/guest/<content hash>/: the hash covers the agent binary, the
# kernel, the module list and this builder, so an unchanged input rebuilds nothing. Nothing here is
# committed. The default flavour is linked into $INSTALL_DIR (vmlinux, initramfs.img, rootfs.img,
# floor-initramfs.img, manifest.json), where hypervisor-configs/qemu.json looks for it, and the Debian
# flavour into $INSTALL_DIR/debian/. manifest.json says which kernel it is and why.
#
# usage: build.sh --agent PATH [--cache-dir DIR] [--install-dir DIR] [--kernel-package NAME]
#                 [--kernel auto|sandboxrt|debian]   (or $SANDBOXRT_KERNEL; auto: sandboxrt when its
#                                                     source is installed, else debian)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
native_init=$here/../agent/sandboxrt-init/sandboxrt-init.c
agent=""
cache_dir=${SANDBOXRT_CACHE_DIR:-/var/cache/sandboxrt}
install_dir=${SANDBOXRT_GUEST_DIR:-/usr/share/sandboxrt}
kernel_package=${SANDBOXRT_KERNEL_PACKAGE:-}
kernel_choice=${SANDBOXRT_KERNEL:-auto}

while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent=$2; shift 2 ;;
    --cache-dir) cache_dir=$2; shift 2 ;;
    --install-dir) install_dir=$2; shift 2 ;;
    --kernel-package) kernel_package=$2; shift 2 ;;
    --kernel) kernel_choice=$2; shift 2 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "guest-image: $*" >&2; exit 1; }
log() { echo "guest-image: $*" >&2; }

case "$kernel_choice" in auto|sandboxrt|debian) ;; *) die "--kernel must be auto, sandboxrt or debian (got '$kernel_choice')" ;; esac
[ -n "$agent" ] || die "--agent PATH is required (the NativeAOT sandboxrt-agent binary)"
[ -x "$agent" ] || die "agent binary '$agent' is missing or not executable"
for tool in apt-get dpkg-deb modinfo cpio xz sha256sum gcc mke2fs; do
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

# 2. The initramfs tree shared by both flavours: the agent as /init and the libraries it links.
cpio_of() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0); }
agent_root() { # $1 directory to fill
  local root=$1 lib
  mkdir -p "$root"/{dev,proc,sys,run,tmp,etc,lib/modules,.root}
  install -m 0755 "$agent" "$root/init"
  # The guest's own DNS (CreateSandbox) lives on /run, a tmpfs: the root may be a read-only image.
  ln -s ../run/resolv.conf "$root/etc/resolv.conf"
  # The per-process init the agent spawns for each exec (src/agent/sandboxrt-init): static, no loader.
  gcc -static -O2 -Wall -Wno-format-truncation -o "$root/sandboxrt-init" "$native_init"
  for lib in $(ldd "$agent" | awk '/=>/ {print $3} /^\s*\/lib/ {print $1}' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
    mkdir -p "$root/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  fi
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
}

# Writes $1/{vmlinux,initramfs.img,floor-initramfs.img,manifest.json} from a kernel ($2), its release
# ($3), a module directory ($4, empty for none) with the load order in the array `order`, and the
# manifest's kernel description ($5: a JSON fragment).
assemble() {
  local out=$1 vmlinux=$2 release=$3 moddir=$4 kernel_json=$5 work rel
  work=$(mktemp -d)
  local root=$work/root
  agent_root "$root"
  for rel in "${order[@]}"; do
    mkdir -p "$root/lib/modules/$(dirname "$rel")"
    cp "$moddir/$rel" "$root/lib/modules/$rel"
  done
  if [ ${#order[@]} -gt 0 ]; then printf '%s\n' "${order[@]}" > "$root/lib/modules/modules.load"; fi
  echo "$release" > "$root/etc/sandboxrt-kernel-release"

  mkdir -p "$out.tmp"
  cp "$vmlinux" "$out.tmp/vmlinux"
  cpio_of "$root" > "$out.tmp/initramfs.img"
  # Our own kernel can also mount the same tree from a read-only virtio-pmem device with DAX (qemu.json
  # "image"): every VM then runs the agent from the host's page cache of this one file instead of
  # unpacking its own copy into RAM. ext4 without a journal, 4 KiB blocks (DAX maps whole pages), no
  # reserved blocks, sized to the tree plus 25% in 16 MiB steps (Linux 6.1 binds a pmem namespace only
  # when its start and end are 16 MiB aligned: memremap_compat_align).
  if [ "$with_image" = true ]; then
    local kib mib
    kib=$(du -sk --apparent-size "$root" | cut -f1)
    mib=$(( (kib * 5 / 4 / 1024 + 4 + 15) / 16 * 16 ))
    rm -f "$out.tmp/rootfs.img" && truncate -s "${mib}M" "$out.tmp/rootfs.img"
    mke2fs -q -F -t ext4 -b 4096 -m 0 -N 256 -O ^has_journal,^resize_inode -L sandboxrt-root -U clear -E root_owner=0:0 \
      -d "$root" "$out.tmp/rootfs.img" || die "mke2fs could not build rootfs.img"
    chmod 0644 "$out.tmp/rootfs.img"
  fi

  # The bare-VM floor: the same kernel and modules, with a trivial /init that prints a line and powers off.
  local floor=$work/floor
  cp -a "$root" "$floor"
  rm -f "$floor/init" "$floor/sandboxrt-init"
  gcc -static -Os -o "$floor/init" "$here/floor-init.c"
  rm -rf "$floor/lib/x86_64-linux-gnu" "$floor/lib64"
  cpio_of "$floor" > "$out.tmp/floor-initramfs.img"

  cat > "$out.tmp/manifest.json" <<EOF
{
  "hash": "$(basename "$out")",
$kernel_json
  "kernel_release": "$release",
  "vmlinux_bytes": $(stat -c %s "$out.tmp/vmlinux"),
  "initramfs_bytes": $(stat -c %s "$out.tmp/initramfs.img"),
  "agent_bytes": $(stat -c %s "$agent"),
  "rootfs_image_bytes": $( [ -f "$out.tmp/rootfs.img" ] && stat -c %s "$out.tmp/rootfs.img" || echo 0),
  "modules": [$( [ ${#order[@]} -gt 0 ] && printf '"%s",' "${order[@]}" | sed 's/,$//')]
}
EOF
  rm -rf "$out" "$work"
  mv "$out.tmp" "$out"
}

# 3a. The Debian flavour: the packaged kernel, its vmlinux extracted from the bzImage, and modules.
build_debian() { # sets debian_out
  local hash work release moddir vmlinuz name
  hash=$( { sha256sum "$agent" "$deb" "$here/modules.list" "$here/build.sh" "$here/floor-init.c" "$native_init" | awk '{print $1}'; echo "$kernel_package"; } | sha256sum | cut -c1-16)
  debian_out=$cache_dir/guest/$hash
  if [ -f "$debian_out/manifest.json" ]; then
    log "debian flavour cached: $debian_out"
    return
  fi
  work=$(mktemp -d)
  log "building the debian flavour $hash from $kernel_package $kernel_version"
  dpkg-deb -x "$deb" "$work/pkg"
  release=$(ls "$work/pkg/lib/modules" | head -n1)
  moddir=$work/pkg/lib/modules/$release
  vmlinuz=$work/pkg/boot/vmlinuz-$release
  [ -f "$vmlinuz" ] || die "no /boot/vmlinuz-$release in $deb"

  # vmlinux: the ELF image inside the bzImage (the method of the kernel's scripts/extract-vmlinux:
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

  # Modules in dependency order (depth first: dependencies before dependents, each once).
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

  with_image=false
  assemble "$debian_out" "$work/vmlinux" "$release" "$moddir" \
"  \"kernel\": \"debian\",
  \"kernel_package\": \"$kernel_package\",
  \"kernel_package_version\": \"$kernel_version\","
  rm -rf "$work"
}

# 3b. The sandboxrt flavour: our own kernel, no modules.
build_sandboxrt() { # sets sandboxrt_out; returns 3 when the kernel source is not installed
  local kernel_dir status=0 hash
  kernel_dir=$("$here/build-kernel.sh" --cache-dir "$cache_dir") || status=$?
  [ $status -eq 0 ] || return $status
  hash=$( { sha256sum "$agent" "$kernel_dir/vmlinux" "$here/build.sh" "$here/floor-init.c" "$native_init" | awk '{print $1}'; } | sha256sum | cut -c1-16)
  sandboxrt_out=$cache_dir/guest/$hash
  if [ -f "$sandboxrt_out/manifest.json" ]; then
    log "sandboxrt flavour cached: $sandboxrt_out"
    return 0
  fi
  log "building the sandboxrt flavour $hash"
  order=()
  with_image=true
  assemble "$sandboxrt_out" "$kernel_dir/vmlinux" "$(cat "$kernel_dir/release")" "" \
"  \"kernel\": \"sandboxrt\",
  \"kernel_source\": \"$(cat "$kernel_dir/source")\",
  \"kernel_config_hash\": \"$(basename "$kernel_dir")\","
}

build_debian
default_out=$debian_out
reason="Debian's packaged kernel ($kernel_package), as asked (--kernel debian)"
if [ "$kernel_choice" != debian ]; then
  status=0
  build_sandboxrt || status=$?
  if [ $status -eq 0 ]; then
    default_out=$sandboxrt_out
    reason="built for SandboxRt from $(sed -n 's/.*"kernel_source": "\(.*\)".*/\1/p' "$sandboxrt_out/manifest.json") with src/guest-image/kernel/sandboxrt.config"
  elif [ $status -eq 3 ] && [ "$kernel_choice" = auto ]; then
    reason="Debian's packaged kernel ($kernel_package): fallback, linux-source-6.1 is not installed (make deps installs it)"
    log "falling back to the Debian kernel: linux-source-6.1 is not installed"
  else
    die "the SandboxRt kernel could not be built (status $status)"
  fi
fi

# 4. Install: stable names pointing into the cache, and why this kernel is the one in use.
install_links() { # $1 cache directory, $2 install directory
  mkdir -p "$2"
  for f in vmlinux initramfs.img floor-initramfs.img manifest.json; do
    ln -sfn "$1/$f" "$2/$f"
  done
  if [ -f "$1/rootfs.img" ]; then ln -sfn "$1/rootfs.img" "$2/rootfs.img"; else rm -f "$2/rootfs.img"; fi
}
install_links "$debian_out" "$install_dir/debian"
install_links "$default_out" "$install_dir"
echo "$reason" > "$default_out/kernel-reason.tmp" && mv "$default_out/kernel-reason.tmp" "$default_out/kernel-reason"
ln -sfn "$default_out/kernel-reason" "$install_dir/kernel-reason"
log "kernel $(sed -n 's/.*"kernel_release": "\(.*\)".*/\1/p' "$default_out/manifest.json"): $reason;" \
    "initramfs $(du -sh "$default_out/initramfs.img" | cut -f1) ($(grep -o '\.ko' "$default_out/manifest.json" | wc -l) modules), installed in $install_dir"
echo "$default_out"
