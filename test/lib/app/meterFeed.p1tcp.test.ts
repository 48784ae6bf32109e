/**
 * lib/app/meterFeed.ts with the meter source 'p1tcp': raw DSMR telegrams from the P1 dongle emulator over real loopback
 * TCP, the feed's timers on a ManualClock. The feed starts a P1TcpSource for the saved address (the meter's time in the
 * Homey's time zone), restarts it on a new address, and its one-line errors reach the controller's live view.
 */
import assert from 'assert';
import { MeterFeed } from '../../../lib/app/meterFeed';
import type { Triple } from '../../../lib/balancer/types';
import { ManualClock } from '../../../lib/clock';
import { Controller } from '../../../lib/controller';
import type { P1TcpSource } from '../../../lib/meter/p1tcp';
import { AppSettings, defaultAppSettings } from '../../../lib/settings';
import { P1TcpEmulator, telegramWithValues } from '../../../tools/emulators/p1tcp';
import { DSMR5_TEMPLATE, until } from '../meter/p1helpers';

describe('app: the meter feed on a P1 dongle (raw telegrams over loopback TCP)', () => {
  let clock: ManualClock;
  let controller: Controller;
  let feed: MeterFeed;
  let lines: string[];
  let timeZone: string | undefined;
  let emulators: P1TcpEmulator[];
  /** What each emulator's next telegram carries (A per phase, negative = export). */
  let currents: Triple<number>;

  const p1 = (host: string): AppSettings => ({ ...defaultAppSettings(), meter: { source: 'p1tcp', host, deviceId: null, serial: null } });
  const source = (): P1TcpSource => (feed as unknown as { source: P1TcpSource }).source;
  const meterError = (): string | null => controller.liveView().meter.error;

  /** Telegram n of a dongle is stamped 2025-06-01 12:00:00 + n s, summer time (a meter never stamps two alike). */
  async function dongle(port = 0): Promise<{ emu: P1TcpEmulator; host: string }> {
    const stamp = (n: number): string => `25060112${String(Math.floor(n / 60) % 60).padStart(2, '0')}${String(n % 60).padStart(2, '0')}S`;
    const emu = new P1TcpEmulator({ telegrams: (n) => telegramWithValues(DSMR5_TEMPLATE, { currentsA: currents, stamp: stamp(n) }) });
    emulators.push(emu);
    return { emu, host: await emu.start(port) };
  }

  /** The feed's source is connected to `emu`. */
  async function connected(emu: P1TcpEmulator): Promise<void> {
    await until(() => emu.clients === 1 && source()?.status().p1.connected === true, 'the connection');
  }

  /** One telegram from `emu`, taken in by the feed's source. */
  async function send(emu: P1TcpEmulator): Promise<void> {
    const before = source().counters.telegrams;
    emu.sendNext();
    await until(() => source().counters.telegrams > before, 'the telegram');
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    emulators = [];
    lines = [];
    timeZone = 'Europe/Stockholm';
    currents = [10, -3, 5];
    controller = new Controller({ clock, settings: defaultAppSettings() });
    feed = new MeterFeed({
      clock,
      http: () => Promise.reject(new Error('no HTTP here')),
      homeyApi: () => Promise.reject(new Error('no Homey Web API here')),
      timeZone: () => timeZone,
      sink: { onSample: (s) => controller.onSample(s), setMeterError: (e) => controller.setMeterError(e) },
      log: (line) => lines.push(line),
      error: (line) => lines.push(`error: ${line}`),
    });
  });

  afterEach(async () => {
    await feed.stop();
    for (const emu of emulators) await emu.stop();
  });

  it("runs a P1 TCP source for 'p1tcp': the telegrams' currents reach the balancer, the meter's time read in the Homey's time zone", async () => {
    const { emu, host } = await dongle();
    await feed.configure(p1(host));
    assert.deepStrictEqual(lines, ['meter source: p1tcp']);
    await connected(emu);
    await send(emu);
    assert.deepStrictEqual(controller.liveView().measuredA, [10, -3, 5]);
    assert.strictEqual(meterError(), null);
    currents = [14, 2, 0];
    await clock.advance(1000);
    await send(emu);
    assert.deepStrictEqual(controller.liveView().measuredA, [14, 2, 0]);
    // the second telegram: 2025-06-01 12:00:01 summer time in Stockholm is 10:00:01 UTC
    assert.strictEqual(source().timeZone, 'Europe/Stockholm');
    assert.strictEqual(source().status().p1.meterTimeMs, Date.UTC(2025, 5, 1, 10, 0, 1));
  });

  it('reads the meter time in Europe/Amsterdam when the Homey names no time zone it knows', async () => {
    for (const tz of [undefined, 'Mars/Olympus_Mons']) {
      timeZone = tz;
      const { emu, host } = await dongle();
      await feed.configure(p1(host));
      await connected(emu);
      await send(emu);
      assert.strictEqual(source().timeZone, 'Europe/Amsterdam', String(tz));
      assert.strictEqual(meterError(), null);
    }
  });

  it('restarts on a new address: the old dongle is let go, the new one feeds the balancer', async () => {
    const a = await dongle();
    const b = await dongle();
    await feed.configure(p1(a.host));
    await connected(a.emu);
    await send(a.emu);
    await feed.configure({ ...p1(a.host), fuseA: 35 }); // another setting: the source keeps running
    assert.strictEqual(a.emu.stats.connections, 1);
    await feed.configure(p1(b.host));
    await connected(b.emu);
    await until(() => a.emu.clients === 0, 'the old connection to close');
    currents = [3, 4, 6];
    await clock.advance(1000);
    await send(b.emu);
    assert.deepStrictEqual(controller.liveView().measuredA, [3, 4, 6], 'the new source numbers on: its first telegram is news');
    assert.deepStrictEqual(lines, ['meter source: p1tcp', 'meter source: p1tcp']);
  });

  it("shows the connection's one-line error in the live view, reconnects with back-off and clears it when telegrams flow", async () => {
    // a port where nothing listens yet
    const probe = await dongle();
    await probe.emu.stop();
    const port = Number(/:(\d+)$/.exec(probe.host)![1]);
    await feed.configure(p1(probe.host));
    await until(() => meterError() !== null, 'the error');
    assert.match(meterError()!, /^P1 meter 127\.0\.0\.1:\d+: connection refused \(is the port right, and the TCP server of the dongle switched on\?\); reconnecting in 1 s$/);
    assert.ok(!meterError()!.includes('\n'));

    const { emu } = await dongle(port);
    await clock.advance(1000);
    await connected(emu);
    await send(emu);
    assert.strictEqual(meterError(), null);
    assert.deepStrictEqual(controller.liveView().measuredA, [10, -3, 5]);

    emu.dropConnections();
    await until(() => meterError() !== null, 'the error');
    assert.strictEqual(meterError(), `P1 meter ${probe.host}: the dongle closed the connection; reconnecting in 1 s`);
    await clock.advance(1000);
    await connected(emu);
    emu.faults.badCrcNext = 1;
    await send(emu);
    assert.strictEqual(source().status().p1.crcErrors, 1, 'a telegram with a bad CRC is no reading');
    await send(emu);
    assert.strictEqual(meterError(), null);
  });

  it('lets the dongle go when the app stops', async () => {
    const { emu, host } = await dongle();
    await feed.configure(p1(host));
    await connected(emu);
    await feed.stop();
    await until(() => emu.clients === 0, 'the connection to close');
    await clock.advance(60_000);
    assert.strictEqual(emu.stats.connections, 1, 'no reconnect after the stop');
  });
});
