#!/usr/bin/env bash
# Builds the app-container image for the CRI lifecycle test without a registry, the way the integration
# tests' LocalImage does: Debian's busybox-static with its applet links and minimal /etc files as the root
# file system, umoci for the OCI layout, skopeo for a docker-archive that `ctr images import` accepts.
# (scripts/make-busybox-bundle.sh builds the same root file system, but needs out/bin/sandboxrt for the
# bundle's config.json; an image needs no config.json, so this script stands alone.)
#
# usage: make-app-image.sh OUT_ARCHIVE [REFERENCE]   (default reference: localhost/sandboxrt-test:latest)
set -euo pipefail
out=${1:?usage: make-app-image.sh OUT_ARCHIVE [REFERENCE]}
reference=${2:-localhost/sandboxrt-test:latest}

busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 ||
  { echo "make-app-image: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-app-image: $busybox is dynamically linked (apt-get install busybox-static)" >&2; exit 1
fi
for tool in umoci skopeo; do
  command -v "$tool" >/dev/null || { echo "make-app-image: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sandboxrt-app-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

layout=$work/oci
umoci init --layout "$layout"
umoci new --image "$layout:app"
umoci unpack --image "$layout:app" "$work/bundle"

rootfs=$work/bundle/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var}
chmod 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
echo "sandboxrt" > "$rootfs/etc/hostname"

umoci repack --image "$layout:app" "$work/bundle"
umoci config --image "$layout:app" --config.cmd sh \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mkdir -p "$(dirname "$out")"
rm -f "$out"
skopeo copy -q "oci:$layout:app" "docker-archive:$out:$reference"
echo "$out ($reference)"
