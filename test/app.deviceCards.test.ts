/**
 * The device flow cards about the current limit with the real app and controller, through the Homey stand-in: the
 * balancer's writes reach the device through the controller's `applied` event and its cuts and pauses through its
 * `event`, both routed by the charger registry (lib/app/chargerRegistry.ts). A go-e device against the emulator, fed
 * through the "report phase currents" flow card, as in test/app.test.ts, and a Charge Amps connector (a cloud charger)
 * against its emulator.
 */
import assert from 'assert';
import PhaseGuardApp from '../app';
import GoeDevice from '../drivers/goe/device';
import ChargeAmpsDevice from '../drivers/chargeamps/device';
import { ChargeAmpsConnectorCharger } from '../lib/chargeamps/charger';
import { ChargeAmpsClient } from '../lib/chargeamps/client';
import { ManualClock, SystemClock } from '../lib/clock';
import { nodeFetchTransport } from '../lib/http';
import { AURA_ID, ChargeAmpsEmulator } from '../tools/emulators/chargeamps/emulator';
import { GoeEmulator } from '../tools/emulators/goe/emulator';
import {
  auraSecond, balancerHomey, CHARGEAMPS_CREDENTIALS as credentials, endAppTest, goeSecond, startAppWithAura, startAppWithGoe, startGoeEmulator,
  useAppClock, type Triple,
} from './appHarness';
import { teardown, type StandinHomey } from './homey-standin';

describe('app: device flow cards about the current limit (go-e)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let device: GoeDevice;

  /** One second: the car follows, the device polls, the meter reports house + car, the app ticks. */
  const second = (houseA: Triple): Promise<void> => goeSecond({ clock, emu, device, homey, app }, houseA);
  async function seconds(n: number, houseA: Triple): Promise<void> {
    for (let s = 0; s < n; s++) await second(houseA);
  }
  const changes = (): { limit: number; by: string }[] => homey.flow.triggersOf('goe_current_limit_changed').map((t) => t.tokens as { limit: number; by: string });
  const limited = (): { limit: number; reason: string }[] => homey.flow.triggersOf('goe_balancer_limited').map((t) => t.tokens as { limit: number; reason: string });

  /** The app and a go-e with a car; 30 s with room: safe start at 6 A, then restored to 16 A. */
  async function start(profile: 'v2-055' | 'v1-042'): Promise<void> {
    clock = useAppClock();
    emu = await startGoeEmulator({ maxCurrentA: 16, phases: 3 }, profile);
    homey = balancerHomey();
    ({ app, device } = await startAppWithGoe(homey, emu, profile === 'v1-042' ? 'v1' : 'v2'));
    await seconds(30, [3, 3, 3]);
    assert.strictEqual(emu.offeredA, 16);
  }

  beforeEach(() => start('v2-055'));

  afterEach(() => endAppTest(homey, emu));

  it('the balancer\'s start and restore: each new limit once, by balancer, never per poll', () => {
    const seen = changes();
    assert.ok(seen.length >= 3, JSON.stringify(seen));
    assert.ok(seen.every((c) => c.by === 'balancer'), JSON.stringify(seen));
    // the app's first hour is careful (the fuse's last hour is unknown): the restore goes in steps (docs/balancer.md, 13)
    assert.deepStrictEqual(seen.slice(-3).map((c) => c.limit), [10, 14, 16]);
    assert.ok(seen.every((c, i) => i === 0 || c.limit !== seen[i - 1].limit), 'no change fires twice');
    assert.deepStrictEqual(limited(), [], 'raising is no limiting');
  });

  it('a cut: balancer_limited with limit and reason, current_limit_changed by balancer; nothing more while it holds', async () => {
    const before = changes().length;
    await second([3, 14, 3]);
    await (emu.clock as ManualClock).advance(1000);
    assert.strictEqual(emu.offeredA, 10);
    assert.strictEqual(limited().length, 1);
    assert.strictEqual(limited()[0].limit, 25 - 1 - 14);
    assert.match(limited()[0].reason, /L2/);
    assert.deepStrictEqual(homey.flow.triggersOf('balancer_current_reduced').map((t) => (t.tokens as { reason: string }).reason), [limited()[0].reason]);
    await seconds(20, [3, 14, 3]);
    assert.deepStrictEqual(changes().slice(before), [{ limit: 10, by: 'balancer' }]);
    assert.strictEqual(limited().length, 1);
    assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 10);
  });

  it('a pause: balancer_limited with limit 0; the limit itself did not change', async () => {
    const before = changes().length;
    await second([3, 22, 3]);
    await (emu.clock as ManualClock).advance(1000);
    assert.strictEqual(emu.frc, 1, 'paused');
    assert.deepStrictEqual(limited().map((l) => l.limit), [0]);
    assert.match(limited()[0].reason, /L2/);
    await seconds(5, [3, 22, 3]);
    assert.deepStrictEqual(changes().slice(before), []);
  });

  it('a user\'s limit is by user (the balancer following it adds nothing); the go-e app\'s is by charger, then the balancer\'s again', async () => {
    await second([3, 14, 3]); // cut to 10 A
    const before = changes().length;
    await device.triggerCapabilityListener('charger_current_limit', 8);
    await seconds(10, [3, 14, 3]);
    assert.strictEqual(emu.ampPersisted, 8, 'the balancer does not fight the user');
    assert.deepStrictEqual(changes().slice(before), [{ limit: 8, by: 'user' }]);
    assert.strictEqual(limited().length, 1, 'the balancer lowering it to the user\'s own limit does not count');
    const answer = await fetch(`${emu.url}/api/set?amp=12`); // the go-e app
    assert.strictEqual(answer.status, 200);
    await seconds(10, [3, 14, 3]);
    assert.strictEqual(emu.ampPersisted, 8, 'the balancer wrote its limit again');
    assert.deepStrictEqual(changes().slice(before), [
      { limit: 8, by: 'user' },
      { limit: 12, by: 'charger' },
      { limit: 8, by: 'balancer' },
    ]);
  });

  it('a charger reboot that forgets the limit (API v1 amx): by charger, then the balancer writes it again', async () => {
    await teardown(homey);
    await emu.stop();
    await start('v1-042');
    await second([3, 14, 3]);
    assert.strictEqual(emu.ampVolatile, 10);
    const before = changes().length;
    emu.reboot(); // amx falls back to the stored amp (16 A)
    await seconds(10, [3, 14, 3]);
    assert.strictEqual(emu.offeredA, 10);
    assert.deepStrictEqual(changes().slice(before), [{ limit: 16, by: 'charger' }, { limit: 10, by: 'balancer' }]);
  });
});

describe('app: device flow cards about the current limit (Charge Amps, a cloud charger)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: ChargeAmpsEmulator;
  let base: string;
  let app: PhaseGuardApp;
  let device: ChargeAmpsDevice;

  /** One second at a time: the device polls (a fresh reading), the meter reports, the app ticks. */
  async function seconds(n: number, houseA: Triple): Promise<void> {
    for (let s = 0; s < n; s++) await auraSecond({ clock, base, device, homey, app }, houseA);
  }
  const changes = (): unknown[] => homey.flow.triggersOf('chargeamps_current_limit_changed').map((t) => t.tokens);
  const limited = (): { limit: number; reason: string }[] => homey.flow.triggersOf('chargeamps_balancer_limited').map((t) => t.tokens as { limit: number; reason: string });

  beforeEach(async () => {
    clock = useAppClock(undefined, true);
    homey = balancerHomey();
    ({ emu, base, app, device } = await startAppWithAura(homey));
    await seconds(300, [3, 3, 3]); // a cloud charger is raised at most once a minute
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 16);
  });

  afterEach(() => endAppTest(homey, emu));

  it('a cut is by balancer with balancer_limited; the Charge Amps app\'s change is by charger, a user\'s by user; once each', async () => {
    const before = changes().length;
    await seconds(1, [3, 14, 3]);
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 10);
    assert.deepStrictEqual(limited().map((l) => l.limit), [10]);
    assert.match(limited()[0].reason, /L2/);
    await seconds(10, [3, 14, 3]);
    const phoneApp = new ChargeAmpsClient({ baseUrl: base, credentials, clock: new SystemClock(), transport: nodeFetchTransport });
    await new ChargeAmpsConnectorCharger({ client: phoneApp, chargePointId: AURA_ID, connectorId: 1 }).setCurrentLimit(12);
    await seconds(10, [3, 14, 3]);
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 10, 'the balancer wrote its limit again');
    await device.triggerCapabilityListener('charger_current_limit', 8);
    await seconds(10, [3, 14, 3]);
    assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 8);
    assert.deepStrictEqual(changes().slice(before), [
      { limit: 10, by: 'balancer' },
      { limit: 12, by: 'charger' },
      { limit: 10, by: 'balancer' },
      { limit: 8, by: 'user' },
    ]);
    await seconds(2, [3, 22, 3]);
    assert.strictEqual(emu.snapshot(AURA_ID, 1).mode, 'Off', 'paused');
    assert.deepStrictEqual(limited().map((l) => l.limit), [10, 0]);
    assert.strictEqual(changes().length, before + 4, 'a pause is no new limit');
  });

  it('0 A set by hand holds charging back (paused) until a higher current is set; the balancer does not raise it to 6 A (regression)', async () => {
    await homey.flow.runAction('chargeamps_set_current_limit', { device, current: 0 });
    await seconds(120, [3, 3, 3]);
    assert.ok(app.webApi.getLiveView().chargers[0].paused, 'paused');
    assert.ok(device.getLastStatus()?.phases.every((p) => (p.currentA ?? 0) === 0), 'the car draws nothing');
    assert.ok(homey.logs.some((l) => /manual change to 0 A holds charging back/.test(l.line)));
    await homey.flow.runAction('chargeamps_set_current_limit', { device, current: 10 });
    await seconds(180, [3, 3, 3]);
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 10, 'resumed at the current set by hand');
    assert.ok(!app.webApi.getLiveView().chargers[0].paused);
  });
});
