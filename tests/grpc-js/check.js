// An independent gRPC client for the agent's server: @grpc/grpc-js, loading agent.proto at run time.
// Usage: node check.js <agent's unix socket> <agent.proto> <agent token file>
// Prints one JSON object of observations; the C# test (GrpcJsWireTests) asserts on them.
//
// The agent serves only callers that send its authentication preamble ("SRTAUTH1" and the 32-byte
// token, see AgentAuthPreamble.cs) before HTTP/2. grpc-js stays unmodified: it talks to a thin forwarder
// on a socket of its own, which opens a connection to the agent per client connection, writes the
// preamble, and then only copies bytes both ways. One call goes straight to the agent, without the
// preamble, to show that a standard client is refused.
'use strict';
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const [agentSocket, protoPath, tokenFile] = process.argv.slice(2);
const preamble = Buffer.concat([Buffer.from('SRTAUTH1', 'ascii'), fs.readFileSync(tokenFile)]);
const definition = loader.loadSync(protoPath, { keepCase: false, longs: String, enums: String, defaults: true });
const api = grpc.loadPackageDefinition(definition).sandboxrt.agent.v1;

const forwarderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'srt-grpcjs-'));
const forwarderSocket = path.join(forwarderDir, 'forward.sock');
const forwarder = net.createServer((client) => {
  const upstream = net.createConnection(agentSocket, () => {
    upstream.write(preamble);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close); upstream.on('error', close);
  client.on('close', close); upstream.on('close', close);
});

const address = 'unix://' + forwarderSocket;
const health = new api.Health(address, grpc.credentials.createInsecure());
const agent = new api.AgentService(address, grpc.credentials.createInsecure());

const unary = (client, method, request, options = {}) => new Promise((resolve) => {
  client[method](request, new grpc.Metadata(), options, (error, response) =>
    resolve(error ? { code: error.code, details: error.details } : { code: 0, response }));
});

function watch(deadlineMs) {
  return new Promise((resolve) => {
    const messages = [];
    const call = health.watch({ service: '' }, { deadline: Date.now() + deadlineMs });
    call.on('data', (m) => messages.push(m.status));
    call.on('error', (e) => resolve({ code: e.code, details: e.details, messages }));
    call.on('end', () => resolve({ code: 0, messages }));
  });
}

// Client streaming: 8 MiB in 64 KiB messages, honouring grpc-js's backpressure (write() returning false
// until 'drain'), then the half-close; the agent answers with the count and SHA-256 of what arrived.
function sink(totalBytes) {
  const crypto = require('crypto');
  const hash = crypto.createHash('sha256');
  return new Promise((resolve) => {
    const call = agent.sinkTestData((error, response) =>
      resolve(error ? { code: error.code, details: error.details }
                    : { code: 0, bytes: Number(response.bytes), sha256: Buffer.from(response.sha256).toString('hex'), expectedSha256: hash.digest('hex') }));
    let sent = 0;
    let index = 0;
    const pump = () => {
      while (sent < totalBytes) {
        const chunk = Buffer.alloc(64 * 1024, index++ % 251);
        hash.update(chunk);
        sent += chunk.length;
        if (!call.write({ data: chunk })) { call.once('drain', pump); return; }
      }
      call.end();
    };
    pump();
  });
}

function unknownMethod() {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest('/sandboxrt.agent.v1.Health/NoSuchMethod', (x) => x, (x) => x, Buffer.alloc(0),
      (error) => { resolve(error ? { code: error.code, details: error.details } : { code: 0 }); client.close(); });
  });
}

function withoutPreamble() {
  const direct = new api.Health('unix://' + agentSocket, grpc.credentials.createInsecure());
  return unary(direct, 'version', {}, { deadline: Date.now() + 20000 }).then((r) => { direct.close(); return r; });
}

(async () => {
  await new Promise((resolve) => forwarder.listen(forwarderSocket, resolve));
  const result = {};
  result.withoutPreamble = await withoutPreamble();
  result.check = await unary(health, 'check', { service: '' });
  result.checkUnknownService = await unary(health, 'check', { service: 'no.such.Service' });
  result.version = await unary(health, 'version', {});
  result.guestDetails = await unary(agent, 'guestDetails', {});
  result.watch = await watch(500);
  result.oversized = await unary(health, 'check', { service: 'x'.repeat(17 * 1024 * 1024) });
  result.afterOversized = await unary(health, 'check', { service: '' });
  result.unknownMethod = await unknownMethod();
  result.sink = await sink(8 * 1024 * 1024);
  result.deadlineAlreadyPassed = await unary(health, 'version', {}, { deadline: Date.now() - 1 });
  // Concurrency: 50 calls in flight on one HTTP/2 connection.
  const many = await Promise.all(Array.from({ length: 50 }, () => unary(health, 'version', {})));
  result.concurrentOk = many.filter((r) => r.code === 0).length;
  process.stdout.write(JSON.stringify(result, (k, v) => (k === 'response' && v && v.service ? '[elided]' : v)) + '\n');
  health.close();
  agent.close();
  forwarder.close();
  fs.rmSync(forwarderDir, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
