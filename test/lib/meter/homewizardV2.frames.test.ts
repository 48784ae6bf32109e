/**
 * HomeWizard API v2 stream: text frames that are valid JSON but no object (`null`, a number, a string, a list) are
 * ignored like malformed JSON, on the connection they came on. Such a frame used to throw on `msg.type` inside the
 * socket's 'data' handler: an uncaught exception that ends the whole Homey app. Checked on the source's own message
 * handler, and over a real loopback TLS WebSocket with the node client, from a minimal meter that sends raw frames
 * (the HomeWizard v2 emulator only sends well-formed messages).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import tls from 'tls';
import type { MeterSample } from '../../../lib/balancer/types';
import { ManualClock } from '../../../lib/clock';
import { HomeWizardV2Source } from '../../../lib/meter/homewizardV2';
import type { V2SocketConnect, V2SocketHandlers } from '../../../lib/meter/homewizardV2Ws';
import { WS_OPCODE, WsDecoder, encodeWsFrame, wsAcceptKey } from '../../../lib/meter/wsFrames';
import { certificateFingerprint, makeCertificate } from '../../../tools/emulators/homewizardV2';
import { closeServer, listen } from '../../../tools/emulators/listen';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter', 'homewizard');
const THREE_PHASE = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;
const TOKEN = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
/** Valid JSON, but no message object. */
const NOT_OBJECTS = ['null', '42', '"measurement"', 'true', '[]', '[{"type":"measurement"}]'];

/** Wait (real time, the bytes are real) until `cond` holds; fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('meter/homewizardV2: text frames that are no JSON object', () => {
  it('are ignored by the message handler (no throw), and the stream goes on', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    let handlers: V2SocketHandlers | null = null;
    const sent: string[] = [];
    const connect: V2SocketConnect = async (_host, _pin, _timeoutMs, h) => {
      handlers = h;
      return { send: (text) => sent.push(text), close: () => h.onEnd(null) };
    };
    const source = new HomeWizardV2Source({ host: '192.168.1.30', token: TOKEN, certFingerprint: 'AB'.repeat(32), clock, connect });
    const samples: MeterSample[] = [];
    source.onSample((s) => samples.push(s));
    await source.start();
    await source.idle();
    for (const text of NOT_OBJECTS) assert.doesNotThrow(() => handlers!.onText(text), `frame ${text}`);
    handlers!.onText('{"type":"authorized"}');
    for (const text of NOT_OBJECTS) assert.doesNotThrow(() => handlers!.onText(text), `frame ${text} after authorisation`);
    handlers!.onText(JSON.stringify({ type: 'measurement', data: THREE_PHASE }));
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [[-4, 2, 0]]);
    assert.deepStrictEqual(sent, [JSON.stringify({ type: 'subscribe', data: 'measurement' })]);
    assert.deepStrictEqual([source.counters.disconnects, source.counters.telegrams, source.status().error], [0, 1, null]);
    await source.stop();
  });

  describe('over a loopback TLS WebSocket', () => {
    let server: tls.Server | null = null;
    let source: HomeWizardV2Source | null = null;

    afterEach(async () => {
      await source?.stop();
      source = null;
      await closeServer(server);
      server = null;
    });

    /** A meter that authorises the token, then answers the subscription with `frames` (raw texts) and a measurement. */
    async function rawMeter(frames: string[]): Promise<{ host: string; fingerprint: string }> {
      const { key, cert } = makeCertificate(1);
      server = tls.createServer({ key, cert }, (socket) => {
        let head = '';
        const decoder = new WsDecoder(true);
        const send = (text: string): boolean => socket.write(encodeWsFrame(WS_OPCODE.text, text));
        const onData = (chunk: Buffer): void => {
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          socket.removeListener('data', onData);
          const wsKey = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAcceptKey(wsKey)}\r\n\r\n`);
          for (const text of frames) send(text); // before authorisation too
          send(JSON.stringify({ type: 'authorization_requested', data: { api_version: '2.0.0' } }));
          socket.on('data', (c: Buffer) => {
            for (const m of decoder.push(c)) {
              if (m.kind !== 'text') continue;
              const msg = JSON.parse(m.text) as { type: string; data: unknown };
              if (msg.type === 'authorization' && msg.data === TOKEN) send(JSON.stringify({ type: 'authorized' }));
              if (msg.type === 'subscribe') {
                for (const text of frames) send(text);
                send(JSON.stringify({ type: 'measurement', data: THREE_PHASE }));
              }
            }
          });
        };
        socket.on('data', onData);
        socket.on('error', () => socket.destroy());
      });
      const host = await listen(server, 0, '127.0.0.1');
      return { host, fingerprint: certificateFingerprint(cert) };
    }

    it('null, a number, a string and a list arrive as frames: no crash, the same connection brings the measurement', async () => {
      const { host, fingerprint } = await rawMeter(NOT_OBJECTS);
      source = new HomeWizardV2Source({ host, token: TOKEN, certFingerprint: fingerprint, clock: new ManualClock(1_700_000_000_000) });
      const samples: MeterSample[] = [];
      source.onSample((s) => samples.push(s));
      await source.start();
      await source.idle();
      await until(() => samples.length === 1, 'the measurement after the odd frames');
      assert.deepStrictEqual(samples[0].currentsA, [-4, 2, 0]);
      const { connects, disconnects } = source.counters;
      assert.deepStrictEqual([connects, disconnects, source.status().error], [1, 0, null]);
    });
  });
});
