/**
 * The WebSocket of the HomeWizard API v2 (`wss://<meter>/api/ws`), client side: TLS to the pinned certificate
 * (homewizardV2Client.ts `openPinnedTls`), the HTTP/1.1 upgrade (RFC 6455 section 4), then text messages both ways.
 * Pings are answered; a close from the meter is answered and ends the connection. Frames: wsFrames.ts.
 *
 * What travels on it is the meter's JSON protocol (api-documentation.homewizard.com, "WebSocket /api/ws"): the meter
 * sends `{"type":"authorization_requested"}`, the client `{"type":"authorization","data":"<token>"}` (within 40 s),
 * the meter `{"type":"authorized"}`; then `{"type":"subscribe","data":"measurement"}` and the meter pushes
 * `{"type":"measurement","data":{…}}` (the same object as GET /api/measurement) on every new telegram.
 */
import type tls from 'tls';
import { PeerError } from '../errors';
import { openPinnedTls, socketProblem, splitV2Host } from './homewizardV2Client';
import { WS_OPCODE, WsDecoder, WsProtocolError, closePayload, encodeClientFrame, wsAcceptKey, wsNewKey } from './wsFrames';

/** An open WebSocket to the meter. */
export interface V2Socket {
  /** Send one text message (ignored once closed). */
  send(text: string): void;
  /** Close (a close frame, then the TCP connection); `onEnd` follows once. */
  close(): void;
}

export interface V2SocketHandlers {
  onText(text: string): void;
  /** Exactly once: null when closed by us or cleanly by the meter, else why. */
  onEnd(error: Error | null): void;
}

/** Opens the v2 WebSocket to `host` over a connection pinned to `pin`. */
export type V2SocketConnect = (host: string, pin: string, timeoutMs: number, handlers: V2SocketHandlers) => Promise<V2Socket>;

/** Reads the upgrade answer; resolves with the bytes after it. */
function readUpgrade(socket: tls.TLSSocket, key: string, where: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) done(new PeerError('protocol', `${where}: upgrade answer too long`));
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0])?.[1];
      const accept = lines.find((l) => /^sec-websocket-accept:/i.test(l))?.split(':')[1]?.trim();
      if (status === '401') return done(new PeerError('auth', `${where}: the meter refused (HTTP 401): pair it again on the settings page`, 401));
      if (status !== '101') return done(new PeerError('protocol', `${where}: no WebSocket here (HTTP ${status ?? '?'}): is it a P1 meter with firmware 6 or later?`));
      if (accept !== wsAcceptKey(key)) return done(new PeerError('protocol', `${where}: wrong Sec-WebSocket-Accept in the upgrade answer`));
      done(null, head.subarray(end + 4));
    };
    const onError = (err: Error): void => done(new PeerError('unreachable', `${where}: ${socketProblem(err)}`));
    const onClose = (): void => done(new PeerError('unreachable', `${where}: the meter closed the connection during the upgrade`));
    const done = (err: Error | null, rest?: Buffer): void => {
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(rest!);
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** Node's TLS socket as a `V2SocketConnect`. */
export const nodeV2SocketConnect: V2SocketConnect = async (host, pin, timeoutMs, handlers) => {
  const { hostPort } = splitV2Host(host);
  const where = `HomeWizard ${hostPort} WebSocket`;
  const { socket } = await openPinnedTls(host, pin, timeoutMs);
  const key = wsNewKey();
  socket.setTimeout(timeoutMs, () => socket.destroy(new PeerError('timeout', `${where}: no upgrade answer within ${timeoutMs} ms`)));
  socket.write(
    `GET /api/ws HTTP/1.1\r\nHost: ${hostPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nX-Api-Version: 2\r\n\r\n`,
  );
  const rest = await readUpgrade(socket, key, where);
  socket.setTimeout(0);
  return attach(socket, rest, where, handlers);
};

function attach(socket: tls.TLSSocket, rest: Buffer, where: string, handlers: V2SocketHandlers): V2Socket {
  const decoder = new WsDecoder(false);
  let ended = false;
  let closing = false;
  let error: Error | null = null;
  const end = (): void => {
    if (ended) return;
    ended = true;
    handlers.onEnd(error);
  };
  const fail = (err: Error): void => {
    error ??= err;
    socket.destroy();
  };
  const write = (opcode: number, payload: Buffer | string): void => {
    if (!socket.destroyed && socket.writable) socket.write(encodeClientFrame(opcode, payload));
  };
  const receive = (chunk: Buffer): void => {
    let messages;
    try {
      messages = decoder.push(chunk);
    } catch (err) {
      return fail(new PeerError('protocol', `${where}: ${err instanceof WsProtocolError ? err.message : socketProblem(err as Error)}`));
    }
    for (const m of messages) {
      if (ended) return;
      if (m.kind === 'text') handlers.onText(m.text);
      else if (m.kind === 'ping') write(WS_OPCODE.pong, m.data);
      else if (m.kind === 'close') {
        if (!closing) write(WS_OPCODE.close, closePayload(1000));
        if (!closing && m.code !== 1000 && m.code !== null) error ??= new PeerError('unreachable', `${where}: the meter closed the stream (${m.code}${m.reason ? ` ${m.reason}` : ''})`);
        socket.end();
      }
    }
  };
  socket.on('data', receive);
  socket.on('error', (err) => {
    error ??= new PeerError('unreachable', `${where}: ${socketProblem(err)}`);
  });
  socket.once('close', end);
  if (rest.length > 0) queueMicrotask(() => receive(rest));
  return {
    send: (text) => write(WS_OPCODE.text, text),
    close: () => {
      if (ended || closing) return;
      closing = true;
      write(WS_OPCODE.close, closePayload(1000));
      // no need to wait for the meter's reply: the close frame is on its way, the TCP close ends it either way
      socket.destroy();
    },
  };
}
