// A port-forward client for the CRI streaming server's websocket protocol (what kubelet's streaming
// proxy and kubectl port-forward's websocket path speak), on websocket-client.js. cri-network.js runs it
// as a command inside the runtime's network namespace (the streaming server listens on 127.0.0.1 of the
// namespace containerd runs in, which in the harness's NETWORK=cni mode is the peer namespace):
//
//   node port-forward.js URL PORT TIMEOUT_MS REQUEST_BASE64
//
// sends REQUEST on the data channel of PORT and prints one JSON object: the outcome of
// portForwardExchange with data and errorText as received (data base64-encoded), exit status 0 whatever
// the outcome (2 for bad usage).
'use strict';
const websocket = require('./websocket-client');

// The CRI streaming server's websocket port forwarding, as containerd 1.6 serves it (the k8s streaming
// library, k8s.io/kubelet/pkg/cri/streaming: server.go servePortForward, portforward/websocket.go
// handleWebSocketStreams, wsstream conn.go): the URL of PortForwardResponse is single-use (its token is
// consumed by the first request) and the ports come from the PortForwardRequest (the URL's ?port= is only
// read by kubelet's own server; sent anyway, as kubelet's proxy does). With subprotocol v4.channel.k8s.io
// (binary; "" is the same, v4.base64.channel.k8s.io the base64 variant) each port i has two channels,
// data 2i and error 2i+1; every websocket message starts with its channel byte. The server first writes
// the port (uint16 little-endian) on both channels of each port, then runs the runtime's PortForward:
// containerd dials localhost:<port> inside the pod's network namespace and copies both ways; once the pod
// side closes (or one direction ends) it waits at most 1 s for the other, closes, and the server then
// closes the websocket (status 1000). A failure (e.g. "failed to connect to localhost:P inside namespace")
// is written on the error channel before that close. Nothing is ever sent on the error channel otherwise.
const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

// Connects to a PortForward URL for one port, sends request on its data channel once the server has
// announced the port there, and collects both channels until the server closes the websocket (or the
// connection ends), timeoutMs passes or interrupted() turns true. Never throws: the outcome says what
// happened (handshakeError, timedOut, interrupted, close, port headers, data, errorText).
async function portForwardExchange(url, port, request, { timeoutMs, interrupted }) {
  const out = {
    protocol: null, handshakeError: null, handshakeStatus: null, requestSent: false, messages: 0, textMessages: 0,
    unknownChannels: [], portHeaders: { data: null, error: null }, data: Buffer.alloc(0), errorText: '',
    close: null, timedOut: false, interrupted: false, sendError: null, frames: null,
  };
  const deadline = Date.now() + timeoutMs;
  let ws;
  try {
    ws = await websocket.connect(url, { protocols: [PORT_FORWARD_PROTOCOL], timeoutMs });
  } catch (error) {
    out.handshakeError = error.message;
    out.handshakeStatus = error.status === undefined ? null : error.status;
    return out;
  }
  out.protocol = ws.protocol;
  out.handshakeStatus = ws.handshake.status;
  // per channel: the two port bytes the server writes first, then the payload
  const channels = [0, 1].map(() => ({ header: [], parts: [] }));
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
      const number = message[0];
      let body = message.subarray(1);
      if (number > 1) { out.unknownChannels.push(number); return; }
      const c = channels[number];
      while (c.header.length < 2 && body.length) { c.header.push(body[0]); body = body.subarray(1); }
      if (body.length) c.parts.push(body);
      if (number === 0 && c.header.length === 2 && !out.requestSent) {
        out.requestSent = true;
        try { ws.send(Buffer.concat([Buffer.from([0]), request])); } catch (error) { out.sendError = error.message; }
      }
    });
    ws.on('close', (info) => { out.close = info; done(); });
  });
  out.frames = ws.stats;
  ws.destroy();
  const header = (c) => (c.header.length === 2 ? c.header[0] | (c.header[1] << 8) : null);
  out.portHeaders = { data: header(channels[0]), error: header(channels[1]) };
  out.data = Buffer.concat(channels[0].parts);
  out.errorText = Buffer.concat(channels[1].parts).toString('utf8');
  return out;
}

// an HTTP/1.x response: status line, headers, body, and whether it is complete by its Content-Length
function parseHttpResponse(buffer) {
  const text = buffer.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { statusLine: text.split('\r\n')[0] || null, status: null, headers: {}, body: null, complete: false };
  const lines = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = buffer.subarray(end + 4);
  const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
  return {
    statusLine: lines[0], status: m ? Number(m[1]) : null, headers, body: body.toString('utf8'),
    complete: length !== null && body.length >= length,
  };
}


function main(argv) {
  const [url, port, timeoutMs, request] = argv;
  if (argv.length !== 4 || !(Number(port) >= 1 && Number(port) <= 65535) || !(Number(timeoutMs) > 0)) {
    process.stderr.write('usage: node port-forward.js URL PORT TIMEOUT_MS REQUEST_BASE64\n');
    process.exit(2);
  }
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { interrupted = true; });
  portForwardExchange(url, Number(port), Buffer.from(request, 'base64'), { timeoutMs: Number(timeoutMs), interrupted: () => interrupted })
    .then((x) => {
      process.stdout.write(JSON.stringify({ ...x, data: x.data.toString('base64') }) + '\n', () => process.exit(0));
    });
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { portForwardExchange, parseHttpResponse, PORT_FORWARD_PROTOCOL };
