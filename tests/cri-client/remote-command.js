// A client for the CRI streaming server's exec and attach websockets (what kubectl exec/attach reach
// through kubelet's streaming proxy), on websocket-client.js. cri-streaming.js runs it as a command where
// the streaming server is reachable (containerd listens on 127.0.0.1 of the network namespace it runs in:
// the host's, or in the harness's NETWORK=cni mode the peer namespace, entered with nsenter --net):
//
//   node remote-command.js URL < SPEC
//
// SPEC (on stdin: with a large stdin it would exceed the kernel's 128 KiB limit on one argument) is JSON: {protocols: [...], timeoutMs, resize: {Width, Height} | null, stdin: [base64, ...],
// until: "close" | {channel: N, includes: TEXT}, then: [{stdin: [base64, ...], includes: TEXT}, ...]}.
// Prints one JSON object, the outcome of
// remoteCommandExchange with each channel's bytes base64-encoded; exit status 0 whatever the outcome (2 for
// bad usage).
'use strict';
const websocket = require('./websocket-client');

// The streaming server's remote command protocol as containerd 1.6 serves it (its vendored
// k8s.io/kubelet/pkg/cri/streaming/remotecommand websocket.go and k8s.io/apiserver/pkg/util/wsstream
// conn.go): subprotocols "", channel.k8s.io, base64.channel.k8s.io, v4.channel.k8s.io and
// v4.base64.channel.k8s.io, nothing newer (v5.channel.k8s.io, whose [255, channel] message closes one
// input channel, exists only in the API server's websocket-to-SPDY translator of Kubernetes 1.29+; offered
// alone here, the handshake fails). Every websocket message starts with its channel byte: 0 stdin,
// 1 stdout, 2 stderr, 3 error, 4 resize (JSON {"Width": w, "Height": h}). Once the websocket is up, the
// server writes an empty message on the lowest output channel asked for (stdout) to say so. Under v4
// there is no way to close stdin alone: the server's read loop closes every input pipe only when the
// websocket itself ends, so a command must not wait for stdin's EOF (read a line instead). When the
// command ends, the server writes a JSON metav1.Status on the error channel ({"status": "Success"}, or
// "Failure" with reason NonZeroExitCode and a cause {reason: "ExitCode", message: "<code>"}) and closes the
// websocket (status 1000). Attach never ends by itself: the client closes when it has what it waited for.
const REMOTE_COMMAND_PROTOCOL = 'v4.channel.k8s.io';
const CHANNELS = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 };

// Connects to an Exec or Attach URL and plays the spec: once the server's first message has arrived (the
// "connection is up" signal), a resize message (if any), then each stdin chunk as its own message. Collects
// every channel until spec.until is met: "close" waits for the server to close the websocket; {channel,
// includes} closes it from this side (status 1000) once that channel's output includes the text (and, with
// spec.then, after as many more turns: each sends its stdin once the previous text came and waits for its
// own text in what the channel carries from then on), then waits for the closing handshake (or the
// connection to end), recording in bytesAtUntil how much each channel had carried by then (turns: how many
// texts came). Bounded by timeoutMs; never throws.
async function remoteCommandExchange(url, spec, { interrupted }) {
  const out = {
    protocol: null, handshakeError: null, handshakeStatus: null, firstMessage: null, sent: [], messages: 0,
    textMessages: 0, unknownChannels: [], channels: {}, turns: 0, bytesAtUntil: null, close: null, untilMet: false, timedOut: false,
    interrupted: false, sendError: null, frames: null,
  };
  const deadline = Date.now() + spec.timeoutMs;
  let ws;
  try {
    ws = await websocket.connect(url, { protocols: spec.protocols, timeoutMs: spec.timeoutMs });
  } catch (error) {
    out.handshakeError = error.message;
    out.handshakeStatus = error.status === undefined ? null : error.status;
    return out;
  }
  out.protocol = ws.protocol;
  out.handshakeStatus = ws.handshake.status;
  const parts = {};
  const text = (n) => Buffer.concat(parts[n] || []).toString('utf8');
  const send = (channel, data) => {
    try {
      ws.send(Buffer.concat([Buffer.from([channel]), data]));
      out.sent.push({ channel, bytes: data.length });
    } catch (error) {
      out.sendError = out.sendError || error.message;
    }
  };
  // the text awaited now, and where in its channel's output the search starts
  const turns = [...(spec.then || [])];
  let target = spec.until === 'close' ? null : { includes: spec.until.includes, from: 0 };
  await new Promise((resolve) => {
    const timer = setTimeout(() => { out.timedOut = true; done(); }, Math.max(0, deadline - Date.now()));
    // (only to notice SIGINT/SIGTERM; the exchange itself is driven by the socket's events)
    const poll = setInterval(() => { if (interrupted()) { out.interrupted = true; done(); } }, 100);
    function done() {
      clearTimeout(timer);
      clearInterval(poll);
      resolve();
    }
    ws.on('message', (message, isBinary) => {
      out.messages++;
      if (!isBinary) out.textMessages++;
      if (message.length === 0) return;
      const channel = message[0];
      const body = message.subarray(1);
      if (!out.firstMessage) {
        out.firstMessage = { channel, bytes: body.length };
        if (spec.resize) send(CHANNELS.resize, Buffer.from(JSON.stringify(spec.resize)));
        for (const chunk of spec.stdin || []) send(CHANNELS.stdin, Buffer.from(chunk, 'base64'));
      }
      if (channel > CHANNELS.resize) { out.unknownChannels.push(channel); return; }
      (parts[channel] = parts[channel] || []).push(body);
      if (!target || out.untilMet || channel !== spec.until.channel) return;
      const seen = text(channel);
      if (!seen.slice(target.from).includes(target.includes)) return;
      out.turns++;
      const next = turns.shift();
      if (next) {
        target = { includes: next.includes, from: seen.length };
        for (const chunk of next.stdin || []) send(CHANNELS.stdin, Buffer.from(chunk, 'base64'));
      } else {
        out.untilMet = true;
        // what each channel had carried when this side started closing (the server may still answer the
        // close with more, e.g. an attach's status once its stdin ended)
        out.bytesAtUntil = Object.fromEntries(Object.entries(parts).map(([n, p]) => [n, p.reduce((x, b) => x + b.length, 0)]));
        ws.close(1000);
      }
    });
    ws.on('close', (info) => {
      out.close = info;
      if (spec.until === 'close') out.untilMet = true;
      done();
    });
  });
  out.frames = ws.stats;
  ws.destroy();
  for (const n of Object.keys(parts)) out.channels[n] = Buffer.concat(parts[n]);
  return out;
}

function main(argv) {
  const [url] = argv;
  let spec;
  try { spec = JSON.parse(require('fs').readFileSync(0, 'utf8')); } catch { spec = null; }
  if (argv.length !== 1 || !spec || !(spec.timeoutMs > 0) || !Array.isArray(spec.protocols) ||
      !(spec.until === 'close' || (spec.until && Number.isInteger(spec.until.channel) && typeof spec.until.includes === 'string'))) {
    process.stderr.write('usage: node remote-command.js URL < SPEC (JSON: {protocols, timeoutMs, resize?, stdin?, until})\n');
    process.exit(2);
  }
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { interrupted = true; });
  remoteCommandExchange(url, spec, { interrupted: () => interrupted }).then((x) => {
    const channels = Object.fromEntries(Object.entries(x.channels).map(([n, b]) => [n, b.toString('base64')]));
    process.stdout.write(JSON.stringify({ ...x, channels }) + '\n', () => process.exit(0));
  });
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { remoteCommandExchange, REMOTE_COMMAND_PROTOCOL, CHANNELS };
