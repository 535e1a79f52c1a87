#!/usr/bin/env bash
# Builds the app-container image for the CRI lifecycle test without a registry, the way the integration
# tests' LocalImage does: Debian's busybox-static with its applet links and minimal /etc files as the root
# file system, umoci for the OCI layout, skopeo for a docker-archive that `ctr images import` accepts.
# The root file system comes from scripts/make-busybox-rootfs.sh, as make-busybox-bundle.sh's does.
#
# usage: make-app-image.sh OUT_ARCHIVE [REFERENCE]   (default reference: localhost/sandboxrt-test:latest)
set -euo pipefail
out=${1:?usage: make-app-image.sh OUT_ARCHIVE [REFERENCE]}
reference=${2:-localhost/sandboxrt-test:latest}
repo=$(cd "$(dirname "$0")/../.." && pwd)

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
"$repo/scripts/make-busybox-rootfs.sh" "$rootfs"

umoci repack --image "$layout:app" "$work/bundle"
umoci config --image "$layout:app" --config.cmd sh \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mkdir -p "$(dirname "$out")"
rm -f "$out"
skopeo copy -q "oci:$layout:app" "docker-archive:$out:$reference"
echo "$out ($reference)"
