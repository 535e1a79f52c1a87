// The streaming checks of cri-lifecycle.js: kubectl exec and kubectl attach the way kubelet reaches a CRI
// runtime. The CRI Exec/Attach call returns a single-use URL of the runtime's streaming server
// (containerd's, on 127.0.0.1 of the network namespace containerd runs in); remote-command.js opens it as
// a websocket with subprotocol v4.channel.k8s.io, from that namespace (the host's, or with --peer-netns the
// harness's peer namespace, entered with nsenter --net), and plays stdin/resize while collecting stdout,
// stderr and the error channel's status (result.streaming):
//   - exec, no tty: `read line; echo "out:$line"; echo err >&2; exit 3` with a per-run token sent on stdin:
//     stdout must be "out:<token>", stderr "err", and the error channel a Status with reason
//     NonZeroExitCode and cause ExitCode 3: stdin, both output streams and the exit code all travel;
//   - exec, exit 0 and two stdin messages: `read a; read b; echo "$b-$a"` must print "<b>-<a>" in order and
//     end with status Success;
//   - exec without stdin of `seq 1 100000` (588895 bytes): every byte in order, then status Success;
//   - exec of `head -c 262144 | md5sum` with 256 KiB of random bytes sent on stdin in 8 messages: the
//     digest of what was sent, status Success;
//   - exec of a shell that kills itself with SIGKILL after one line: the line, then ExitCode 137;
//   - exec with a tty (stderr off, as the CRI requires): a resize to 100x30 is sent on channel 4 as soon as
//     the websocket is up; the command polls `stty size` (at most 5 s) until it reads "30 100", then prints
//     it and `tty` (a /dev/pts/N); status Success. A resize that never reaches the process's terminal
//     fails with the size it saw;
//   - v5.channel.k8s.io offered alone: recorded only (containerd 1.6's streaming server speaks v4 at most
//     and refuses the handshake; the exec never starts);
//   - attach: a container created with stdin open (stdin: true, stdin_once: false) echoes each stdin line as
//     "attach:<line>"; Attach, send a per-run token line, wait for its echo on stdout, send a second line,
//     wait for its echo (the session is still up after the first), close; nothing on the error channel
//     before the close (a Success status racing it is legal); the echoes must also be in the container's log
//     (containerd copies the same stdout there).
// Nothing here depends on the runtime handler: a runtime passes when an exec's stdin, stdout, stderr,
// terminal and exit code, and a running container's stdin and stdout, reach the process and come back.
'use strict';
const { execFile } = require('child_process');
const crypto = require('crypto');
const path = require('path');
const { performance } = require('perf_hooks');
const { REMOTE_COMMAND_PROTOCOL, CHANNELS } = require('./remote-command');

const round = (ms) => Math.round(ms * 10) / 10;

// remote-command.js's exchange where the streaming server is reachable; resolves its outcome (channels
// as utf8 text), or {spawnError} when it printed none. Bounded by timeoutMs plus 5 s; on SIGINT/SIGTERM of
// this client the helper is told to stop (SIGTERM) and still reports what it got.
function remoteCommand(opts, url, spec, interrupted) {
  const helper = [process.execPath, path.join(__dirname, 'remote-command.js'), url];
  const [file, args] = opts.peerNetns ? ['nsenter', [`--net=${opts.peerNetns}`, ...helper]] : [helper[0], helper.slice(1)];
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: spec.timeoutMs + 5000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        clearInterval(poll);
        let x;
        try { x = JSON.parse(stdout); } catch {
          const how = error ? (error.killed ? `killed (${error.signal})` : `exit ${error.code}`) : 'exit 0';
          resolve({ spawnError: `${file} ${opts.peerNetns ? args.slice(0, 2).join(' ') : args[0]}: ${how}, no JSON: ${(stderr || stdout).trim().slice(0, 500)}` });
          return;
        }
        const text = Object.fromEntries(Object.entries(x.channels).map(([n, b]) => [n, Buffer.from(b, 'base64').toString('utf8')]));
        resolve({ ...x, text });
      });
    // the spec on the helper's stdin (an argument is limited to 128 KiB)
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(spec));
    const poll = setInterval(() => { if (interrupted()) { child.kill('SIGTERM'); clearInterval(poll); } }, 100);
  });
}

// the error channel's metav1.Status, parsed (null when empty, {unparsed} when not JSON)
function parseStatus(text) {
  if (!text) return null;
  try { return JSON.parse(text); } catch { return { unparsed: text }; }
}

function exitCodeOf(status) {
  if (!status || status.status !== 'Failure' || status.reason !== 'NonZeroExitCode') return null;
  const cause = ((status.details && status.details.causes) || []).find((c) => c.reason === 'ExitCode');
  return cause ? Number(cause.message) : null;
}

// one exchange's record for result.streaming: what was asked, what came back on each channel
function record(kind, request, url, x, started) {
  return {
    kind, cmd: request.cmd || null, tty: Boolean(request.tty), url,
    protocol: x.protocol || null, handshakeStatus: x.handshakeStatus === undefined ? null : x.handshakeStatus,
    handshakeError: x.handshakeError || x.spawnError || null, firstMessage: x.firstMessage || null, sent: x.sent || [],
    stdout: x.text ? (x.text[CHANNELS.stdout] || '') : null, stderr: x.text ? (x.text[CHANNELS.stderr] || '') : null,
    errorChannel: x.text ? (x.text[CHANNELS.error] || '') : null, status: x.text ? parseStatus(x.text[CHANNELS.error]) : null,
    unknownChannels: x.unknownChannels || [], textMessages: x.textMessages || 0, untilMet: Boolean(x.untilMet),
    bytesAtUntil: x.bytesAtUntil || null,
    close: x.close ? { code: x.close.code, reason: x.close.reason, by: x.close.by, error: x.close.error || null } : null,
    timedOut: Boolean(x.timedOut), interrupted: Boolean(x.interrupted), sendError: x.sendError || null,
    ms: round(performance.now() - started),
  };
}

// The websocket came up under v4 and the exchange ended the way it should; what every check requires
function expectExchange(expect, what, r) {
  expect(!r.handshakeError, `${what}: ${r.handshakeError}`);
  expect(r.protocol === REMOTE_COMMAND_PROTOCOL, `${what}: the server selected subprotocol ${JSON.stringify(r.protocol)}, not ${REMOTE_COMMAND_PROTOCOL}`);
  expect(!r.interrupted, `${what}: interrupted`);
  expect(!r.sendError, `${what}: sending failed: ${r.sendError}`);
  expect(r.firstMessage, `${what}: the server never wrote a message (no "connection is up" signal; closed: ${JSON.stringify(r.close)})`);
  expect(!r.timedOut, `${what}: not finished after the deadline (stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}, error channel ${JSON.stringify(r.errorChannel)})`);
  expect(r.unknownChannels.length === 0, `${what}: messages on unknown channels ${JSON.stringify(r.unknownChannels)}`);
  expect(r.textMessages === 0, `${what}: ${r.textMessages} text message(s) under the binary subprotocol`);
}

// ctx: {opts, step, expect, StepError, call(method, request), apps, result, interrupted()}
async function checkExec(ctx) {
  const { opts, step, expect, call, apps } = ctx;
  const streaming = ctx.result.streaming = ctx.result.streaming || {};
  streaming.exec = [];
  const target = apps[0];
  const timeoutMs = Math.min(opts.timeoutMs, 30000);
  const token = `stdin-${crypto.randomBytes(6).toString('hex')}`;

  // one Exec call and its exchange; the record goes into result.streaming.exec before any check runs
  const exchange = async (name, request, spec) => {
    const started = performance.now();
    const r = await call('Exec', { container_id: target.id, ...request });
    expect(r.url, `${name}: Exec returned no url`);
    let u;
    try { u = new URL(r.url); } catch { throw new ctx.StepError(`${name}: Exec returned a URL that does not parse: ${JSON.stringify(r.url)}`); }
    expect(u.protocol === 'http:', `${name}: Exec returned ${r.url}: only http:// streaming URLs are supported here`);
    const x = await remoteCommand(opts, r.url, { timeoutMs, until: 'close', ...spec }, ctx.interrupted);
    const rec = { name, ...record('exec', request, r.url, x, started) };
    streaming.exec.push(rec);
    return rec;
  };

  await step('Exec', async () => {
    const cmd = ['sh', '-c', 'read line; echo "out:$line"; echo err >&2; exit 3'];
    const r = await exchange('stdin-stdout-stderr-exit3', { cmd, stdin: true, stdout: true, stderr: true, tty: false },
      { protocols: [REMOTE_COMMAND_PROTOCOL], stdin: [Buffer.from(token + '\n').toString('base64')] });
    const what = `exec ${JSON.stringify(cmd.join(' '))} in ${target.name} (${r.url})`;
    expectExchange(expect, what, r);
    expect(r.stdout === `out:${token}\n`, `${what}: stdout ${JSON.stringify(r.stdout)}, not ${JSON.stringify(`out:${token}\n`)} (the line sent on stdin, echoed)`);
    expect(r.stderr === 'err\n', `${what}: stderr ${JSON.stringify(r.stderr)}, not "err\\n"`);
    expect(r.status, `${what}: nothing on the error channel (no exit status) before the close ${JSON.stringify(r.close)}`);
    expect(exitCodeOf(r.status) === 3, `${what}: the error channel says ${JSON.stringify(r.errorChannel)}, not a Failure with reason NonZeroExitCode and ExitCode 3`);
    expect(r.close && r.close.by === 'server', `${what}: the server did not close the websocket after the status (${JSON.stringify(r.close)})`);
  }, { container: target.name, check: 'stdin, stdout, stderr, exit code 3' });

  await step('Exec', async () => {
    const cmd = ['sh', '-c', 'read a; read b; echo "$b-$a"'];
    const r = await exchange('two-stdin-messages-exit0', { cmd, stdin: true, stdout: true, stderr: true, tty: false },
      { protocols: [REMOTE_COMMAND_PROTOCOL], stdin: [Buffer.from('first\n').toString('base64'), Buffer.from(token + '\n').toString('base64')] });
    const what = `exec ${JSON.stringify(cmd.join(' '))} in ${target.name} (${r.url})`;
    expectExchange(expect, what, r);
    expect(r.stdout === `${token}-first\n`, `${what}: stdout ${JSON.stringify(r.stdout)}, not ${JSON.stringify(`${token}-first\n`)} (two stdin messages, in order)`);
    expect(r.stderr === '', `${what}: stderr ${JSON.stringify(r.stderr)}, not empty`);
    expect(r.status && r.status.status === 'Success', `${what}: the error channel says ${JSON.stringify(r.errorChannel)}, not status Success`);
  }, { container: target.name, check: 'two stdin messages, exit 0' });

  // kubectl exec without -i, output larger than any pipe or frame on the way (kubectl cp's download is a
  // tar on an exec's stdout): every byte, in order, before the status
  await step('Exec', async () => {
    const lines = 100000;
    const want = Array.from({ length: lines }, (_, i) => String(i + 1)).join('\n') + '\n';
    const cmd = ['seq', '1', String(lines)];
    const r = await exchange('large-stdout', { cmd, stdin: false, stdout: true, stderr: true, tty: false },
      { protocols: [REMOTE_COMMAND_PROTOCOL] });
    const what = `exec ${JSON.stringify(cmd.join(' '))} in ${target.name} (${r.url})`;
    const got = r.stdout || '';
    r.stdoutBytes = Buffer.byteLength(got);
    r.stdoutSha256 = crypto.createHash('sha256').update(got).digest('hex');
    r.wantBytes = want.length;
    r.stdout = got.length > 200 ? `${got.slice(0, 60)}...${got.slice(-60)}` : got;
    expectExchange(expect, what, r);
    let at = 0;
    while (at < got.length && at < want.length && got[at] === want[at]) at++;
    expect(got === want, `${what}: ${r.stdoutBytes} bytes on stdout, ${want.length} expected; they differ from byte ${at} ` +
      `(got ${JSON.stringify(got.slice(Math.max(0, at - 20), at + 40))}, want ${JSON.stringify(want.slice(Math.max(0, at - 20), at + 40))})`);
    expect(r.status && r.status.status === 'Success', `${what}: the error channel says ${JSON.stringify(r.errorChannel)}, not status Success`);
  }, { container: target.name, check: 'stdout of 588895 bytes, no stdin' });

  // a large stdin in several messages, consumed without waiting for its end (v4 cannot close stdin):
  // head takes exactly what was sent and md5sum prints its digest
  await step('Exec', async () => {
    const chunk = 32 * 1024;
    const data = crypto.randomBytes(8 * chunk);
    const digest = crypto.createHash('md5').update(data).digest('hex');
    const cmd = ['sh', '-c', `head -c ${data.length} | md5sum`];
    const stdin = Array.from({ length: data.length / chunk }, (_, i) => data.subarray(i * chunk, (i + 1) * chunk).toString('base64'));
    const r = await exchange('large-stdin', { cmd, stdin: true, stdout: true, stderr: true, tty: false },
      { protocols: [REMOTE_COMMAND_PROTOCOL], stdin });
    r.sentMd5 = digest;
    r.sent = { messages: r.sent.length, bytes: r.sent.reduce((n, x) => n + x.bytes, 0) };
    const what = `exec ${JSON.stringify(cmd.join(' '))} in ${target.name} (${r.url})`;
    expectExchange(expect, what, r);
    expect(r.stdout === `${digest}  -\n`, `${what}: stdout ${JSON.stringify(r.stdout)}, not the md5 of the ${data.length} bytes sent on stdin in ${stdin.length} messages (${digest})`);
    expect(r.status && r.status.status === 'Success', `${what}: the error channel says ${JSON.stringify(r.errorChannel)}, not status Success`);
  }, { container: target.name, check: 'stdin of 256 KiB in 8 messages' });

  // a command killed by a signal: the exit code the runtime reports for it (128 + 9 from runc's shim)
  await step('Exec', async () => {
    const cmd = ['sh', '-c', 'echo before; kill -KILL $$; echo after'];
    const r = await exchange('killed-by-sigkill', { cmd, stdin: false, stdout: true, stderr: true, tty: false },
      { protocols: [REMOTE_COMMAND_PROTOCOL] });
    const what = `exec ${JSON.stringify(cmd.join(' '))} in ${target.name} (${r.url})`;
    expectExchange(expect, what, r);
    expect(r.stdout === 'before\n', `${what}: stdout ${JSON.stringify(r.stdout)}, not "before\\n"`);
    expect(exitCodeOf(r.status) === 137, `${what}: the error channel says ${JSON.stringify(r.errorChannel)}, not a Failure with reason NonZeroExitCode and ExitCode 137`);
  }, { container: target.name, check: 'SIGKILL: exit code 137' });

  // kubectl exec -it: a terminal; the resize goes out as soon as the websocket is up, the command waits
  // for it (bounded) instead of racing it
  await step('Exec', async () => {
    const script = 'i=0; while [ "$(stty size)" != "30 100" ] && [ $i -lt 100 ]; do i=$((i+1)); usleep 50000; done; ' +
      'echo "size:$(stty size) polls:$i"; tty';
    const cmd = ['sh', '-c', script];
    const r = await exchange('tty-resize', { cmd, stdin: true, stdout: true, stderr: false, tty: true },
      { protocols: [REMOTE_COMMAND_PROTOCOL], resize: { Width: 100, Height: 30 } });
    const what = `exec -t ${JSON.stringify(script)} in ${target.name} (${r.url})`;
    expectExchange(expect, what, r);
    const m = /size:(\d+ \d+) polls:(\d+)/.exec(r.stdout);
    r.sttySize = m ? m[1] : null;
    r.polls = m ? Number(m[2]) : null;
    const tty = /^(\/dev\/\S+)\r?$/m.exec(r.stdout);
    r.ttyName = tty ? tty[1] : null;
    expect(m, `${what}: no "size:" line on stdout: ${JSON.stringify(r.stdout)} (error channel ${JSON.stringify(r.errorChannel)})`);
    expect(r.sttySize === '30 100', `${what}: the terminal is ${r.sttySize} (rows cols) after 5 s, not 30 100: the resize on channel 4 never reached it (stdout ${JSON.stringify(r.stdout)})`);
    expect(r.ttyName && /^\/dev\/pts\/\d+$/.test(r.ttyName), `${what}: tty printed ${JSON.stringify(r.stdout)}, not a /dev/pts/N`);
    expect(/\r\n/.test(r.stdout), `${what}: stdout has no CRLF line ends: no terminal line discipline (${JSON.stringify(r.stdout)})`);
    expect(r.status && r.status.status === 'Success', `${what}: the error channel says ${JSON.stringify(r.errorChannel)}, not status Success`);
  }, { container: target.name, check: 'tty, resize 100x30' });

  // only recorded: which subprotocols beyond v4 the streaming server takes
  await step('Exec', async () => {
    const r = await exchange('v5-offered-alone', { cmd: ['true'], stdin: false, stdout: true, stderr: true, tty: false },
      { protocols: ['v5.channel.k8s.io'], timeoutMs: Math.min(timeoutMs, 10000) });
    r.accepted = !r.handshakeError;
    streaming.v5 = { accepted: r.accepted, protocol: r.protocol, handshakeStatus: r.handshakeStatus, error: r.handshakeError, status: r.status };
  }, { container: target.name, check: 'v5.channel.k8s.io (recorded only)' });
}

// the attach container's script: fd 3 keeps the container's stdin (an asynchronous list's own stdin is
// /dev/null), sh stays the pid namespace's init so SIGTERM ends it with exit code 0
const ATTACH_SCRIPT = "exec 3<&0; trap 'exit 0' TERM; echo ready; while read -r line <&3; do echo \"attach:$line\"; done & wait";

// ctx: checkExec's, plus createAndStart(name, script, extraConfig), waitForLogLine(c, text), stopAndCheck(c),
// remove(c)
async function checkAttach(ctx) {
  const { opts, step, expect, call } = ctx;
  const streaming = ctx.result.streaming = ctx.result.streaming || {};
  const timeoutMs = Math.min(opts.timeoutMs, 30000);
  const token = `attach-${crypto.randomBytes(6).toString('hex')}`;
  const second = `${token}-again`;
  const c = await ctx.createAndStart('attach', ATTACH_SCRIPT, { stdin: true, stdin_once: false, tty: false });
  await step('ContainerLog', () => ctx.waitForLogLine(c, 'ready'), { container: c.name });
  const a = streaming.attach = { container: c.name, token, second };
  await step('Attach', async () => {
    const started = performance.now();
    const request = { stdin: true, stdout: true, stderr: true, tty: false };
    const r = await call('Attach', { container_id: c.id, ...request });
    expect(r.url, 'Attach returned no url');
    const x = await remoteCommand(opts, r.url, {
      protocols: [REMOTE_COMMAND_PROTOCOL], timeoutMs, stdin: [Buffer.from(token + '\n').toString('base64')],
      until: { channel: CHANNELS.stdout, includes: `attach:${token}\n` },
      then: [{ stdin: [Buffer.from(second + '\n').toString('base64')], includes: `attach:${second}\n` }],
    }, ctx.interrupted);
    Object.assign(a, record('attach', request, r.url, x, started), { turns: x.turns === undefined ? null : x.turns });
    const what = `attach to ${c.name} (${r.url})`;
    expect(!a.handshakeError, `${what}: ${a.handshakeError}`);
    expect(a.protocol === REMOTE_COMMAND_PROTOCOL, `${what}: the server selected subprotocol ${JSON.stringify(a.protocol)}, not ${REMOTE_COMMAND_PROTOCOL}`);
    expect(a.untilMet, `${what}: ${a.turns === 0 ? `no "attach:${token}" echo on stdout after the line went to the container's stdin` : `no echo of the second line "${second}" (the first came back)`} ` +
      `(stdout ${JSON.stringify(a.stdout)}, stderr ${JSON.stringify(a.stderr)}, error channel ${JSON.stringify(a.errorChannel)}, ` +
      `first message ${JSON.stringify(a.firstMessage)}, sent ${JSON.stringify(a.sent)}, closed ${JSON.stringify(a.close)}, timed out ${a.timedOut})`);
    expect(a.stderr === '', `${what}: stderr ${JSON.stringify(a.stderr)}, not empty`);
    // nothing on the error channel while attached; once this side closes, the server may still end the
    // session with status Success (its stdin ended), racing the close
    expect(a.stdout === `attach:${token}\nattach:${second}\n`, `${what}: stdout ${JSON.stringify(a.stdout)}, not the two echoes`);
    expect(!(a.bytesAtUntil && a.bytesAtUntil[CHANNELS.error]), `${what}: the error channel said ${JSON.stringify(a.errorChannel)} before both echoes were in`);
    expect(!a.status || a.status.status === 'Success', `${what}: the error channel says ${JSON.stringify(a.errorChannel)}`);
  }, { container: c.name, check: 'stdin line echoed on stdout' });
  // containerd copies the container's stdout to its log as well as to the attached client
  await step('ContainerLog', async () => { a.logLine = await ctx.waitForLogLine(c, `attach:${second}`); }, { container: c.name, after: 'attach' });
  await ctx.stopAndCheck(c);
  // (removed at once: the pod's stats that follow list exactly its app containers)
  await ctx.remove(c);
}

module.exports = { checkExec, checkAttach, remoteCommand, ATTACH_SCRIPT };
