#!/usr/bin/env bash
# A self-contained proof of the CRI lifecycle harness: starts a private containerd (root, state, sockets,
# runc state, CNI config and logs all under one mktemp directory, the CRI plugin enabled), builds and
# imports the pause and app images into namespace k8s.io, runs cri-lifecycle.js against it, prints the
# result as JSON, and stops everything it started (containerd by pid, leftover shims and containers,
# mounts under the scratch directory, the pods' per-run cgroup parent), on success, failure and
# SIGINT/SIGTERM alike, then checks that none of it is left. Needs root. Nothing leaves the host: both
# images are built locally (references under localhost/), the pod uses the host network, and the CNI
# configuration, which a hostNetwork pod never reaches, is loopback-only.
#
# NETWORK=cni: pod networking instead. The harness creates its own network namespace (srt-cri-host-<pid>,
# only lo up) and runs containerd inside it (nsenter --net, so containerd and the mounts it makes stay in
# the host's mount namespace), so everything CNI does on the host side (the ptp plugin's veth, its
# gateway address and routes, ip_forward) lands in that namespace, never in the machine's root network
# namespace; containerd's unix sockets are reachable from outside as usual. The CNI list is ptp (ipMasq
# false: no iptables; no portmap) with host-local IPAM on POD_CIDR (default 10.88.7.0/24, state under the
# scratch directory), MTU CNI_MTU (default 1400); containerd adds the loopback network itself. The pod
# is not hostNetwork. The harness namespace is the test's "peer": it runs busybox httpd on port 8081
# serving a per-run token, and cri-lifecycle.js (cri-network.js) checks the pod IP, eth0 inside the
# containers against the pod netns seen from the host, traffic from the peer to app-0's httpd and from
# every container to the peer, the pod's sysctls (net.ipv4.ip_unprivileged_port_start and
# net.ipv4.ping_group_range, Kubernetes' safe ones, in the sandbox config; seen in app-0), a CRI PortForward to app-0's httpd (kubectl port-forward's path: the
# returned URL is opened as a websocket, subprotocol v4.channel.k8s.io, from the harness's namespace,
# where containerd's streaming server listens on 127.0.0.1; an HTTP GET on the data channel must bring
# back app-0's token, with nothing on the error channel), and the pod's /etc/hostname, /etc/resolv.conf
# (dns_config) and /etc/hosts.
# In both modes the lifecycle also makes the calls kubelet makes of a running pod (cri-streaming.js,
# cri-stats.js): Exec and Attach, whose URLs remote-command.js opens as websockets (v4.channel.k8s.io) from
# containerd's own network namespace (the host's, or with NETWORK=cni the harness's, through nsenter --net),
# and ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats; then (cri-kubelet.js) an
# exec probe that times out (ExecSync `sleep 30`, timeout 2, in app-0: containerd's DeadlineExceeded "failed
# to exec in container: timeout 2s exceeded: context deadline exceeded", the sleep gone from ps, the
# container still running and answering), log rotation (logger.log renamed to logger.log.1, then
# ReopenContainerLog: the next line goes to a fresh logger.log only) and a restart (a container that exits 3,
# created again with attempt 1 and log_path restart/1.log, each attempt's log holding only its own line,
# attempt 0 removed while attempt 1 exists); `--skip stats,exec,attach,exec-timeout,reopen-log,restart`
# (a cri-lifecycle.js argument) leaves any of them out.
# After the removal the harness checks that the pod netns is gone, only lo is left in its namespace, the
# IPAM lease is released, and the root namespace's addresses, routes, ip_forward and iptables rules are
# untouched; the teardown also kills the peer httpd and whatever else runs in its namespace, deletes the
# namespace and removes libcni's cache entries (/var/lib/cni/results) of this run's network. A one-line
# timing summary goes to stderr.
#
# usage: run-with-runc.sh [extra cri-lifecycle.js arguments...]
#   e.g. NETWORK=cni run-with-runc.sh --port-forward-port 8099: the PortForward check forwards a port where
#   nothing listens, and fails with containerd's "failed to connect to localhost:8099 inside namespace ..."
#   run-with-runc.sh --skip stats: the lifecycle without the stats calls
#
# environment (all optional):
#   NETWORK=cni             pod networking through CNI in a network namespace of the harness's own (see
#   POD_CIDR, CNI_MTU         above); unset: a hostNetwork pod (HOST_NETWORK and CNI_CONFLIST apply)
#   HANDLER=name            run the lifecycle with this runtime handler instead of runc, registered as
#   RUNTIME_TYPE=type         [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<HANDLER>]
#                             runtime_type = "<RUNTIME_TYPE>" (default io.containerd.<HANDLER>.v2)
#   SHIM_PATH_DIR=dir       prepended to containerd's PATH, so it finds containerd-shim-<name>-v2 there
#   HANDLER_CONFIG_PATH=f   options.ConfigPath of that runtime (handed to the shim as runtime options)
#   RUNC_BINARY=path        BinaryName of the runc handler (default: runc on PATH)
#   CONTAINERS=n            app containers in the pod (default 2)
#   HOST_NETWORK=1|0        hostNetwork pod (default 1). 0 needs a CNI config that gives eth0 an address:
#   CNI_CONFLIST=file         used instead of the loopback-only list (CNI_BIN_DIR: its plugin directory)
#   SNAPSHOTTER=name        the CRI plugin's snapshotter (default overlayfs)
#   TIMEOUT_MS=ms           per-call deadline of the client (default 120000)
#   EXPECT_BOOT_ID=host|other|any  what the containers' boot_id must be relative to the host's (default:
#                             host for the runc handler, any otherwise; "other" for a VM per pod)
#   KEEP_SCRATCH=1          keep the scratch directory (logs, config) instead of removing it (containerd,
#                             shims, mounts and cgroups are still cleaned up)
#
# stdout: cri-lifecycle.js's JSON plus a "harness" object; exit status: the client's (0 = green), or 1
# when a harness check failed (CNI called for a hostNetwork pod, shims left running after removal,
# containerd not running with the expected CRI settings, anything left after the teardown).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# containerd looks for a runtime's shim (containerd-shim-<name>-v2) in its working directory before its
# PATH: from the caller's directory (a test's build output, which holds a JIT build of the shim) that one
# would run instead of SHIM_PATH_DIR's. Everything below uses absolute paths.
cd /
say() { echo "run-with-runc: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root"
for tool in containerd ctr runc node jq gcc umoci skopeo; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
network=${NETWORK:-}
case $network in
  '') ;;
  cni)
    for tool in ip nsenter; do command -v "$tool" >/dev/null || die "$tool is missing (NETWORK=cni)"; done
    for plugin in ptp host-local loopback; do
      [ -x "/usr/lib/cni/$plugin" ] || die "/usr/lib/cni/$plugin is missing (apt-get install containernetworking-plugins)"
    done
    [ -x /bin/busybox ] || die "/bin/busybox is missing (apt-get install busybox-static)"
    [ -z "${CNI_CONFLIST:-}" ] || die "NETWORK=cni writes its own CNI configuration: unset CNI_CONFLIST"
    [ "${HOST_NETWORK:-0}" = 0 ] || die "NETWORK=cni is for pods with their own network namespace: unset HOST_NETWORK"
    ;;
  *) die "NETWORK must be unset or cni" ;;
esac
[ -x /usr/lib/cni/loopback ] || [ -n "${CNI_BIN_DIR:-}" ] ||
  die "/usr/lib/cni/loopback is missing (apt-get install containernetworking-plugins)"
if [ ! -d "$here/node_modules/@grpc/grpc-js" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $here"
fi

handler=${HANDLER:-runc}
runtime_type=${RUNTIME_TYPE:-io.containerd.$handler.v2}
containers=${CONTAINERS:-2}
host_network=${HOST_NETWORK:-1}
[ "$network" = cni ] && host_network=0
snapshotter=${SNAPSHOTTER:-overlayfs}
pause_ref=localhost/sandboxrt-pause:3.6
app_ref=localhost/sandboxrt-test:latest

case ${EXPECT_BOOT_ID:-} in
  '') if [ "$handler" = runc ]; then expect_boot_id=host; else expect_boot_id=any; fi ;;
  host|other|any) expect_boot_id=$EXPECT_BOOT_ID ;;
  *) die "EXPECT_BOOT_ID must be host, other or any" ;;
esac

scratch=$(mktemp -d /tmp/sandboxrt-cri-XXXXXX)
chmod 0711 "$scratch"
sock=$scratch/containerd.sock
# the pods' cgroup parent (PodSandboxConfig.linux.cgroup_parent, cgroupfs driver): one per run, at the
# root of each hierarchy (cgroup v1: /sys/fs/cgroup/<controller>/<name>; v2: /sys/fs/cgroup/<name>),
# removed at the end; without one, containerd puts every pod under /k8s.io and nothing removes that
cgroup_parent=/$(basename "$scratch")
containerd_pid=
client_pid=
harness_ok=true
torn_down=false
# filled in by teardown
td_containers_killed=0 td_shims_killed=0 td_cgroups_removed=0 td_mounts_unmounted=0 td_sockets_removed=0
left_processes=0 left_mounts=0 left_cgroups=0

# NETWORK=cni: the harness's network namespace (the peer), its httpd, the CNI network's name (unique per
# run: libcni's cache files under /var/lib/cni/results are named after it)
peer_ns=srt-cri-host-$$
peer_netns=/var/run/netns/$peer_ns
peer_ns_created=false
peer_pid=
peer_port=8081
peer_token=peer-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
pod_cidr=${POD_CIDR:-10.88.7.0/24}
cni_mtu=${CNI_MTU:-1400}
cni_net=srt-cri-$$
cni_cache=/var/lib/cni
cni_cache_existed=false
[ -d "$cni_cache" ] && cni_cache_existed=true
td_netns_pids_killed=0 td_cni_cache_removed=0 left_netns=0

# ---- clean-up: teardown runs once, after the lifecycle (so its result is in the JSON) or from the trap ----

# pids of processes with our socket as one whole argument ("-address <socket>"): the shims of this
# containerd only. The /proc globs are expanded into arrays first: a pipeline element expands its words
# after it is forked, so a glob in grep's own argv would list grep itself, a match.
our_shims() {
  local cmdlines=(/proc/[0-9]*/cmdline)
  grep -lazxF -- "$sock" "${cmdlines[@]}" 2>/dev/null | cut -d/ -f3
  return 0
}

# pids of processes in the pods' cgroup parent (any hierarchy) or with the scratch directory in argv:
# containers, shims, containerd itself (not this shell)
our_processes() {
  local cgroups=(/proc/[0-9]*/cgroup) cmdlines=(/proc/[0-9]*/cmdline)
  { grep -lE -- ":$cgroup_parent(/|\$)" "${cgroups[@]}" 2>/dev/null
    grep -laF -- "$scratch" "${cmdlines[@]}" 2>/dev/null
  } | cut -d/ -f3 | sort -un | grep -vxF -e "$$" -e "$BASHPID" || true
}

# mount points at or under the scratch directory, deepest first (mountinfo escapes spaces as \040)
our_mounts() {
  awk -v root="$scratch" '{ m = $5; gsub(/\\040/, " ", m); if (m == root || index(m, root "/") == 1) print length(m) "\t" m }' \
    /proc/self/mountinfo | sort -rn | cut -f2-
}

# the cgroup parent's directory in each mounted hierarchy (v1: one per controller; v2 or hybrid: also
# the unified one); its descendants deepest first, then itself
our_cgroups() {
  local root
  for root in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts); do
    [ -d "$root$cgroup_parent" ] && find "$root$cgroup_parent" -depth -type d
  done
  return 0
}

teardown() {
  $torn_down && return 0
  torn_down=true
  # best effort throughout, whatever the caller's errexit: a failing step must not skip the rest
  local -
  set +e
  local id pid d m addr i
  # containers a failed run left: killed and deleted through runc's state under the scratch directory
  # (the CRI plugin's runc root; namespace k8s.io)
  if [ -d "$scratch/runc/k8s.io" ]; then
    for id in $(runc --root "$scratch/runc/k8s.io" list -q 2>/dev/null); do
      say "cleanup: runc container $id was left; deleting it"
      runc --root "$scratch/runc/k8s.io" kill -a "$id" KILL 2>/dev/null
      runc --root "$scratch/runc/k8s.io" delete -f "$id" 2>/dev/null
      td_containers_killed=$((td_containers_killed + 1))
    done
  fi
  # anything else still in the pods' cgroups (another handler's processes)
  for pid in $(our_processes); do
    [ "$pid" = "$containerd_pid" ] && continue
    if grep -qE -- ":$cgroup_parent(/|\$)" "/proc/$pid/cgroup" 2>/dev/null; then
      say "cleanup: killing process $pid left in $cgroup_parent ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-120))"
      kill -KILL "$pid" 2>/dev/null && td_containers_killed=$((td_containers_killed + 1))
    fi
  done
  if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
    kill -TERM "$containerd_pid"
    for _ in $(seq 100); do kill -0 "$containerd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$containerd_pid" 2>/dev/null && { say "cleanup: containerd ignored SIGTERM; SIGKILL"; kill -KILL "$containerd_pid"; }
    wait "$containerd_pid" 2>/dev/null
  fi
  for pid in $(our_shims); do
    say "cleanup: killing leftover shim $pid"
    kill -KILL "$pid" 2>/dev/null && td_shims_killed=$((td_shims_killed + 1))
  done
  # a killed shim leaves its socket where containerd 1.6 puts them all (/run/containerd/s/<hash>,
  # derived from our socket, so ours alone); the bundles under our state directory name them
  for addr in "$scratch"/state/io.containerd.runtime.v2.task/*/*/address; do
    [ -f "$addr" ] || continue
    m=$(sed -n 's|^unix://||p' "$addr")
    case $m in /run/containerd/s/*) [ -S "$m" ] && rm -f "$m" && td_sockets_removed=$((td_sockets_removed + 1)) ;; esac
  done
  # the cgroups, deepest first; rmdir only succeeds once the last process has gone, so retry for 2 s
  for i in $(seq 20); do
    for d in $(our_cgroups); do rmdir "$d" 2>/dev/null && td_cgroups_removed=$((td_cgroups_removed + 1)); done
    [ -z "$(our_cgroups)" ] && break
    sleep 0.1
  done
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    if umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; then
      td_mounts_unmounted=$((td_mounts_unmounted + 1))
    else
      say "cleanup: could not unmount $m"
    fi
  done < <(our_mounts)
  [ "$network" = cni ] && teardown_network
  # what is left now is a failure of the teardown
  left_processes=$(our_processes | wc -l)
  left_mounts=$(our_mounts | wc -l)
  left_cgroups=$(our_cgroups | wc -l)
  [ "$left_processes" = 0 ] || say "cleanup: processes left: $(our_processes | tr '\n' ' ')"
  [ "$left_mounts" = 0 ] || say "cleanup: mounts left: $(our_mounts | tr '\n' ' ')"
  [ "$left_cgroups" = 0 ] || say "cleanup: cgroups left: $(our_cgroups | tr '\n' ' ')"
  return 0
}

# NETWORK=cni: the peer httpd, anything else still in the harness's namespace (a hung CNI plugin), the
# namespace itself, and libcni's cache entries of this run's network (a DEL removes them; a crash may not)
teardown_network() {
  local pid f
  if [ -n "$peer_pid" ]; then
    kill -KILL "$peer_pid" 2>/dev/null
    wait "$peer_pid" 2>/dev/null
    peer_pid=
  fi
  if $peer_ns_created; then
    for pid in $(ip netns pids "$peer_ns" 2>/dev/null); do
      say "cleanup: killing process $pid left in network namespace $peer_ns ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
      kill -KILL "$pid" 2>/dev/null && td_netns_pids_killed=$((td_netns_pids_killed + 1))
    done
    ip netns delete "$peer_ns" 2>/dev/null || say "cleanup: could not delete network namespace $peer_ns"
    peer_ns_created=false
  fi
  for f in "$cni_cache"/results/"$cni_net"-*; do
    [ -e "$f" ] || continue
    rm -f "$f" && td_cni_cache_removed=$((td_cni_cache_removed + 1))
  done
  # only directories this run created, and only when empty
  if ! $cni_cache_existed; then
    rmdir "$cni_cache/results" "$cni_cache" 2>/dev/null
  fi
  left_netns=0
  [ -e "$peer_netns" ] && left_netns=1
  ip netns list 2>/dev/null | grep -qw -- "$peer_ns" && left_netns=1
  [ "$left_netns" = 0 ] || say "cleanup: network namespace $peer_ns is left"
  return 0
}

# NETWORK=cni: what the run must not change in the machine's root network namespace (this shell's):
# links, IPv4/IPv6 addresses, routes, ip_forward, and the iptables rules CNI plugins would add
root_ns_state() {
  ip -o link show | sed 's/ state [A-Z]*//; s/ link\/.*//'
  ip -o addr show
  ip route show table all
  echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
  if command -v iptables-save >/dev/null; then
    echo "iptables CNI rules: $(iptables-save 2>/dev/null | grep -c -e CNI -e "$cni_net")"
  fi
}

# NETWORK=cni, after the client: the CNI plugin was called (ADD and DEL), the pod netns is gone, the
# harness's namespace has nothing but lo, the IPAM lease is released, libcni's cache entry is gone
check_network_after_remove() {
  local netns_path netns_dir links adds dels leases cached
  netns_path=$(jq -r '.sandbox.netnsPath // empty' "$scratch/result.json" 2>/dev/null)
  adds=$(grep -c '^ptp ADD ' "$cni_calls" || true)
  dels=$(grep -c '^ptp DEL ' "$cni_calls" || true)
  if [ "$client_status" = 0 ]; then
    [ "$adds" -ge 1 ] || { say "FAIL: the ptp plugin was never called with ADD"; harness_ok=false; }
    [ "$dels" -ge 1 ] || { say "FAIL: the ptp plugin was never called with DEL"; harness_ok=false; }
  fi
  netns_dir=
  if [ -n "$netns_path" ]; then
    netns_dir=$(dirname "$netns_path")
    case $netns_path in
      "$scratch"/*) ;;
      *) say "FAIL: the pod netns $netns_path is not under containerd's state directory"; harness_ok=false ;;
    esac
    if [ -e "$netns_path" ]; then say "FAIL: the pod netns $netns_path is still there after RemovePodSandbox"; harness_ok=false; fi
    if [ -d "$netns_dir" ] && [ -n "$(ls -A "$netns_dir")" ]; then
      say "FAIL: containerd's netns directory $netns_dir is not empty: $(ls -A "$netns_dir" | tr '\n' ' ')"; harness_ok=false
    fi
  elif [ "$client_status" = 0 ]; then
    say "FAIL: the client reported no pod netns path"; harness_ok=false
  fi
  links=$(ip -n "$peer_ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -vx lo | tr '\n' ' ' || true)
  [ -z "$links" ] || { say "FAIL: links left in $peer_ns besides lo: $links"; harness_ok=false; }
  leases=$(find "$scratch/cni/ipam" -type f ! -name 'last_reserved_ip*' ! -name lock 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ' || true)
  [ -z "$leases" ] || { say "FAIL: IPAM leases left after RemovePodSandbox: $leases"; harness_ok=false; }
  cached=$(ls "$cni_cache"/results/"$cni_net"-* 2>/dev/null | tr '\n' ' ' || true)
  [ -z "$cached" ] || { say "FAIL: libcni cache entries left after RemovePodSandbox: $cached"; harness_ok=false; }
  net_checks=$(jq -nc --arg peerNs "$peer_ns" --arg cidr "$pod_cidr" --argjson mtu "$cni_mtu" --arg net "$cni_net" \
    --argjson adds "$adds" --argjson dels "$dels" --arg netnsPath "$netns_path" \
    --argjson netnsGone "$([ -n "$netns_path" ] && [ ! -e "$netns_path" ] && echo true || echo false)" \
    --arg links "$links" --arg leases "$leases" --arg cached "$cached" \
    '{peerNamespace: $peerNs, cniNetwork: $net, podCidr: $cidr, mtu: $mtu, ptpAdds: $adds, ptpDels: $dels,
      podNetnsPath: $netnsPath, podNetnsGone: $netnsGone,
      linksLeft: ($links | split(" ") | map(select(. != ""))), leasesLeft: ($leases | split(" ") | map(select(. != ""))),
      cniCacheLeft: ($cached | split(" ") | map(select(. != "")))}')
}

# NETWORK=cni: one line of timings on stderr
summary_line() {
  jq -r --arg status "$([ "$client_status" = 0 ] && [ "$harness_ok" = true ] && echo PASS || echo FAIL)" \
     --argjson clientMs "$client_ms" '
    def ms(n): (.steps | map(select(.name == n)) | map(.ms) | add // 0 | round);
    "NETWORK=cni \(.handler): \($status) pod \(.podIp // "-") gw \(.network.gateway // "-") mtu \(.network.hostView.mtu // "-");" +
    " images \(.harness.buildImagesMs) ms, containerd \(.harness.containerdStartMs) ms, import \(.harness.importImagesMs) ms," +
    " client \($clientMs) ms (lifecycle \(.totalMs | round) ms: RunPodSandbox \(ms("RunPodSandbox")), peer->pod \(.network.peerToPod.ms // "-" | if type == "number" then round else . end)" +
    " (\(.network.peerToPod.attempts // 0) tries), pod->peer \([.network.podToPeer[]?.ms] | add // 0 | round), ExecSync x\([.steps[] | select(.name == "ExecSync")] | length) \(ms("ExecSync"))," +
    " StopPodSandbox \(ms("StopPodSandbox")), RemovePodSandbox \(ms("RemovePodSandbox"))), teardown \(.harness.teardownMs) ms"' \
     "$scratch/final.json" 2>/dev/null | sed 's/^/run-with-runc: /' >&2 || true
  if [ "$client_status" != 0 ]; then
    jq -r '"FAIL: \(.failedStep // "?"): \(.error.message // .error.details // (.error | tostring))"' "$scratch/result.json" 2>/dev/null |
      sed 's/^/run-with-runc: /' >&2 || true
  fi
}

cleanup() {
  local status=$?
  set +e
  # interrupted while the client runs: it cancels its call and removes what it created (bounded by its
  # own clean-up deadlines); whatever it cannot remove in 30 s, teardown removes
  if [ -n "$client_pid" ] && kill -0 "$client_pid" 2>/dev/null; then
    kill -TERM "$client_pid" 2>/dev/null
    for _ in $(seq 300); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$client_pid" 2>/dev/null
    wait "$client_pid" 2>/dev/null
  fi
  teardown
  if [ "${KEEP_SCRATCH:-0}" = 1 ]; then
    say "kept $scratch"
  else
    rm -rf "$scratch" 2>/dev/null || say "cleanup: could not remove all of $scratch"
  fi
  if [ "$status" = 0 ] && [ $((left_processes + left_mounts + left_cgroups + left_netns)) != 0 ]; then status=1; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- images ----

mkdir -p "$scratch/images"
t0=$(date +%s%N)
"$repo/scripts/make-pause-image.sh" "$scratch/images/pause.tar" "$pause_ref" >&2
"$here/make-app-image.sh" "$scratch/images/app.tar" "$app_ref" >&2
images_ms=$(( ($(date +%s%N) - t0) / 1000000 ))

# ---- CNI: a loopback-only network list; its plugin is a wrapper that records every call ----

mkdir -p "$scratch/cni/bin" "$scratch/cni/net.d" "$scratch/certs.d"
cni_calls=$scratch/cni/calls.log
: > "$cni_calls"
if [ "$network" = cni ]; then
  # ptp + host-local, wrapped like the loopback plugin below: each call is recorded as
  # "<plugin> <command> <container id> <netns> <ifname>"; containerd calls loopback for its own lo network
  cni_bin_dir=$scratch/cni/bin
  for plugin in ptp host-local loopback; do
    printf '#!/bin/sh\necho "%s $CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME" >> "%s"\nexec /usr/lib/cni/%s "$@"\n' \
      "$plugin" "$cni_calls" "$plugin" > "$scratch/cni/bin/$plugin"
    chmod 0755 "$scratch/cni/bin/$plugin"
  done
  mkdir -p "$scratch/cni/ipam"
  jq -n --arg name "$cni_net" --arg subnet "$pod_cidr" --argjson mtu "$cni_mtu" --arg dataDir "$scratch/cni/ipam" '{
    cniVersion: "1.0.0", name: $name,
    plugins: [ { type: "ptp", ipMasq: false, mtu: $mtu,
                 ipam: { type: "host-local", ranges: [[{subnet: $subnet}]], routes: [{dst: "0.0.0.0/0"}],
                         dataDir: $dataDir } } ] }' > "$scratch/cni/net.d/10-$cni_net.conflist"
elif [ -n "${CNI_CONFLIST:-}" ]; then
  cp "$CNI_CONFLIST" "$scratch/cni/net.d/"
  cni_bin_dir=${CNI_BIN_DIR:-/usr/lib/cni}
else
  cni_bin_dir=$scratch/cni/bin
  cat > "$scratch/cni/bin/loopback" <<EOF
#!/bin/sh
echo "\$CNI_COMMAND \$CNI_CONTAINERID \$CNI_NETNS \$CNI_IFNAME" >> "$cni_calls"
exec /usr/lib/cni/loopback "\$@"
EOF
  chmod 0755 "$scratch/cni/bin/loopback"
  cat > "$scratch/cni/net.d/10-sandboxrt-loopback.conflist" <<'EOF'
{
  "cniVersion": "1.0.0",
  "name": "sandboxrt-loopback",
  "plugins": [ { "type": "loopback" } ]
}
EOF
fi

# ---- containerd ----

extra_runtime=
if [ "$handler" != runc ]; then
  extra_runtime="
  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$handler]
    runtime_type = \"$runtime_type\""
  if [ -n "${HANDLER_CONFIG_PATH:-}" ]; then
    extra_runtime="$extra_runtime
    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$handler.options]
      ConfigPath = \"$HANDLER_CONFIG_PATH\""
  fi
fi

cat > "$scratch/config.toml" <<EOF
version = 2
root = "$scratch/root"
state = "$scratch/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$scratch/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$scratch/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_ref"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$scratch/certs.d"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin_dir"
    conf_dir = "$scratch/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snapshotter"
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    BinaryName = "${RUNC_BINARY:-}"
    Root = "$scratch/runc"
    SystemdCgroup = false$extra_runtime
EOF

containerd_path=$PATH
[ -n "${SHIM_PATH_DIR:-}" ] && containerd_path="$SHIM_PATH_DIR:$PATH"
# NETWORK=cni: containerd (and so its shims and the CNI plugins) runs in the harness's network namespace,
# entered with nsenter --net alone (ip netns exec would also give it a private mount namespace, hiding
# its mounts, the pod netns among them, from the harness)
in_ns=()
root_before=
if [ "$network" = cni ]; then
  root_before=$(root_ns_state)
  ip netns add "$peer_ns" || die "ip netns add $peer_ns failed"
  peer_ns_created=true
  ip -n "$peer_ns" link set lo up || die "could not bring up lo in $peer_ns"
  in_ns=(nsenter "--net=$peer_netns" --)
  # the peer's httpd on all of the namespace's addresses (the ptp gateway address appears with the pod);
  # (Debian's busybox 1.35 wget segfaults with -T, so the deadline comes from timeout)
  mkdir -p "$scratch/peer-www"
  echo "$peer_token" > "$scratch/peer-www/index.html"
  "${in_ns[@]}" /bin/busybox httpd -f -p "$peer_port" -h "$scratch/peer-www" </dev/null >"$scratch/peer-httpd.log" 2>&1 &
  peer_pid=$!
  for _ in $(seq 100); do
    [ "$(timeout 2 "${in_ns[@]}" /bin/busybox wget -q -O - "http://127.0.0.1:$peer_port/" 2>/dev/null)" = "$peer_token" ] && break
    kill -0 "$peer_pid" 2>/dev/null || die "the peer httpd exited: $(cat "$scratch/peer-httpd.log")"
    sleep 0.05
  done
  [ "$(timeout 2 "${in_ns[@]}" /bin/busybox wget -q -O - "http://127.0.0.1:$peer_port/" 2>/dev/null)" = "$peer_token" ] ||
    die "the peer httpd in $peer_ns does not serve its token"
fi
t0=$(date +%s%N)
PATH=$containerd_path "${in_ns[@]}" containerd --config "$scratch/config.toml" --log-level info \
  </dev/null >"$scratch/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; kill -0 "$containerd_pid" 2>/dev/null || break; sleep 0.05; done
if [ ! -S "$sock" ]; then
  tail -n 30 "$scratch/containerd.log" >&2
  die "containerd did not create $sock"
fi
containerd_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$network" = cni ]; then
  # nsenter execs containerd, so $! is containerd itself
  cd_ns=$(readlink "/proc/$containerd_pid/ns/net")
  { [ "$cd_ns" = "$(readlink "/proc/$peer_pid/ns/net")" ] && [ "$cd_ns" != "$(readlink /proc/$$/ns/net)" ]; } ||
    die "containerd (pid $containerd_pid) is not in network namespace $peer_ns"
fi

t0=$(date +%s%N)
for archive in "$scratch/images/pause.tar" "$scratch/images/app.tar"; do
  ctr -a "$sock" -n k8s.io images import --all-platforms --snapshotter "$snapshotter" "$archive" >&2 ||
    die "ctr images import $archive failed"
done
import_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
listed=$(ctr -a "$sock" -n k8s.io images ls -q)
for ref in "$pause_ref" "$app_ref"; do
  grep -qxF "$ref" <<<"$listed" || die "$ref is not in namespace k8s.io after the import"
done

# ---- the lifecycle ----

args=(--socket "$sock" --handler "$handler" --image "$app_ref" --containers "$containers"
      --log-dir "$scratch/pod-logs" --timeout-ms "${TIMEOUT_MS:-120000}" --wait-ms 15000
      --cgroup-parent "$cgroup_parent" --sandbox-image "$pause_ref" --expect-boot-id "$expect_boot_id")
# runc's container pids are host pids: their /proc/<pid>/cgroup must name the cgroup parent too
[ "$handler" = runc ] && args+=(--check-host-cgroup)
[ "$host_network" = 1 ] && args+=(--host-network)
[ "$network" = cni ] && args+=(--peer-netns "$peer_netns" --peer-token "$peer_token" --peer-port "$peer_port"
                              --pod-cidr "$pod_cidr" --cni-mtu "$cni_mtu" --busybox /bin/busybox)
# in the background, so that SIGINT/SIGTERM reach the traps at once rather than after the client ends
set +e
t0=$(date +%s%N)
node "$here/cri-lifecycle.js" "${args[@]}" "$@" < /dev/null > "$scratch/result.json" &
client_pid=$!
wait "$client_pid"
client_status=$?
client_pid=
client_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
set -e

# the shims must go away by themselves once everything is removed
shims_left=0
for _ in $(seq 50); do
  shims_left=$(our_shims | wc -l)
  [ "$shims_left" = 0 ] && break
  sleep 0.1
done
calls=$(wc -l < "$cni_calls")
# the CRI plugin logs its effective configuration once at start
for want in "RestrictOOMScoreAdj:true" "SandboxImage:$pause_ref" "SystemdCgroup:false"; do
  if ! grep -qF -- "$want" "$scratch/containerd.log"; then
    say "FAIL: containerd's CRI configuration does not show $want"; harness_ok=false
  fi
done
if [ "$client_status" = 0 ] && [ "$shims_left" != 0 ]; then
  say "FAIL: $shims_left shim(s) still running 5 s after RemovePodSandbox"; harness_ok=false
fi
if [ "$host_network" = 1 ] && [ -z "${CNI_CONFLIST:-}" ] && [ "$calls" != 0 ]; then
  say "FAIL: the CNI plugin was called $calls time(s) for a hostNetwork pod"; harness_ok=false
fi
net_checks='{}'
[ "$network" = cni ] && check_network_after_remove
if [ "$client_status" != 0 ] || [ "$harness_ok" != true ]; then
  say "containerd log (last 40 lines):"
  tail -n 40 "$scratch/containerd.log" >&2
fi

t0=$(date +%s%N)
teardown
teardown_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $((left_processes + left_mounts + left_cgroups + left_netns)) != 0 ]; then
  say "FAIL: the teardown left $left_processes process(es), $left_mounts mount(s), $left_cgroups cgroup(s), $left_netns network namespace(s)"
  harness_ok=false
fi
if [ "$network" = cni ]; then
  root_after=$(root_ns_state)
  if [ "$root_after" != "$root_before" ]; then
    say "FAIL: the root network namespace changed during the run:"
    diff <(echo "$root_before") <(echo "$root_after") >&2
    harness_ok=false
  fi
  net_checks=$(jq -c --argjson rootUnchanged "$([ "$root_after" = "$root_before" ] && echo true || echo false)" \
    --argjson pidsKilled "$td_netns_pids_killed" --argjson cacheRemoved "$td_cni_cache_removed" --argjson nsLeft "$left_netns" \
    '. + {rootNamespaceUnchanged: $rootUnchanged, teardown: {netnsProcessesKilled: $pidsKilled,
          cniCacheFilesRemoved: $cacheRemoved, peerNamespaceLeft: $nsLeft}}' <<<"$net_checks")
fi

if [ -s "$scratch/result.json" ]; then
  jq --argjson imagesMs "$images_ms" --argjson containerdMs "$containerd_ms" --argjson importMs "$import_ms" \
     --argjson cniCalls "$calls" --argjson shimsLeft "$shims_left" --arg runtimeType "$runtime_type" \
     --arg containerdVersion "$(containerd --version)" --arg runcVersion "$(runc --version | head -n 1)" \
     --argjson ok "$harness_ok" --arg cgroupParent "$cgroup_parent" --arg scratch "$scratch" \
     --argjson teardownMs "$teardown_ms" --argjson killed "$td_containers_killed" \
     --argjson shimsKilled "$td_shims_killed" --argjson cgroupsRemoved "$td_cgroups_removed" \
     --argjson unmounted "$td_mounts_unmounted" --argjson sockets "$td_sockets_removed" \
     --argjson leftProcesses "$left_processes" --argjson leftMounts "$left_mounts" --argjson leftCgroups "$left_cgroups" \
     --arg network "$network" --argjson netChecks "$net_checks" \
     '. + {harness: ({ok: $ok, containerdVersion: $containerdVersion, runcVersion: $runcVersion,
                     runtimeType: (if .handler == "runc" then "io.containerd.runc.v2" else $runtimeType end),
                     scratch: $scratch, cgroupParent: $cgroupParent,
                     buildImagesMs: $imagesMs, containerdStartMs: $containerdMs, importImagesMs: $importMs,
                     teardownMs: $teardownMs, cniPluginCalls: $cniCalls, shimsLeftAfterRemove: $shimsLeft,
                     teardown: {containersKilled: $killed, shimsKilled: $shimsKilled, cgroupsRemoved: $cgroupsRemoved,
                                mountsUnmounted: $unmounted, shimSocketsRemoved: $sockets,
                                processesLeft: $leftProcesses, mountsLeft: $leftMounts, cgroupsLeft: $leftCgroups}}
                    + (if $network == "cni" then {network: $netChecks} else {} end))}' "$scratch/result.json" > "$scratch/final.json"
  cat "$scratch/final.json"
else
  say "cri-lifecycle.js printed nothing (exit status $client_status)"
fi
[ "$network" = cni ] && summary_line

[ "$client_status" = 0 ] || exit "$client_status"
[ "$harness_ok" = true ] || exit 1
exit 0
