/**
 * HomeWizard API v2 against its emulator over real loopback HTTPS and WebSocket, with the real v2 measurement
 * payloads (python-homewizard-energy fixtures, Apache-2.0, bundled): pairing (button not pressed → 'press-button',
 * pressed → a token; a certificate other than the pinned one → refused in one line without the token), the stream →
 * MeterSample (signed currents, power_w, voltages, the month peak), a repeated push is no news, reconnect with
 * back-off after a drop, stale detection when pushes stop, a refused token, a changed certificate; the token never in
 * any line the source or client produced. Timers (stale, back-off) run on a ManualClock; the bytes travel for real.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { ManualClock } from '../../../lib/clock';
import type { MeterSample } from '../../../lib/balancer/types';
import { describeError } from '../../../lib/errors';
import { HomeWizardV2Source } from '../../../lib/meter/homewizardV2';
import { fetchV2Device, normaliseFingerprint, requestV2Token, v2Request } from '../../../lib/meter/homewizardV2Client';
import { HomeWizardV2Emulator, measurementWithValues } from '../../../tools/emulators/homewizardV2';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter', 'homewizard');
const readJson = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as Record<string, unknown>;
const THREE_PHASE = readJson('v2_api_measurement_HWE-P1_fw6.00_3phase.json');
const ONE_PHASE = readJson('v2_api_measurement_HWE-P1_1phase.json');

/** Wait (real time, the bytes are real) until `cond` holds; fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('meter/homewizardV2: API v2 pairing and WebSocket stream (loopback HTTPS, real payloads)', () => {
  let emulator: HomeWizardV2Emulator;
  let host: string;
  let clock: ManualClock;
  let source: HomeWizardV2Source | undefined;
  let samples: MeterSample[];
  let errors: (string | null)[];
  let measurement: (n: number) => Record<string, unknown>;

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    measurement = (n) => (n === 0 ? THREE_PHASE : measurementWithValues(THREE_PHASE, { currentsA: [5 + n, -3, 2], n }));
    emulator = new HomeWizardV2Emulator({ measurement: (n) => measurement(n) });
    host = await emulator.start();
    samples = [];
    errors = [];
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await emulator.stop();
  });

  async function pair(): Promise<{ token: string; fingerprint: string }> {
    const first = await requestV2Token(host, null);
    emulator.pressButton();
    const second = await requestV2Token(host, first.fingerprint);
    assert.strictEqual(second.state, 'token');
    return { token: (second as { token: string }).token, fingerprint: second.fingerprint };
  }

  async function startSource(opts: Partial<ConstructorParameters<typeof HomeWizardV2Source>[0]> = {}): Promise<HomeWizardV2Source> {
    const { token, fingerprint } = await pair();
    source = new HomeWizardV2Source({ host, token, certFingerprint: fingerprint, clock, reconnectMinMs: 1000, reconnectMaxMs: 8000, silenceTimeoutMs: 20_000, ...opts });
    source.onSample((s) => samples.push(s));
    source.onError((e) => errors.push(e));
    await source.start();
    await source.idle();
    return source;
  }

  it('pairing: 403 until the button is pressed, then a token; the certificate seen first is the one pinned', async () => {
    const first = await requestV2Token(host, null);
    assert.strictEqual(first.state, 'press-button');
    assert.strictEqual(first.fingerprint, emulator.fingerprint);
    assert.strictEqual((await requestV2Token(host, first.fingerprint)).state, 'press-button', 'asking again changes nothing');
    emulator.pressButton();
    const paired = await requestV2Token(host, first.fingerprint);
    assert.strictEqual(paired.state, 'token');
    const token = (paired as { token: string }).token;
    assert.match(token, /^[0-9A-F]{32}$/);
    assert.ok(emulator.tokens.has(token));
    const device = await fetchV2Device(host, first.fingerprint, token);
    assert.deepStrictEqual([device.productType, device.serial, device.firmwareVersion], ['HWE-P1', '5c2fafaabbcc', '6.00']);
    await assert.rejects(fetchV2Device(host, first.fingerprint, 'ABCDEF0123456789ABCDEF0123456789'), /refused the token \(HTTP 401\): pair it again/);
  });

  it('a certificate other than the pinned one is refused before the token is sent, in one line without the token', async () => {
    const { token, fingerprint } = await pair();
    emulator.changeCertificate();
    assert.notStrictEqual(emulator.fingerprint, fingerprint);
    const before = emulator.stats.httpRequests;
    const err = await fetchV2Device(host, fingerprint, token).then(() => null, (e: unknown) => e);
    const line = describeError(err);
    assert.match(line, /refused: its certificate \([0-9A-F:]{11}…\) is not the one pinned at pairing \([0-9A-F:]{11}…\); .*pair it again/);
    assert.ok(!line.includes(token) && !line.includes('\n'));
    assert.strictEqual(emulator.stats.httpRequests, before, 'no request reached the impostor');
    // the pairing itself accepts a new certificate only when started afresh (pin null)
    assert.strictEqual((await v2Request({ host, pin: null, path: '/api' })).status, 401);
  });

  it('normalises fingerprints (with or without colons, any case) and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    assert.strictEqual(normaliseFingerprint(hex), Array(32).fill('AB').join(':'));
    assert.strictEqual(normaliseFingerprint(Array(32).fill('ab').join(':')), Array(32).fill('AB').join(':'));
    assert.strictEqual(normaliseFingerprint('ab'.repeat(20)), null);
    assert.strictEqual(normaliseFingerprint(42), null);
  });

  it('the WebSocket stream: authorise, subscribe, every push a MeterSample with currents, power, voltages and peak', async () => {
    await startSource();
    await until(() => samples.length === 1, 'the measurement sent on subscribe');
    assert.deepStrictEqual(samples[0].currentsA, [-4, 2, 0], 'the real payload: signed current_lN_a (|P|/230 V is smaller)');
    assert.strictEqual(samples[0].powerW, -543);
    assert.strictEqual(samples[0].meterPeakW, 1111);
    assert.strictEqual(samples[0].voltagesV, undefined, 'this payload carries no voltage');
    emulator.pushNext();
    await until(() => samples.length === 2, 'a push');
    assert.deepStrictEqual(samples[1].currentsA, [6, -3, 2]);
    assert.strictEqual(samples[1].powerW, Math.round(6 * 230) - 690 + 460);
    assert.deepStrictEqual(samples[1].voltagesV, [230, 230, 230]);
    assert.strictEqual(samples[1].seq, 2);
    assert.strictEqual(source!.status().error, null);
    assert.deepStrictEqual([source!.status().v2.authorized, source!.status().v2.connected], [true, true]);
  });

  it('a push equal to the last one is no news; a one-phase meter leaves L2 and L3 null', async () => {
    measurement = () => ONE_PHASE;
    emulator.pushNext(); // no client yet: it becomes the measurement sent on subscribe
    await startSource();
    await until(() => samples.length === 1, 'the first measurement');
    assert.deepStrictEqual(samples[0].currentsA, [-2.939, null, null], '−676 W at 230 V (no current in this payload)');
    emulator.pushNext();
    emulator.pushNext();
    await until(() => source!.counters.repeated === 2, 'two repeats');
    assert.strictEqual(samples.length, 1);
  });

  it('reconnects with back-off after a drop (1 s, then 2 s while it keeps failing), and comes back', async () => {
    await startSource();
    await until(() => samples.length === 1, 'the first measurement');
    emulator.faults.rejectTokens = true;
    emulator.dropConnections();
    await until(() => source!.counters.disconnects === 1, 'the drop noticed');
    assert.match(errors.at(-1) ?? '', /reconnecting in 1 s$/);
    await clock.advance(1000);
    await until(() => source!.counters.disconnects === 2, 'the refused reconnect');
    assert.match(errors.at(-1) ?? '', /the meter refused the token: pair it again on the settings page; reconnecting in 2 s$/);
    await clock.advance(1999);
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(emulator.stats.wsConnections, 2, 'no attempt before the back-off ran out (no storm)');
    emulator.faults.rejectTokens = false;
    await clock.advance(1);
    await until(() => source!.counters.repeated === 1, 'subscribed again (the last measurement again: no news)');
    emulator.pushNext();
    await until(() => samples.length === 2, 'the stream back');
    assert.strictEqual(source!.status().error, null);
    assert.strictEqual(emulator.stats.wsConnections, 3);
    for (const line of errors) for (const t of emulator.tokens) assert.ok(!line?.includes(t), 'the token never in an error line');
  });

  it('stale: no push for the silence timeout closes the connection and reconnects; samples resume', async () => {
    await startSource({ silenceTimeoutMs: 20_000 });
    await until(() => samples.length === 1, 'the first measurement');
    emulator.faults.silent = true;
    await clock.advance(19_999);
    assert.strictEqual(source!.counters.staleTimeouts, 0);
    await clock.advance(1);
    await until(() => source!.counters.disconnects === 1, 'the stale connection closed');
    assert.match(source!.status().error ?? '', /no measurement for 20 s \(stale\); reconnecting in 1 s$/);
    emulator.faults.silent = false;
    await clock.advance(1000);
    await until(() => source!.counters.repeated === 1, 'subscribed again');
    emulator.pushNext();
    await until(() => samples.length === 2, 'samples again');
  });

  it('a changed certificate stops the stream with one clear line and no token sent', async () => {
    await startSource();
    await until(() => samples.length === 1, 'the first measurement');
    emulator.changeCertificate();
    const connections = emulator.stats.wsConnections;
    emulator.dropConnections();
    await until(() => source!.counters.disconnects === 1, 'the drop noticed');
    await clock.advance(1000);
    await until(() => source!.counters.connectFailures === 1, 'a refused attempt');
    assert.strictEqual(emulator.stats.wsConnections, connections, 'no WebSocket reached the other certificate');
    assert.match(source!.status().error ?? '', /^HomeWizard 127\.0\.0\.1:\d+: refused: its certificate .* pair it again on the settings page; reconnecting in \d s$/);
  });

  it('refuses to start without a token or pinned certificate (one line naming the field)', () => {
    assert.throws(() => new HomeWizardV2Source({ host, token: '', certFingerprint: 'AB'.repeat(32), clock }), /meter\.pairing: no token for the HomeWizard API v2: pair the meter/);
    assert.throws(() => new HomeWizardV2Source({ host, token: 'ABCDEF0123456789', certFingerprint: 'nope', clock }), /meter\.pairing: no pinned certificate/);
  });
});
