#!/usr/bin/env bash
# Fills DIR with a root file system from Debian's busybox-static: busybox and its applet links, the
# usual top-level directories, and minimal /etc files. Shared by make-busybox-bundle.sh (a bundle)
# and tests/cri-client/make-app-image.sh (an image).
#
# usage: make-busybox-rootfs.sh DIR
set -euo pipefail
rootfs=${1:?usage: make-busybox-rootfs.sh DIR}
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 ||
  { echo "make-busybox-rootfs: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-busybox-rootfs: $busybox is dynamically linked (apt-get install busybox-static)" >&2; exit 1
fi

mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var}
chmod 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
echo "sandboxrt" > "$rootfs/etc/hostname"
