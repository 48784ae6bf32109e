/**
 * The WebSocket wire format against RFC 6455's own examples (section 1.3 handshake, section 5.7 frames), so the client
 * and the emulator, which share this codec, are both checked against the standard and not only against each other.
 */
import assert from 'assert';
import { WS_OPCODE, WsDecoder, WsProtocolError, encodeWsFrame, wsAcceptKey } from '../../../lib/meter/wsFrames';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('meter/wsFrames: RFC 6455 frames', () => {
  it('the handshake example of section 1.3', () => {
    assert.strictEqual(wsAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('section 5.7: an unmasked "Hello" from a server, a masked one from a client', () => {
    assert.deepStrictEqual(encodeWsFrame(WS_OPCODE.text, 'Hello'), bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
    const masked = bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
    assert.deepStrictEqual(encodeWsFrame(WS_OPCODE.text, 'Hello', bytes(0x37, 0xfa, 0x21, 0x3d)), masked);
    assert.deepStrictEqual(new WsDecoder(true).push(masked), [{ kind: 'text', text: 'Hello' }]);
    assert.deepStrictEqual(new WsDecoder(false).push(bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)), [{ kind: 'text', text: 'Hello' }]);
  });

  it('section 5.7: a fragmented message with a ping between its fragments, byte by byte', () => {
    const d = new WsDecoder(false);
    const stream = Buffer.concat([bytes(0x01, 0x03, 0x48, 0x65, 0x6c), bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), bytes(0x80, 0x02, 0x6c, 0x6f)]);
    const out = [...stream].flatMap((b) => d.push(bytes(b)));
    assert.deepStrictEqual(out, [{ kind: 'ping', data: Buffer.from('Hello') }, { kind: 'text', text: 'Hello' }]);
  });

  it('16-bit and 64-bit lengths (256 bytes and 64 KiB, section 5.7) round-trip', () => {
    for (const n of [256, 65536]) {
      const frame = encodeWsFrame(WS_OPCODE.binary, Buffer.alloc(n, 7));
      assert.deepStrictEqual([...frame.subarray(0, 2)], [0x82, n === 256 ? 0x7e : 0x7f]);
      assert.deepStrictEqual(new WsDecoder(false).push(frame), [{ kind: 'binary', data: Buffer.alloc(n, 7) }]);
    }
  });

  it('refuses frames masked the wrong way, oversized messages and invalid UTF-8', () => {
    assert.throws(() => new WsDecoder(false).push(bytes(0x81, 0x85, 0, 0, 0, 0, 0x48, 0x65, 0x6c, 0x6c, 0x6f)), WsProtocolError);
    assert.throws(() => new WsDecoder(true).push(bytes(0x81, 0x01, 0x48)), WsProtocolError);
    assert.throws(() => new WsDecoder(false, 10).push(encodeWsFrame(WS_OPCODE.text, 'x'.repeat(11))), /larger than 10/);
    assert.throws(() => new WsDecoder(false).push(bytes(0x81, 0x02, 0xc3, 0x28)), /not valid UTF-8/);
  });
});
