// The pod-networking checks of cri-lifecycle.js (--peer-netns): a pod with its own network namespace,
// set up by a CNI plugin (ptp: a veth pair whose host side lives in the "peer" network namespace, the one
// the runtime runs in), seen from three places that must agree:
//   - the runtime (PodSandboxStatus: status.network.ip);
//   - the pod network namespace seen from the host (nsenter --net=<path of the sandbox's network
//     namespace, from the sandbox's generated OCI spec>: ip -j addr/route of eth0);
//   - the containers themselves (ExecSync: busybox ip, /sys/class/net/eth0/{address,mtu}, ip route,
//     /etc/hostname, /etc/resolv.conf, /etc/hosts);
// and traffic both ways between the peer namespace and the pod: busybox wget from the peer namespace to
// an httpd in the pod (app-0), and wget in every app container to an httpd the harness runs in the peer
// namespace, through the pod's default gateway. Then kubectl port-forward's path: the CRI PortForward call
// for app-0's httpd port returns a streaming URL, which port-forward.js (a websocket client of its own,
// websocket-client.js) opens from the peer namespace, where containerd and so its streaming server on
// 127.0.0.1 run (the namespace that plays the node); containerd dials localhost:<port> inside the pod's
// network namespace, and the HTTP GET sent on the data channel must bring back app-0's token, with nothing
// on the error channel (result.network.portForward). Nothing here depends on the runtime handler: a VM
// runtime passes when its guest's eth0 carries the pod netns's eth0 MAC, IPv4 address/prefix and MTU,
// routes through the same gateway, forwards the traffic, and answers on localhost:<port> of the pod's
// network namespace for what listens in the guest.
//
// Only addresses inside namespaces the harness created are contacted (the pod IP from the peer
// namespace, the peer's gateway address from the pod); the pod's DNS server is never contacted.
'use strict';
const { execFile } = require('child_process');
const path = require('path');
const { performance } = require('perf_hooks');
const { parseHttpResponse, PORT_FORWARD_PROTOCOL } = require('./port-forward');

const round = (ms) => Math.round(ms * 10) / 10;

// the port and a per-run token of the httpd that app-0 runs; the container's command
const POD_PORT = 8080;

function podHttpdScript(token) {
  // sh stays the pid namespace's init so that SIGTERM ends the container with exit code 0 (httpd as init
  // would ignore it); "ready" only after httpd was started
  return "trap 'exit 0' TERM; mkdir -p /www && echo " + token + " > /www/index.html || exit 1; " +
    `httpd -f -p ${POD_PORT} -h /www & echo ready; wait`;
}

// port-forward.js's exchange, run inside the peer namespace (where containerd, and so its streaming
// server on 127.0.0.1, runs: the namespace that plays the node); resolves its outcome (data as a Buffer),
// or {spawnError} when it printed none. Bounded by timeoutMs plus 5 s; on SIGINT/SIGTERM of this client
// the helper is told to stop (SIGTERM) and still reports what it got.
function portForwardFromPeer(opts, url, port, request, timeoutMs, interrupted) {
  const args = [`--net=${opts.peerNetns}`, process.execPath, path.join(__dirname, 'port-forward.js'),
    url, String(port), String(timeoutMs), request.toString('base64')];
  return new Promise((resolve) => {
    const child = execFile('nsenter', args, { timeout: timeoutMs + 5000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        clearInterval(poll);
        let x;
        try { x = JSON.parse(stdout); } catch {
          const how = error ? (error.killed ? `killed (${error.signal})` : `exit ${error.code}`) : 'exit 0';
          resolve({ spawnError: `nsenter --net=${opts.peerNetns} node port-forward.js: ${how}, no JSON: ${(stderr || stdout).trim().slice(0, 500)}` });
          return;
        }
        resolve({ ...x, data: Buffer.from(x.data, 'base64') });
      });
    // (only to pass SIGINT/SIGTERM on: the helper's own deadline and the socket's events drive the rest)
    const poll = setInterval(() => { if (interrupted()) { child.kill('SIGTERM'); clearInterval(poll); } }, 100);
  });
}

// IPv4 CIDR helpers
function ipToInt(ip) {
  const p = String(ip).split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return null;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function inCidr(ip, cidr) {
  const [base, bits] = cidr.split('/');
  const a = ipToInt(ip);
  const b = ipToInt(base);
  const n = Number(bits);
  if (a === null || b === null || !(n >= 0 && n <= 32)) return false;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

// runs a host command; resolves {stdout, stderr, code, ms} whatever the exit status
function run(file, args, timeoutMs = 15000) {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : (error.killed ? `killed (${error.signal})` : String(error.code || error.message));
      resolve({ stdout, stderr, code, ms: round(performance.now() - started) });
    });
  });
}

// eth0 of the network namespace at netnsPath, as the host's iproute2 sees it
async function hostView(netnsPath, StepError) {
  const addr = await run('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'addr', 'show', 'dev', 'eth0']);
  if (addr.code !== 0) throw new StepError(`nsenter --net=${netnsPath} ip -j addr show dev eth0: exit ${addr.code}: ${addr.stderr.trim()}`);
  let link;
  try { [link] = JSON.parse(addr.stdout); } catch (e) { throw new StepError(`ip -j addr: not JSON: ${addr.stdout.slice(0, 200)}`); }
  if (!link) throw new StepError(`the pod network namespace ${netnsPath} has no eth0`);
  const inet = (link.addr_info || []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  const routes = await run('nsenter', [`--net=${netnsPath}`, 'ip', '-j', '-4', 'route', 'show']);
  let table = [];
  try { table = JSON.parse(routes.stdout); } catch { table = []; }
  const def = table.find((r) => r.dst === 'default');
  const links = await run('nsenter', [`--net=${netnsPath}`, 'ip', '-o', 'link', 'show']);
  return {
    mac: String(link.address || '').toLowerCase(), mtu: link.mtu, inet, operstate: link.operstate,
    gateway: def ? def.gateway : null, routes: routes.stdout.trim() ? table.map((r) => `${r.dst}${r.gateway ? ' via ' + r.gateway : ''} dev ${r.dev}`) : [],
    links: links.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().split('@')[0]),
  };
}

// inet addresses of the peer (harness) network namespace
async function peerAddresses(peerNetns, StepError) {
  const r = await run('nsenter', [`--net=${peerNetns}`, 'ip', '-j', '-4', 'addr', 'show']);
  if (r.code !== 0) throw new StepError(`nsenter --net=${peerNetns} ip -j addr show: exit ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout).flatMap((l) => (l.addr_info || []).map((a) => ({ dev: l.ifname, local: a.local, prefixlen: a.prefixlen })));
}

// busybox ip -o addr show eth0: "2: eth0    inet 10.88.7.2/24 brd 10.88.7.255 scope global eth0\ ..."
function parseInet(text) {
  return [...text.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((m) => m[1]);
}

// Runs every network check as its own step. ctx: {opts, step, expect, StepError, execIn(c, cmd, want),
// portForward(ports) (the CRI PortForward call for the pod), sandbox: {podIp, netnsPath}, apps: [{name,
// id}], token, peerToken, result, interrupted()}
async function checkPodNetwork(ctx) {
  const { opts, step, expect, StepError, execIn, apps, result } = ctx;
  const net = {
    podIp: ctx.sandbox.podIp, podCidr: opts.podCidr, netnsPath: ctx.sandbox.netnsPath, peerNetns: opts.peerNetns,
    podToken: ctx.token, hostView: null, gateway: null, containers: [], peerToPod: null, portForward: null,
    podToPeer: [], files: null,
  };
  result.network = net;

  await step('PodNetwork', async () => {
    expect(net.podIp, 'PodSandboxStatus gave no pod IP (status.network.ip) for a pod with its own network namespace');
    expect(!opts.podCidr || inCidr(net.podIp, opts.podCidr), `pod IP ${net.podIp} is not in the CNI subnet ${opts.podCidr}`);
    expect(net.netnsPath, 'the sandbox\'s generated OCI spec (verbose PodSandboxStatus info.runtimeSpec) names no network namespace path');
    const v = await hostView(net.netnsPath, StepError);
    net.hostView = v;
    expect(v.inet.some((a) => a.split('/')[0] === net.podIp),
      `the pod netns's eth0 (seen from the host) has ${JSON.stringify(v.inet)}, not the pod IP ${net.podIp}`);
    expect(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(v.mac), `the pod netns's eth0 has no MAC address (${JSON.stringify(v.mac)})`);
    expect(!opts.cniMtu || v.mtu === opts.cniMtu, `the pod netns's eth0 has MTU ${v.mtu}, not the CNI configuration's ${opts.cniMtu}`);
    expect(v.gateway, `the pod netns has no default route (routes: ${JSON.stringify(v.routes)})`);
    net.gateway = v.gateway;
    // the gateway is the host side of the ptp pair: an address of the peer namespace
    const peer = await peerAddresses(opts.peerNetns, StepError);
    net.peerAddresses = peer;
    expect(peer.some((a) => a.local === v.gateway && a.dev !== 'lo'),
      `the pod's gateway ${v.gateway} is not an address of the peer namespace ${opts.peerNetns} (it has ${JSON.stringify(peer)})`);
  }, { check: 'host view of the pod netns' });

  // every app container sees the pod netns's eth0: same MAC, IPv4 address/prefix, MTU, default gateway
  for (const c of apps) {
    const seen = { name: c.name };
    const addr = await execIn(c, ['ip', '-o', 'addr', 'show', 'eth0']);
    seen.inet = parseInet(addr.stdout);
    await step('PodNetwork', async () => {
      expect(seen.inet.includes(`${net.podIp}/${prefixOf(net.hostView, net.podIp)}`),
        `eth0 in ${c.name} has ${JSON.stringify(seen.inet)} (ip -o addr: ${JSON.stringify(addr.stdout.trim())}); the pod netns's eth0 has ${JSON.stringify(net.hostView.inet)}, PodSandboxStatus says ${net.podIp}`);
      expect(JSON.stringify([...seen.inet].sort()) === JSON.stringify([...net.hostView.inet].sort()),
        `eth0 in ${c.name} has IPv4 ${JSON.stringify(seen.inet)}, the pod netns's eth0 ${JSON.stringify(net.hostView.inet)}`);
    }, { container: c.name, check: 'eth0 address' });
    seen.mac = (await execIn(c, ['cat', '/sys/class/net/eth0/address'])).stdout.trim().toLowerCase();
    seen.mtu = Number((await execIn(c, ['cat', '/sys/class/net/eth0/mtu'])).stdout.trim());
    const route = await execIn(c, ['ip', 'route']);
    const m = /^default via (\S+)/m.exec(route.stdout);
    seen.gateway = m ? m[1] : null;
    net.containers.push(seen);
    await step('PodNetwork', async () => {
      expect(seen.mac === net.hostView.mac, `eth0 in ${c.name} has MAC ${seen.mac}, the pod netns's eth0 ${net.hostView.mac}`);
      expect(seen.mtu === net.hostView.mtu, `eth0 in ${c.name} has MTU ${seen.mtu}, the pod netns's eth0 ${net.hostView.mtu}`);
      expect(seen.gateway === net.gateway,
        `${c.name}'s default route is via ${seen.gateway} (ip route: ${JSON.stringify(route.stdout.trim())}), the pod netns's via ${net.gateway}`);
    }, { container: c.name, check: 'eth0 MAC, MTU, gateway' });
  }

  // peer namespace -> pod: app-0's httpd answers with its token (retried while httpd starts)
  await step('PeerToPod', async () => {
    const url = `http://${net.podIp}:${POD_PORT}/`;
    const until = Date.now() + opts.httpWaitMs;
    const started = performance.now();
    let r;
    let attempts = 0;
    for (;;) {
      attempts++;
      // (no -T: Debian's busybox 1.35 wget segfaults with it; run's own 5 s deadline instead)
      r = await run('nsenter', [`--net=${opts.peerNetns}`, opts.busybox, 'wget', '-q', '-O', '-', url], 5000);
      if (r.code === 0 || Date.now() > until || ctx.interrupted()) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    net.peerToPod = { url, attempts, ms: round(performance.now() - started), stdout: r.stdout, exitCode: r.code, stderr: r.stderr.trim() };
    expect(r.code === 0, `wget ${url} from the peer namespace ${opts.peerNetns} failed after ${attempts} attempt(s) in ${net.peerToPod.ms} ms: exit ${r.code}: ${r.stderr.trim()}`);
    expect(r.stdout === ctx.token + '\n', `wget ${url} from the peer namespace returned ${JSON.stringify(r.stdout.slice(0, 200))}, not app-0's token ${ctx.token}`);
  }, { container: apps[0].name, check: `peer -> pod:${POD_PORT}` });

  // the runtime's PortForward (kubectl port-forward's path through kubelet): the streaming server's
  // websocket reaches app-0's httpd on localhost inside the pod and brings its token back; one attempt
  // (the URL is single-use, and the step above proved httpd listens)
  await step('PortForward', async () => {
    const port = opts.portForwardPort || POD_PORT;
    const timeoutMs = Math.min(opts.timeoutMs, 30000);
    const pf = { port, url: null, protocol: null, ok: false, bytes: 0, ms: null, error: null };
    net.portForward = pf;
    const started = performance.now();
    try {
      const r = await ctx.portForward([port]);
      pf.url = r.url || null;
      expect(pf.url, `PortForward for port ${port} returned no url`);
      let target;
      try { target = new URL(pf.url); } catch { throw new StepError(`PortForward returned a URL that does not parse: ${JSON.stringify(pf.url)}`); }
      expect(target.protocol === 'http:', `PortForward returned ${pf.url}: only http:// streaming URLs are supported here`);
      target.searchParams.set('port', String(port));
      // (the HTTP request the peer's wget makes of the same httpd, as HTTP/1.0: httpd closes after answering)
      const request = Buffer.from('GET / HTTP/1.0\r\n\r\n');
      // from the peer namespace, where the streaming server listens
      const x = await portForwardFromPeer(opts, target.toString(), port, request, timeoutMs, ctx.interrupted);
      expect(!x.spawnError, `port forward to ${apps[0].name}'s port ${port} (${pf.url}): ${x.spawnError}`);
      const response = parseHttpResponse(x.data);
      Object.assign(pf, {
        protocol: x.protocol, handshakeStatus: x.handshakeStatus, portHeaders: x.portHeaders, requestSent: x.requestSent,
        bytes: x.data.length, messages: x.messages, frames: x.frames, statusLine: response.statusLine, body: response.body,
        responseComplete: response.complete, errorChannel: x.errorText,
        close: x.close ? { code: x.close.code, reason: x.close.reason, by: x.close.by, error: x.close.error || null } : null,
        timedOut: x.timedOut, ms: round(performance.now() - started),
      });
      const what = `port forward to ${apps[0].name}'s port ${port} (${pf.url})`;
      expect(!x.handshakeError, `${what}: ${x.handshakeError}`);
      expect(x.protocol === PORT_FORWARD_PROTOCOL, `${what}: the server selected subprotocol ${JSON.stringify(x.protocol)}, not ${PORT_FORWARD_PROTOCOL}`);
      expect(!x.interrupted, `${what}: interrupted`);
      expect(!x.errorText, `${what}: the error channel says: ${x.errorText.trim()}`);
      const seen = `${pf.bytes} bytes on the data channel, response ${response.complete ? 'complete' : 'incomplete'}: ${JSON.stringify(x.data.toString('utf8').slice(0, 300))}`;
      expect(!x.timedOut, `${what}: the streaming server did not close the websocket within ${timeoutMs} ms (${x.requestSent ? 'request sent' : 'the data channel never announced the port, request not sent'}; ${seen})`);
      expect(!x.sendError, `${what}: sending the request failed: ${x.sendError}`);
      expect(x.unknownChannels.length === 0, `${what}: messages on channels other than 0 and 1: ${JSON.stringify(x.unknownChannels)}`);
      expect(x.textMessages === 0, `${what}: ${x.textMessages} text message(s) under the binary subprotocol`);
      expect(x.portHeaders.data === port && x.portHeaders.error === port,
        `${what}: the server announced port ${x.portHeaders.data} on the data channel and ${x.portHeaders.error} on the error channel, not ${port} (closed: ${JSON.stringify(pf.close)})`);
      expect(response.status === 200, `${what}: no HTTP 200 from httpd (${seen}; closed: ${JSON.stringify(pf.close)})`);
      expect(response.body === ctx.token + '\n', `${what}: httpd answered ${JSON.stringify((response.body || '').slice(0, 200))}, not app-0's token ${ctx.token}`);
      expect(response.complete, `${what}: the response is shorter than its Content-Length ${response.headers['content-length']} (${seen})`);
      pf.ok = true;
    } catch (error) {
      pf.error = error.message;
      if (pf.ms === null) pf.ms = round(performance.now() - started);
      throw error;
    }
  }, { container: apps[0].name, check: `port forward :${opts.portForwardPort || POD_PORT}` });

  // pod -> peer namespace: every app container fetches the peer's token through the pod's gateway
  for (const c of apps) {
    const url = `http://${net.gateway}:${opts.peerPort}/`;
    const started = performance.now();
    // (busybox's timeout applet bounds it: Debian's busybox 1.35 wget segfaults with -T)
    const r = await execIn(c, ['timeout', '10', 'wget', '-q', '-O', '-', url], { allowFailure: true });
    const entry = { container: c.name, url, ms: round(performance.now() - started), stdout: r.stdout, exitCode: r.exitCode, stderr: r.stderr.trim() };
    net.podToPeer.push(entry);
    await step('PodToPeer', async () => {
      expect(r.exitCode === 0, `wget ${url} in ${c.name} failed: exit ${r.exitCode}: ${r.stderr.trim()}`);
      expect(r.stdout === ctx.peerToken + '\n', `wget ${url} in ${c.name} returned ${JSON.stringify(r.stdout.slice(0, 200))}, not the peer's token ${ctx.peerToken}`);
    }, { container: c.name, check: `pod -> peer ${net.gateway}:${opts.peerPort}` });
  }

  // the pod's files: /etc/hostname and hostname are the PodSandboxConfig's hostname, /etc/resolv.conf
  // carries its dns_config, /etc/hosts names localhost; the same in every container
  const files = [];
  for (const c of apps) {
    const f = { name: c.name };
    f.hostname = (await execIn(c, ['cat', '/etc/hostname'])).stdout;
    f.uname = (await execIn(c, ['hostname'])).stdout;
    f.resolvConf = (await execIn(c, ['cat', '/etc/resolv.conf'])).stdout;
    f.hosts = (await execIn(c, ['cat', '/etc/hosts'])).stdout;
    files.push(f);
    await step('PodFiles', async () => {
      expect(f.hostname === ctx.hostname + '\n', `/etc/hostname in ${c.name} is ${JSON.stringify(f.hostname)}, not the pod's hostname ${JSON.stringify(ctx.hostname)}`);
      expect(f.uname === ctx.hostname + '\n', `hostname in ${c.name} prints ${JSON.stringify(f.uname)}, not the pod's hostname ${JSON.stringify(ctx.hostname)}`);
      const lines = f.resolvConf.split('\n').map((l) => l.trim());
      for (const server of ctx.dns.servers)
        expect(lines.includes(`nameserver ${server}`), `/etc/resolv.conf in ${c.name} has no "nameserver ${server}": ${JSON.stringify(f.resolvConf)}`);
      for (const search of ctx.dns.searches)
        expect(lines.some((l) => /^search\s/.test(l) && l.split(/\s+/).includes(search)), `/etc/resolv.conf in ${c.name} does not search ${search}: ${JSON.stringify(f.resolvConf)}`);
      for (const option of ctx.dns.options)
        expect(lines.some((l) => /^options\s/.test(l) && l.split(/\s+/).includes(option)), `/etc/resolv.conf in ${c.name} has no option ${option}: ${JSON.stringify(f.resolvConf)}`);
      expect(/^\s*(127\.0\.0\.1|::1)\s+(\S+\s+)*localhost(\s|$)/m.test(f.hosts), `/etc/hosts in ${c.name} does not map localhost: ${JSON.stringify(f.hosts)}`);
      for (const key of ['hostname', 'resolvConf', 'hosts'])
        expect(f[key] === files[0][key], `${key} differs between ${files[0].name} and ${c.name}: ${JSON.stringify(files[0][key])} vs ${JSON.stringify(f[key])}`);
    }, { container: c.name, check: 'hostname, resolv.conf, hosts' });
  }
  net.files = files[0];
}

function prefixOf(view, ip) {
  const a = view.inet.find((x) => x.split('/')[0] === ip);
  return a ? a.split('/')[1] : '?';
}

module.exports = { checkPodNetwork, podHttpdScript, POD_PORT, inCidr };
