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
[ -x "$sandboxrt" ] || { echo "make-busybox-bundle: $sandboxrt is missing (make build)" >&2; exit 1; }
command -v jq >/dev/null || { echo "make-busybox-bundle: jq is missing (apt-get install jq)" >&2; exit 1; }

rootfs=$dir/rootfs
"$here/scripts/make-busybox-rootfs.sh" "$rootfs"

rm -f "$dir/config.json"
"$sandboxrt" spec --bundle "$dir"
args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
jq --argjson args "$args" --argjson terminal "$terminal" \
   '.process.args = $args | .process.terminal = $terminal | .root.readonly = false' \
   "$dir/config.json" > "$dir/config.json.tmp"
mv "$dir/config.json.tmp" "$dir/config.json"
echo "$dir"
