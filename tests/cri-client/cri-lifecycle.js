// An independent CRI client (@grpc/grpc-js + a hand-written runtime.v1 subset, cri-api.proto) that drives
// a CRI runtime service, such as containerd's CRI plugin, through one full pod lifecycle and times each
// call: Version, ImageStatus (app and sandbox image), RunPodSandbox, PodSandboxStatus, for N app containers
// CreateContainer (state CREATED) + StartContainer, their log lines, ExecSync in each (boot_id, hostname,
// an exec with a known exit code and stderr), ContainerStatus (RUNNING, cgroup parent of the generated
// spec), ListContainers, then what kubelet asks of a running pod beyond that: exec through the streaming
// server (stdin, stdout, stderr, exit codes, large output and input, a tty and a resize) and attach to a
// container started with stdin open that echoes it (cri-streaming.js; the attach container then leaves
// through StopContainer, EXITED with exit code 0, and RemoveContainer), ContainerStats around some work in
// one container, ListContainerStats, PodSandboxStats and ListPodSandboxStats (cri-stats.js), an ExecSync
// probe that times out (`sleep 30`, timeout 2: fails, the sleep is killed, the container still runs), log
// rotation (rename, ReopenContainerLog, the next line lands in a fresh file) and a restart (a container
// that exits with code 3, created again with attempt 1 and its own <name>/<attempt>.log, the first attempt
// removed while the second exists) (cri-kubelet.js), a "job"
// container that exits by itself with code 7 (EXITED, exit code 7), StopContainer + ContainerStatus
// (EXITED, exit code 0), RemoveContainer, StopPodSandbox, RemovePodSandbox, and checks that the runtime then
// lists no pod sandbox and no container at all.
// With --peer-netns (the harness's NETWORK=cni mode) the pod gets its own network namespace from CNI, app-0
// runs an httpd, and cri-network.js checks the pod's networking after the exec steps: the pod IP, eth0's
// MAC/address/MTU/gateway in every app container against the pod netns seen from the host, traffic from
// the peer namespace to the pod and back, PortForward to app-0's httpd (the streaming server's websocket,
// opened by port-forward.js in the peer namespace), and the pod's /etc/hostname, /etc/resolv.conf,
// /etc/hosts.
//
// usage: node cri-lifecycle.js --socket PATH --handler NAME --image REF [--containers N] [--host-network]
//          [--log-dir DIR] [--timeout-ms MS] [--exec-timeout S] [--stop-timeout S] [--cgroup-parent P]
//          [--sandbox-image REF] [--expect-boot-id host|other|any] [--check-host-cgroup]
//          [--pod-name NAME] [--wait-ms MS] [--sized] [--pinned-cpus LIST]
//          [--skip stats,exec,attach,debug,exec-timeout,reopen-log,restart] [--verbose]
//          [--peer-netns PATH --peer-token T [--peer-port N] [--pod-cidr CIDR] [--cni-mtu N]
//           [--dns-server IP] [--busybox PATH] [--http-wait-ms MS] [--port-forward-port N]]
//   --handler ""         selects containerd's default runtime (CRI's empty runtime_handler)
//   --sized              a container with limits joins the running pod, its limit is raised, it leaves:
//                        result.sizing samples nproc and MemTotal each time (a VM runtime's VM grows)
//   --pinned-cpus LIST   a container whose only CPU constraint is cpuset_cpus LIST (kubelet's static CPU
//                        manager's shape: no quota) joins the running pod and leaves: result.pinning samples
//                        nproc before and while it runs, and its cgroup's effective cpuset
//   --skip LIST          leave out these kubelet checks (comma-separated: stats, exec, attach, debug,
//                        exec-timeout, reopen-log, restart)
//   --wait-ms MS         first retry Version for up to MS ms while the runtime is not serving yet (a
//                        containerd that was just started); recorded as the step WaitForRuntime
//   --sandbox-image REF  also require this (pause) image to be present before RunPodSandbox, so that the
//                        runtime never tries to pull it
//   --expect-boot-id     host: every container must see the host's boot_id (runc and other containers
//                        sharing the host kernel); other: must differ from the host's (a VM per pod);
//                        any (default): only require one well-formed boot_id shared by the pod's containers
//   --cgroup-parent P    PodSandboxConfig.linux.cgroup_parent; each container's generated OCI spec
//                        (verbose ContainerStatus) must then have linux.cgroupsPath under P
//   --check-host-cgroup  also require the host's /proc/<pid>/cgroup of each container's init process to
//                        name P (only for runtimes whose container pids are host pids, i.e. runc)
//   --check-vm-cgroup    also require every host process whose command line names the sandbox id and
//                        whose name is qemu-system-x86 or virtiofsd (a VM-per-pod runtime's VM) to be
//                        under P in every hierarchy, and at least one QEMU to exist (result.sandbox.vm)
//   --peer-netns PATH    pod networking checks (cri-network.js); PATH is the network namespace that holds
//                        the host side of the CNI plugin's veth (the one the runtime runs in, where an
//                        httpd on --peer-port serves --peer-token); needs 2+ containers, no --host-network
//   --pod-cidr CIDR      the pod IP must be in it;  --cni-mtu N  eth0's MTU must be N
//   --dns-server IP      PodSandboxConfig.dns_config server (default 10.88.7.53, never contacted)
//   --busybox PATH       the host's busybox, for wget in the peer namespace (default /bin/busybox)
//   --http-wait-ms MS    how long the peer retries the pod's httpd while it starts (default 30000)
//   --port-forward-port N  the pod port the PortForward check forwards (default app-0's httpd port 8080;
//                        another port, where nothing listens, shows how a refused forward fails)
//
// stdout: one JSON object {ok, handler, image, hostNetwork, runtime, imageId, podSandboxId, containerIds,
//   podIp, podNetwork, logDir, steps:[{name, container?, cmd?, after?, cleanup?, ms, ok, error?}],
//   exec:[{container, cmd, stdout, stderr, exitCode, ms}], containers:[{name, id, bootId, pid, cgroupsPath,
//   hostCgroup, states, exitCode, reason, ...}], hostBootId, bootIds, bootIdSameAsHost, expectBootId,
//   failedStep?, error?, totalMs, stats: {mib, cacheMib, worker, before, work, after, list, pod, podList,
//   workerCpuDeltaNs, pageCache, problems} (each container's cpu/memory/writableLayer as the runtime gave
//   them), streaming: {exec:[{name, cmd, tty, protocol, firstMessage, sent, stdout, stderr, errorChannel,
//   status, close, ...}], v5, attach}, execTimeout: {error: {code, codeName, details}, ms, ps, killedAtFirstLook,
//   after}, reopenLog: {file, rotated, freshFileAtOnce, fresh, old}, restart: {attempts:[{attempt, id, exitCode,
//   reason, finishedAt, statusLogPath, log}], listedBoth, listedAfterRemove, removedStatusError, firstLogKept}
//   (cri-kubelet.js), with --sized sizing: {before, joined, hog, updated, memoryMax, removed}, with
//   --pinned-cpus pinning: {cpus, before, joined, effective}, and with --peer-netns network: {podIp,
//   netnsPath, podToken, gateway, hostView, containers, peerToPod, portForward: {port, url, protocol, ok,
//   bytes, statusLine, body, errorChannel, close, ms, error, ...}, podToPeer, files, ...}. Exit status 0 when every step passed,
//   1 when a step failed (the created containers and sandbox are still stopped and removed, as "cleanup"
//   steps), 2 for bad usage.
// progress goes to stderr with --verbose.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const network = require('./cri-network');
const statsChecks = require('./cri-stats');
const streaming = require('./cri-streaming');
const kubeletChecks = require('./cri-kubelet');
const { performance } = require('perf_hooks');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

// ---- arguments ----

function usage(message) {
  process.stderr.write(`cri-lifecycle: ${message}\n` +
    'usage: node cri-lifecycle.js --socket PATH --handler NAME --image REF [--containers N] [--host-network]\n' +
    '         [--log-dir DIR] [--timeout-ms MS] [--exec-timeout S] [--stop-timeout S] [--cgroup-parent P]\n' +
    '         [--sandbox-image REF] [--expect-boot-id host|other|any] [--check-host-cgroup]\n' +
    '         [--pod-name NAME] [--wait-ms MS] [--sized] [--pinned-cpus LIST] [--skip stats,exec,attach,debug,exec-timeout,reopen-log,restart] [--verbose]\n' +
    '         [--peer-netns PATH --peer-token T [--peer-port N] [--pod-cidr CIDR] [--cni-mtu N]\n' +
    '          [--dns-server IP] [--busybox PATH] [--http-wait-ms MS] [--port-forward-port N]]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    socket: null, handler: null, image: null, containers: 1, hostNetwork: false, logDir: null,
    timeoutMs: 120000, execTimeout: 60, stopTimeout: 10, cgroupParent: '', podName: null, waitMs: 0, verbose: false,
    sandboxImage: null, expectBootId: 'any', checkHostCgroup: false,
    peerNetns: null, peerToken: null, peerPort: 8081, podCidr: null, cniMtu: 0, dnsServer: '10.88.7.53',
    busybox: '/bin/busybox', httpWaitMs: 30000, sized: false, pinnedCpus: null, portForwardPort: 0, skip: new Set(),
  };
  const valued = {
    '--socket': (v) => { opts.socket = v; },
    '--handler': (v) => { opts.handler = v; },
    '--image': (v) => { opts.image = v; },
    '--containers': (v) => { opts.containers = positiveInt(v, '--containers'); },
    '--log-dir': (v) => { opts.logDir = v; },
    '--timeout-ms': (v) => { opts.timeoutMs = positiveInt(v, '--timeout-ms'); },
    '--exec-timeout': (v) => { opts.execTimeout = positiveInt(v, '--exec-timeout'); },
    '--stop-timeout': (v) => { opts.stopTimeout = nonNegativeInt(v, '--stop-timeout'); },
    '--cgroup-parent': (v) => { opts.cgroupParent = v; },
    '--pod-name': (v) => { opts.podName = v; },
    '--wait-ms': (v) => { opts.waitMs = nonNegativeInt(v, '--wait-ms'); },
    '--sandbox-image': (v) => { opts.sandboxImage = v; },
    '--pinned-cpus': (v) => { if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) usage('--pinned-cpus takes a CPU list such as 0-1'); opts.pinnedCpus = v; },
    '--peer-netns': (v) => { opts.peerNetns = v; },
    '--peer-token': (v) => { opts.peerToken = v; },
    '--peer-port': (v) => { opts.peerPort = positiveInt(v, '--peer-port'); },
    '--pod-cidr': (v) => { if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(v)) usage('--pod-cidr must be an IPv4 CIDR'); opts.podCidr = v; },
    '--cni-mtu': (v) => { opts.cniMtu = positiveInt(v, '--cni-mtu'); },
    '--dns-server': (v) => { opts.dnsServer = v; },
    '--busybox': (v) => { opts.busybox = v; },
    '--http-wait-ms': (v) => { opts.httpWaitMs = positiveInt(v, '--http-wait-ms'); },
    '--port-forward-port': (v) => {
      opts.portForwardPort = positiveInt(v, '--port-forward-port');
      if (opts.portForwardPort > 65535) usage('--port-forward-port must be at most 65535');
    },
    '--skip': (v) => {
      for (const name of v.split(',').filter(Boolean)) {
        if (!SKIPPABLE.includes(name)) usage(`--skip takes a comma-separated list of ${SKIPPABLE.join(', ')}`);
        opts.skip.add(name);
      }
    },
    '--expect-boot-id': (v) => {
      if (!['host', 'other', 'any'].includes(v)) usage('--expect-boot-id must be host, other or any');
      opts.expectBootId = v;
    },
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    if (arg === '--host-network') opts.hostNetwork = true;
    else if (arg === '--verbose') opts.verbose = true;
    else if (arg === '--check-host-cgroup') opts.checkHostCgroup = true;
    else if (arg === '--check-vm-cgroup') opts.checkVmCgroup = true;
    else if (arg === '--sized') opts.sized = true;
    else if (arg === '--help' || arg === '-h') usage('help');
    else if (valued[arg]) {
      if (value === undefined) {
        if (i + 1 >= argv.length) usage(`${arg} needs a value`);
        value = argv[++i];
      }
      valued[arg](value);
    } else usage(`unknown argument ${arg}`);
  }
  if (!opts.socket) usage('--socket is required');
  if (opts.handler === null) usage('--handler is required ("" for the default runtime)');
  if (!opts.image) usage('--image is required');
  if (opts.checkHostCgroup && !opts.cgroupParent) usage('--check-host-cgroup needs --cgroup-parent');
  if (opts.checkVmCgroup && !opts.cgroupParent) usage('--check-vm-cgroup needs --cgroup-parent');
  if (opts.portForwardPort && !opts.peerNetns) usage('--port-forward-port needs --peer-netns (the PortForward check is a pod networking check)');
  if (opts.peerNetns) {
    if (opts.hostNetwork) usage('--peer-netns needs a pod with its own network namespace (no --host-network)');
    if (!opts.peerToken) usage('--peer-netns needs --peer-token');
    if (opts.containers < 2) usage('--peer-netns needs --containers 2 or more (the second checks the shared eth0)');
  }
  return opts;
}

// the kubelet checks that --skip can leave out
const SKIPPABLE = ['stats', 'exec', 'attach', 'debug', 'exec-timeout', 'reopen-log', 'restart'];

function positiveInt(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer`);
  return n;
}

function nonNegativeInt(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) usage(`${name} must be a non-negative integer`);
  return n;
}

const opts = parseArgs(process.argv.slice(2));
const log = (msg) => { if (opts.verbose) process.stderr.write(`cri-lifecycle: ${msg}\n`); };

// ---- gRPC ----

const definition = loader.loadSync(path.join(__dirname, 'cri-api.proto'), {
  keepCase: true, longs: String, enums: String, defaults: true,
});
const api = grpc.loadPackageDefinition(definition).runtime.v1;
const address = 'unix://' + path.resolve(opts.socket);
const channelOptions = { 'grpc.max_receive_message_length': 32 * 1024 * 1024 };
const runtime = new api.RuntimeService(address, grpc.credentials.createInsecure(), channelOptions);
// (not in cri-api.proto: see cri-kubelet.js)
kubeletChecks.installReopenContainerLog(runtime);
const images = new api.ImageService(address, grpc.credentials.createInsecure(), channelOptions);

// Every field a request names must be in cri-api.proto: the client drops whatever the hand-written subset
// lacks without a word (LinuxContainerResources.cpuset_cpus went that way until 2026-12-07), so a request
// naming one fails its call instead of reaching containerd without it.
const protoRoot = new protobuf.Root().loadSync(path.join(__dirname, 'cri-api.proto'), { keepCase: true });
protoRoot.resolveAll();
const protoServices = ['RuntimeService', 'ImageService'].map((name) => protoRoot.lookupService(`runtime.v1.${name}`));

// the request's fields (at any depth) that its message type does not have, as paths
function unknownFields(type, value, at = '') {
  const found = [];
  for (const [key, v] of Object.entries(value || {})) {
    const field = type.fields[key];
    if (!field) { found.push(at + key); continue; }
    if (!(field.resolvedType instanceof protobuf.Type) || v === null || v === undefined) continue;
    const items = field.map || field.repeated ? Object.entries(v) : [[null, v]];
    for (const [k, item] of items)
      found.push(...unknownFields(field.resolvedType, item, `${at}${key}${k === null ? '' : `[${k}]`}.`));
  }
  return found;
}

function requestTypeOf(method) {
  const m = protoServices.map((s) => s.methods[method]).find(Boolean);
  return m ? m.resolvedRequestType : null; // (ReopenContainerLog is encoded by hand: cri-kubelet.js)
}

const statusNames = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));
let inFlight = null; // the current call, cancelled on SIGINT/SIGTERM so clean-up can start
let interrupted = null;

class StepError extends Error {
  constructor(message, grpcError) {
    super(message);
    this.grpc = grpcError;
  }
}

function describe(error) {
  if (error instanceof StepError && error.grpc) return error.grpc;
  if (error && typeof error.code === 'number' && error.details !== undefined)
    return { code: error.code, codeName: statusNames[error.code] || String(error.code), details: error.details };
  return { message: error && error.message ? error.message : String(error) };
}

function call(client, method, request, timeoutMs = opts.timeoutMs) {
  return new Promise((resolve, reject) => {
    if (interrupted) { reject(new StepError(`interrupted by ${interrupted}`)); return; }
    const type = requestTypeOf(method);
    const unknown = type ? unknownFields(type, request) : [];
    if (unknown.length) { reject(new StepError(`${method}: ${unknown.join(', ')} not in cri-api.proto: the client would send the request without them`)); return; }
    const deadline = new Date(Date.now() + timeoutMs);
    inFlight = client[method](request, new grpc.Metadata(), { deadline }, (error, response) => {
      inFlight = null;
      if (error) {
        const g = { code: error.code, codeName: statusNames[error.code] || String(error.code), details: error.details };
        reject(new StepError(`${method}: ${g.codeName}: ${g.details}`, g));
      } else resolve(response);
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    log(`${signal}: cancelling and cleaning up`);
    if (inFlight) inFlight.cancel();
  });
}

// ---- bookkeeping ----

const result = {
  ok: false,
  handler: opts.handler,
  image: opts.image,
  hostNetwork: opts.hostNetwork,
  runtime: null,
  steps: [],
  exec: [],
  containers: [],
  podSandboxId: null,
  containerIds: [],
  podIp: null,
  logDir: null,
  hostBootId: readHostBootId(),
  expectBootId: opts.expectBootId,
  bootIds: [],
  bootIdSameAsHost: null,
};
const networkChecks = Boolean(opts.peerNetns);
// app-0's httpd serves this token in the pod networking checks
const podToken = `pod-token-${crypto.randomBytes(8).toString('hex')}`;
const dnsConfig = { servers: [opts.dnsServer], searches: ['sandboxrt-test.svc.cluster.local'], options: ['ndots:5'] };

function readHostBootId() {
  try { return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { return null; }
}

const round = (ms) => Math.round(ms * 10) / 10;

// Runs one step, records its timing; a failing step throws (after being recorded) unless it is a
// cleanup step, whose failure is recorded and swallowed.
async function step(name, fn, extra = {}) {
  const started = performance.now();
  const entry = { name, ...extra, ms: 0, ok: false };
  result.steps.push(entry);
  log(`${name}${extra.container ? ' ' + extra.container : ''} ...`);
  try {
    const value = await fn();
    entry.ms = round(performance.now() - started);
    entry.ok = true;
    log(`${name}${extra.container ? ' ' + extra.container : ''}: ${entry.ms} ms`);
    return value;
  } catch (error) {
    entry.ms = round(performance.now() - started);
    entry.error = describe(error);
    log(`${name}${extra.container ? ' ' + extra.container : ''} failed: ${error.message}`);
    if (extra.cleanup) return undefined;
    if (!result.failedStep) {
      result.failedStep = extra.container ? `${name} ${extra.container}` : name;
      result.error = entry.error;
    }
    throw error;
  }
}

function expect(condition, message) {
  if (!condition) throw new StepError(message);
}

// ---- the lifecycle ----

const podUid = crypto.randomUUID();
const podName = opts.podName || `sandboxrt-cri-test-${podUid.slice(0, 8)}`;
const created = []; // {name, id, stopped, removed}
let podSandboxId = null;
let podStopped = false;
let podRemoved = false;

const namespaceOptions = {
  network: opts.hostNetwork ? 'NODE' : 'POD',
  pid: 'CONTAINER',
  ipc: 'POD',
};

function sandboxConfig(logDir) {
  return {
    metadata: { name: podName, uid: podUid, namespace: 'sandboxrt-test', attempt: 0 },
    // a host-network pod shares the host's UTS namespace: containerd 1.6 writes any hostname given here
    // into the OCI spec, and runc refuses a hostname without a private UTS namespace, so leave it empty
    // (containerd then puts the node's name in the pod's /etc/hostname)
    hostname: opts.hostNetwork ? '' : podName,
    log_directory: logDir,
    // (only in the networking checks, which look for it in /etc/resolv.conf)
    ...(networkChecks ? { dns_config: dnsConfig } : {}),
    labels: { 'sandboxrt.test': 'cri-lifecycle', 'io.kubernetes.pod.name': podName },
    annotations: { 'sandboxrt.test/handler': opts.handler },
    linux: {
      cgroup_parent: opts.cgroupParent,
      security_context: { namespace_options: namespaceOptions },
      // Kubernetes' "safe" network sysctls (securityContext.sysctls), for a pod with its own network
      // namespace: containerd puts them in the sandbox container's spec; every container of the pod then
      // sees them (podSysctls below). containerd 2.0 adds the first to every container by default.
      ...(networkChecks ? { sysctls: podSysctls } : {}),
    },
  };
}

const podSysctls = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' };

// sh as a pid namespace's init ignores SIGTERM unless it traps it, so StopContainer would wait out the
// whole grace period; the trap makes it exit 0 at once.
const appScript = "trap 'exit 0' TERM; echo ready; cat /proc/sys/kernel/random/boot_id > /dev/null; sleep 1000 & wait";
// each exec's expected exit code and output; the third checks that a non-zero exit code and the two
// streams come back separately
const bootIdCmd = ['cat', '/proc/sys/kernel/random/boot_id'];
const uuidLine = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;
const execCommands = [
  { cmd: bootIdCmd, exitCode: 0, stdout: uuidLine, stderr: '' },
  { cmd: ['hostname'], exitCode: 0, stdout: /^\S+\n$/, stderr: '' },
  { cmd: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3'], exitCode: 3, stdout: 'to-stdout\n', stderr: 'to-stderr\n' },
];
const jobExitCode = 7;

// extra: more ContainerConfig fields (the attach check's stdin/stdin_once/tty)
function containerConfig(name, script = appScript, extra = {}) {
  return {
    metadata: { name, attempt: 0 },
    image: { image: opts.image },
    command: ['sh', '-c', script],
    log_path: `${name}.log`,
    labels: { 'sandboxrt.test': 'cri-lifecycle' },
    linux: { security_context: { namespace_options: namespaceOptions } },
    ...extra,
  };
}

// containerd writes the CRI log format: "<RFC3339Nano> stdout F ready"
async function waitForLogLine(file, text, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let content = '';
  for (;;) {
    try { content = fs.readFileSync(file, 'utf8'); } catch { content = ''; }
    const lines = content.split('\n').filter(Boolean);
    const hit = lines.find((l) => { const p = l.split(' '); return p.length >= 4 && p.slice(3).join(' ') === text; });
    if (hit) return hit;
    if (interrupted) throw new StepError(`interrupted by ${interrupted}`);
    if (Date.now() > until) throw new StepError(`no "${text}" line in ${file} after ${timeoutMs} ms (content: ${JSON.stringify(content.slice(0, 500))})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function lifecycle() {
  const logDir = opts.logDir ? path.resolve(opts.logDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'cri-lifecycle-logs-'));
  fs.mkdirSync(logDir, { recursive: true });
  result.logDir = logDir;
  const config = sandboxConfig(logDir);

  if (opts.waitMs > 0) {
    await step('WaitForRuntime', async () => {
      const until = Date.now() + opts.waitMs;
      for (let attempt = 1; ; attempt++) {
        try {
          await call(runtime, 'Version', { version: 'v1' }, Math.min(opts.timeoutMs, 5000));
          return attempt;
        } catch (error) {
          // UNAVAILABLE: no socket yet; UNKNOWN "server is not initialized yet": CRI plugin still starting
          if (interrupted || Date.now() > until) throw error;
          log(`runtime not ready (${error.message}); retrying`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
  }

  const version = await step('Version', () => call(runtime, 'Version', { version: 'v1' }));
  result.runtime = {
    name: version.runtime_name, version: version.runtime_version, apiVersion: version.runtime_api_version,
  };

  for (const [key, ref] of [['imageId', opts.image], ['sandboxImageId', opts.sandboxImage]]) {
    if (!ref) continue;
    await step('ImageStatus', async () => {
      const r = await call(images, 'ImageStatus', { image: { image: ref } });
      expect(r.image, `image ${ref} is not in the runtime's image store (import it into namespace k8s.io)`);
      result[key] = r.image.id;
    }, { image: ref });
  }

  podSandboxId = await step('RunPodSandbox', async () => {
    const r = await call(runtime, 'RunPodSandbox', { config, runtime_handler: opts.handler });
    expect(r.pod_sandbox_id, 'RunPodSandbox returned no pod_sandbox_id');
    return r.pod_sandbox_id;
  });
  result.podSandboxId = podSandboxId;

  await step('PodSandboxStatus', async () => {
    const r = await call(runtime, 'PodSandboxStatus', { pod_sandbox_id: podSandboxId, verbose: true });
    const s = r.status;
    expect(s && s.state === 'SANDBOX_READY', `sandbox state is ${s && s.state}, not SANDBOX_READY`);
    expect(s.runtime_handler === opts.handler, `sandbox runtime_handler is "${s.runtime_handler}", not "${opts.handler}"`);
    result.podIp = (s.network && s.network.ip) || null;
    result.podNetwork = s.linux && s.linux.namespaces && s.linux.namespaces.options
      ? s.linux.namespaces.options.network : null;
    expect(!opts.hostNetwork || result.podNetwork === 'NODE', `sandbox network namespace is ${result.podNetwork}, not NODE`);
    const info = parseInfo(r.info);
    result.sandbox = { pid: info.pid || null, cgroupsPath: cgroupsPathOf(info), netnsPath: netnsPathOf(info) };
    if (networkChecks) {
      expect(result.podNetwork === 'POD', `sandbox network namespace is ${result.podNetwork}, not POD`);
      expect(result.podIp, 'PodSandboxStatus gave no pod IP (status.network.ip)');
    }
    checkCgroup(result.sandbox, podSandboxId);
    if (opts.checkVmCgroup) checkVmCgroup(result.sandbox, podSandboxId);
  });

  const statusOf = async (c, verbose = false) => {
    const r = await call(runtime, 'ContainerStatus', { container_id: c.id, verbose });
    expect(r.status, `ContainerStatus returned no status for ${c.id}`);
    c.states.push(r.status.state);
    return verbose ? { ...r.status, info: parseInfo(r.info) } : r.status;
  };

  const createAndStart = async (name, script, extra) => {
    const id = await step('CreateContainer', async () => {
      const r = await call(runtime, 'CreateContainer', {
        pod_sandbox_id: podSandboxId, config: containerConfig(name, script, extra), sandbox_config: config,
      });
      expect(r.container_id, 'CreateContainer returned no container_id');
      return r.container_id;
    }, { container: name });
    const c = { name, id, stopped: false, removed: false, states: [] };
    created.push(c);
    result.containerIds.push(id);
    await step('ContainerStatus', async () => {
      const s = await statusOf(c);
      expect(s.state === 'CONTAINER_CREATED', `state after create is ${s.state}, not CONTAINER_CREATED`);
    }, { container: name, after: 'create' });
    await step('StartContainer', () => call(runtime, 'StartContainer', { container_id: id }), { container: name });
    return c;
  };

  // StopContainer (SIGTERM) and ContainerStatus: EXITED with exit code 0
  async function stopAndCheck(c) {
    await step('StopContainer', () => call(runtime, 'StopContainer', { container_id: c.id, timeout: opts.stopTimeout },
      opts.timeoutMs + opts.stopTimeout * 1000), { container: c.name });
    c.stopped = true;
    await step('ContainerStatus', async () => {
      const s = await statusOf(c);
      expect(s.state === 'CONTAINER_EXITED', `state after stop is ${s.state}, not CONTAINER_EXITED`);
      c.exitCode = s.exit_code;
      c.reason = s.reason;
      c.finishedAt = s.finished_at;
      expect(s.exit_code === 0, `exit code after SIGTERM is ${s.exit_code} (${s.reason}), not 0`);
    }, { container: c.name, after: 'stop' });
  }

  const apps = [];
  for (let i = 0; i < opts.containers; i++)
    apps.push(await createAndStart(`app-${i}`, networkChecks && i === 0 ? network.podHttpdScript(podToken) : undefined));

  for (const c of apps) {
    await step('ContainerLog', async () => {
      const line = await waitForLogLine(path.join(logDir, `${c.name}.log`), 'ready', Math.min(opts.timeoutMs, 30000));
      c.logLine = line;
    }, { container: c.name });
  }

  for (const c of apps) {
    for (const want of execCommands) {
      const cmd = want.cmd.join(' ');
      const started = performance.now();
      await step('ExecSync', async () => {
        const r = await call(runtime, 'ExecSync', { container_id: c.id, cmd: want.cmd, timeout: opts.execTimeout },
          Math.max(opts.timeoutMs, (opts.execTimeout + 10) * 1000));
        const entry = {
          container: c.name, cmd,
          stdout: Buffer.from(r.stdout).toString('utf8'),
          stderr: Buffer.from(r.stderr).toString('utf8'),
          exitCode: r.exit_code,
          ms: round(performance.now() - started),
        };
        result.exec.push(entry);
        expect(entry.exitCode === want.exitCode, `exit code ${entry.exitCode}, not ${want.exitCode} (stderr ${JSON.stringify(entry.stderr)})`);
        for (const stream of ['stdout', 'stderr']) {
          const w = want[stream];
          const ok = w instanceof RegExp ? w.test(entry[stream]) : entry[stream] === w;
          expect(ok, `${stream} ${JSON.stringify(entry[stream])} does not match ${w instanceof RegExp ? w : JSON.stringify(w)}`);
        }
        if (want.cmd === bootIdCmd) c.bootId = entry.stdout.trim();
      }, { container: c.name, cmd });
    }
  }

  // one ExecSync as a step: recorded in result.exec; a non-zero exit code fails unless allowFailure
  const execIn = async (c, cmd, { allowFailure = false } = {}) => {
    const started = performance.now();
    let entry;
    await step('ExecSync', async () => {
      const r = await call(runtime, 'ExecSync', { container_id: c.id, cmd, timeout: opts.execTimeout },
        Math.max(opts.timeoutMs, (opts.execTimeout + 10) * 1000));
      entry = {
        container: c.name, cmd: cmd.join(' '),
        stdout: Buffer.from(r.stdout).toString('utf8'),
        stderr: Buffer.from(r.stderr).toString('utf8'),
        exitCode: r.exit_code,
        ms: round(performance.now() - started),
      };
      result.exec.push(entry);
      expect(allowFailure || entry.exitCode === 0, `${entry.cmd}: exit code ${entry.exitCode} (stderr ${JSON.stringify(entry.stderr)})`);
    }, { container: c.name, cmd: cmd.join(' ') });
    return entry;
  };

  await step('BootIds', async () => {
    result.bootIds = [...new Set(apps.map((c) => c.bootId))];
    result.bootIdSameAsHost = result.bootIds.length === 1 && result.bootIds[0] === result.hostBootId;
    expect(result.bootIds.length === 1, `the pod's containers see different boot_ids: ${JSON.stringify(result.bootIds)}`);
    if (opts.expectBootId === 'host')
      expect(result.bootIdSameAsHost, `containers see boot_id ${result.bootIds[0]}, the host ${result.hostBootId}`);
    if (opts.expectBootId === 'other')
      expect(!result.bootIdSameAsHost, `containers see the host's boot_id ${result.hostBootId}`);
  });

  if (networkChecks) {
    await step('PodSysctls', async () => {
      const e = await execIn(apps[0], ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/net/ipv4/ping_group_range']);
      result.podSysctls = e.stdout.trim().split('\n');
      expect(JSON.stringify(result.podSysctls) === JSON.stringify(['0', '0\t2147483647']),
        `the pod's sysctls ${JSON.stringify(podSysctls)} are not what ${apps[0].name} sees: ${JSON.stringify(result.podSysctls)}`);
    });
    await network.checkPodNetwork({
      opts, step, expect, StepError, execIn, apps, result,
      portForward: (ports) => call(runtime, 'PortForward', { pod_sandbox_id: podSandboxId, port: ports }),
      sandbox: { podIp: result.podIp, netnsPath: result.sandbox.netnsPath },
      token: podToken, peerToken: opts.peerToken, hostname: config.hostname, dns: dnsConfig,
      interrupted: () => interrupted,
    });
  }

  for (const c of apps) {
    await step('ContainerStatus', async () => {
      const s = await statusOf(c, true);
      expect(s.state === 'CONTAINER_RUNNING', `state is ${s.state}, not CONTAINER_RUNNING`);
      expect(Number(s.started_at) > 0, `started_at is ${s.started_at}`);
      c.startedAt = s.started_at;
      c.logPath = s.log_path;
      c.imageRef = s.image_ref;
      c.pid = s.info.pid || null;
      c.cgroupsPath = cgroupsPathOf(s.info);
      checkCgroup(c, c.id);
    }, { container: c.name, after: 'start' });
  }

  await step('ListContainers', async () => {
    const r = await call(runtime, 'ListContainers', { filter: { pod_sandbox_id: podSandboxId } });
    const ids = r.containers.map((x) => x.id).sort();
    const want = apps.map((c) => c.id).sort();
    expect(JSON.stringify(ids) === JSON.stringify(want), `listed ${JSON.stringify(ids)}, created ${JSON.stringify(want)}`);
    const notRunning = r.containers.filter((x) => x.state !== 'CONTAINER_RUNNING');
    expect(notRunning.length === 0, `not running: ${JSON.stringify(notRunning.map((x) => [x.id, x.state]))}`);
  });

  // what kubelet and metrics-server read (cri-stats.js), then kubectl exec and attach (cri-streaming.js)
  const kubeletCtx = {
    opts, step, expect, StepError, execIn, apps, result, podSandboxId,
    call: (method, request, timeoutMs) => call(runtime, method, request, timeoutMs),
    interrupted: () => interrupted,
    createAndStart, statusOf, containerConfig, logDir, sandboxConfig: config,
    track: (c) => { created.push(c); result.containerIds.push(c.id); },
    waitForLogLine: (c, text) => waitForLogLine(path.join(logDir, `${c.name}.log`), text, Math.min(opts.timeoutMs, 30000)),
    stopAndCheck: (c) => stopAndCheck(c),
    remove: async (c) => {
      await step('RemoveContainer', () => call(runtime, 'RemoveContainer', { container_id: c.id }), { container: c.name });
      c.removed = true;
    },
  };
  // (stats last: its final step lists every problem of the numbers at once, after the streaming checks ran)
  if (!opts.skip.has('exec')) await streaming.checkExec(kubeletCtx);
  if (!opts.skip.has('attach')) await streaming.checkAttach(kubeletCtx);
  if (!opts.skip.has('stats')) await statsChecks.checkStats(kubeletCtx);
  // a probe that times out, log rotation, a restart (cri-kubelet.js)
  if (!opts.skip.has('exec-timeout')) await kubeletChecks.checkExecTimeout(kubeletCtx);
  if (!opts.skip.has('reopen-log')) await kubeletChecks.checkReopenLog(kubeletCtx);
  if (!opts.skip.has('restart')) await kubeletChecks.checkRestart(kubeletCtx);

  const probe = ['sh', '-c', 'nproc; grep MemTotal /proc/meminfo'];
  const sample = async (c) => {
    const [nproc, mem] = (await execIn(c, probe)).stdout.trim().split('\n');
    return { nproc: Number(nproc), memTotalKiB: Number(mem.split(/\s+/)[1]) };
  };

  // --pinned-cpus: a container constrained only by a cpuset (no quota) joins the running pod, and leaves;
  // what it and the pod see is recorded (the test decides: a VM runtime sizes the VM by the CPUs named)
  if (opts.pinnedCpus) {
    result.pinning = { cpus: opts.pinnedCpus, before: await sample(apps[0]) };
    const pinnedConfig = containerConfig('pinned');
    pinnedConfig.linux.resources = { cpuset_cpus: opts.pinnedCpus };
    const pinnedId = await step('CreateContainer', async () => {
      const r = await call(runtime, 'CreateContainer', { pod_sandbox_id: podSandboxId, config: pinnedConfig, sandbox_config: config });
      expect(r.container_id, 'CreateContainer returned no container_id');
      return r.container_id;
    }, { container: 'pinned' });
    const pinned = { name: 'pinned', id: pinnedId, stopped: false, removed: false, states: [] };
    created.push(pinned);
    result.containerIds.push(pinnedId);
    await step('StartContainer', () => call(runtime, 'StartContainer', { container_id: pinnedId }), { container: 'pinned' });
    result.pinning.joined = await sample(pinned);
    // the container's own cgroup (cgroup v2 in a VM's guest, v1's cpuset hierarchy under runc here)
    result.pinning.effective = (await execIn(pinned, ['sh', '-c',
      'cat /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null || cat /sys/fs/cgroup/cpuset/cpuset.effective_cpus'])).stdout.trim();
    await stopAndCheck(pinned);
    await step('RemoveContainer', () => call(runtime, 'RemoveContainer', { container_id: pinnedId }), { container: 'pinned' });
    pinned.removed = true;
  }

  // --sized: a container with limits joins the running pod (512 MiB, one CPU), then its memory limit is
  // raised to 1 GiB; each time the pod's VM must have grown by as much (nproc, MemTotal), and a hog inside
  // the limit must run; once it is removed, the VM is back at its size before it joined
  if (opts.sized) {
    result.sizing = { before: await sample(apps[0]) };
    const sizedId = await step('CreateContainer', async () => {
      const sizedConfig = containerConfig('sized');
      sizedConfig.linux.resources = { cpu_period: 100000, cpu_quota: 100000, memory_limit_in_bytes: 512 * 1024 * 1024 };
      const r = await call(runtime, 'CreateContainer', { pod_sandbox_id: podSandboxId, config: sizedConfig, sandbox_config: config });
      expect(r.container_id, 'CreateContainer returned no container_id');
      return r.container_id;
    }, { container: 'sized' });
    const sized = { name: 'sized', id: sizedId, stopped: false, removed: false, states: [] };
    created.push(sized);
    result.containerIds.push(sizedId);
    await step('StartContainer', () => call(runtime, 'StartContainer', { container_id: sizedId }), { container: 'sized' });
    result.sizing.joined = await sample(sized);
    result.sizing.hog = (await execIn(sized, ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=400M', 'count=1'], { allowFailure: true })).exitCode;
    await step('UpdateContainerResources', () => call(runtime, 'UpdateContainerResources', {
      container_id: sizedId, linux: { cpu_period: 100000, cpu_quota: 100000, memory_limit_in_bytes: 1024 * 1024 * 1024 },
    }), { container: 'sized' });
    result.sizing.updated = await sample(sized);
    result.sizing.memoryMax = (await execIn(sized, ['cat', '/sys/fs/cgroup/memory.max'])).stdout.trim();
    await step('StopContainer', () => call(runtime, 'StopContainer', { container_id: sizedId, timeout: opts.stopTimeout },
      opts.timeoutMs + opts.stopTimeout * 1000), { container: 'sized' });
    sized.stopped = true;
    // the container with limits leaves the pod: its memory (and, but under TCG, its vCPU) is unplugged
    // again; the shim waits for the guest's eject before the delete returns: this wait is a bound only
    await step('RemoveContainer', () => call(runtime, 'RemoveContainer', { container_id: sizedId }), { container: 'sized' });
    sized.removed = true;
    const before = result.sizing.before;
    const until = Date.now() + 60000;
    for (;;) {
      result.sizing.removed = await sample(apps[0]);
      const back = Math.abs(result.sizing.removed.memTotalKiB - before.memTotalKiB) < 8 * 1024;
      if (back || Date.now() > until || interrupted) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // a container whose process exits by itself: EXITED with its own exit code, reason "Error"
  const job = await createAndStart('job', `echo done; exit ${jobExitCode}`);
  await step('ContainerStatus', async () => {
    const until = Date.now() + Math.min(opts.timeoutMs, 30000);
    let s;
    for (;;) {
      s = await statusOf(job);
      if (s.state === 'CONTAINER_EXITED' || Date.now() > until || interrupted) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(s.state === 'CONTAINER_EXITED', `state is still ${s.state}, not CONTAINER_EXITED`);
    job.exitCode = s.exit_code;
    job.reason = s.reason;
    job.stopped = true;
    expect(s.exit_code === jobExitCode, `exit code is ${s.exit_code} (${s.reason}), not ${jobExitCode}`);
    // (no ordering check: containerd takes started_at after the start returns, finished_at from the exit
    // event, so a process that exits at once can have finished_at < started_at)
    expect(Number(s.started_at) > 0 && Number(s.finished_at) > 0, `started_at ${s.started_at}, finished_at ${s.finished_at}`);
  }, { container: job.name, after: 'exit' });
  job.states = [...new Set(job.states)];

  // kubectl debug --target (an ephemeral container in the target's pid namespace: NamespaceMode TARGET),
  // once app-0 is the pod's only running app container: every task's host pid is a VM runtime's VM, so such
  // a runtime can tell the target only then (it refuses the debugger while several run)
  for (const c of apps.slice(1)) await stopAndCheck(c);
  if (!opts.skip.has('debug')) {
    const target = apps[0];
    const debuggerConfig = containerConfig('debugger', 'ps -o pid,args', {
      linux: { security_context: { namespace_options: { ...namespaceOptions, pid: 'TARGET', target_id: target.id } } },
    });
    const debuggerId = await step('CreateContainer', async () => {
      const r = await call(runtime, 'CreateContainer', { pod_sandbox_id: podSandboxId, config: debuggerConfig, sandbox_config: config });
      expect(r.container_id, 'CreateContainer returned no container_id');
      return r.container_id;
    }, { container: 'debugger' });
    const debuggerContainer = { name: 'debugger', id: debuggerId, stopped: false, removed: false, states: [] };
    created.push(debuggerContainer);
    await step('StartContainer', () => call(runtime, 'StartContainer', { container_id: debuggerId }), { container: 'debugger' });
    await step('DebugTarget', async () => {
      const until = Date.now() + Math.min(opts.timeoutMs, 30000);
      let s;
      for (;;) {
        s = await statusOf(debuggerContainer);
        if (s.state === 'CONTAINER_EXITED' || Date.now() > until || interrupted) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(s.state === 'CONTAINER_EXITED', `the debugger's ps is still ${s.state}`);
      debuggerContainer.stopped = true;
      // EXITED does not mean the log is whole: containerd's log file writer runs apart from the copy the exit
      // waits for, and can write the last output after it; ps lists itself last ("... ps -o pid,args")
      const file = path.join(logDir, 'debugger.log');
      const logLines = () => { try { return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' ')); } catch { return []; } };
      const logUntil = Date.now() + Math.min(opts.timeoutMs, 30000);
      let log = logLines();
      while (!log.some((l) => /ps -o pid,args$/.test(l)) && Date.now() < logUntil && !interrupted) {
        await new Promise((r) => setTimeout(r, 20));
        log = logLines();
      }
      result.debugTarget = { target: target.name, exitCode: s.exit_code, ps: log };
      expect(s.exit_code === 0, `the debugger's ps exited ${s.exit_code}: ${JSON.stringify(log)}`);
      // pid 1 of the namespace the debugger joined is the target's sh (every app script starts with its trap),
      // not the debugger's own ps (a namespace of its own) nor the pause process (the sandbox's)
      expect(log.some((l) => /^\s*1 sh -c trap 'exit 0' TERM;/.test(l)), `pid 1 in the debugger's ps is not ${target.name}'s sh: ${JSON.stringify(log)}`);
    }, { container: 'debugger', after: 'exit' });
  }
  await stopAndCheck(apps[0]);

  for (const c of created.filter((x) => !x.removed)) {
    await step('RemoveContainer', () => call(runtime, 'RemoveContainer', { container_id: c.id }), { container: c.name });
    c.removed = true;
  }

  await step('StopPodSandbox', () => call(runtime, 'StopPodSandbox', { pod_sandbox_id: podSandboxId }));
  podStopped = true;
  await step('PodSandboxStatus', async () => {
    const r = await call(runtime, 'PodSandboxStatus', { pod_sandbox_id: podSandboxId });
    expect(r.status.state === 'SANDBOX_NOTREADY', `sandbox state after stop is ${r.status.state}, not SANDBOX_NOTREADY`);
  }, { after: 'stop' });
  await step('RemovePodSandbox', () => call(runtime, 'RemovePodSandbox', { pod_sandbox_id: podSandboxId }));
  podRemoved = true;

  // a private runtime: after the removal nothing at all may be listed
  await step('ListPodSandbox', async () => {
    const pods = await call(runtime, 'ListPodSandbox', {});
    expect(pods.items.length === 0, `${pods.items.length} pod sandbox(es) still listed after RemovePodSandbox: ${JSON.stringify(pods.items.map((p) => p.id))}`);
    const r = await call(runtime, 'ListContainers', {});
    expect(r.containers.length === 0, `${r.containers.length} container(s) still listed after RemovePodSandbox`);
  }, { after: 'remove' });
}

// the verbose "info" map of PodSandboxStatus/ContainerStatus: containerd puts one JSON document under "info"
function parseInfo(info) {
  try { return info && info.info ? JSON.parse(info.info) : {}; } catch { return {}; }
}

// the network namespace of the sandbox's generated OCI spec (the CRI plugin's pod netns, whatever the handler)
function netnsPathOf(info) {
  const spec = info.runtimeSpec;
  const ns = spec && spec.linux && Array.isArray(spec.linux.namespaces)
    ? spec.linux.namespaces.find((n) => n.type === 'network') : null;
  return (ns && ns.path) || null;
}

function cgroupsPathOf(info) {
  return (info.runtimeSpec && info.runtimeSpec.linux && info.runtimeSpec.linux.cgroupsPath) || null;
}

// the generated spec must put the container (or sandbox) under the requested cgroup parent; with
// --check-host-cgroup, so must the kernel, seen through the host's /proc/<pid>/cgroup
function checkCgroup(target, id) {
  if (!opts.cgroupParent) return;
  const parent = opts.cgroupParent.replace(/\/+$/, '');
  expect(target.cgroupsPath && target.cgroupsPath.startsWith(parent + '/') && target.cgroupsPath.includes(id),
    `cgroupsPath of ${id} is ${JSON.stringify(target.cgroupsPath)}, not under ${parent}`);
  if (!opts.checkHostCgroup) return;
  expect(target.pid > 0, `no pid for ${id} in the verbose status`);
  let text;
  try { text = fs.readFileSync(`/proc/${target.pid}/cgroup`, 'utf8'); } catch (e) { throw new StepError(`/proc/${target.pid}/cgroup: ${e.message}`); }
  const lines = text.split('\n').filter(Boolean);
  const outside = lines.filter((l) => !l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1).startsWith(parent + '/'));
  target.hostCgroup = lines.find((l) => l.startsWith('0::')) || lines[0];
  expect(outside.length === 0, `pid ${target.pid} of ${id} is outside ${parent}: ${JSON.stringify(outside)}`);
}

// the pod's VM (QEMU and virtiofsd, found by the sandbox id in their command lines) must run under the
// cgroup parent in every hierarchy, as the sandbox's spec asks (Kata's sandbox_cgroup_only)
function checkVmCgroup(target, id) {
  const parent = opts.cgroupParent.replace(/\/+$/, '');
  const read = (pid, file) => { try { return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8'); } catch { return null; } };
  target.vm = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const comm = (read(pid, 'comm') || '').trim();
    if (comm !== 'qemu-system-x86' && comm !== 'virtiofsd') continue;
    if (!(read(pid, 'cmdline') || '').includes(id)) continue;
    const lines = (read(pid, 'cgroup') || '').split('\n').filter(Boolean);
    const outside = lines.filter((l) => !l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1).startsWith(parent + '/'));
    target.vm.push({ pid: Number(pid), comm, outside });
  }
  expect(target.vm.some((p) => p.comm === 'qemu-system-x86'), `no QEMU process names ${id} in its command line`);
  const bad = target.vm.filter((p) => p.outside.length > 0);
  expect(bad.length === 0, `the pod's VM runs outside ${parent}: ${JSON.stringify(bad)}`);
}

// Stops and removes whatever the failed run left behind; each call is a "cleanup" step.
async function cleanup() {
  interrupted = null; // the clean-up itself must be allowed to run
  const short = Math.min(opts.timeoutMs, 60000);
  for (const c of created) {
    if (!c.stopped)
      await step('StopContainer', () => call(runtime, 'StopContainer', { container_id: c.id, timeout: 0 }, short),
        { container: c.name, cleanup: true });
    if (!c.removed)
      await step('RemoveContainer', () => call(runtime, 'RemoveContainer', { container_id: c.id }, short),
        { container: c.name, cleanup: true });
  }
  if (podSandboxId && !podStopped)
    await step('StopPodSandbox', () => call(runtime, 'StopPodSandbox', { pod_sandbox_id: podSandboxId }, short), { cleanup: true });
  if (podSandboxId && !podRemoved)
    await step('RemovePodSandbox', () => call(runtime, 'RemovePodSandbox', { pod_sandbox_id: podSandboxId }, short), { cleanup: true });
}

(async () => {
  const started = performance.now();
  let exitCode = 0;
  try {
    await lifecycle();
    result.ok = true;
  } catch (error) {
    exitCode = 1;
    if (!result.failedStep) { result.failedStep = 'harness'; result.error = describe(error); }
    await cleanup();
  }
  result.containers = created.map((c) => ({
    name: c.name, id: c.id, bootId: c.bootId, pid: c.pid, cgroupsPath: c.cgroupsPath, hostCgroup: c.hostCgroup,
    states: c.states, exitCode: c.exitCode, reason: c.reason, logLine: c.logLine, logPath: c.logPath,
    imageRef: c.imageRef, stopped: c.stopped, removed: c.removed,
  }));
  result.totalMs = round(performance.now() - started);
  runtime.close();
  images.close();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n', () => process.exit(exitCode));
})();
