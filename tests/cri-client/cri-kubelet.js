// Three more things kubelet does to a running pod, as checks of cri-lifecycle.js (each skippable by name):
//   - exec-timeout (a liveness/readiness exec probe that hangs): ExecSync of `sleep 30` in app-0 with
//     timeout 2 must fail, well before the sleep would end (the call's own deadline is 25 s), with
//     containerd's error, recorded in result.execTimeout: containerd 1.6.20 answers DeadlineExceeded "failed
//     to exec in container: timeout 2s exceeded: context deadline exceeded" after about 2.1 s with runc, and
//     kubelet's prober takes DeadlineExceeded for a probe timeout, so that code is required; the sleep must
//     be gone from `ps` in the container right after (containerd SIGKILLs the exec process and waits for its
//     exit before it answers: a sleep still listed is recorded and polled for up to 10 s, and fails), and the
//     container must still be RUNNING and answer a quick ExecSync;
//   - reopen-log (kubelet's log rotation: rename the file, then ReopenContainerLog): a container "logger"
//     copies whatever is written into a FIFO in its /tmp to its stdout (no polling: the FIFO blocks the
//     writer until the copy reads it); a line poked in through ExecSync must reach the log; the log is
//     renamed to <log>.1 and ReopenContainerLog called; the original path must exist again at once, and the
//     next poked line must reach it (waited for, bounded) and not the renamed file, which keeps the first
//     line alone; the new file must not hold the first line. StopContainer (exit code 0) and RemoveContainer;
//   - restart (restartPolicy Always, a container that exits by itself): "restart" attempt 0 with log_path
//     restart/0.log (kubelet's <name>/<attempt>.log; kubelet creates the directory, so does this check) runs
//     `echo "started <uuid of this start>"; exit 3`; ContainerStatus is polled (bounded) until EXITED with
//     exit_code 3, reason Error, finished_at > 0, metadata attempt 0 and log_path ending in restart/0.log; its
//     log must hold exactly that one line. Then CreateContainer with the same metadata name, attempt 1 and
//     log_path restart/1.log (the first attempt still exists, as it does under kubelet), StartContainer, the
//     same wait (exit_code 3, attempt 1); its log must hold exactly one line, with another uuid, and the first
//     attempt's log still exactly its own line; ListContainers of the pod lists both attempts (name restart,
//     attempts 0 and 1, EXITED); RemoveContainer of attempt 0 while attempt 1 exists; ListContainers then
//     lists attempt 1 alone, and ContainerStatus of attempt 0 fails (the code is recorded: NotFound
//     expected); whether containerd kept attempt 0's log file is recorded (kubelet removes logs itself);
//     then attempt 1 is removed.
// ReopenContainerLog is not in cri-api.proto (the hand-written subset verify-proto.js checks): its request
// is a single string field, encoded here by hand, and its response is empty (installReopenContainerLog).
// Nothing here depends on the runtime handler: containerd does the log files, the exec deadline and the
// names; a runtime passes when exits, exit codes, exec kills and its stdout pipes behave as runc's do.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

const round = (ms) => Math.round(ms * 10) / 10;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- ReopenContainerLog without the proto: ReopenContainerLogRequest { string container_id = 1; } ----

function encodeReopenRequest(request) {
  const id = Buffer.from(String(request.container_id || ''), 'utf8');
  const len = [];
  let n = id.length;
  do { len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n > 0);
  return Buffer.concat([Buffer.from([0x0a, ...len]), id]);
}

// gives the RuntimeService client a ReopenContainerLog method shaped like the generated ones
function installReopenContainerLog(client) {
  client.ReopenContainerLog = (request, metadata, options, callback) => client.makeUnaryRequest(
    '/runtime.v1.RuntimeService/ReopenContainerLog', encodeReopenRequest, () => ({}), request, metadata, options, callback);
}

// ---- the CRI log format: "<RFC3339Nano> <stream> <P|F> <text>" ----

function logLines(file) {
  let content;
  try { content = fs.readFileSync(file, 'utf8'); } catch (e) { return { exists: false, lines: [], error: e.code || e.message }; }
  const lines = content.split('\n').filter(Boolean).map((l) => {
    const p = l.split(' ');
    return { stream: p[1], tag: p[2], text: p.slice(3).join(' ') };
  });
  return { exists: true, lines };
}

// polls file until some line satisfies match (bounded); returns all lines then
async function waitForLog(ctx, file, match, what, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = logLines(file);
    if (r.lines.some((l) => match(l.text))) return r.lines;
    if (ctx.interrupted()) throw new ctx.StepError(`interrupted by ${ctx.interrupted()}`);
    if (Date.now() > until)
      throw new ctx.StepError(`${what}: not in ${file} after ${timeoutMs} ms (${r.exists ? `lines ${JSON.stringify(r.lines.map((l) => l.text))}` : `no file: ${r.error}`})`);
    await pause(20);
  }
}

// polls ContainerStatus until EXITED (bounded); returns the last status
async function waitExited(ctx, c, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await ctx.statusOf(c);
    if (s.state === 'CONTAINER_EXITED' || Date.now() > until || ctx.interrupted()) return s;
    await pause(50);
  }
}

// ---- exec-timeout ----

// ctx: {opts, step, expect, StepError, call(method, request, timeoutMs), execIn, statusOf, apps, result, interrupted()}
async function checkExecTimeout(ctx) {
  const { step, expect, call, apps } = ctx;
  const target = apps[0];
  const rec = ctx.result.execTimeout = { container: target.name, cmd: 'sleep 30', timeout: 2, callDeadlineMs: 25000 };
  await step('ExecSyncTimeout', async () => {
    const started = performance.now();
    let response = null;
    try {
      response = await call('ExecSync', { container_id: target.id, cmd: ['sleep', '30'], timeout: 2 }, rec.callDeadlineMs);
    } catch (error) {
      rec.error = error.grpc || { message: error.message };
    }
    rec.ms = round(performance.now() - started);
    if (response) {
      rec.exitCode = response.exit_code;
      rec.stdout = Buffer.from(response.stdout).toString('utf8');
      rec.stderr = Buffer.from(response.stderr).toString('utf8');
    }
    expect(!response, `ExecSync of sleep 30 with timeout 2 returned exit code ${rec.exitCode} after ${rec.ms} ms instead of failing`);
    expect(rec.error.code !== undefined, `ExecSync of sleep 30 with timeout 2 failed without a gRPC status: ${rec.error.message}`);
    // the client's own deadline is not the runtime's answer
    expect(!(rec.error.codeName === 'DEADLINE_EXCEEDED' && /^Deadline exceeded/.test(rec.error.details || '')),
      `ExecSync of sleep 30 with timeout 2 was still running when the call's own ${rec.callDeadlineMs} ms deadline passed (${rec.error.details})`);
    expect(rec.error.codeName === 'DEADLINE_EXCEEDED' && /timeout 2s exceeded/.test(rec.error.details || ''),
      `ExecSync of sleep 30 with timeout 2 failed after ${rec.ms} ms with ${rec.error.codeName}: ${JSON.stringify(rec.error.details)}, not containerd's DEADLINE_EXCEEDED "... timeout 2s exceeded ..."`);
  }, { container: target.name, cmd: 'sleep 30', timeout: 2 });

  // the probe's process must be gone (containerd kills it before it answers)
  await step('ExecSyncTimeoutKilled', async () => {
    const sleeping = (text) => text.split('\n').filter((l) => /^\s*\d+\s+sleep 30\s*$/.test(l));
    const started = performance.now();
    const until = Date.now() + 10000;
    rec.ps = [];
    for (;;) {
      const e = await ctx.execIn(target, ['ps', '-o', 'pid,args']);
      rec.ps.push({ atMs: round(performance.now() - started), left: sleeping(e.stdout) });
      if (rec.ps.length === 1) rec.psFirst = e.stdout.split('\n').filter(Boolean);
      if (sleeping(e.stdout).length === 0 || Date.now() > until || ctx.interrupted()) break;
      await pause(200);
    }
    rec.killedAtFirstLook = rec.ps[0].left.length === 0;
    const last = rec.ps[rec.ps.length - 1];
    expect(last.left.length === 0, `sleep 30 still runs in ${target.name} ${last.atMs} ms after the timed-out ExecSync failed: ${JSON.stringify(last.left)}`);
    expect(rec.killedAtFirstLook, `sleep 30 was still listed in ${target.name} right after the timed-out ExecSync failed (${JSON.stringify(rec.ps[0].left)}), gone ${last.atMs} ms later`);
  }, { container: target.name, cmd: 'ps -o pid,args' });

  await step('ContainerStatus', async () => {
    const s = await ctx.statusOf(target);
    expect(s.state === 'CONTAINER_RUNNING', `state after the timed-out ExecSync is ${s.state}, not CONTAINER_RUNNING`);
  }, { container: target.name, after: 'exec-timeout' });
  const alive = await ctx.execIn(target, ['echo', 'alive']);
  rec.after = { stdout: alive.stdout, exitCode: alive.exitCode, ms: alive.ms };
  await step('ExecSyncAfterTimeout', async () => {
    expect(alive.stdout === 'alive\n', `the ExecSync after the timed-out one printed ${JSON.stringify(alive.stdout)}, not "alive\\n"`);
  }, { container: target.name });
}

// ---- reopen-log ----

// ctx: also {logDir, createAndStart, stopAndCheck, remove}
async function checkReopenLog(ctx) {
  const { step, expect, call } = ctx;
  const token = crypto.randomBytes(6).toString('hex');
  const script = "trap 'exit 0' TERM; mkfifo /tmp/poke || exit 1; (while :; do cat /tmp/poke; done) & echo ready; wait";
  const c = await ctx.createAndStart('logger', script);
  const file = path.join(ctx.logDir, 'logger.log');
  const rotated = `${file}.1`;
  const rec = ctx.result.reopenLog = { container: c.name, file, rotated };
  const poke = (line) => ctx.execIn(c, ['sh', '-c', `echo ${line} > /tmp/poke`]);
  const before = `before-rotation-${token}`;
  const after = `after-rotation-${token}`;

  await step('ContainerLog', async () => {
    await waitForLog(ctx, file, (t) => t === 'ready', '"ready"', 30000);
  }, { container: c.name });
  await poke(before);
  await step('ContainerLog', async () => {
    await waitForLog(ctx, file, (t) => t === before, `the poked line ${before}`, 30000);
  }, { container: c.name, line: 'before rotation' });
  await step('ReopenContainerLog', async () => {
    fs.renameSync(file, rotated);
    const started = performance.now();
    await call('ReopenContainerLog', { container_id: c.id });
    rec.reopenMs = round(performance.now() - started);
    rec.freshFileAtOnce = fs.existsSync(file);
    expect(rec.freshFileAtOnce, `no file at ${file} after ReopenContainerLog returned`);
  }, { container: c.name });
  await poke(after);
  await step('ContainerLogRotated', async () => {
    const started = performance.now();
    const lines = await waitForLog(ctx, file, (t) => t === after, `the line ${after} poked after ReopenContainerLog`, 30000);
    rec.afterMs = round(performance.now() - started);
    rec.fresh = lines.map((l) => l.text);
    rec.old = logLines(rotated).lines.map((l) => l.text);
    expect(!rec.fresh.includes(before), `the reopened ${file} holds the line from before the rotation: ${JSON.stringify(rec.fresh)}`);
    expect(JSON.stringify(rec.fresh) === JSON.stringify([after]), `the reopened ${file} holds ${JSON.stringify(rec.fresh)}, not just ${after}`);
    expect(!rec.old.includes(after), `the line poked after ReopenContainerLog went into the renamed ${rotated} too: ${JSON.stringify(rec.old)}`);
    expect(JSON.stringify(rec.old) === JSON.stringify(['ready', before]), `the renamed ${rotated} holds ${JSON.stringify(rec.old)}, not ["ready", "${before}"]`);
  }, { container: c.name });
  await ctx.stopAndCheck(c);
  await ctx.remove(c);
}

// ---- restart ----

// ctx: also {logDir, containerConfig(name, script, extra), sandboxConfig, podSandboxId, track(c)}
async function checkRestart(ctx) {
  const { step, expect, call } = ctx;
  const name = 'restart';
  const exitCode = 3;
  const script = `echo "started $(cat /proc/sys/kernel/random/uuid)"; exit ${exitCode}`;
  const started = /^started [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const rec = ctx.result.restart = { name, exitCode, attempts: [] };
  // kubelet makes the container's log directory before it creates the container
  fs.mkdirSync(path.join(ctx.logDir, name), { recursive: true });

  const runAttempt = async (attempt) => {
    const label = `${name}-${attempt}`;
    const logPath = `${name}/${attempt}.log`;
    const file = path.join(ctx.logDir, logPath);
    const config = ctx.containerConfig(name, script, { metadata: { name, attempt }, log_path: logPath });
    const id = await step('CreateContainer', async () => {
      const r = await call('CreateContainer', { pod_sandbox_id: ctx.podSandboxId, config, sandbox_config: ctx.sandboxConfig });
      expect(r.container_id, 'CreateContainer returned no container_id');
      return r.container_id;
    }, { container: label, attempt });
    const c = { name: label, id, stopped: false, removed: false, states: [] };
    ctx.track(c);
    const a = { attempt, id, logPath, file };
    rec.attempts.push(a);
    await step('StartContainer', () => call('StartContainer', { container_id: id }), { container: label });
    await step('ContainerStatus', async () => {
      const t0 = performance.now();
      const s = await waitExited(ctx, c, 60000);
      a.exitedAfterMs = round(performance.now() - t0);
      Object.assign(a, { state: s.state, exitCode: s.exit_code, reason: s.reason, finishedAt: s.finished_at,
        metadata: s.metadata, statusLogPath: s.log_path });
      c.exitCode = s.exit_code;
      c.reason = s.reason;
      c.logPath = s.log_path;
      expect(s.state === 'CONTAINER_EXITED', `state is still ${s.state}, not CONTAINER_EXITED, ${a.exitedAfterMs} ms after the start`);
      c.stopped = true;
      expect(s.exit_code === exitCode, `exit code is ${s.exit_code} (${s.reason}), not ${exitCode}`);
      expect(s.reason === 'Error', `reason is ${JSON.stringify(s.reason)}, not "Error"`);
      expect(Number(s.finished_at) > 0, `finished_at is ${s.finished_at}`);
      expect(s.metadata && s.metadata.name === name && Number(s.metadata.attempt) === attempt,
        `metadata is ${JSON.stringify(s.metadata)}, not ${name} attempt ${attempt}`);
      expect(typeof s.log_path === 'string' && s.log_path.endsWith(logPath), `log_path is ${JSON.stringify(s.log_path)}, not .../${logPath}`);
    }, { container: label, after: 'exit' });
    await step('ContainerLog', async () => {
      const lines = await waitForLog(ctx, file, (t) => started.test(t), 'the "started <uuid>" line', 30000);
      a.log = lines.map((l) => l.text);
      expect(lines.length === 1, `${file} holds ${lines.length} lines, not just this attempt's: ${JSON.stringify(a.log)}`);
    }, { container: label });
    return c;
  };

  // the containers of the pod named "restart": [[attempt, state, id]], sorted by attempt
  const listed = async () => {
    const r = await call('ListContainers', { filter: { pod_sandbox_id: ctx.podSandboxId } });
    return r.containers.filter((x) => x.metadata && x.metadata.name === name)
      .map((x) => [Number(x.metadata.attempt), x.state, x.id]).sort((p, q) => p[0] - q[0]);
  };

  const first = await runAttempt(0);
  const second = await runAttempt(1);
  await step('RestartLogs', async () => {
    const [a0, a1] = rec.attempts;
    a0.logAfterRestart = logLines(a0.file).lines.map((l) => l.text);
    expect(JSON.stringify(a0.logAfterRestart) === JSON.stringify(a0.log),
      `attempt 0's ${a0.file} changed once attempt 1 ran: ${JSON.stringify(a0.log)}, now ${JSON.stringify(a0.logAfterRestart)}`);
    expect(a1.log[0] !== a0.log[0], `both attempts logged the same line ${JSON.stringify(a0.log[0])}: not two separate starts`);
  }, { container: name });
  await step('ListContainers', async () => {
    const l = await listed();
    rec.listedBoth = l;
    const want = [[0, 'CONTAINER_EXITED', first.id], [1, 'CONTAINER_EXITED', second.id]];
    expect(JSON.stringify(l) === JSON.stringify(want), `the pod's "${name}" containers are ${JSON.stringify(l)}, not ${JSON.stringify(want)}`);
  }, { container: name, after: 'restart' });
  await step('RemoveContainer', () => call('RemoveContainer', { container_id: first.id }), { container: first.name });
  first.removed = true;
  await step('ListContainers', async () => {
    const l = await listed();
    rec.listedAfterRemove = l;
    const want = [[1, 'CONTAINER_EXITED', second.id]];
    expect(JSON.stringify(l) === JSON.stringify(want), `after removing attempt 0 the pod's "${name}" containers are ${JSON.stringify(l)}, not ${JSON.stringify(want)}`);
    let status = null;
    try { status = await call('ContainerStatus', { container_id: first.id }); } catch (error) {
      rec.removedStatusError = error.grpc || { message: error.message };
    }
    rec.firstLogKept = fs.existsSync(rec.attempts[0].file);
    expect(!status, `ContainerStatus of the removed attempt 0 still answers: ${JSON.stringify(status && status.status && status.status.state)}`);
    expect(rec.removedStatusError.codeName === 'NOT_FOUND', `ContainerStatus of the removed attempt 0 failed with ${JSON.stringify(rec.removedStatusError)}, not NOT_FOUND`);
  }, { container: name, after: 'remove attempt 0' });
  await step('RemoveContainer', () => call('RemoveContainer', { container_id: second.id }), { container: second.name });
  second.removed = true;
}

module.exports = { checkExecTimeout, checkReopenLog, checkRestart, installReopenContainerLog, encodeReopenRequest };
