#!/usr/bin/env bash
# Creates an OCI bundle from Debian's busybox-static: rootfs/ with busybox and its applet links,
# minimal /etc files, and a config.json from `sandboxrt spec` running the given command.
#
# usage: make-busybox-bundle.sh DIR [--terminal] [-- COMMAND ARGS...]   (default command: sh)
set -euo pipefail
dir=${1:?usage: make-busybox-bundle.sh DIR [--terminal] [-- COMMAND...]}
shift
terminal=false
if [ "${1:-}" = "--terminal" ]; then terminal=true; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
[ $# -gt 0 ] || set -- sh

here=$(cd "$(dirname "$0")/.." && pwd)
sandboxrt=${SANDBOXRT:-$here/out/bin/sandboxrt}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-busybox-bundle: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
[ -x "$sandboxrt" ] || { echo "make-busybox-bundle: $sandboxrt is missing (make build)" >&2; exit 1; }
command -v jq >/dev/null || { echo "make-busybox-bundle: jq is missing (apt-get install jq)" >&2; exit 1; }

rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var}
chmod 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
echo "sandboxrt" > "$rootfs/etc/hostname"

rm -f "$dir/config.json"
"$sandboxrt" spec --bundle "$dir"
args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
jq --argjson args "$args" --argjson terminal "$terminal" \
   '.process.args = $args | .process.terminal = $terminal | .root.readonly = false' \
   "$dir/config.json" > "$dir/config.json.tmp"
mv "$dir/config.json.tmp" "$dir/config.json"
echo "$dir"
