#!/usr/bin/env bash
# make soak: create/start/delete cycles through the CLI and `ctr run --rm` through the shim, PARALLEL at a
# time, sampling host-wide open files, mounts, runtime processes, entries under /run and available memory
# every SAMPLE_EVERY cycles (flat lines mean no leak). Prints the samples as markdown table rows.
#   SOAK_CYCLES (default 1000) CLI cycles; SOAK_CTR_CYCLES (default 300) ctr cycles; SOAK_PARALLEL (4)
# Everything it starts (containerd, containers) is stopped by pid or deleted at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cycles=${SOAK_CYCLES:-1000}
ctr_cycles=${SOAK_CTR_CYCLES:-300}
parallel=${SOAK_PARALLEL:-4}
every=${SAMPLE_EVERY:-50}
guest=${SANDBOXRT_GUEST_DIR:-/usr/share/sandboxrt}
cli=$here/out/bin/sandboxrt
work=$(mktemp -d /tmp/srt-soak-XXXXXX)
state=$work/state
containerd_pid=
failures=0

cleanup() {
  [ -n "$containerd_pid" ] && kill "$containerd_pid" 2>/dev/null && wait "$containerd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cli_args=(--root "$state" --config "$here/hypervisor-configs/qemu.json" --config-option "kernel=$guest/vmlinux" --config-option "initrd=$guest/initramfs.img")

sample() { # phase cycles-done
  local fds mounts procs runfiles mem
  fds=$(cut -f1 /proc/sys/fs/file-nr)
  mounts=$(wc -l < /proc/self/mountinfo)
  procs=$(ps -eo comm= | grep -cE '^(qemu-system|virtiofsd|sandboxrt|containerd-shim)' || true)
  runfiles=$({ find /run/sandboxrt /run/virtiofsd -mindepth 1 2>/dev/null || true; } | wc -l) # either may not exist
  mem=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
  echo "| $1 | $2 | $fds | $mounts | $procs | $runfiles | $mem | $failures |"
}

cli_cycle() { # n
  local id=soak-$1 pidfile=$work/pid-$1
  "$cli" "${cli_args[@]}" create --bundle "$work/bundle" --pid-file "$pidfile" "$id" </dev/null >/dev/null 2>>"$work/errors" || return 1
  "$cli" "${cli_args[@]}" start "$id" >/dev/null 2>>"$work/errors" || return 1
  tail --pid="$(cat "$pidfile")" -f /dev/null   # the relay exits with the container (/bin/true)
  "$cli" "${cli_args[@]}" delete "$id" >/dev/null 2>>"$work/errors" || return 1
  rm -f "$pidfile"
}

ctr_cycle() { # n
  ctr -a "$work/containerd.sock" run --rm --runtime io.containerd.sandboxrt.v2 --runtime-config-path "$work/qemu.json" \
    localhost/sandboxrt-test:latest "soak-ctr-$1" true </dev/null >/dev/null 2>>"$work/errors"
}

run_batches() { # kind total
  local kind=$1 total=$2 done=0 next=$every
  sample "$kind" 0
  while [ "$done" -lt "$total" ]; do
    local pids=()
    for ((i = 0; i < parallel && done + i < total; i++)); do
      "${kind}_cycle" $((done + i)) & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || failures=$((failures + 1)); done
    done=$((done + ${#pids[@]}))
    if [ "$done" -ge "$next" ] || [ "$done" -ge "$total" ]; then sample "$kind" "$done"; next=$((next + every)); fi
  done
}

"$here/scripts/make-busybox-bundle.sh" "$work/bundle" -- /bin/true >/dev/null
echo "| client | cycles | open files (host) | mounts | runtime processes | entries under /run/sandboxrt, /run/virtiofsd | MemAvailable MiB | failed cycles |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
if [ "$cycles" -gt 0 ]; then run_batches cli "$cycles"; fi

if [ "$ctr_cycles" -gt 0 ]; then
  mkdir -p "$work/image"
  umoci init --layout "$work/image/oci" && umoci new --image "$work/image/oci:img" && umoci unpack --image "$work/image/oci:img" "$work/image/unpacked" >/dev/null
  cp -a "$work/bundle/rootfs/." "$work/image/unpacked/rootfs/"
  umoci repack --image "$work/image/oci:img" "$work/image/unpacked" && umoci config --image "$work/image/oci:img" --config.cmd sh
  skopeo copy -q "oci:$work/image/oci:img" "docker-archive:$work/image.tar:localhost/sandboxrt-test:latest"
  cat > "$work/config.toml" <<TOML
version = 2
root = "$work/ctrd-root"
state = "$work/ctrd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
TOML
  PATH=$here/out/bin:$PATH containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 & containerd_pid=$!
  for _ in $(seq 100); do [ -S "$work/containerd.sock" ] && break; sleep 0.1; done
  ctr -a "$work/containerd.sock" images import "$work/image.tar" >/dev/null
  # the shim's hypervisor config: the repository's, pointed at this guest image
  sed -e "s#\"/usr/share/sandboxrt/vmlinux\"#\"$guest/vmlinux\"#" -e "s#\"/usr/share/sandboxrt/initramfs.img\"#\"$guest/initramfs.img\"#" \
    "$here/hypervisor-configs/qemu.json" > "$work/qemu.json"
  run_batches ctr "$ctr_cycles"
fi
[ "$failures" -eq 0 ] || { echo "soak: $failures cycles failed; first errors:"; head -20 "$work/errors"; exit 1; }
