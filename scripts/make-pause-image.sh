#!/usr/bin/env bash
# Builds the pod sandbox ("pause") image for containerd's CRI plugin without a registry: compiles
# tests/cri-client/pause.c statically, puts it alone in a root file system as /pause, and writes a
# docker-archive (umoci for the OCI layout, skopeo for the archive) that `ctr -n k8s.io images import`,
# `docker load` and `podman load` accept. Point the CRI plugin's sandbox_image at REFERENCE.
#
# usage: make-pause-image.sh OUT_ARCHIVE [REFERENCE]   (default reference: localhost/sandboxrt-pause:3.6)
set -euo pipefail
out=${1:?usage: make-pause-image.sh OUT_ARCHIVE [REFERENCE]}
reference=${2:-localhost/sandboxrt-pause:3.6}

here=$(cd "$(dirname "$0")/.." && pwd)
source=$here/tests/cri-client/pause.c
for tool in gcc umoci skopeo; do
  command -v "$tool" >/dev/null || { echo "make-pause-image: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
[ -f "$source" ] || { echo "make-pause-image: $source is missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sandboxrt-pause-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# -s strips the symbols: ~760 KiB -> ~700 KiB of static glibc; nothing else goes into the image
gcc -static -O2 -s -Wall -Wextra -o "$work/pause" "$source"

layout=$work/oci
umoci init --layout "$layout"
umoci new --image "$layout:pause"
umoci unpack --image "$layout:pause" "$work/bundle"
install -m 0755 "$work/pause" "$work/bundle/rootfs/pause"
umoci repack --image "$layout:pause" "$work/bundle"
umoci config --image "$layout:pause" --config.entrypoint /pause --clear config.cmd \
  --config.workingdir / --config.stopsignal SIGTERM

mkdir -p "$(dirname "$out")"
rm -f "$out"
skopeo copy -q "oci:$layout:pause" "docker-archive:$out:$reference"
echo "$out ($reference)"
