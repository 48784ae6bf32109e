/**
 * The charging mode (issue 14 item 1) through the Homey stand-in, the same for both brands: the real app and
 * controller with a go-e (emulator over loopback, fed through the "report phase currents" card) and a Charge Amps
 * connector (its cloud emulator). The picker in the device view and the flow cards set the mode in the app's
 * ModeStore; 'off' pauses the charger through a charger limit, 'fast' lets the balancer resume it; the mode survives
 * a restart of the device; the trigger carries mode and previous.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import PhaseGuardApp from '../../app';
import ChargeAmpsDevice from '../../drivers/chargeamps/device';
import ChargeAmpsDriver from '../../drivers/chargeamps/driver';
import { CHARGING_MODE_CAPABILITY, CHARGING_MODE_STORE_KEY } from '../../drivers/chargingMode';
import GoeDevice from '../../drivers/goe/device';
import GoeDriver from '../../drivers/goe/driver';
import { ManualClock } from '../../lib/clock';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, HALO_ID } from '../../tools/emulators/chargeamps/emulator';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import {
  auraSecond, balancerHomey, endAppTest, goeSecond, startAppWithAura, startAppWithGoe, startGoeEmulator, useAppClock, type Triple,
} from '../appHarness';
import { addDevice, createHomey, restartDevice, startDriver, startPairSession, teardown, type StandinHomey } from '../homey-standin';

const HOUSE: Triple = [3, 3, 3];

describe('charging mode: go-e through the stand-in (app, controller, emulator)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let driver: GoeDriver;
  let device: GoeDevice;

  async function seconds(n: number, houseA: Triple = HOUSE): Promise<void> {
    for (let s = 0; s < n; s++) await goeSecond({ clock, emu, device, homey, app }, houseA);
  }
  const changed = (): unknown[] => homey.flow.triggersOf('goe_charging_mode_changed').map((t) => t.tokens);
  const modeIs = (mode: string): Promise<boolean> => homey.flow.runCondition('goe_charging_mode_is', { device, mode });

  beforeEach(async () => {
    clock = useAppClock();
    emu = await startGoeEmulator();
    homey = balancerHomey();
    ({ app, driver, device } = await startAppWithGoe(homey, emu));
    await seconds(30);
    assert.strictEqual(emu.offeredA, 16);
  });

  afterEach(() => endAppTest(homey, emu));

  it('starts in fast: the picker shows it, the app has it, the condition says so', async () => {
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'fast');
    assert.strictEqual(app.modes.modeOf(device.getCharger().id), 'fast');
    assert.strictEqual(await modeIs('fast'), true);
    assert.strictEqual(await modeIs('solar'), false);
    assert.deepStrictEqual(changed(), []);
  });

  it('in German the card says why in German: the mode\'s status as the device shows it, and the balancer\'s action', async () => {
    homey.setLanguage('de');
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'off');
    await seconds(3);
    const limited = homey.flow.triggersOf('goe_balancer_limited').map((t) => t.tokens as { reason: string });
    const off = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../locales/de.json'), 'utf8')) as { modeStatus: { off: string } }).modeStatus.off;
    assert.strictEqual(limited[0]?.reason, `${off}: Garage pausiert (braucht 6 A)`);
  });

  it('the picker to Off pauses the charger (the balancer, through the mode\'s limit); Fast by a Flow resumes it', async () => {
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'off');
    assert.strictEqual(app.modes.modeOf(device.getCharger().id), 'off');
    assert.deepStrictEqual(changed(), [{ mode: 'off', previous: 'fast' }]);
    await seconds(3);
    assert.strictEqual(emu.allowed, false, 'paused');
    assert.strictEqual(device.getCapabilityValue('evcharger_charging'), false);
    const limited = homey.flow.triggersOf('goe_balancer_limited').map((t) => t.tokens as { limit: number; reason: string });
    assert.deepStrictEqual(limited.map((t) => t.limit), [0]);
    assert.strictEqual(limited[0].reason, 'Off: paused until the mode changes: paused Garage (needs 6 A)', 'the card says why, as the device does');
    await seconds(60);
    assert.strictEqual(emu.allowed, false, 'stays paused while the mode is Off, with all the room in the world');
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'fast' });
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'fast');
    assert.deepStrictEqual(changed(), [{ mode: 'off', previous: 'fast' }, { mode: 'fast', previous: 'off' }]);
    await seconds(90);
    assert.strictEqual(emu.allowed, true, 'resumed by the balancer after its resume window');
    assert.strictEqual(emu.offeredA, 16);
  });

  it('the fuse still wins in Fast; the same mode again changes nothing and fires nothing', async () => {
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'fast' });
    assert.deepStrictEqual(changed(), []);
    await seconds(3, [3, 17, 3]); // L2: 25 − 1 − 17 = 7 A for the car
    assert.strictEqual(emu.offeredA, 7);
  });

  it('Planned hands the charger to the plan: without a target it waits, paused, and the plan says why', async () => {
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'planned' });
    assert.strictEqual(await modeIs('planned'), true);
    await seconds(5);
    assert.strictEqual(emu.allowed, false);
    const limited = homey.flow.triggersOf('goe_balancer_limited').map((t) => t.tokens as { limit: number; reason: string });
    assert.deepStrictEqual(limited.map((t) => t.limit), [0]);
    assert.match(limited[0].reason, /^Plan\b/);
  });

  it('Solar only: no surplus, paused; a house that exports about 8 kW starts it after the off time and the enable delay', async () => {
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'solar');
    await seconds(5);
    assert.strictEqual(emu.allowed, false, 'no export: waiting for surplus');
    await seconds(420, [-12, -12, -12]);
    assert.strictEqual(emu.allowed, true, 'charging from the surplus');
    assert.ok(emu.offeredA >= 6 && emu.offeredA <= 16, `offered ${emu.offeredA} A`);
  });

  it('Solar only with the meter declared unsigned: export is never taken for surplus, the car waits', async () => {
    await app.appSettings.update((s) => ({ ...s, meterSign: 'unsigned' }));
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'solar');
    await seconds(420, [-12, -12, -12]);
    assert.strictEqual(emu.allowed, false);
    await app.appSettings.update((s) => ({ ...s, meterSign: 'auto' }));
    await seconds(420, [-12, -12, -12]);
    assert.strictEqual(emu.allowed, true, 'auto: the negative currents show a signed meter');
  });

  // Not asserted here: a charger resumes after a restart of its device alone (the app kept running). The controller
  // builds a re-joining charger's actuator from the state saved at the app's start, so the balancer's own pause then
  // looks like someone else's (reported to the lead); after a restart of the whole app the saved state is current.
  it('a restart of the device keeps the mode (store and picker), and the app reads it back: still paused in Off', async () => {
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'min_solar' });
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'off' });
    await seconds(3);
    assert.strictEqual(emu.allowed, false);
    device = await restartDevice(device);
    await device.poll();
    assert.strictEqual(device.getStoreValue(CHARGING_MODE_STORE_KEY), 'off');
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'off');
    assert.strictEqual(app.modes.modeOf(device.getCharger().id), 'off');
    await seconds(60);
    assert.strictEqual(emu.allowed, false, 'the restarted device\'s charger is still in Off');
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'fast');
    assert.deepStrictEqual(changed().at(-1), { mode: 'fast', previous: 'off' }, 'the restarted device fires the trigger');
    assert.strictEqual(app.modes.modeOf(device.getCharger().id), 'fast');
  });

  it('refuses a mode that is not one, with one line; nothing changes', async () => {
    await assert.rejects(device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'turbo'));
    await assert.rejects(device.setChargingMode('turbo' as never), /charging mode must be one of/);
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'fast');
    assert.deepStrictEqual(changed(), []);
  });

  it('a device paired before the mode existed gets the capability, in fast', async () => {
    const other = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0, serial: '054321' });
    await other.start();
    try {
      const caps = (driver.manifest as { capabilities: string[] }).capabilities.filter((c) => c !== CHARGING_MODE_CAPABILITY);
      const before = await addDevice<GoeDevice>(driver, { name: 'Old', data: { id: other.serial }, store: { serial: other.serial }, settings: { host: other.url, api: 'v2' }, capabilities: caps });
      assert.strictEqual(before.hasCapability(CHARGING_MODE_CAPABILITY), true);
      assert.strictEqual(before.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'fast');
      assert.strictEqual(app.modes.modeOf(before.getCharger().id), 'fast');
    } finally {
      await other.stop();
    }
  });
});

describe('charging mode: Charge Amps through the stand-in (app, controller, cloud emulator)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: ChargeAmpsEmulator;
  let base: string;
  let app: PhaseGuardApp;
  let driver: ChargeAmpsDriver;
  let device: ChargeAmpsDevice;

  async function seconds(n: number, houseA: Triple = HOUSE): Promise<void> {
    for (let s = 0; s < n; s++) await auraSecond({ clock, base, device, homey, app }, houseA);
  }
  const changed = (): unknown[] => homey.flow.triggersOf('chargeamps_charging_mode_changed').map((t) => t.tokens);
  const connector = () => emu.snapshot(AURA_ID, 1);

  beforeEach(async () => {
    clock = useAppClock(undefined, true);
    homey = balancerHomey();
    ({ emu, base, app, driver, device } = await startAppWithAura(homey));
    await seconds(300); // a cloud charger is raised at most once a minute
    assert.strictEqual(connector().maxCurrent, 16);
  });

  afterEach(() => endAppTest(homey, emu));

  it('the picker to Off pauses the connector, Fast by a Flow resumes it; trigger and condition as for go-e', async () => {
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'fast');
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'off');
    assert.strictEqual(await homey.flow.runCondition('chargeamps_charging_mode_is', { device, mode: 'off' }), true);
    await seconds(5);
    assert.strictEqual(connector().mode, 'Off', 'paused');
    await seconds(120);
    assert.strictEqual(connector().mode, 'Off', 'stays paused while the mode is Off');
    await homey.flow.runAction('chargeamps_set_charging_mode', { device, mode: 'fast' });
    assert.strictEqual(await homey.flow.runCondition('chargeamps_charging_mode_is', { device, mode: 'off' }), false);
    await seconds(300);
    assert.notStrictEqual(connector().mode, 'Off', 'resumed by the balancer');
    assert.strictEqual(connector().maxCurrent, 16);
    assert.deepStrictEqual(changed(), [{ mode: 'off', previous: 'fast' }, { mode: 'fast', previous: 'off' }]);
  });

  it('Solar only: paused without surplus, charging once the house exports (the same as a go-e, without phase switching)', async () => {
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'solar');
    await seconds(5);
    assert.strictEqual(connector().mode, 'Off', 'waiting for surplus');
    assert.match(String(device.getCapabilityValue('charging_mode_status')), /^Solar only: waiting, 0 kW surplus of the [\d.]+ kW a start needs$/, 'the status says why');
    await seconds(480, [-12, -12, -12]);
    assert.notStrictEqual(connector().mode, 'Off', 'charging from the surplus');
    const offeredA = connector().maxCurrent ?? 0;
    assert.ok(offeredA >= 6 && offeredA <= 16, `offered ${offeredA} A`);
    assert.match(String(device.getCapabilityValue('charging_mode_status')), new RegExp(`^Solar only: charging at ${offeredA} A from [\\d.]+ kW surplus$`));
  });

  it('a restart of the device keeps the mode', async () => {
    await homey.flow.runAction('chargeamps_set_charging_mode', { device, mode: 'solar' });
    device = await restartDevice(device);
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'solar');
    assert.strictEqual(app.modes.modeOf(device.getCharger().id), 'solar');
    assert.strictEqual(await homey.flow.runCondition('chargeamps_charging_mode_is', { device, mode: 'solar' }), true);
  });

  it('a Halo\'s Schuko socket has no charging mode; its Type 2 connector has one', async () => {
    const session = startPairSession(driver);
    await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: base });
    await session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD });
    const list: { data: { id: string }; capabilities: string[] }[] = await session.call('list_devices');
    const halo = list.filter((e) => e.data.id.startsWith(`${HALO_ID}:`));
    const added: ChargeAmpsDevice[] = [];
    for (const e of halo) added.push(await session.addDevice<ChargeAmpsDevice>(e));
    await session.close();
    const [type2, schuko] = [1, 2].map((n) => added.find((d) => d.getData().id === `${HALO_ID}:${n}`) as ChargeAmpsDevice);
    assert.strictEqual(type2.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'fast');
    assert.strictEqual(schuko.hasCapability(CHARGING_MODE_CAPABILITY), false);
    assert.strictEqual(schuko.modeHolder(), null);
    await assert.rejects(schuko.setChargingMode('off'), /no charging mode/);
    // regression: the outlet is not balanced (it has no charging current to set, only on/off); the Type 2 connector is
    const balanced = app.chargers.list().map((c) => c.id);
    assert.ok(balanced.includes(`${HALO_ID}:1`) && !balanced.includes(`${HALO_ID}:2`), balanced.join(', '));
  });
});

describe('charging mode: a driver without the app', () => {
  let homey: StandinHomey;
  let emu: GoeEmulator;

  beforeEach(async () => {
    GoeDevice.clientOptions = { minGapMs: 0 };
    emu = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0 });
    await emu.start();
    homey = createHomey();
  });
  afterEach(async () => {
    GoeDevice.clientOptions = {};
    await teardown(homey);
    await emu.stop();
  });

  it('the device keeps, shows and announces its mode itself; a restart keeps it', async () => {
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    let device = await addDevice<GoeDevice>(driver, { name: 'Garage', data: { id: emu.serial }, store: { serial: emu.serial }, settings: { host: emu.url, api: 'v2' } });
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'min_solar');
    assert.strictEqual(device.getStoreValue(CHARGING_MODE_STORE_KEY), 'min+solar');
    assert.deepStrictEqual(homey.flow.triggersOf('goe_charging_mode_changed').map((t) => t.tokens), [{ mode: 'min_solar', previous: 'fast' }]);
    device = await restartDevice(device);
    assert.strictEqual(device.getCapabilityValue(CHARGING_MODE_CAPABILITY), 'min_solar');
    assert.strictEqual(await homey.flow.runCondition('goe_charging_mode_is', { device, mode: 'min_solar' }), true);
  });
});
