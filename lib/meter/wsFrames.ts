/**
 * The WebSocket wire format (RFC 6455) as far as the HomeWizard API v2 stream needs it: text messages, ping/pong and
 * close, no extensions. Used by the client (lib/meter/homewizardV2Ws.ts) and by the workshop's emulator.
 *
 * Why our own and not the `ws` package: the token must go out only on a connection whose certificate was checked
 * against the fingerprint pinned at pairing, so the client opens the TLS socket itself, checks it, and only then
 * writes the upgrade request (see homewizardV2Client.ts); that, text frames and ping/pong are all the stream needs,
 * and the app installed on a Homey stays without another dependency.
 *
 * - A frame: FIN + opcode, MASK + length (7 bits, 126 → 16-bit, 127 → 64-bit), the 4-byte mask key when masked, the
 *   payload (XOR-ed with the key). A client masks every frame; a server never does (section 5.1): a frame masked the
 *   wrong way is a protocol error.
 * - A message may come in fragments (opcode 0 continuations until FIN); control frames (close, ping, pong) may come
 *   between them, are never fragmented and carry at most 125 bytes.
 * - The handshake: `Sec-WebSocket-Accept` = base64(SHA-1(key + the RFC's GUID)).
 */
import crypto from 'crypto';

export const WS_OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The `Sec-WebSocket-Accept` a server answers to `key`. */
export function wsAcceptKey(key: string): string {
  return crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** A fresh `Sec-WebSocket-Key` (16 random bytes, base64). */
export function wsNewKey(): string {
  return crypto.randomBytes(16).toString('base64');
}

/** One frame; `mask` (4 bytes) for a client's frame, none for a server's. */
export function encodeWsFrame(opcode: number, payload: Buffer | string, mask?: Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const len = data.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = 0x80 | (opcode & 0x0f);
  head[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, data]);
  mask.copy(head, 2 + lenBytes);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([head, body]);
}

/** A client's frame: masked with a random key. */
export function encodeClientFrame(opcode: number, payload: Buffer | string): Buffer {
  return encodeWsFrame(opcode, payload, crypto.randomBytes(4));
}

/** A close frame's payload: the status code and a short reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const r = Buffer.from(reason.slice(0, 100), 'utf8');
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

/** What the decoder hands on: a whole text/binary message, or a control frame. */
export type WsMessage =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; data: Buffer }
  | { kind: 'close'; code: number | null; reason: string }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer };

export class WsProtocolError extends Error {}

/**
 * Cuts a byte stream into messages. `masked`: whether the peer's frames must be masked (true on a server, false on
 * a client). Throws `WsProtocolError` on anything RFC 6455 forbids or a message over `maxBytes`.
 */
export class WsDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode: number | null = null;
  private fragmentBytes = 0;

  constructor(private readonly masked: boolean, private readonly maxBytes = 1024 * 1024) {}

  push(chunk: Buffer): WsMessage[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: WsMessage[] = [];
    for (;;) {
      const frame = this.nextFrame();
      if (!frame) return out;
      const msg = this.take(frame.fin, frame.opcode, frame.payload);
      if (msg) out.push(msg);
    }
  }

  /** The next whole frame in the buffer, or null when it has not all arrived. */
  private nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | null {
    const b = this.buf;
    if (b.length < 2) return null;
    const fin = (b[0] & 0x80) !== 0;
    if ((b[0] & 0x70) !== 0) throw new WsProtocolError('reserved bits set (no extension was agreed)');
    const opcode = b[0] & 0x0f;
    const isMasked = (b[1] & 0x80) !== 0;
    if (isMasked !== this.masked) throw new WsProtocolError(this.masked ? 'unmasked frame from a client' : 'masked frame from the server');
    let len = b[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxBytes)) throw new WsProtocolError(`frame of ${big} bytes is larger than ${this.maxBytes}`);
      len = Number(big);
      at = 10;
    }
    if (len > this.maxBytes) throw new WsProtocolError(`frame of ${len} bytes is larger than ${this.maxBytes}`);
    const maskAt = at;
    if (isMasked) at += 4;
    if (b.length < at + len) return null;
    const payload = Buffer.from(b.subarray(at, at + len));
    if (isMasked) for (let i = 0; i < len; i++) payload[i] ^= b[maskAt + (i & 3)];
    this.buf = b.subarray(at + len);
    return { fin, opcode, payload };
  }

  private take(fin: boolean, opcode: number, payload: Buffer): WsMessage | null {
    if (opcode >= 8) {
      if (!fin || payload.length > 125) throw new WsProtocolError('fragmented or oversized control frame');
      if (opcode === WS_OPCODE.close) {
        return { kind: 'close', code: payload.length >= 2 ? payload.readUInt16BE(0) : null, reason: payload.subarray(2).toString('utf8') };
      }
      if (opcode === WS_OPCODE.ping) return { kind: 'ping', data: payload };
      if (opcode === WS_OPCODE.pong) return { kind: 'pong', data: payload };
      throw new WsProtocolError(`unknown control opcode ${opcode}`);
    }
    if (opcode === WS_OPCODE.continuation) {
      if (this.fragmentOpcode === null) throw new WsProtocolError('continuation frame without a message to continue');
    } else if (opcode === WS_OPCODE.text || opcode === WS_OPCODE.binary) {
      if (this.fragmentOpcode !== null) throw new WsProtocolError('new message before the last one ended');
      this.fragmentOpcode = opcode;
    } else {
      throw new WsProtocolError(`unknown opcode ${opcode}`);
    }
    this.fragmentBytes += payload.length;
    if (this.fragmentBytes > this.maxBytes) throw new WsProtocolError(`message larger than ${this.maxBytes} bytes`);
    this.fragments.push(payload);
    if (!fin) return null;
    const data = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
    const kind = this.fragmentOpcode;
    this.fragments = [];
    this.fragmentOpcode = null;
    this.fragmentBytes = 0;
    if (kind === WS_OPCODE.binary) return { kind: 'binary', data };
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      return { kind: 'text', text: text.decode(data) };
    } catch {
      throw new WsProtocolError('text message is not valid UTF-8');
    }
  }
}
