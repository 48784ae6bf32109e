/**
 * The app through the Homey stand-in, balancing a real go-e device (against the emulator) from raw P1 telegrams: the
 * meter source 'p1tcp' chosen on the settings page (PUT /settings through the app's Web API), the P1 dongle emulator
 * streaming real DSMR 5 telegrams that carry the house's and the car's currents over loopback TCP. The app's timers run
 * on a ManualClock; the bytes travel for real.
 */
import assert from 'assert';
import PhaseGuardApp from '../app';
import GoeDevice from '../drivers/goe/device';
import type { Triple } from '../lib/balancer/types';
import { ManualClock } from '../lib/clock';
import { SETTINGS_KEY, type AppSettings } from '../lib/settings';
import { GoeEmulator } from '../tools/emulators/goe/emulator';
import { P1TcpEmulator, telegramWithValues } from '../tools/emulators/p1tcp';
import { balancerHomey, endAppTest, goeCarSecond, startAppWithGoe, startGoeEmulator, useAppClock } from './appHarness';
import type { StandinHomey } from './homey-standin';
import { DSMR5_TEMPLATE, until } from './lib/meter/p1helpers';

describe('app: balancing from a P1 dongle (raw telegrams over loopback TCP)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let goe: GoeEmulator;
  let dongle: P1TcpEmulator;
  let dongleHost: string;
  let app: PhaseGuardApp;
  let device: GoeDevice;
  /** What the meter measures now: the house, plus the car as the go-e reported it in the last poll. */
  let meterA: Triple<number>;

  const live = () => app.webApi.getLiveView();
  const p1Settings = (host: unknown): unknown => ({ ...app.appSettings.get(), meter: { source: 'p1tcp', host, deviceId: null, serial: null } });

  /** One second: the car follows, the device polls, the dongle sends a telegram of house + car, the app ticks. */
  async function second(houseA: Triple<number>): Promise<void> {
    const car = await goeCarSecond({ clock, emu: goe, device });
    meterA = [houseA[0] + car[0], houseA[1] + car[1], houseA[2] + car[2]];
    dongle.sendNext();
    await until(() => live().meter.lastSampleAgeS === 0, 'the telegram to reach the balancer');
    await app.tick();
  }

  beforeEach(async () => {
    clock = useAppClock();
    goe = await startGoeEmulator();
    meterA = [3, 3, 3];
    // telegram n is stamped 12:00:00 + n s (summer time): a meter never stamps two telegrams alike
    const stamp = (n: number): string => `25060112${String(Math.floor(n / 60) % 60).padStart(2, '0')}${String(n % 60).padStart(2, '0')}S`;
    dongle = new P1TcpEmulator({ telegrams: (n) => telegramWithValues(DSMR5_TEMPLATE, { currentsA: meterA, stamp: stamp(n) }) });
    dongleHost = await dongle.start();
    homey = balancerHomey({}, { timezone: 'Europe/London' });
    ({ app, device } = await startAppWithGoe(homey, goe));
  });

  afterEach(() => endAppTest(homey, dongle, goe));

  it('balances from the P1 dongle chosen on the settings page: restores towards 16 A, cuts on a load step in the telegrams', async () => {
    assert.deepStrictEqual(await app.webApi.saveSettings(p1Settings(`p1tcp://${dongleHost}`)), { ok: true });
    assert.deepStrictEqual((homey.settings.get(SETTINGS_KEY) as AppSettings).meter, { source: 'p1tcp', host: dongleHost, deviceId: null, serial: null });
    await until(() => dongle.clients === 1, 'the app to connect to the dongle');
    assert.match(homey.logText('log'), /meter source: p1tcp/);

    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    await (goe.clock as ManualClock).advance(1000);
    assert.strictEqual(goe.offeredA, 16, 'restored to 16 A on the telegrams');
    assert.deepStrictEqual(live().meter, { source: 'p1tcp', stale: false, lastSampleAgeS: 0, error: null });
    assert.deepStrictEqual(live().measuredA, [19, 19, 19]);

    await second([3, 14, 3]); // L2: 14 A of house + 16 A of car over 25 A − 1 A
    const fired = homey.flow.triggersOf('balancer_current_reduced');
    assert.strictEqual(fired.length, 1);
    assert.deepStrictEqual([fired[0].tokens.from, fired[0].tokens.to, fired[0].tokens.phase], [16, 25 - 1 - 14, 'L2']);
    await (goe.clock as ManualClock).advance(1000);
    assert.strictEqual(goe.offeredA, 10, 'the go-e is cut');
    // the meter's own time is read in the Homey's time zone (London: the 31st telegram, 12:00:30 summer time, is 11:00:30 UTC)
    const source = (app as unknown as { meter: { source: { timeZone: string; status(): { p1: { meterTimeMs: number } } } } }).meter.source;
    assert.deepStrictEqual([source.timeZone, source.status().p1.meterTimeMs], ['Europe/London', Date.UTC(2025, 5, 1, 11, 0, 30)]);
  });

  it('refuses an address without its port, saving nothing, with one line on meter.host', async () => {
    const before = homey.settings.get(SETTINGS_KEY);
    assert.deepStrictEqual(await app.webApi.saveSettings(p1Settings('127.0.0.1')), {
      ok: false, errors: { 'meter.host': 'Add the TCP port the P1 dongle streams on (e.g. 192.168.1.40:8088)' },
    });
    assert.deepStrictEqual(homey.settings.get(SETTINGS_KEY), before);
    assert.strictEqual(dongle.stats.connections, 0);
  });

  it('shows a dropped connection in the live view, holds the go-e at 6 A while the dongle is gone, and recovers', async () => {
    await app.webApi.saveSettings(p1Settings(dongleHost));
    await until(() => dongle.clients === 1, 'the app to connect to the dongle');
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    dongle.faults.refuse = true;
    dongle.dropConnections();
    await until(() => live().meter.error !== null, 'the error');
    assert.strictEqual(live().meter.error, `P1 meter ${dongleHost}: the dongle closed the connection; reconnecting in 1 s`);
    for (let s = 0; s < 20; s++) {
      await clock.advance(1000);
      await (goe.clock as ManualClock).advance(1000);
      await device.poll();
      await app.tick();
    }
    await (goe.clock as ManualClock).advance(1000);
    assert.strictEqual(goe.offeredA, 6, 'no fresh reading for 15 s: 6 A');
    assert.strictEqual(live().meter.stale, true);
    assert.match(live().meter.error ?? '', /^P1 meter 127\.0\.0\.1:\d+: the dongle closed the connection; reconnecting in \d+ s$/);

    dongle.faults.refuse = false;
    await clock.advance(60_000);
    await until(() => dongle.clients === 1, 'the reconnect');
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    assert.deepStrictEqual([live().meter.stale, live().meter.error], [false, null]);
    await (goe.clock as ManualClock).advance(1000);
    assert.ok(goe.offeredA > 6, `restored once telegrams flow again (${goe.offeredA} A)`);
  });
});
