// The stats checks of cri-lifecycle.js: what kubelet's CRI stats provider and, through the summary API,
// metrics-server (kubectl top, the HPA) read from a runtime (result.stats):
//   - ContainerStats for every app container, twice, around some work in the last one (the "worker"): an
//     ExecSync that writes STATS_MIB MiB to /dev/shm (tmpfs pages stay charged to the container's memory
//     cgroup after the exec ends), CACHE_MIB MiB to a file in its writable layer (page cache on the
//     inactive file list, charged to the container but not part of its working set) and spins for about a
//     second under busybox time, which reports the CPU the spin used. Each answer must name the container
//     (attributes.id, metadata.name) and carry cpu.usage_core_nano_seconds > 0 and
//     memory.working_set_bytes > 0 (what metrics-server requires; it drops a container without them).
//     writable_layer is recorded (containerd fills it from a snapshot usage cache it refreshes every 10 s,
//     so zero is legal right after start) and, when present, must name the image file system's mount point;
//   - ListContainerStats filtered by the pod: exactly the app containers, each with CPU and memory;
//   - PodSandboxStats and ListPodSandboxStats (containerd 1.6.20 implements them: the pod's cgroup parent's
//     cgroup for CPU and memory, eth0 of the pod netns for network, the tasks' pids for the process count,
//     and ListContainerStats for its containers); Unimplemented is recorded, not a failure. When answered:
//     attributes.id is the pod, CPU and working set > 0, the listed containers are the app containers, the
//     process count is at least one per container, and with a pod network eth0's rx/tx bytes are > 0 (the
//     network checks ran traffic through it). Raw values are recorded;
//   - last, what kubelet derives from those numbers, every problem listed at once: cumulative CPU must not
//     decrease between calls; the worker's must grow by at least half the CPU time its spin reported; its
//     working set must be at least the MiB it put in /dev/shm, and leave out at least half the page cache
//     it wrote (containerd's working set is usage minus inactive_file, as kubelet and cAdvisor compute it;
//     checked only while usage still holds that cache); available_bytes must not be above 2^62 (containerd
//     reports 0 for a container without a limit and limit minus working set with one: a larger value is a
//     limit below the working set, e.g. a limit of 0 for "max", wrapped around); page_faults must be > 0
//     (any process that ran faulted its pages in).
// Nothing here depends on the runtime handler: a VM runtime passes when its shim's task metrics describe
// each container's own cgroup (in the guest) and Pids answers.
'use strict';
const { performance } = require('perf_hooks');

const round = (ms) => Math.round(ms * 10) / 10;
const STATS_MIB = 16;
const CACHE_MIB = 32;
const MIB = 1024 * 1024;

// uint64 wrappers arrive as {value: "<decimal string>"} (longs: String) or null when absent: a number, or
// the exact decimal string when it is above 2^53
const u64 = (w) => {
  if (!w || w.value === undefined || w.value === null) return null;
  const n = Number(w.value);
  return Number.isSafeInteger(n) ? n : String(w.value);
};

// the fields kubelet and metrics-server read, flattened; null where the runtime left them out
function flatContainer(s) {
  if (!s) return null;
  const a = s.attributes || {};
  return {
    id: a.id || null, name: a.metadata ? a.metadata.name : null,
    cpu: s.cpu ? { timestamp: Number(s.cpu.timestamp), usageCoreNanoSeconds: u64(s.cpu.usage_core_nano_seconds), usageNanoCores: u64(s.cpu.usage_nano_cores) } : null,
    memory: s.memory ? {
      timestamp: Number(s.memory.timestamp), workingSetBytes: u64(s.memory.working_set_bytes), availableBytes: u64(s.memory.available_bytes),
      usageBytes: u64(s.memory.usage_bytes), rssBytes: u64(s.memory.rss_bytes), pageFaults: u64(s.memory.page_faults), majorPageFaults: u64(s.memory.major_page_faults),
    } : null,
    writableLayer: s.writable_layer ? {
      timestamp: Number(s.writable_layer.timestamp), mountpoint: s.writable_layer.fs_id ? s.writable_layer.fs_id.mountpoint : null,
      usedBytes: u64(s.writable_layer.used_bytes), inodesUsed: u64(s.writable_layer.inodes_used),
    } : null,
  };
}

function flatPod(s) {
  if (!s) return null;
  const l = s.linux || {};
  const iface = l.network && l.network.default_interface;
  return {
    id: s.attributes ? s.attributes.id : null, name: s.attributes && s.attributes.metadata ? s.attributes.metadata.name : null,
    cpu: l.cpu ? { usageCoreNanoSeconds: u64(l.cpu.usage_core_nano_seconds), usageNanoCores: u64(l.cpu.usage_nano_cores) } : null,
    memory: l.memory ? { workingSetBytes: u64(l.memory.working_set_bytes), usageBytes: u64(l.memory.usage_bytes), rssBytes: u64(l.memory.rss_bytes) } : null,
    network: iface ? { name: iface.name, rxBytes: u64(iface.rx_bytes), txBytes: u64(iface.tx_bytes), rxErrors: u64(iface.rx_errors), txErrors: u64(iface.tx_errors) } : null,
    processCount: l.process ? u64(l.process.process_count) : null,
    containers: (l.containers || []).map(flatContainer),
  };
}

// what every container's stats must carry
function expectContainerStats(expect, what, c, s) {
  expect(s, `${what}: no stats`);
  expect(s.id === c.id, `${what}: attributes.id is ${JSON.stringify(s.id)}, not ${c.id}`);
  expect(s.name === c.name, `${what}: attributes.metadata.name is ${JSON.stringify(s.name)}, not ${c.name}`);
  expect(s.cpu && s.cpu.usageCoreNanoSeconds !== null, `${what}: no cpu.usage_core_nano_seconds (cpu: ${JSON.stringify(s.cpu)}): metrics-server drops a container without it`);
  expect(s.cpu.usageCoreNanoSeconds > 0, `${what}: cpu.usage_core_nano_seconds is ${s.cpu.usageCoreNanoSeconds}, not > 0 for a running container`);
  expect(s.memory && s.memory.workingSetBytes !== null, `${what}: no memory.working_set_bytes (memory: ${JSON.stringify(s.memory)}): metrics-server drops a container without it`);
  expect(s.memory.workingSetBytes > 0, `${what}: memory.working_set_bytes is ${s.memory.workingSetBytes}, not > 0 for a running container`);
  if (s.writableLayer) expect(s.writableLayer.mountpoint, `${what}: writable_layer without fs_id.mountpoint: ${JSON.stringify(s.writableLayer)}`);
}

// the fields of memory.stat (v1: the hierarchical total_ ones) that containerd's CRI stats read
function cgroupView(text) {
  const lines = text.split('\n').filter(Boolean);
  const version = lines.shift() || null;
  const kv = Object.fromEntries(lines.map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 2));
  const get = (name) => {
    const v = kv[version === 'v1' ? `total_${name}` : name];
    return v === undefined ? null : Number(v);
  };
  if (version !== 'v1' && version !== 'v2') return { version: null, raw: text.slice(0, 300) };
  return { version, inactiveFile: get('inactive_file'), activeFile: get('active_file'), shmem: get('shmem'),
    pgfault: get('pgfault'), pgmajfault: get('pgmajfault'), max: kv.max === undefined ? null : kv.max,
    // /dev/shm's mount in the container (source|type|options): tmpfs pages count as shmem, anything else
    // (a shared directory) as page cache
    shm: kv.shm === undefined ? null : kv.shm };
}

const isUnimplemented = (error) => error && error.grpc && error.grpc.codeName === 'UNIMPLEMENTED';

// ctx: {opts, step, expect, StepError, call(method, request), execIn(c, cmd), apps, podSandboxId, result}
async function checkStats(ctx) {
  const { step, expect, call, apps, podSandboxId } = ctx;
  const stats = ctx.result.stats = { mib: STATS_MIB, cacheMib: CACHE_MIB, worker: null, before: {}, work: null, after: {}, list: null, pod: null, podList: null };
  const worker = apps[apps.length - 1];
  stats.worker = worker.name;

  const containerStats = async (c, into) => {
    await step('ContainerStats', async () => {
      const r = await call('ContainerStats', { container_id: c.id });
      const s = into[c.name] = flatContainer(r.stats);
      expectContainerStats(expect, `ContainerStats of ${c.name}`, c, s);
    }, { container: c.name });
  };

  for (const c of apps) await containerStats(c, stats.before);

  // the work: tmpfs pages (charged to the container's memory cgroup until the file is removed) and about a
  // second of CPU, measured by the process itself (busybox time: user and system seconds on stderr)
  const spin = 'BEGIN { while ((getline u < "/proc/uptime") > 0) { close("/proc/uptime"); split(u, a, " "); ' +
    'if (t0 == "") t0 = a[1]; if (a[1] - t0 >= 1) break; n++ } print n }';
  const script = `dd if=/dev/zero of=/dev/shm/sandboxrt-stats bs=1M count=${STATS_MIB} 2>/dev/null || exit 10; ` +
    `dd if=/dev/zero of=/sandboxrt-cache bs=1M count=${CACHE_MIB} 2>/dev/null || exit 11; ` +
    `time -f 'cpu %U %S' awk '${spin}'`;
  const work = await ctx.execIn(worker, ['sh', '-c', script]);
  const m = /cpu (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)/.exec(work.stderr);
  stats.work = { cmd: script, iterations: Number(work.stdout.trim()) || null, cpuSeconds: m ? Number(m[1]) + Number(m[2]) : null, ms: work.ms };

  for (const c of apps) await containerStats(c, stats.after);

  // (recorded only, as evidence for the checks below) the worker's memory cgroup as the container itself
  // sees it: cgroup v2 (a VM's guest, a v2 host) or v1 (this harness's hybrid hosts under runc)
  const view = await ctx.execIn(worker, ['sh', '-c',
    'if [ -f /sys/fs/cgroup/memory.stat ]; then echo v2; cat /sys/fs/cgroup/memory.stat; echo "max $(cat /sys/fs/cgroup/memory.max)"; ' +
    'else echo v1; cat /sys/fs/cgroup/memory/memory.stat; echo "max $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; fi; ' +
    'echo "shm $(grep " /dev/shm " /proc/mounts | tail -n 1 | cut -d" " -f1,3,4 | tr " " "|")"'], { allowFailure: true });
  stats.cgroupView = cgroupView(view.stdout);

  await step('ListContainerStats', async () => {
    const r = await call('ListContainerStats', { filter: { pod_sandbox_id: podSandboxId } });
    const list = stats.list = r.stats.map(flatContainer);
    const ids = list.map((s) => s.id).sort();
    const want = apps.map((c) => c.id).sort();
    expect(JSON.stringify(ids) === JSON.stringify(want), `ListContainerStats for the pod listed ${JSON.stringify(ids)}, the pod's containers are ${JSON.stringify(want)}`);
    for (const c of apps) {
      const s = list.find((x) => x.id === c.id);
      expectContainerStats(expect, `ListContainerStats entry of ${c.name}`, c, s);
    }
  });

  // pod-level stats: kubelet's CRI stats provider (PodAndContainerStatsFromCRI) reads these when on
  const podChecks = (what, p) => {
    expect(p, `${what}: no stats`);
    expect(p.id === podSandboxId, `${what}: attributes.id is ${JSON.stringify(p.id)}, not the pod ${podSandboxId}`);
    expect(p.cpu && p.cpu.usageCoreNanoSeconds > 0, `${what}: cpu.usage_core_nano_seconds is ${JSON.stringify(p.cpu)}, not > 0`);
    expect(p.memory && p.memory.workingSetBytes > 0, `${what}: memory.working_set_bytes is ${JSON.stringify(p.memory)}, not > 0`);
    const ids = p.containers.map((s) => s.id).sort();
    const want = apps.map((c) => c.id).sort();
    expect(JSON.stringify(ids) === JSON.stringify(want), `${what}: lists containers ${JSON.stringify(ids)}, the pod's are ${JSON.stringify(want)}`);
    for (const c of apps) expectContainerStats(expect, `${what}, container ${c.name}`, c, p.containers.find((x) => x.id === c.id));
    expect(p.processCount !== null && p.processCount >= apps.length, `${what}: process.process_count is ${p.processCount}, fewer than the ${apps.length} running containers`);
    if (ctx.opts.peerNetns) {
      expect(p.network && p.network.name === 'eth0', `${what}: no eth0 network usage for a pod with its own network namespace: ${JSON.stringify(p.network)}`);
      expect(p.network.rxBytes > 0 && p.network.txBytes > 0, `${what}: eth0 rx/tx bytes ${p.network.rxBytes}/${p.network.txBytes} after the network checks sent traffic both ways`);
    }
  };
  stats.pod = { implemented: null };
  await step('PodSandboxStats', async () => {
    let r;
    try { r = await call('PodSandboxStats', { pod_sandbox_id: podSandboxId }); } catch (error) {
      if (!isUnimplemented(error)) throw error;
      stats.pod = { implemented: false, error: error.grpc };
      return;
    }
    stats.pod = { implemented: true, ...flatPod(r.stats) };
    podChecks('PodSandboxStats', stats.pod);
  });
  stats.podList = { implemented: null };
  await step('ListPodSandboxStats', async () => {
    let r;
    try { r = await call('ListPodSandboxStats', { filter: { id: podSandboxId } }); } catch (error) {
      if (!isUnimplemented(error)) throw error;
      stats.podList = { implemented: false, error: error.grpc };
      return;
    }
    const items = r.stats.map(flatPod);
    stats.podList = { implemented: true, count: items.length, ids: items.map((p) => p.id) };
    expect(items.length === 1, `ListPodSandboxStats filtered by the pod's id listed ${items.length} pods: ${JSON.stringify(stats.podList.ids)}`);
    podChecks('ListPodSandboxStats', items[0]);
  });

  await step('ContainerStats', async () => {
    // every problem found, by kind: the same problem in several samples is reported once, with a count
    const problems = new Map();
    const problem = (kind, text) => { if (!problems.has(kind)) problems.set(kind, []); problems.get(kind).push(text); };
    const samples = [...Object.values(stats.before), ...Object.values(stats.after), ...stats.list];
    for (const c of apps) {
      const seq = [stats.before[c.name], stats.after[c.name], stats.list.find((x) => x.id === c.id)].map((s) => s.cpu.usageCoreNanoSeconds);
      if (!(seq[0] <= seq[1] && seq[1] <= seq[2])) problem('cpu', `cpu.usage_core_nano_seconds of ${c.name} went down between calls: ${seq.join(', ')}`);
    }
    const w = { before: stats.before[worker.name], after: stats.after[worker.name] };
    const delta = stats.workerCpuDeltaNs = w.after.cpu.usageCoreNanoSeconds - w.before.cpu.usageCoreNanoSeconds;
    if (stats.work.cpuSeconds === null) problem('spin', `busybox time reported no CPU time for the spin: stderr ${JSON.stringify(work.stderr)}`);
    else if (!(delta >= stats.work.cpuSeconds * 1e9 / 2))
      problem('spin', `cpu.usage_core_nano_seconds of ${worker.name} grew by ${delta} ns over an exec whose spin used ${stats.work.cpuSeconds} s of CPU by its own count: the exec's CPU is not in the container's stats`);
    const m = w.after.memory;
    if (!(m.workingSetBytes >= STATS_MIB * MIB))
      problem('shm', `memory.working_set_bytes of ${worker.name} is ${m.workingSetBytes} (${(m.workingSetBytes / MIB).toFixed(1)} MiB) after it put ${STATS_MIB} MiB in /dev/shm (before: ${w.before.memory.workingSetBytes}; /dev/shm is ${stats.cgroupView.shm}, the container's memory.stat says shmem ${stats.cgroupView.shmem})`);
    // page cache written by the worker: in usage, not in the working set (checked while usage holds it)
    const cacheHeld = typeof m.usageBytes === 'number' && m.usageBytes >= (STATS_MIB + CACHE_MIB) * MIB;
    stats.pageCache = { usageBytes: m.usageBytes, workingSetBytes: m.workingSetBytes, outsideWorkingSet: typeof m.usageBytes === 'number' ? m.usageBytes - m.workingSetBytes : null, checked: cacheHeld };
    if (cacheHeld && !(m.usageBytes - m.workingSetBytes >= CACHE_MIB * MIB / 2))
      problem('cache', `memory.working_set_bytes of ${worker.name} is ${m.workingSetBytes} with usage_bytes ${m.usageBytes}: the ${CACHE_MIB} MiB of page cache it wrote count as working set ` +
        `(${((m.usageBytes - m.workingSetBytes) / MIB).toFixed(1)} MiB left out; containerd's working set is usage - inactive_file, and the container's own memory.stat says inactive_file ${stats.cgroupView.inactiveFile})`);
    for (const s of samples) {
      const available = s.memory.availableBytes;
      if (available !== null && Number(available) > 2 ** 62)
        problem('available', `memory.available_bytes of ${s.name} is ${available} = 2^64 - ${(2n ** 64n - BigInt(available)).toString()}: containerd subtracted the working set ${s.memory.workingSetBytes} from a memory limit below it and it wrapped around (the worker's own memory limit reads ${JSON.stringify(stats.cgroupView.max)}; containerd takes a limit above 2^62 as none)`);
      if (!(s.memory.pageFaults > 0))
        problem('faults', `memory.page_faults of ${s.name} is ${s.memory.pageFaults} (major ${s.memory.majorPageFaults}): a container whose processes ran has faulted pages in (the worker's own memory.stat says pgfault ${stats.cgroupView.pgfault})`);
    }
    stats.problems = Object.fromEntries(problems);
    expect(problems.size === 0, [...problems.values()].map((list) => list.length > 1 ? `${list[0]} (and ${list.length - 1} more like it)` : list[0]).join('; '));
  }, { container: worker.name, check: 'what kubelet derives: cpu grows, working set, available bytes, page faults' });
}

module.exports = { checkStats, STATS_MIB, CACHE_MIB, flatContainer, flatPod, round };
