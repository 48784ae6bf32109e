/**
 * The raw P1 TCP source against the P1 dongle emulator over real loopback TCP, streaming real telegrams:
 * samples with the right currents, and every fault (noise, a cut telegram, a bad or missing CRC, a dropped
 * connection, silence, refused connections) survived with resynchronisation, counts and a reconnect
 * without a storm. Timers (silence, back-off) run on a ManualClock; the bytes travel for real.
 */
import assert from 'assert';
import fs from 'fs';
import net from 'net';
import path from 'path';
import { ManualClock } from '../../../lib/clock';
import type { MeterSample, Triple } from '../../../lib/balancer/types';
import { UserInputError } from '../../../lib/errors';
import { dsmrSignedCurrents, parseDsmrTelegram, splitDsmrTelegrams } from '../../../lib/meter/dsmr';
import { P1TcpSource, dropImplausible, parseP1TcpAddress, type P1Connect } from '../../../lib/meter/p1tcp';
import { P1TcpEmulator, asSent, telegramWithValues, withCrc } from '../../../tools/emulators/p1tcp';
import { ISKRA_TELEGRAMS, until } from './p1helpers';

const DSMR = path.join(__dirname, '..', '..', 'fixtures', 'meter', 'dsmr');
const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'realdata');
const read = (file: string): string => fs.readFileSync(file, 'latin1');
const ISKRA = ISKRA_TELEGRAMS;
const expected = (t: string): Triple<number | null> => dsmrSignedCurrents(parseDsmrTelegram(t));

describe('meter/p1tcp: raw DSMR telegrams over TCP (loopback, real telegrams)', () => {
  let clock: ManualClock;
  let emulator: P1TcpEmulator;
  let source: P1TcpSource | undefined;
  let samples: MeterSample[];
  let errors: (string | null)[];

  async function startAll(
    telegrams: string[] | ((n: number) => string) = ISKRA,
    opts: Partial<ConstructorParameters<typeof P1TcpSource>[0]> = {},
    intervalMs = 1000,
  ): Promise<P1TcpSource> {
    emulator = new P1TcpEmulator({ telegrams, clock, intervalMs });
    const host = await emulator.start();
    source = new P1TcpSource({ host, clock, ...opts });
    samples = [];
    errors = [];
    source.onSample((s) => samples.push(s));
    source.onError((e) => errors.push(e));
    await source.start();
    await connected();
    return source;
  }

  /** The source is connected and the emulator has its socket. */
  async function connected(clients = 1): Promise<void> {
    await source!.idle();
    await until(() => emulator.clients === clients && source!.status().p1.connected, 'the connection');
  }

  /** Send the next telegram and wait until the source has taken it in. */
  async function send(): Promise<string> {
    const before = source!.counters.telegrams + source!.counters.cut;
    const noise = source!.counters.noiseBytes;
    const sent = emulator.sendNext();
    await until(() => source!.counters.telegrams + source!.counters.cut > before || (sent !== '' && source!.counters.noiseBytes > noise && !sent.includes('!')), 'the telegram');
    return sent;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2025, 0, 1, 12));
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await emulator?.stop();
  });

  it('reads the stream: one sample per telegram, seq + 1, wall time at receipt, the telegram\'s currents', async () => {
    await startAll();
    for (let i = 0; i < ISKRA.length; i++) {
      await send();
      await clock.advance(1000);
    }
    assert.strictEqual(samples.length, 30);
    samples.forEach((s, i) => {
      assert.strictEqual(s.seq, i + 1);
      assert.deepStrictEqual(s.currentsA, expected(ISKRA[i]));
      assert.strictEqual(s.timeMs, Date.UTC(2025, 0, 1, 12) + i * 1000);
    });
    // 15:10:07 W: L1 47 W at 237.0 V = 0.198 A, L3 537 W at 236.5 V = 2.271 A (above the truncated 0 A and 2 A)
    const first = parseDsmrTelegram(ISKRA[0]);
    assert.deepStrictEqual([first.currentA, first.importW[2], first.timestampMs], [[0, 0, 2], 537, Date.UTC(2019, 2, 24, 14, 10, 7)]);
    assert.deepStrictEqual(samples[0].currentsA, [0.198, 0.047, 2.271]);
    assert.ok(samples.some((s) => parseDsmrTelegram(ISKRA[s.seq! - 1]).currentA[2] === 3), 'L3 steps to 3 A in this excerpt');
    const st = source!.status();
    assert.deepStrictEqual([st.error, st.p1.accepted, st.p1.crcErrors, st.p1.cut, st.p1.noiseBytes], [null, 30, 0, 0, 0]);
    assert.strictEqual(st.p1.meterTimeMs, parseDsmrTelegram(ISKRA[29]).timestampMs);
    assert.strictEqual(st.kind, 'p1tcp');
    assert.deepStrictEqual(st.perPhaseAgeS, [1, 1, 1]);
  });

  it('gives the currents of a telegram made from other values (import, export, decimals) exactly', async () => {
    // values whose power is whole watts at 230 V (the kW registers carry 3 decimals)
    const currents: Triple<number>[] = [[12.5, -7.2, 3], [0, 16, -0.5]];
    await startAll((n) => telegramWithValues(ISKRA[0], { currentsA: currents[n % 2], voltageV: 230, stamp: `19032415${String(10 + n).padStart(2, '0')}00W` }));
    await send();
    await send();
    // whole amps in the current register (truncated), power to the watt: |P| / U wins when larger
    assert.deepStrictEqual(samples.map((s) => s.currentsA), currents);
    assert.strictEqual(source!.status().p1.meterTimeMs, Date.UTC(2019, 2, 24, 14, 11));
  });

  it('resynchronises on "/" after noise between telegrams (random bytes, "/" and "!" among them)', async () => {
    await startAll();
    emulator.faults.noiseBytes = 300;
    for (let i = 0; i < 20; i++) await send();
    emulator.faults.noiseBytes = 0;
    await send();
    const p1 = source!.status().p1;
    assert.strictEqual(samples.length, 21, 'every real telegram got through');
    assert.ok(p1.noiseBytes + p1.cut > 0, JSON.stringify(p1));
    samples.forEach((s, i) => assert.deepStrictEqual(s.currentsA, expected(ISKRA[i])));
    assert.strictEqual(source!.status().error, null);
  });

  it('drops a telegram cut midway, counts it, and reads the next one', async () => {
    await startAll();
    await send();
    emulator.faults.cutNext = 1;
    emulator.sendNext(); // half a telegram: nothing to read until the next '/'
    await send();
    const p1 = source!.status().p1;
    assert.strictEqual(p1.cut, 1);
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [expected(ISKRA[0]), expected(ISKRA[2])]);
    assert.deepStrictEqual(samples.map((s) => s.seq), [1, 2]);
  });

  it('refuses telegrams with a bad CRC or none (DSMR 5 cut before its CRC), counted, no sample', async () => {
    await startAll();
    await send();
    emulator.faults.badCrcNext = 2;
    await send();
    await send();
    assert.match(source!.status().p1.lastProblem ?? '', /CRC mismatch/);
    emulator.faults.noCrcNext = 1;
    await send();
    await send();
    const p1 = source!.status().p1;
    assert.deepStrictEqual([p1.crcErrors, p1.incomplete, p1.accepted], [2, 1, 2]);
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [expected(ISKRA[0]), expected(ISKRA[4])]);
  });

  it('reconnects after a dropped connection, with a clear one-line error meanwhile; seq goes on', async () => {
    await startAll();
    await send();
    emulator.dropConnections();
    await until(() => source!.status().error !== null, 'the error');
    assert.strictEqual(source!.status().error, `P1 meter ${source!.host}: the dongle closed the connection; reconnecting in 1 s`);
    await clock.advance(1000);
    await connected();
    await send();
    assert.deepStrictEqual(samples.map((s) => s.seq), [1, 2]);
    assert.deepStrictEqual(errors, [errors[0], null]);
    const p1 = source!.status().p1;
    assert.deepStrictEqual([p1.connects, p1.disconnects], [2, 1]);
  });

  it('backs off (1, 2, 4 … 60 s) while the dongle refuses, no storm; a good telegram resets the back-off', async () => {
    await startAll();
    emulator.faults.refuse = true;
    emulator.dropConnections();
    await until(() => source!.status().error !== null, 'the error');
    for (let s = 0; s < 300; s++) {
      await clock.advance(1000);
      await source!.idle();
      await until(() => !source!.status().p1.connected, 'the refusal'); // the close travels for real
    }
    // 1+2+4+8+16+32+60+60+60+60 s: about 10 attempts in 5 min, not 300
    assert.ok(emulator.stats.connections >= 8 && emulator.stats.connections <= 12, `${emulator.stats.connections} connections`);
    assert.match(source!.status().error!, /^P1 meter 127\.0\.0\.1:\d+: the dongle closed the connection; reconnecting in 60 s$/);
    emulator.faults.refuse = false;
    await clock.advance(60_000);
    await connected();
    await send();
    assert.strictEqual(source!.status().error, null);
    emulator.dropConnections();
    await until(() => source!.status().error !== null, 'the error');
    assert.match(source!.status().error!, /reconnecting in 1 s$/);
  });

  it('reconnects when the stream falls silent (no valid telegram for 30 s)', async () => {
    await startAll();
    await send();
    emulator.faults.silent = true;
    await clock.advance(29_000);
    assert.strictEqual(source!.status().error, null);
    await clock.advance(1000);
    await until(() => source!.status().error !== null, 'the error');
    assert.strictEqual(source!.status().error, `P1 meter ${source!.host}: no valid telegram for 30 s; reconnecting in 1 s`);
    await until(() => emulator.clients === 0, 'the close');
    emulator.faults.silent = false;
    await clock.advance(1000);
    await connected();
    await send();
    assert.strictEqual(samples.length, 2);
    assert.strictEqual(source!.status().p1.silenceTimeouts, 1);
  });

  it('says so in one line when nothing listens on the port, and retries', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    emulator = new P1TcpEmulator({ telegrams: ISKRA });
    source = new P1TcpSource({ host: `127.0.0.1:${port}`, clock });
    await source.start();
    await source.idle();
    assert.strictEqual(
      source.status().error,
      `P1 meter 127.0.0.1:${port}: connection refused (is the port right, and the TCP server of the dongle switched on?); reconnecting in 1 s`,
    );
    assert.strictEqual(source.status().p1.connectFailures, 1);
  });

  it('a telegram sent twice (same meter time) is no news; without a meter time every telegram is new', async () => {
    await startAll([ISKRA[0], ISKRA[0], ISKRA[1]]);
    await send();
    await send();
    await send();
    assert.deepStrictEqual(samples.map((s) => s.seq), [1, 2]);
    assert.strictEqual(source!.status().p1.repeated, 1);
    await source!.stop();
    await emulator.stop();
    // a real DSMR 2.2 telegram (no meter time, no CRC) with a per-phase current added: the same text twice is two readings
    const v22 = read(path.join(DSMR, 'ndokter_dsmr_parser_TELEGRAM_V2_2.telegram.txt')).replace('!', '1-0:31.7.0(004*A)\r\n!');
    const v3 = read(path.join(DSMR, 'ndokter_dsmr_parser_TELEGRAM_V3.telegram.txt'));
    assert.deepStrictEqual(expected(v3), [null, null, null], 'DSMR 3 has no per-phase values');
    await startAll([v22, v22, v3]);
    await send();
    await send();
    await send();
    assert.deepStrictEqual(samples.map((s) => [s.seq, s.currentsA[0]]), [[1, 4], [2, 4]]);
    assert.deepStrictEqual([source!.status().p1.repeated, source!.status().p1.unusable], [0, 1], 'DSMR 3: unusable');
  });

  it('accepts a DSMR 2/3 style telegram without CRC, but not once the meter has sent CRCs', async () => {
    // a real DSMR 2.2 telegram with per-phase currents added (that meter generation has none)
    const v22 = read(path.join(DSMR, 'ndokter_dsmr_parser_TELEGRAM_V2_2.telegram.txt')).replace('!', '1-0:31.7.0(004*A)\r\n!');
    const noCrcIskra = `${asSent(ISKRA[1]).slice(0, asSent(ISKRA[1]).indexOf('!') + 1)}\r\n`;
    await startAll([v22, ISKRA[0], noCrcIskra, v22]);
    for (let i = 0; i < 4; i++) await send();
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [[4, null, null], expected(ISKRA[0])]);
    assert.strictEqual(source!.status().p1.incomplete, 2);
    assert.match(source!.status().p1.lastProblem!, /though this meter sent CRCs before/);
  });

  it('drops implausible values (a real telegram with 37 V and 999 A on L3), counts them, keeps the rest', async () => {
    const bad = withCrc(asSent(ISKRA[0]).replace(/^1-0:72\.7\.0\(\d+\.\d\*V\)/m, '1-0:72.7.0(037.0*V)').replace('1-0:71.7.0(002*A)', '1-0:71.7.0(999*A)'));
    assert.notStrictEqual(bad, withCrc(ISKRA[0]));
    await startAll([bad]);
    await send();
    const r = parseDsmrTelegram(ISKRA[0]);
    // L3: only its power is left: 325 W over the nominal 230 V
    assert.deepStrictEqual(samples[0].currentsA, [expected(ISKRA[0])[0], expected(ISKRA[0])[1], Math.round((r.importW[2]! / 230) * 1000) / 1000]);
    const p1 = source!.status().p1;
    assert.strictEqual(p1.implausibleValues, 2);
    assert.strictEqual(p1.lastProblem, 'implausible value dropped: L3 current 999 A, L3 voltage 37 V');
    const both = { currentA: [1, 0, 0] as Triple<number | null>, importW: [200, 0, 0] as Triple<number | null>, exportW: [300, 0, 0] as Triple<number | null>, voltageV: [0, 230, 230] as Triple<number | null> };
    assert.deepStrictEqual(dropImplausible(both), ['L1 imports 200 W and exports 300 W at once']);
    assert.deepStrictEqual([both.importW[0], both.exportW[0], both.voltageV[0]], [null, null, 0]);
  });

  it('streams on a clock with play() (DSMR 4: every 10 s) over IPv4; stop() leaves no timer behind', async () => {
    const kaifa = read(path.join(DSMR, 'Wassasin_dsmr5_NL_Kaifa_DSMR42.telegram.txt'));
    await startAll([kaifa, kaifa.replace('0-0:1.0.0(220901152201S)', '0-0:1.0.0(220901152211S)')].map(withCrc), { timeZone: 'Europe/Amsterdam' }, 10_000);
    emulator.play();
    await clock.advance(10_000);
    await until(() => samples.length === 1, 'the first telegram');
    await clock.advance(10_000);
    await until(() => samples.length === 2, 'the second telegram');
    assert.strictEqual(source!.status().p1.meterTimeMs, Date.UTC(2022, 8, 1, 13, 22, 11));
    emulator.pause();
    await source!.stop();
    assert.strictEqual(clock.pendingTimers(), 0);
  });

  it('connects over IPv6 loopback ([::1]:port)', async function () {
    const probe = net.createServer();
    const ok = await new Promise<boolean>((r) => probe.once('error', () => r(false)).listen(0, '::1', () => probe.close(() => r(true))));
    if (!ok) {
      this.test!.title += ' — skipped: this machine has no IPv6 loopback (::1)';
      this.skip();
    }
    emulator = new P1TcpEmulator({ telegrams: ISKRA });
    const host = await emulator.start(0, '::1');
    source = new P1TcpSource({ host: `p1tcp://${host}`, clock });
    samples = [];
    source.onSample((s) => samples.push(s));
    await source.start();
    await connected();
    await send();
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [expected(ISKRA[0])]);
  });

  it('takes host:port and p1tcp://host:port through normaliseHost; refuses a missing port or a bad time zone', () => {
    assert.deepStrictEqual(parseP1TcpAddress(' p1tcp://192.168.1.30:23 '), { hostPort: '192.168.1.30:23', host: '192.168.1.30', port: 23 });
    assert.deepStrictEqual(parseP1TcpAddress('[FD00::30]:8088'), { hostPort: '[fd00::30]:8088', host: 'fd00::30', port: 8088 });
    assert.deepStrictEqual(parseP1TcpAddress('p1.local:2001').host, 'p1.local');
    assert.throws(() => parseP1TcpAddress('192.168.1.30'), (e: unknown) => e instanceof UserInputError && /add the TCP port/.test(e.message));
    assert.throws(() => parseP1TcpAddress('http://192.168.1.30:23'), UserInputError);
    assert.throws(() => new P1TcpSource({ host: '192.168.1.30:23', clock, timeZone: 'CEST' }), /meter\.timeZone: "CEST" is not a time zone/);
  });

  it('works through an injected connection (no sockets): chunks of any size, a connect timeout in one line', async () => {
    let deliver: (t: string) => void = () => undefined;
    let attempts = 0;
    const connect: P1Connect = async () => {
      attempts++;
      if (attempts === 1) throw new Error('no answer (timeout)');
      return { listen: (onData) => (deliver = onData), close: () => undefined };
    };
    source = new P1TcpSource({ host: '10.0.0.9:23', clock, connect });
    samples = [];
    source.onSample((s) => samples.push(s));
    await source.start();
    await source.idle();
    assert.strictEqual(source.status().error, 'P1 meter 10.0.0.9:23: no answer (timeout); reconnecting in 1 s');
    await clock.advance(1000);
    await source.idle();
    const stream = ISKRA.slice(0, 3).map(asSent).join('');
    for (let i = 0; i < stream.length; i += 7) deliver(stream.slice(i, i + 7));
    assert.deepStrictEqual(samples.map((s) => s.currentsA), ISKRA.slice(0, 3).map(expected));
    assert.strictEqual(source.status().error, null);
  });

  describe('real captures in ../shared (skipped when absent)', () => {
    function needShared(ctx: Mocha.Context, file: string): void {
      if (fs.existsSync(file)) return;
      ctx.test!.title += ` — skipped: ../shared/realdata/${path.relative(SHARED, file)} is absent`;
      ctx.skip();
    }

    it('streams all 566 telegrams of the NL Iskra 1 s capture with noise: every one read, currents as the telegrams say', async function () {
      const file = path.join(SHARED, 'timeseries', 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_2019-03-24_9min.telegrams.txt');
      needShared(this, file);
      const telegrams = splitDsmrTelegrams(read(file));
      await startAll(telegrams);
      emulator.faults.noiseBytes = 40;
      for (let i = 0; i < telegrams.length; i++) await send();
      emulator.faults.noiseBytes = 0;
      await send();
      assert.strictEqual(samples.length, telegrams.length + 1);
      samples.slice(0, telegrams.length).forEach((s, i) => assert.deepStrictEqual(s.currentsA, expected(telegrams[i])));
    });

    it('never emits from the HU AUX capture (no telegram validates) and says why after 30 s', async function () {
      const file = path.join(SHARED, 'timeseries', 'gaborvar_P1_DSMR_HU_AUX_solar_10s_2023-08-24_9min.telegrams.log');
      needShared(this, file);
      const telegrams = splitDsmrTelegrams(read(file));
      await startAll(telegrams);
      for (let i = 0; i < 4; i++) await send();
      await clock.advance(30_000);
      await until(() => source!.status().error !== null, 'the error');
      assert.strictEqual(samples.length, 0);
      assert.strictEqual(source!.status().p1.crcErrors, 4);
      assert.match(source!.status().error!, /no valid telegram for 30 s \(last problem: CRC mismatch \(damaged telegram\)\); reconnecting in 1 s$/);
    });
  });
});
