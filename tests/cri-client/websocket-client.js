// A minimal RFC 6455 WebSocket client over node:http, for the CRI streaming server's websocket endpoints
// (Node 20 has no global WebSocket, and the harness installs no npm package for it). Enough for
// port-forward.js (cri-network.js's PortForward check) and nothing more: ws:// (plain HTTP) URLs only, no
// extensions (Sec-WebSocket-Extensions is never offered, so RSV bits must be 0), one subprotocol list.
//
//   const ws = await connect(url, { protocols: ['v4.channel.k8s.io'], timeoutMs: 10000 });
//   (add the listeners right after the await: reading starts on the next turn of the event loop)
//   ws.on('message', (data, isBinary) => ...);   // whole messages: fragments (continuation frames) joined
//   ws.on('close', ({ code, reason, by, error }) => ...);  // once: the server's close frame (by 'server'),
//                                                           // our own (by 'client'), or the TCP connection
//                                                           // ending without one (code 1006)
//   ws.send(buffer);  ws.close(1000);  ws.destroy();
//
// The handshake checks the 101 status, Upgrade/Connection, Sec-WebSocket-Accept and that the selected
// subprotocol is one offered; a non-101 answer rejects with its status and (the start of) its body.
// Every frame this client writes is masked with a fresh random key, as RFC 6455 5.3 requires of a client
// (golang.org/x/net/websocket, the k8s streaming server's library, closes with 1002 on an unmasked one).
// Pings are answered with a pong carrying the same payload; a close frame is answered with a close frame
// echoing its code, then the socket is ended. Frames from the server must be unmasked; control frames
// must be final and at most 125 bytes; a message may not exceed maxMessageBytes (default 16 MiB).
'use strict';
const crypto = require('crypto');
const http = require('http');
const { EventEmitter } = require('events');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

class WebSocketError extends Error {
  constructor(message, details = {}) {
    super(message);
    Object.assign(this, details);
  }
}

// one client frame: FIN set, masked
function encodeFrame(opcode, payload) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload || '');
  const n = data.length;
  let header;
  if (n < 126) {
    header = Buffer.alloc(2);
    header[1] = 0x80 | n;
  } else if (n < 65536) {
    header = Buffer.alloc(4);
    header[1] = 0x80 | 126;
    header.writeUInt16BE(n, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  header[0] = 0x80 | opcode;
  const mask = crypto.randomBytes(4);
  const masked = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) masked[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([header, mask, masked]);
}

class WebSocketClient extends EventEmitter {
  constructor(socket, { protocol, head, maxMessageBytes = 16 * 1024 * 1024 }) {
    super();
    this.socket = socket;
    this.protocol = protocol;
    this.maxMessageBytes = maxMessageBytes;
    this.buffer = Buffer.alloc(0);
    this.fragments = null; // {opcode, parts, bytes} of a message in progress
    this.closeSent = false;
    this.closed = null; // what the 'close' event reported
    this.stats = { frames: 0, messages: 0, pings: 0, fragmented: 0 };
    socket.setNoDelay(true);
    // nothing is read (and no event emitted) before the caller of connect() had its turn to add listeners:
    // first the bytes that came with the 101 answer, then the socket
    socket.pause();
    socket.on('data', (chunk) => this._data(chunk));
    setImmediate(() => {
      if (head && head.length) this._data(head);
      if (!this.closed) socket.resume();
    });
    // the server may close the TCP connection right after its close frame: a late EPIPE/ECONNRESET on our
    // reply is expected then, and only recorded
    socket.on('error', (error) => {
      if (this.closed) this.closed.socketError = error.message;
      else this._finish({ code: 1006, reason: '', by: 'transport', error: error.message });
    });
    socket.on('close', () => this._finish({ code: 1006, reason: '', by: 'transport', error: 'connection closed without a close frame' }));
  }

  send(data, { binary = true } = {}) {
    if (this.closeSent || this.closed) throw new WebSocketError('the websocket is closing or closed');
    this.socket.write(encodeFrame(binary ? OP.BINARY : OP.TEXT, data));
  }

  // starts the closing handshake; 'close' follows when the server answers (or the connection ends)
  close(code = 1000, reason = '') {
    if (this.closeSent || this.closed) return;
    this.closeSent = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.socket.write(encodeFrame(OP.CLOSE, payload));
  }

  destroy() {
    this._finish({ code: 1006, reason: '', by: 'client', error: 'destroyed' });
    this.socket.destroy();
  }

  _finish(info) {
    if (this.closed) return;
    this.closed = info;
    this.emit('close', info);
  }

  _fail(code, message) {
    // a protocol error of the server's: tell it (best effort) and drop the connection
    if (!this.closeSent) {
      this.closeSent = true;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code, 0);
      this.socket.write(encodeFrame(OP.CLOSE, payload), () => {});
    }
    this._finish({ code, reason: '', by: 'client', error: message });
    this.socket.end(() => this.socket.destroy());
  }

  _data(chunk) {
    if (this.closed) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const rsv = b[0] & 0x70;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(this.maxMessageBytes)) return this._fail(1009, `a frame of ${big} bytes (limit ${this.maxMessageBytes})`);
        length = Number(big);
        offset = 10;
      }
      if (rsv) return this._fail(1002, `RSV bits 0x${rsv.toString(16)} set without a negotiated extension`);
      if (masked) return this._fail(1002, 'the server sent a masked frame');
      if (length > this.maxMessageBytes) return this._fail(1009, `a frame of ${length} bytes (limit ${this.maxMessageBytes})`);
      if (b.length < offset + length) return;
      const payload = b.subarray(offset, offset + length);
      this.buffer = b.subarray(offset + length);
      this.stats.frames++;
      if (opcode >= 8) {
        if (!fin || length > 125) return this._fail(1002, `a control frame (opcode ${opcode}) that is fragmented or longer than 125 bytes`);
        if (opcode === OP.PING) {
          this.stats.pings++;
          if (!this.closeSent) this.socket.write(encodeFrame(OP.PONG, payload));
        } else if (opcode === OP.PONG) {
          // unsolicited pongs are allowed and ignored
        } else if (opcode === OP.CLOSE) {
          const code = length >= 2 ? payload.readUInt16BE(0) : 1005;
          const reason = length > 2 ? payload.subarray(2).toString('utf8') : '';
          if (!this.closeSent) {
            // echo the code (1005 "no status" must not be sent on the wire)
            this.closeSent = true;
            const echo = Buffer.alloc(length >= 2 ? 2 : 0);
            if (length >= 2) echo.writeUInt16BE(code, 0);
            this.socket.write(encodeFrame(OP.CLOSE, echo), () => {});
            this._finish({ code, reason, by: 'server' });
          } else {
            this._finish({ code, reason, by: 'client' });
          }
          this.socket.end();
          return;
        } else {
          return this._fail(1002, `unknown control opcode ${opcode}`);
        }
        continue;
      }
      if (opcode === OP.CONTINUATION) {
        if (!this.fragments) return this._fail(1002, 'a continuation frame without a message in progress');
      } else if (opcode === OP.TEXT || opcode === OP.BINARY) {
        if (this.fragments) return this._fail(1002, 'a new data frame inside a fragmented message');
        this.fragments = { opcode, parts: [], bytes: 0, frames: 0 };
      } else {
        return this._fail(1002, `unknown data opcode ${opcode}`);
      }
      const f = this.fragments;
      f.parts.push(payload);
      f.bytes += payload.length;
      f.frames++;
      if (f.bytes > this.maxMessageBytes) return this._fail(1009, `a message of more than ${this.maxMessageBytes} bytes`);
      if (fin) {
        this.fragments = null;
        this.stats.messages++;
        if (f.frames > 1) this.stats.fragmented++;
        const data = f.parts.length === 1 ? Buffer.from(f.parts[0]) : Buffer.concat(f.parts);
        this.emit('message', data, f.opcode === OP.BINARY);
      }
    }
  }
}

// Opens a websocket to url (http:// or ws://) offering protocols; resolves a WebSocketClient once the
// handshake is verified, rejects with a WebSocketError (status, statusMessage, body, headers when the
// server answered without upgrading) otherwise. timeoutMs bounds the whole handshake.
function connect(url, { protocols = [], headers = {}, timeoutMs = 10000, maxMessageBytes } = {}) {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'ws:')
    return Promise.reject(new WebSocketError(`unsupported URL scheme ${u.protocol} in ${url} (only http:// and ws://)`));
  const key = crypto.randomBytes(16).toString('base64');
  const expectedAccept = crypto.createHash('sha1').update(key + GUID).digest('base64');
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const req = http.request({
      host: u.hostname, port: u.port || 80, path: u.pathname + u.search, method: 'GET', agent: false,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key,
        ...(protocols.length ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      settle(reject, new WebSocketError(`no websocket handshake answer from ${url} within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => settle(reject, new WebSocketError(`websocket request to ${url} failed: ${error.message}`)));
    // not upgraded: report the status and the start of the body
    req.on('response', (res) => {
      const parts = [];
      let bytes = 0;
      const done = () => {
        const body = Buffer.concat(parts).toString('utf8').trim();
        settle(reject, new WebSocketError(
          `websocket handshake with ${url} failed: HTTP ${res.statusCode} ${res.statusMessage || ''}`.trim() + (body ? `: ${body}` : ''),
          { status: res.statusCode, statusMessage: res.statusMessage, body, headers: res.headers }));
        res.destroy();
      };
      res.on('data', (c) => { if (bytes < 4096) { parts.push(c); bytes += c.length; } });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('upgrade', (res, socket, head) => {
      const h = res.headers;
      const fail = (why) => {
        socket.destroy();
        settle(reject, new WebSocketError(`websocket handshake with ${url}: ${why}`, { status: res.statusCode, headers: h }));
      };
      if (settled) { socket.destroy(); return; }
      if (res.statusCode !== 101) return fail(`status ${res.statusCode}, not 101`);
      if (String(h.upgrade || '').toLowerCase() !== 'websocket') return fail(`Upgrade: ${JSON.stringify(h.upgrade)}, not websocket`);
      if (!String(h.connection || '').toLowerCase().split(/\s*,\s*/).includes('upgrade')) return fail(`Connection: ${JSON.stringify(h.connection)}, not Upgrade`);
      if (h['sec-websocket-accept'] !== expectedAccept) return fail(`Sec-WebSocket-Accept ${JSON.stringify(h['sec-websocket-accept'])}, not ${expectedAccept}`);
      if (h['sec-websocket-extensions']) return fail(`the server selected extensions none were offered: ${h['sec-websocket-extensions']}`);
      const protocol = h['sec-websocket-protocol'] || '';
      if (protocols.length && !protocols.includes(protocol)) return fail(`subprotocol ${JSON.stringify(protocol)}, not one of the offered ${JSON.stringify(protocols)}`);
      const ws = new WebSocketClient(socket, { protocol, head, maxMessageBytes });
      ws.handshake = { status: res.statusCode, protocol, headers: h };
      settle(resolve, ws);
    });
    req.end();
  });
}

module.exports = { connect, WebSocketClient, WebSocketError, encodeFrame };
